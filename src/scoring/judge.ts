// The opt-in LLM judge (docs/scoring-and-gates.md §1 and §5.2): one call per response with an anchored 1–5 rubric for
// relevance, coherence and completeness (reasoning before score), structured output in the judge
// target's native API (OpenAI strict json_schema, Anthropic forced tool call), temperature 0, a text
// fallback, up to two format repairs, and a content-hash cache. A judge failure is recorded as null
// scores with status `judge_error`, never as 0: judge reliability must not leak into answer quality.
// Pairwise mode asks for A/B in both orders (MT-Bench); disagreeing orders count as a tie.
// This file is one judge and its ask loop; the request bodies (judge-body.ts), the budget and rate limits
// (judge-budget.ts), the cache (judge-cache.ts), judging a run (judge-items.ts) and reading results back
// (judge-summary.ts) live next to it.
import type {z} from 'zod'
import {createClient, estimateRequestTokens, type CallResult, type ProviderClient, type TargetSpec} from '../providers/index.js'
import {scrubSecrets, scrubText, sha256, stableStringify} from '../records/index.js'
import {describeFailure, judgeBody, repairTurn, unsupportedKnob, type BodySpec, type Dropped, type RepairTurn} from './judge-body.js'
import {JudgeMeter} from './judge-budget.js'
import {JudgeCache} from './judge-cache.js'
import {
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
  RUBRIC_VERSION,
  type Parsed,
} from './judge-prompt.js'
import {checkJudgeTarget, judgeCacheDir, judgeModelName} from './judge-target.js'
import type {JudgeOptions} from './judge-types.js'

export {RUBRIC_VERSION, PAIRWISE_VERSION} from './judge-prompt.js'

/** Format repairs after the first malformed answer, and retries of retryable upstream failures. */
const MAX_REPAIRS = 2
const MAX_TRANSPORT_RETRIES = 2
const MAX_BACKOFF_MS = 20_000

/** `budget`: not asked, because the call could have passed the judge's maxCost. */
export type Outcome<T> = {ok: true; value: T; cached: boolean; prompt_sha256: string} | {ok: false; reason: string; prompt_sha256: string; budget?: true}

/** An ask held back for the Batch API (judge-batch.ts): its body, and how to take its answer into the cache. */
export interface PendingAsk {
  cacheKey: string
  body: Record<string, unknown>
  api: 'openai.chat' | 'anthropic.messages'
  /** Parses an answer and caches it; false when it is not a well-formed verdict (asked live again later). */
  accept(result: CallResult): boolean
}

interface AskSpec<T> extends BodySpec {
  parse: (payload: string | null, text: string | null) => Parsed<T>
  validator: z.ZodType<T>
  cacheKey: string
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class Judge {
  readonly model: string
  cacheHits = 0
  /** Asks not sent because the judge's budget would have been passed. */
  overBudget = 0
  private readonly client: ProviderClient
  private readonly api: 'openai.chat' | 'anthropic.messages'
  private readonly cache: JudgeCache
  private readonly meter: JudgeMeter
  private readonly retryBaseMs: number
  /** While set, asks not in the cache are held here instead of sent (a Batch API pass collects them). */
  collecting: PendingAsk[] | null = null

  constructor(
    opts: JudgeOptions,
    /** Where the cache (and the ledger of batches not yet collected) lives; null: nowhere. */
    readonly cacheDir: string | null,
  ) {
    checkJudgeTarget(opts.target)
    this.client = createClient(opts.target)
    this.api = this.client.nativeApi === 'anthropic.messages' ? 'anthropic.messages' : 'openai.chat'
    this.model = judgeModelName(opts.target)
    this.cache = new JudgeCache(cacheDir, this.model)
    this.meter = new JudgeMeter(this.client, opts.maxCost ?? null, opts.pricing)
    this.retryBaseMs = opts.retryBaseMs ?? 1000
  }

  /** Upstream calls made (cache hits make none). */
  get calls(): number {
    return this.meter.calls
  }

  /** Estimated USD spent on judge calls so far (calls whose model has no price count 0; see `unpriced`). */
  get spent(): number {
    return this.meter.spent
  }

  /** Calls whose cost could not be priced (the model is in neither `pricing` nor the shipped table). */
  get unpriced(): number {
    return this.meter.unpriced
  }

  /** USD this pass may spend; null without a cap. */
  get budget(): number | null {
    return this.meter.maxCost
  }

  /** The judge target (a Batch API pass sends to it). */
  get target(): TargetSpec {
    return this.client.target
  }

  /** The judge's spending, for a Batch API pass to reserve and book against the same budget. */
  get budgetMeter(): JudgeMeter {
    return this.meter
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

  /**
   * Asks until a well-formed answer comes back: a cache hit, else calls within the budget, dropping a knob the model
   * refuses, retrying retryable failures with backoff and asking for format repairs.
   */
  private async ask<T>(spec: AskSpec<T>): Promise<Outcome<T>> {
    const promptSha = sha256(stableStringify(spec.prompt))
    const hit = this.cache.read(spec.cacheKey, spec.kind, spec.validator)
    if (hit !== null) {
      this.cacheHits++
      return {ok: true, value: hit, cached: true, prompt_sha256: promptSha}
    }
    if (this.collecting) {
      this.collecting.push(this.pending(spec, promptSha))
      // No record for now: the live pass after the batch judges it (from the cache, when the batch answered well).
      return {ok: false, budget: true, reason: 'held for the Batch API', prompt_sha256: promptSha}
    }
    const turns: RepairTurn[] = []
    const dropped = new Set<Dropped>()
    let transportRetries = 0
    for (;;) {
      const body = judgeBody(this.api, this.client.target.model, spec, turns, dropped)
      // Input tokens estimated only when a budget or a tpm limit needs them (it walks the whole prompt).
      const inputTokens = this.meter.countsTokens ? estimateRequestTokens(body) : 0
      const est = await this.meter.reserve(inputTokens)
      if (est === false) {
        this.overBudget++
        return {ok: false, budget: true, reason: `the judge's budget of $${(this.budget ?? 0).toFixed(4)} for this pass is spent`, prompt_sha256: promptSha}
      }
      const r = await this.meter.send(body, this.api, inputTokens, est)
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
        return {ok: false, reason: scrubText(`judge call failed: ${what}`), prompt_sha256: promptSha}
      }
      const call = r.response.tool_calls.find((t) => t.name === spec.tool) ?? null
      const text = r.response.text
      const parsed = spec.parse(call?.arguments ?? null, text)
      if (parsed.ok) {
        // A judge quoting a key from the answer it grades must not put it in the cache or the judge record.
        const value = scrubSecrets(parsed.value)
        this.cache.write(spec.cacheKey, spec.kind, value, promptSha)
        return {ok: true, value, cached: false, prompt_sha256: promptSha}
      }
      if (turns.length >= MAX_REPAIRS) {
        return {ok: false, reason: scrubText(`malformed judge answer after ${turns.length + 1} attempts: ${parsed.problem}`), prompt_sha256: promptSha}
      }
      turns.push(repairTurn(call, text, parsed.problem))
    }
  }

  private pending<T>(spec: AskSpec<T>, promptSha: string): PendingAsk {
    return {
      cacheKey: spec.cacheKey,
      body: judgeBody(this.api, this.client.target.model, spec, [], new Set()),
      api: this.api,
      accept: (r) => {
        if (r.status !== 'ok' || !r.response) return false
        const call = r.response.tool_calls.find((t) => t.name === spec.tool) ?? null
        const parsed = spec.parse(call?.arguments ?? null, r.response.text)
        if (!parsed.ok) return false
        this.cache.write(spec.cacheKey, spec.kind, scrubSecrets(parsed.value), promptSha)
        return true
      },
    }
  }
}

/** The judge and its cache for a run stored in the database file `dbFile`. */
export function createJudge(opts: JudgeOptions, dbFile: string): Judge {
  return new Judge(opts, judgeCacheDir(dbFile, opts.cacheDir))
}
