// A scored run as one in-memory structure: for each request, the primary, candidate and (optional)
// A/A answer side by side with their scores and similarities. Gates and reports read only this.
import {describeRun, type RunDescription} from '../replay/index.js'
import type {DB} from '../store/index.js'
import {getRun, judgeRows, resultsWithScores, runItemsWithPairs, type ScoredResult} from '../store/index.js'
import {physical, type Arm} from '../records/index.js'
import {KtError} from '../util/index.js'
import {judgeSummary, type JudgeSummary} from '../scoring/index.js'
import {parseStoredRequest, promptOfRequest, toolCallCount} from '../scoring/index.js'

export interface ArmScores {
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
}

export interface ArmData {
  status: string
  http_status: number | null
  error_message: string | null
  /**
   * The request's latency: time spent in upstream calls over every attempt, backoff waits excluded; a timed-out
   * call counts as at least its timeout (design §4.1).
   */
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
  finish_reason: string | null
  text: string | null
  model: string | null
  scores: ArmScores
  pass: boolean | null
  flags: {empty?: boolean; refusal?: boolean; truncated?: boolean; json_valid?: boolean | null; [k: string]: unknown}
  /** Tool calls in the answer; null when the request offered no tools (so the answer could not call one). */
  tool_calls: number | null
  on_fail: {dimension: string; action: string}[]
  translation_losses: string[]
  simulated: boolean
  /** Calls made for this answer: 1 + retries (0 for a recorded answer). */
  attempts: number
  /** Of those calls, how many hit their timeout. */
  timeouts: number
  /** latency_ms is only a lower bound: the last call timed out, so the answer never came (censored). */
  latency_censored: boolean
}

export interface Similarity {
  dice: number
  rougeL: number
  jaccard: number
}

export interface PairedRequest {
  event_id: string
  timestamp: string
  /** Model recorded in the log. */
  model: string | null
  /** Last user message, for display. */
  prompt: string
  /** Requests of one conversation or trace are not independent; the bootstrap can resample them together. */
  cluster: string | null
  primary: ArmData | null
  candidate: ArmData | null
  primary_aa: ArmData | null
  similarity: Similarity | null
  noise: Similarity | null
}

export interface RunData {
  run: RunDescription
  requests: PairedRequest[]
  /** Present when the run was graded by an LLM judge. */
  judge?: JudgeSummary | null
}


export function loadRunData(db: DB, runRef: string): RunData {
  const run = getRun(db, runRef)
  if (!run) throw new KtError(`no run "${runRef}" (see kt runs list)`, 2)
  const items = runItemsWithPairs(db, run.id)
  const joined = resultsWithScores(db, run.id)
  // Each stored request parsed once: the prompt to show, and whether it offered tools.
  const parsed = new Map(items.map((it) => [it.event_id, parseStoredRequest(it.api, it.request_json)]))
  const byKey = new Map<string, ArmData>()
  for (const j of joined) byKey.set(`${j.event_id}\u0000${j.arm}`, toArm(j, (parsed.get(j.event_id)?.tools.length ?? 0) > 0))
  const arm = (id: string, a: Arm) => byKey.get(`${id}\u0000${a}`) ?? null
  const requests: PairedRequest[] = items.map((it) => ({
    event_id: it.event_id,
    timestamp: it.timestamp,
    model: it.model,
    prompt: promptOfRequest(parsed.get(it.event_id) ?? null).lastUser,
    cluster: it.cluster,
    primary: arm(it.event_id, 'primary'),
    candidate: arm(it.event_id, 'candidate'),
    primary_aa: arm(it.event_id, 'primary_aa'),
    similarity: it.dice === null ? null : {dice: it.dice, rougeL: it.rouge_l ?? 0, jaccard: it.jaccard ?? 0},
    noise: it.noise_dice === null ? null : {dice: it.noise_dice, rougeL: it.noise_rouge_l ?? 0, jaccard: it.noise_jaccard ?? 0},
  }))
  const judge = judgeSummary(judgeRows(db, run.id))
  return {run: describeRun(db, run), requests, judge: Object.keys(judge.arms).length ? judge : null}
}

interface StoredCall {
  latency_ms: number
  status: string
}

/** Calls, timeouts and the request's latency over every call (design §4.1: censored when it never answered). */
function attemptsOf(j: ScoredResult): Pick<ArmData, 'attempts' | 'timeouts' | 'latency_ms' | 'latency_censored'> {
  const calls = j.attempts_json ? (JSON.parse(j.attempts_json) as StoredCall[]) : null
  const censored = j.status === 'timeout'
  // A timed-out call took at least its timeout, whatever the clock said when it was abandoned.
  const atLeast = (ms: number | null, timedOut: boolean) => (timedOut && j.timeout_ms !== null ? Math.max(ms ?? 0, j.timeout_ms) : ms)
  if (!calls || calls.length === 0) {
    // Recorded answers and results stored before every call was kept: the final call is all there is.
    return {attempts: j.attempts, timeouts: censored ? 1 : 0, latency_ms: atLeast(physical('latency_ms', j.latency_ms), censored), latency_censored: censored}
  }
  let total = 0
  let timeouts = 0
  for (const c of calls) {
    if (c.status === 'timeout') timeouts++
    total += atLeast(physical('latency_ms', c.latency_ms), c.status === 'timeout') ?? 0
  }
  return {attempts: calls.length, timeouts, latency_ms: total, latency_censored: censored}
}

function toArm(j: ScoredResult, offersTools: boolean): ArmData {
  return {
    ...attemptsOf(j),
    status: j.status,
    http_status: j.http_status,
    error_message: j.error_message,
    // Impossible values (a database written before import checked bounds, a corrupt row) are no measurement:
    // they never reach a statistic (records/bounds.ts); latency is bounded in attemptsOf.
    ttft_ms: physical('ttft_ms', j.ttft_ms),
    input_tokens: physical('tokens', j.input_tokens),
    output_tokens: physical('tokens', j.output_tokens),
    cost_usd: physical('cost_usd', j.cost_usd),
    finish_reason: j.finish_reason,
    text: j.response_text,
    model: j.model,
    scores: {relevance: j.relevance, coherence: j.coherence, completeness: j.completeness, overall: j.overall},
    pass: j.pass === null ? null : j.pass === 1,
    flags: j.flags_json ? (JSON.parse(j.flags_json) as ArmData['flags']) : {},
    on_fail: j.on_fail_json ? (JSON.parse(j.on_fail_json) as ArmData['on_fail']) : [],
    tool_calls: offersTools ? toolCallCount(j.tool_calls_json) : null,
    translation_losses: JSON.parse(j.translation_losses_json) as string[],
    simulated: j.simulated === 1,
  }
}
