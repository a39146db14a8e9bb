// The opt-in LLM judge (docs/scoring-and-gates.md §1 and §5.2): one call per response with an anchored 1–5 rubric for
// relevance, coherence and completeness (reasoning before score), structured output in the judge
// target's native API (OpenAI strict json_schema, Anthropic forced tool call), temperature 0, a text
// fallback, up to two format repairs, and a content-hash cache. A judge failure is recorded as null
// scores with status `judge_error`, never as 0: judge reliability must not leak into answer quality.
// Pairwise mode asks for A/B in both orders (MT-Bench); disagreeing orders count as a tie.
import {mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {randomBytes} from 'node:crypto'
import type {z} from 'zod'
import type {KtConfig} from '../config/index.js'
import {createClient, estimateCost, estimateRequestTokens, type CallResult, type PriceOverrides, type ProviderClient, type TargetSpec} from '../providers/index.js'
import {TokenBucket} from '../util/index.js'
import {resolveTarget} from '../config/index.js'
import {sha256, stableStringify} from '../records/index.js'
import type {Api} from '../records/index.js'
import type {Arm} from '../records/index.js'
import {KtError} from '../util/index.js'
import {
  conversationFromRequest,
  JUDGE_DIMENSIONS,
  normalizeScore,
  PAIRWISE_SCHEMA,
  PAIRWISE_TOOL,
  PAIRWISE_VERSION,
  PairwiseAnswer,
  pairwisePrompt,
  parsePairwise,
  parsePointwise,
  POINTWISE_SCHEMA,
  POINTWISE_TOOL,
  PointwiseAnswer,
  pointwisePrompt,
  renderResponse,
  repairMessage,
  RUBRIC_VERSION,
  type JudgePrompt,
  type Parsed,
} from './judge-prompt.js'
import {applyPolicy, DEFAULT_QUALITY_POLICY, type QualityPolicy} from './policy.js'

export {RUBRIC_VERSION, PAIRWISE_VERSION} from './judge-prompt.js'

export interface JudgeOptions {
  target: TargetSpec
  /** Also compare primary and candidate head to head, in both orders. */
  pairwise?: boolean
  /** Where cached verdicts live [default: .kt/judge-cache next to the database]. */
  cacheDir?: string
  /** Judge calls in flight [default 4, and never above the target's max_concurrency]. */
  concurrency?: number
  /** Base backoff before retrying a retryable upstream failure [default 1000 ms]. */
  retryBaseMs?: number
  /**
   * USD the judge may spend in this pass, priced from each call's usage (`pricing`, then the shipped table). A
   * call goes out only when its estimate still fits; answers left over get no judge record, so that a later pass
   * judges them (what was already judged comes from the cache, free). Unset: no cap.
   */
  maxCost?: number | null
  pricing?: PriceOverrides
}

export type JudgeStatus = 'ok' | 'judge_error' | 'not_judged'
export type PairVerdict = 'candidate' | 'primary' | 'tie'
export type Letter = 'A' | 'B' | 'C'

export interface JudgeScores {
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
}

export interface PairwiseRecord {
  /** null unless status is ok. */
  verdict: PairVerdict | null
  /** Verdict with A = primary, B = candidate. */
  g1: Letter | null
  /** Verdict with A = candidate, B = primary. */
  g2: Letter | null
  consistent: boolean | null
  status: JudgeStatus
  reason: string | null
  cached: boolean
}

/** What `scores.judge_json` holds for one (request, arm). */
export interface JudgeRecord {
  model: string
  rubric: string
  prompt_sha256: string | null
  /** 0..1 ((s − 1) / 4 of the 1–5 rubric); all null unless status is ok. */
  scores: JudgeScores
  reason: string
  status: JudgeStatus
  cached: boolean
  /** On the candidate's record only, in pairwise mode. */
  pairwise?: PairwiseRecord
}

const NULL_SCORES: JudgeScores = {relevance: null, coherence: null, completeness: null, overall: null}
/** Format repairs after the first malformed answer, and retries of retryable upstream failures. */
const MAX_REPAIRS = 2
const MAX_TRANSPORT_RETRIES = 2
const DEFAULT_CONCURRENCY = 4
/** Fixed seed where the API takes one: with temperature 0 this is as repeatable as the provider allows. */
const JUDGE_SEED = 42
const ANTHROPIC_MAX_TOKENS = 2048
/** Output tokens a judge call is counted at (budget, tpm) until its real usage is known; answers run ~300. */
const OUTPUT_TOKENS_ESTIMATE = 1024
const MAX_REASON_CHARS = 2000
const MAX_BACKOFF_MS = 20_000

/** How a judge names itself in records and cache keys. */
export function judgeModelName(target: TargetSpec): string {
  return `${target.provider}:${target.model}`
}

/**
 * Where cached verdicts go: `cacheDir` when given, else `.kt/judge-cache` next to the database (just
 * `judge-cache` when the database already lives in a `.kt` folder). null for an in-memory database.
 */
export function judgeCacheDir(dbFile: string, explicit?: string): string | null {
  if (explicit) return resolve(explicit)
  const file = dbFile
  if (!file || file === ':memory:') return null
  const dir = dirname(resolve(file))
  return basename(dir) === '.kt' ? join(dir, 'judge-cache') : join(dir, '.kt', 'judge-cache')
}

/**
 * Fails early (before any replay or scoring) when a target cannot judge: a simulated target only echoes,
 * and a missing key is reported by its env variable name, never its value.
 */
export function checkJudgeTarget(target: TargetSpec, flag = 'judge'): void {
  if (target.provider === 'simulated') {
    throw new KtError(`--${flag} ${target.id}: a simulated target cannot judge answers; use a model such as openai:gpt-4o or anthropic:claude-sonnet-4-20250514`, 2)
  }
  try {
    createClient(target)
  } catch (error) {
    if (error instanceof KtError) throw new KtError(`--${flag}: ${error.message}`, 2)
    throw error
  }
}

/**
 * `--judge TARGET` / `--judge-pairwise` / `--judge-max-cost USD` to judge options (priced with the config's
 * `pricing:`), checked up front: a bad target, a missing key or a bad budget is a usage error before anything is
 * sent. undefined without --judge.
 */
export function judgeFromFlags(ref: string | undefined, pairwise: boolean | undefined, config: KtConfig, maxCost?: string): JudgeOptions | undefined {
  if (!ref) {
    if (pairwise) throw new KtError('--judge-pairwise needs --judge TARGET (the model that compares the answers)', 2)
    if (maxCost !== undefined) throw new KtError('--judge-max-cost needs --judge TARGET (the model whose calls it caps)', 2)
    return undefined
  }
  const budget = maxCost === undefined ? null : Number(maxCost)
  if (budget !== null && !(maxCost!.trim() !== '' && Number.isFinite(budget) && budget >= 0)) throw new KtError(`--judge-max-cost "${maxCost}": expected a number of USD >= 0`, 2)
  const target = resolveTarget(ref, config, 'judge')
  checkJudgeTarget(target)
  return {target, pairwise: Boolean(pairwise), pricing: config.pricing, ...(budget !== null ? {maxCost: budget} : {})}
}

// ---------------------------------------------------------------------------------------------
// One judge: calls, repairs, cache

/** `budget`: not asked, because the call could have passed the judge's maxCost. */
type Outcome<T> = {ok: true; value: T; cached: boolean; prompt_sha256: string} | {ok: false; reason: string; prompt_sha256: string; budget?: true}

interface AskSpec<T> {
  kind: 'pointwise' | 'pairwise'
  prompt: JudgePrompt
  tool: string
  schema: Record<string, unknown>
  parse: (payload: string | null, text: string | null) => Parsed<T>
  validator: z.ZodType<T>
  cacheKey: string
}

/** A judge's earlier answer and the repair request that follows it. */
interface RepairTurn {
  answerText: string | null
  tool: {id: string; name: string; input: Record<string, unknown>} | null
  problem: string
}

type Dropped = 'temperature' | 'seed' | 'response_format'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class Judge {
  readonly model: string
  /** Upstream calls made (cache hits make none). */
  calls = 0
  cacheHits = 0
  /** Estimated USD spent on judge calls so far (calls whose model has no price count 0; see `unpriced`). */
  spent = 0
  /** Asks not sent because the judge's budget would have been passed. */
  overBudget = 0
  /** Calls whose cost could not be priced (the model is in neither `pricing` nor the shipped table). */
  unpriced = 0
  private readonly client: ProviderClient
  private readonly api: 'openai.chat' | 'anthropic.messages'
  private readonly cacheDir: string | null
  private readonly retryBaseMs: number
  private readonly maxCost: number | null
  private readonly pricing: PriceOverrides | undefined
  /** Estimates of the calls in flight, held against the budget until their real cost is known. */
  private reserved = 0
  private settled: (() => void)[] = []
  /** The judge target's own rpm / tpm, as replay honours them. */
  private readonly rpm: TokenBucket | null
  private readonly tpm: TokenBucket | null

  constructor(opts: JudgeOptions, cacheDir: string | null) {
    checkJudgeTarget(opts.target)
    this.client = createClient(opts.target)
    this.api = this.client.nativeApi === 'anthropic.messages' ? 'anthropic.messages' : 'openai.chat'
    this.model = judgeModelName(opts.target)
    this.cacheDir = cacheDir
    this.retryBaseMs = opts.retryBaseMs ?? 1000
    this.maxCost = opts.maxCost ?? null
    this.pricing = opts.pricing
    this.rpm = opts.target.rpm ? TokenBucket.perMinute(opts.target.rpm) : null
    this.tpm = opts.target.tpm ? TokenBucket.tokensPerMinute(opts.target.tpm) : null
  }

  /** USD this pass may spend; null without a cap. */
  get budget(): number | null {
    return this.maxCost
  }

  private cost(usage: CallResult['usage']): number | null {
    return estimateCost(this.client.target.model, usage, this.pricing)
  }

  /**
   * Holds an estimate for the next call against the budget, waiting for calls in flight to settle when it does
   * not fit yet; false when it cannot fit even with nothing in flight.
   */
  private async reserve(input: number): Promise<number | false> {
    if (this.maxCost === null) return 0
    const est = this.cost({input_tokens: input, output_tokens: OUTPUT_TOKENS_ESTIMATE, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + OUTPUT_TOKENS_ESTIMATE}) ?? 0
    while (this.spent + this.reserved + est > this.maxCost) {
      if (this.reserved === 0) return false
      await new Promise<void>((resolve) => this.settled.push(resolve))
    }
    this.reserved += est
    return est
  }

  private async send(body: Record<string, unknown>, input: number, est: number): Promise<CallResult> {
    try {
      await this.rpm?.take(1)
      await this.tpm?.take(input + OUTPUT_TOKENS_ESTIMATE)
      this.calls++
      const r = await this.client.call({api: this.api, body})
      const usd = this.cost(r.usage)
      if (usd === null) {
        if (r.usage.input_tokens !== null || r.usage.output_tokens !== null) this.unpriced++
      } else this.spent += usd
      return r
    } finally {
      this.reserved -= est
      for (const wake of this.settled.splice(0)) wake()
    }
  }

  /** The target's own cap on calls in flight (none: unbounded). */
  get maxConcurrency(): number {
    return this.client.target.max_concurrency ?? Number.POSITIVE_INFINITY
  }

  /** Scores one response on the rubric. */
  pointwise(conversation: string, response: string): Promise<Outcome<PointwiseAnswer>> {
    return this.ask({
      kind: 'pointwise',
      prompt: pointwisePrompt(conversation, response),
      tool: POINTWISE_TOOL,
      schema: POINTWISE_SCHEMA,
      parse: parsePointwise,
      validator: PointwiseAnswer,
      cacheKey: sha256(stableStringify({judge: this.model, rubric: RUBRIC_VERSION, request: conversation, response})),
    })
  }

  /** One order of a head-to-head comparison: `a` is shown as Assistant A. */
  compare(conversation: string, a: string, b: string): Promise<Outcome<PairwiseAnswer>> {
    return this.ask({
      kind: 'pairwise',
      prompt: pairwisePrompt(conversation, a, b),
      tool: PAIRWISE_TOOL,
      schema: PAIRWISE_SCHEMA,
      parse: parsePairwise,
      validator: PairwiseAnswer,
      cacheKey: sha256(stableStringify({judge: this.model, rubric: PAIRWISE_VERSION, request: conversation, a, b})),
    })
  }

  private async ask<T>(spec: AskSpec<T>): Promise<Outcome<T>> {
    const promptSha = sha256(stableStringify(spec.prompt))
    const hit = this.readCache(spec)
    if (hit !== null) {
      this.cacheHits++
      return {ok: true, value: hit, cached: true, prompt_sha256: promptSha}
    }
    const turns: RepairTurn[] = []
    const dropped = new Set<Dropped>()
    let transportRetries = 0
    for (;;) {
      const body = this.body(spec, turns, dropped)
      // Input tokens estimated only when a budget or a tpm limit needs them (it walks the whole prompt).
      const inputTokens = this.maxCost !== null || this.tpm ? estimateRequestTokens(body) : 0
      const est = await this.reserve(inputTokens)
      if (est === false) {
        this.overBudget++
        return {ok: false, budget: true, reason: `the judge's budget of $${(this.maxCost ?? 0).toFixed(4)} for this pass is spent`, prompt_sha256: promptSha}
      }
      const r = await this.send(body, inputTokens, est)
      if (r.status !== 'ok' || !r.response) {
        const what = describeFailure(r)
        // Some models reject temperature/seed/json_schema outright (HTTP 400): drop that knob once and ask again.
        const knob = r.http_status === 400 ? unsupportedKnob(what, dropped) : null
        if (knob) {
          dropped.add(knob)
          continue
        }
        if (r.retryable && transportRetries < MAX_TRANSPORT_RETRIES) {
          const wait = Math.min(MAX_BACKOFF_MS, r.retry_after_ms ?? this.retryBaseMs * 2 ** transportRetries)
          transportRetries++
          await sleep(wait)
          continue
        }
        return {ok: false, reason: `judge call failed: ${what}`, prompt_sha256: promptSha}
      }
      const call = r.response.tool_calls.find((t) => t.name === spec.tool) ?? null
      const text = r.response.text
      const parsed = spec.parse(call?.arguments ?? null, text)
      if (parsed.ok) {
        this.writeCache(spec, parsed.value, promptSha)
        return {ok: true, value: parsed.value, cached: false, prompt_sha256: promptSha}
      }
      if (turns.length >= MAX_REPAIRS) {
        return {ok: false, reason: `malformed judge answer after ${turns.length + 1} attempts: ${parsed.problem}`, prompt_sha256: promptSha}
      }
      let input: Record<string, unknown> | null = null
      if (call) {
        try {
          const v: unknown = JSON.parse(call.arguments)
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) input = v as Record<string, unknown>
        } catch {
          input = null
        }
      }
      turns.push({answerText: text ?? (call && !input ? call.arguments : null), tool: call && input ? {id: call.id, name: call.name, input} : null, problem: parsed.problem})
    }
  }

  /** The judge request in the target's native wire shape. */
  private body<T>(spec: AskSpec<T>, turns: RepairTurn[], dropped: Set<Dropped>): Record<string, unknown> {
    const target = this.client.target
    if (this.api === 'anthropic.messages') {
      const messages: Record<string, unknown>[] = [{role: 'user', content: spec.prompt.user}]
      for (const t of turns) {
        const repair = repairMessage(t.problem, spec.kind)
        if (t.tool) {
          messages.push({role: 'assistant', content: [{type: 'tool_use', id: t.tool.id, name: t.tool.name, input: t.tool.input}]})
          messages.push({role: 'user', content: [{type: 'tool_result', tool_use_id: t.tool.id, is_error: true, content: t.problem}, {type: 'text', text: repair}]})
        } else {
          messages.push({role: 'assistant', content: [{type: 'text', text: nonEmpty(t.answerText)}]})
          messages.push({role: 'user', content: repair})
        }
      }
      const body: Record<string, unknown> = {
        model: target.model,
        max_tokens: ANTHROPIC_MAX_TOKENS,
        system: spec.prompt.system,
        messages,
        tools: [{name: spec.tool, description: spec.kind === 'pointwise' ? 'Record the rubric scores, reasoning first.' : 'Record the comparison verdict, reasoning first.', input_schema: spec.schema}],
        tool_choice: {type: 'tool', name: spec.tool},
      }
      if (!dropped.has('temperature')) body.temperature = 0
      return body
    }
    const messages: Record<string, unknown>[] = [
      {role: 'system', content: spec.prompt.system},
      {role: 'user', content: spec.prompt.user},
    ]
    for (const t of turns) {
      messages.push({role: 'assistant', content: nonEmpty(t.answerText ?? (t.tool ? JSON.stringify(t.tool.input) : null))})
      messages.push({role: 'user', content: repairMessage(t.problem, spec.kind)})
    }
    const body: Record<string, unknown> = {model: target.model, messages}
    if (!dropped.has('temperature')) body.temperature = 0
    if (!dropped.has('seed')) body.seed = JUDGE_SEED
    if (!dropped.has('response_format')) body.response_format = {type: 'json_schema', json_schema: {name: spec.tool, strict: true, schema: spec.schema}}
    return body
  }

  private cachePath(key: string): string | null {
    return this.cacheDir ? join(this.cacheDir, `${key}.json`) : null
  }

  private readCache<T>(spec: AskSpec<T>): T | null {
    const path = this.cachePath(spec.cacheKey)
    if (!path) return null
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return null
    }
    try {
      const entry = JSON.parse(text) as {kind?: unknown; answer?: unknown}
      if (entry.kind !== spec.kind) return null
      const v = spec.validator.safeParse(entry.answer)
      return v.success ? v.data : null
    } catch {
      // A damaged entry is a miss; the next good answer overwrites it.
      return null
    }
  }

  /** Atomic (temp + rename), so a concurrent reader never sees half an entry. A failed write only costs a later call. */
  private writeCache<T>(spec: AskSpec<T>, answer: T, promptSha: string): void {
    const path = this.cachePath(spec.cacheKey)
    if (!path) return
    const entry = {schema: 'kt.judge-cache/v1', kind: spec.kind, judge: this.model, rubric: spec.kind === 'pointwise' ? RUBRIC_VERSION : PAIRWISE_VERSION, prompt_sha256: promptSha, answer}
    const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    try {
      mkdirSync(dirname(path), {recursive: true})
      writeFileSync(tmp, `${JSON.stringify(entry)}\n`)
      renameSync(tmp, path)
    } catch {
      rmSync(tmp, {force: true})
    }
  }
}

function nonEmpty(text: string | null): string {
  return text && text.trim() ? text : '(empty answer)'
}

function describeFailure(r: CallResult): string {
  const parts: string[] = []
  if (r.http_status !== null) parts.push(`HTTP ${r.http_status}`)
  else if (r.status !== 'ok') parts.push(r.status)
  if (r.error?.type) parts.push(r.error.type)
  const head = parts.join(' ')
  const message = r.error?.message ?? (r.status === 'ok' ? 'the response had no content' : null)
  return message ? `${head ? `${head}: ` : ''}${message}` : head || 'unknown error'
}

function unsupportedKnob(message: string, dropped: Set<Dropped>): Dropped | null {
  const m = message.toLowerCase()
  if (!dropped.has('response_format') && /response_format|json_schema/.test(m)) return 'response_format'
  if (!dropped.has('temperature') && m.includes('temperature')) return 'temperature'
  if (!dropped.has('seed') && /\bseed\b/.test(m)) return 'seed'
  return null
}

// ---------------------------------------------------------------------------------------------
// Judging a run's results

/** One stored result, as the scoring pass reads it. */
export interface JudgeItem {
  event_id: string
  arm: Arm
  status: string
  finish_reason: string | null
  response_text: string | null
  tool_calls_json: string | null
  api: Api
  request_json: string | null
}

export interface JudgeItemsOptions {
  pairwise?: boolean
  concurrency?: number
  policy?: QualityPolicy
}

export function judgeKey(eventId: string, arm: Arm): string {
  return `${eventId}\u0000${arm}`
}

function toolCalls(json: string | null): {name: string; arguments: string}[] {
  if (!json) return []
  try {
    const v: unknown = JSON.parse(json)
    if (!Array.isArray(v)) return []
    return v.flatMap((t: unknown) => {
      const o = t as {name?: unknown; arguments?: unknown}
      return typeof o?.name === 'string' ? [{name: o.name, arguments: typeof o.arguments === 'string' ? o.arguments : JSON.stringify(o.arguments ?? {})}] : []
    })
  } catch {
    return []
  }
}

function clip(s: string): string {
  return s.length > MAX_REASON_CHARS ? `${s.slice(0, MAX_REASON_CHARS)}…` : s
}

/** Runs tasks with at most `n` in flight. */
async function pool(tasks: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!()
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(n, tasks.length))}, worker))
}

function pointwiseRecord(judge: Judge, o: Outcome<PointwiseAnswer>, policy: QualityPolicy): JudgeRecord {
  if (!o.ok) return {model: judge.model, rubric: RUBRIC_VERSION, prompt_sha256: o.prompt_sha256, scores: {...NULL_SCORES}, reason: o.reason, status: 'judge_error', cached: false}
  const dims = {
    relevance: {score: normalizeScore(o.value.relevance.score)},
    coherence: {score: normalizeScore(o.value.coherence.score)},
    completeness: {score: normalizeScore(o.value.completeness.score)},
  }
  return {
    model: judge.model,
    rubric: RUBRIC_VERSION,
    prompt_sha256: o.prompt_sha256,
    scores: {relevance: dims.relevance.score, coherence: dims.coherence.score, completeness: dims.completeness.score, overall: applyPolicy(dims, policy).overall},
    reason: JUDGE_DIMENSIONS.map((d) => `${d} ${o.value[d].score}/5: ${clip(o.value[d].reasoning.trim())}`).join('\n'),
    status: 'ok',
    cached: o.cached,
  }
}

function notJudged(judge: Judge, reason: string): JudgeRecord {
  return {model: judge.model, rubric: RUBRIC_VERSION, prompt_sha256: null, scores: {...NULL_SCORES}, reason, status: 'not_judged', cached: false}
}

/** MT-Bench position-bias rule: a winner only when both orders agree, anything else is a tie. */
export function combineOrders(g1: Letter, g2: Letter): {verdict: PairVerdict; consistent: boolean} {
  const w1: PairVerdict = g1 === 'A' ? 'primary' : g1 === 'B' ? 'candidate' : 'tie'
  const w2: PairVerdict = g2 === 'A' ? 'candidate' : g2 === 'B' ? 'primary' : 'tie'
  return w1 === w2 ? {verdict: w1, consistent: true} : {verdict: 'tie', consistent: false}
}

/**
 * Judges every result (each arm that answered; errors are `not_judged`, not judge errors) and, in
 * pairwise mode, every request whose primary and candidate both answered. Returns one record per
 * (request, arm), keyed by judgeKey().
 */
export async function judgeItems(items: readonly JudgeItem[], judge: Judge, opts: JudgeItemsOptions = {}): Promise<Map<string, JudgeRecord>> {
  const policy = opts.policy ?? DEFAULT_QUALITY_POLICY
  const out = new Map<string, JudgeRecord>()
  const tasks: (() => Promise<void>)[] = []
  const byEvent = new Map<string, {conversation: string | null; arms: Partial<Record<Arm, string>>}>()
  for (const it of items) {
    let ev = byEvent.get(it.event_id)
    if (!ev) {
      ev = {conversation: conversationFromRequest(it.api, it.request_json), arms: {}}
      byEvent.set(it.event_id, ev)
    }
    const key = judgeKey(it.event_id, it.arm)
    if (it.status !== 'ok') {
      out.set(key, notJudged(judge, `the ${it.arm} answer is an error (status ${it.status}); errors are counted, not judged`))
      continue
    }
    if (ev.conversation === null) {
      out.set(key, notJudged(judge, 'the stored request has no readable conversation'))
      continue
    }
    const response = renderResponse({text: it.response_text, tool_calls: toolCalls(it.tool_calls_json), finish_reason: it.finish_reason})
    ev.arms[it.arm] = response
    const conversation = ev.conversation
    tasks.push(async () => {
      const o = await judge.pointwise(conversation, response)
      // Over budget: no record, so that a later pass judges it.
      if (!o.ok && o.budget) return
      out.set(key, pointwiseRecord(judge, o, policy))
    })
  }
  const pairs = new Map<string, PairwiseRecord>()
  /** Requests whose head-to-head was cut short by the budget: they get no pairwise record (a later pass asks). */
  const unasked = new Set<string>()
  if (opts.pairwise) {
    for (const [eventId, ev] of byEvent) {
      const p = ev.arms.primary
      const c = ev.arms.candidate
      if (ev.conversation === null || p === undefined || c === undefined) continue
      const conversation = ev.conversation
      const orders: [Outcome<PairwiseAnswer> | null, Outcome<PairwiseAnswer> | null] = [null, null]
      const finish = () => {
        const [o1, o2] = orders
        if (!o1 || !o2) return
        if ((!o1.ok && o1.budget) || (!o2.ok && o2.budget)) {
          unasked.add(eventId)
          return
        }
        if (!o1.ok || !o2.ok) {
          const reason = [!o1.ok ? `A=primary: ${o1.reason}` : null, !o2.ok ? `A=candidate: ${o2.reason}` : null].filter(Boolean).join('; ')
          pairs.set(eventId, {verdict: null, g1: o1.ok ? o1.value.verdict : null, g2: o2.ok ? o2.value.verdict : null, consistent: null, status: 'judge_error', reason, cached: false})
          return
        }
        const {verdict, consistent} = combineOrders(o1.value.verdict, o2.value.verdict)
        pairs.set(eventId, {verdict, g1: o1.value.verdict, g2: o2.value.verdict, consistent, status: 'ok', reason: clip(o1.value.reasoning.trim()), cached: o1.cached && o2.cached})
      }
      tasks.push(async () => {
        orders[0] = await judge.compare(conversation, p, c)
        finish()
      })
      tasks.push(async () => {
        orders[1] = await judge.compare(conversation, c, p)
        finish()
      })
    }
  }
  const limit = Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, judge.maxConcurrency)
  await pool(tasks, limit)
  if (opts.pairwise) {
    for (const it of items) {
      if (it.arm !== 'candidate') continue
      const rec = out.get(judgeKey(it.event_id, 'candidate'))
      if (!rec || unasked.has(it.event_id)) continue
      rec.pairwise = pairs.get(it.event_id) ?? {verdict: null, g1: null, g2: null, consistent: null, status: 'not_judged', reason: 'primary and candidate did not both answer', cached: false}
    }
  }
  return out
}

/** The judge and its cache for a run stored in the database file `dbFile`. */
export function createJudge(opts: JudgeOptions, dbFile: string): Judge {
  return new Judge(opts, judgeCacheDir(dbFile, opts.cacheDir))
}

// ---------------------------------------------------------------------------------------------
// Reading judge results back

export function parseJudgeJson(text: string | null): JudgeRecord | null {
  if (!text) return null
  try {
    const v = JSON.parse(text) as JudgeRecord
    return v && typeof v === 'object' && typeof v.status === 'string' ? v : null
  } catch {
    return null
  }
}

/**
 * True when every result of the run (`rows`: its stored judge record, or null) carries a usable judge record from `model` (judge errors do not
 * count, so asking again retries them; cached answers make that cheap) and, in pairwise mode, a
 * head-to-head record on the candidate.
 */
export function runIsJudged(rows: readonly {arm: Arm; judge_json: string | null}[], model: string, pairwise: boolean): boolean {
  if (rows.length === 0) return false
  return rows.every((r) => {
    const j = parseJudgeJson(r.judge_json)
    if (!j || j.model !== model || j.rubric !== RUBRIC_VERSION || j.status === 'judge_error') return false
    if (pairwise && r.arm === 'candidate') return !!j.pairwise && j.pairwise.status !== 'judge_error'
    return true
  })
}

export interface JudgeArmSummary {
  /** Results with a judge record. */
  n: number
  judged: number
  errors: number
  /** Answers that were errors themselves (not sent to the judge). */
  not_judged: number
  /** errors / (judged + errors); null when nothing was sent to the judge. */
  error_rate: number | null
  cached: number
  means: JudgeScores
}

export interface PairwiseSummary {
  /** Requests with a valid head-to-head verdict. */
  n: number
  candidate_wins: number
  primary_wins: number
  ties: number
  /** Ties that come from the two orders disagreeing (position bias). */
  inconsistent: number
  errors: number
  error_rate: number | null
  /** (W + ½T) / n for the candidate; null when n = 0. */
  win_rate: number | null
}

export interface JudgeSummary {
  model: string | null
  rubric: string
  arms: Partial<Record<Arm, JudgeArmSummary>>
  pairwise: PairwiseSummary | null
  warnings: string[]
}

/** One judging pass: upstream calls, cache hits, estimated spend, and what its budget left unasked. */
export interface JudgePass {
  calls: number
  cache_hits: number
  spent_usd: number
  /** The pass's USD cap; null without one. */
  max_cost: number | null
  /** Asks not sent because they could have passed max_cost; a later pass asks them. */
  over_budget: number
  /** Calls whose cost could not be priced (they count 0 against max_cost). */
  unpriced: number
}

/** Judge error rate above which judge-based comparisons should not be trusted (docs/scoring-and-gates.md §1). */
export const JUDGE_ERROR_RATE_LIMIT = 0.05

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}

/** Per-arm judge means and error rates, and the head-to-head summary, from a run's stored judge records. */
export function judgeSummary(rows: readonly {arm: Arm; judge_json: string | null}[]): JudgeSummary {
  const models = new Set<string>()
  const arms: Partial<Record<Arm, JudgeArmSummary>> = {}
  const sums: Partial<Record<Arm, Record<keyof JudgeScores, {sum: number; n: number}>>> = {}
  let pw: PairwiseSummary | null = null
  for (const row of rows) {
    const j = parseJudgeJson(row.judge_json)
    if (!j) continue
    models.add(j.model)
    const a = (arms[row.arm] ??= {n: 0, judged: 0, errors: 0, not_judged: 0, error_rate: null, cached: 0, means: {...NULL_SCORES}})
    const s = (sums[row.arm] ??= {relevance: {sum: 0, n: 0}, coherence: {sum: 0, n: 0}, completeness: {sum: 0, n: 0}, overall: {sum: 0, n: 0}})
    a.n++
    if (j.status === 'ok') {
      a.judged++
      if (j.cached) a.cached++
      for (const k of ['relevance', 'coherence', 'completeness', 'overall'] as const) {
        const v = j.scores[k]
        if (typeof v === 'number' && Number.isFinite(v)) {
          s[k].sum += v
          s[k].n++
        }
      }
    } else if (j.status === 'judge_error') a.errors++
    else a.not_judged++
    if (j.pairwise) {
      pw ??= {n: 0, candidate_wins: 0, primary_wins: 0, ties: 0, inconsistent: 0, errors: 0, error_rate: null, win_rate: null}
      const p = j.pairwise
      if (p.status === 'ok' && p.verdict) {
        pw.n++
        if (p.verdict === 'candidate') pw.candidate_wins++
        else if (p.verdict === 'primary') pw.primary_wins++
        else pw.ties++
        if (p.consistent === false) pw.inconsistent++
      } else if (p.status === 'judge_error') pw.errors++
    }
  }
  const warnings: string[] = []
  for (const [arm, a] of Object.entries(arms) as [Arm, JudgeArmSummary][]) {
    const s = sums[arm]!
    a.error_rate = a.judged + a.errors > 0 ? round6(a.errors / (a.judged + a.errors)) : null
    a.means = {
      relevance: s.relevance.n ? round6(s.relevance.sum / s.relevance.n) : null,
      coherence: s.coherence.n ? round6(s.coherence.sum / s.coherence.n) : null,
      completeness: s.completeness.n ? round6(s.completeness.sum / s.completeness.n) : null,
      overall: s.overall.n ? round6(s.overall.sum / s.overall.n) : null,
    }
    if (a.error_rate !== null && a.error_rate > JUDGE_ERROR_RATE_LIMIT) {
      warnings.push(`judge error rate on ${arm} is ${(a.error_rate * 100).toFixed(1)}% (above ${JUDGE_ERROR_RATE_LIMIT * 100}%): its judge scores are not reliable`)
    }
  }
  const p = arms.primary?.error_rate
  const c = arms.candidate?.error_rate
  if (p != null && c != null && Math.abs(p - c) > 0.02) {
    warnings.push(`judge error rates differ between arms (primary ${(p * 100).toFixed(1)}%, candidate ${(c * 100).toFixed(1)}%): failures are not missing at random`)
  }
  if (pw) {
    const total = pw.n + pw.errors
    pw.error_rate = total > 0 ? round6(pw.errors / total) : null
    pw.win_rate = pw.n > 0 ? round6((pw.candidate_wins + 0.5 * pw.ties) / pw.n) : null
  }
  if (models.size > 1) warnings.push(`judge records come from more than one judge (${[...models].join(', ')})`)
  return {model: models.size ? [...models].join(', ') : null, rubric: RUBRIC_VERSION, arms, pairwise: pw, warnings}
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`
}

function num(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3)
}

/** Human-readable lines for stderr notes (no keys, no prompts). */
export function formatJudgeSummary(s: JudgeSummary & Partial<JudgePass>): string[] {
  const budget: string[] = []
  if (s.over_budget) {
    budget.push(`  budget: $${(s.spent_usd ?? 0).toFixed(4)} of $${(s.max_cost ?? 0).toFixed(4)} spent; ${s.over_budget} judge calls not made, so those answers have no judge record yet (a later --judge pass asks them; verdicts already given come from the cache)`)
  }
  if (s.unpriced && s.max_cost != null) {
    budget.push(`  warning: ${s.unpriced} judge calls could not be priced (their model is not in the price table; add it under pricing:), so they did not count against the budget`)
  }
  if (!s.model) return ['judge: no judge results in this run', ...budget]
  const lines = [`judge ${s.model} (${s.rubric}):`, ...budget]
  for (const arm of ['primary', 'candidate', 'primary_aa'] as Arm[]) {
    const a = s.arms[arm]
    if (!a) continue
    lines.push(
      `  ${arm}: overall ${num(a.means.overall)} (relevance ${num(a.means.relevance)}, coherence ${num(a.means.coherence)}, completeness ${num(a.means.completeness)}); ` +
        `judged ${a.judged}, judge errors ${a.errors} (${pct(a.error_rate)})${a.not_judged ? `, not judged ${a.not_judged}` : ''}${a.cached ? `, cached ${a.cached}` : ''}`,
    )
  }
  const pw = s.pairwise
  if (pw) {
    lines.push(
      `  pairwise: candidate win rate ${num(pw.win_rate)} over ${pw.n} requests (wins ${pw.candidate_wins}, losses ${pw.primary_wins}, ties ${pw.ties} of which inconsistent ${pw.inconsistent}); judge errors ${pw.errors} (${pct(pw.error_rate)})`,
    )
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`)
  return lines
}
