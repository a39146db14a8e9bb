// Judging a run's results: every answer pointwise (errors are `not_judged`, not judge errors) and, in pairwise mode,
// every request whose primary and candidate both answered, in both orders. Returns one record per (request, arm).
import type {Arm} from '../records/index.js'
import type {Judge, Outcome} from './judge.js'
import {conversationFromRequest, JUDGE_DIMENSIONS, normalizeScore, RUBRIC_VERSION, renderResponse, type PairwiseAnswer, type PointwiseAnswer} from './judge-prompt.js'
import {NULL_SCORES, type JudgeItem, type JudgeRecord, type Letter, type PairVerdict, type PairwiseRecord} from './judge-types.js'
import {applyPolicy, DEFAULT_QUALITY_POLICY, type QualityPolicy} from './policy.js'

const DEFAULT_CONCURRENCY = 4
const MAX_REASON_CHARS = 2000

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

/** One request's conversation and its arms' rendered answers. */
interface EventAnswers {
  conversation: string | null
  arms: Partial<Record<Arm, string>>
}

/** The pointwise asks (records land in `out`); fills `byEvent` with each request's answers for the pairwise pass. */
function pointwiseTasks(items: readonly JudgeItem[], judge: Judge, policy: QualityPolicy, out: Map<string, JudgeRecord>, byEvent: Map<string, EventAnswers>): (() => Promise<void>)[] {
  const tasks: (() => Promise<void>)[] = []
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
  return tasks
}

/** The record of a head-to-head from its two orders; null when the budget cut it short (a later pass asks). */
function pairRecord(o1: Outcome<PairwiseAnswer>, o2: Outcome<PairwiseAnswer>): PairwiseRecord | null {
  if ((!o1.ok && o1.budget) || (!o2.ok && o2.budget)) return null
  if (!o1.ok || !o2.ok) {
    const reason = [!o1.ok ? `A=primary: ${o1.reason}` : null, !o2.ok ? `A=candidate: ${o2.reason}` : null].filter(Boolean).join('; ')
    return {verdict: null, g1: o1.ok ? o1.value.verdict : null, g2: o2.ok ? o2.value.verdict : null, consistent: null, status: 'judge_error', reason, cached: false}
  }
  const {verdict, consistent} = combineOrders(o1.value.verdict, o2.value.verdict)
  return {verdict, g1: o1.value.verdict, g2: o2.value.verdict, consistent, status: 'ok', reason: clip(o1.value.reasoning.trim()), cached: o1.cached && o2.cached}
}

/** Both orders of every head-to-head; a request cut short by the budget lands in `unasked`. */
function pairwiseTasks(judge: Judge, byEvent: Map<string, EventAnswers>, pairs: Map<string, PairwiseRecord>, unasked: Set<string>): (() => Promise<void>)[] {
  const tasks: (() => Promise<void>)[] = []
  for (const [eventId, ev] of byEvent) {
    const p = ev.arms.primary
    const c = ev.arms.candidate
    if (ev.conversation === null || p === undefined || c === undefined) continue
    const conversation = ev.conversation
    const orders: [Outcome<PairwiseAnswer> | null, Outcome<PairwiseAnswer> | null] = [null, null]
    const finish = () => {
      const [o1, o2] = orders
      if (!o1 || !o2) return
      const rec = pairRecord(o1, o2)
      if (rec) pairs.set(eventId, rec)
      else unasked.add(eventId)
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
  return tasks
}

/**
 * Judges every result (each arm that answered; errors are `not_judged`, not judge errors) and, in
 * pairwise mode, every request whose primary and candidate both answered. Returns one record per
 * (request, arm), keyed by judgeKey().
 */
export async function judgeItems(items: readonly JudgeItem[], judge: Judge, opts: JudgeItemsOptions = {}): Promise<Map<string, JudgeRecord>> {
  const out = new Map<string, JudgeRecord>()
  const byEvent = new Map<string, EventAnswers>()
  const tasks = pointwiseTasks(items, judge, opts.policy ?? DEFAULT_QUALITY_POLICY, out, byEvent)
  const pairs = new Map<string, PairwiseRecord>()
  /** Requests whose head-to-head was cut short by the budget: they get no pairwise record (a later pass asks). */
  const unasked = new Set<string>()
  if (opts.pairwise) tasks.push(...pairwiseTasks(judge, byEvent, pairs, unasked))
  await pool(tasks, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, judge.maxConcurrency))
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
