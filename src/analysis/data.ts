// A scored run as one in-memory structure: for each request, the primary, candidate and (optional)
// A/A answer side by side with their scores and similarities. Gates and reports read only this.
import {describeRun, type RunDescription} from '../replay/index.js'
import type {DB} from '../store/index.js'
import {getRun, type Arm} from '../store/index.js'
import {KtError} from '../util/index.js'
import {judgeSummary, type JudgeSummary} from '../scoring/index.js'
import {parseStoredRequest, promptOfRequest, toolCallCount} from '../app/score-run.js'
import type {Api} from '../records/index.js'

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

interface Joined {
  event_id: string
  arm: Arm
  status: string
  http_status: number | null
  error_message: string | null
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
  finish_reason: string | null
  response_text: string | null
  tool_calls_json: string | null
  model: string | null
  translation_losses_json: string
  simulated: number
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
  pass: number | null
  flags_json: string | null
  on_fail_json: string | null
}

export function loadRunData(db: DB, runRef: string): RunData {
  const run = getRun(db, runRef)
  if (!run) throw new KtError(`no run "${runRef}" (see kt runs list)`, 2)
  const items = db
    .prepare(
      `SELECT i.event_id, e.timestamp, e.model, e.api, e.request_json, coalesce(e.session_id, e.trace_id) AS cluster,
              p.dice, p.rouge_l, p.jaccard, p.noise_dice, p.noise_rouge_l, p.noise_jaccard
       FROM run_items i JOIN events e ON e.event_id = i.event_id
       LEFT JOIN pairs p ON p.run_id = i.run_id AND p.event_id = i.event_id
       WHERE i.run_id = ? ORDER BY i.seq`,
    )
    .all(run.id) as {
    event_id: string
    timestamp: string
    model: string | null
    api: Api
    request_json: string | null
    cluster: string | null
    dice: number | null
    rouge_l: number | null
    jaccard: number | null
    noise_dice: number | null
    noise_rouge_l: number | null
    noise_jaccard: number | null
  }[]
  const joined = db
    .prepare(
      `SELECT r.event_id, r.arm, r.status, r.http_status, r.error_message, r.latency_ms, r.ttft_ms, r.input_tokens, r.output_tokens,
              r.cost_usd, r.finish_reason, r.response_text, r.tool_calls_json, r.model, r.translation_losses_json, r.simulated,
              s.relevance, s.coherence, s.completeness, s.overall, s.pass, s.flags_json, s.on_fail_json
       FROM results r LEFT JOIN scores s ON s.run_id = r.run_id AND s.event_id = r.event_id AND s.arm = r.arm
       WHERE r.run_id = ?`,
    )
    .all(run.id) as Joined[]
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
  const judge = judgeSummary(db, run.id)
  return {run: describeRun(db, run), requests, judge: Object.keys(judge.arms).length ? judge : null}
}

function toArm(j: Joined, offersTools: boolean): ArmData {
  return {
    status: j.status,
    http_status: j.http_status,
    error_message: j.error_message,
    latency_ms: j.latency_ms,
    ttft_ms: j.ttft_ms,
    input_tokens: j.input_tokens,
    output_tokens: j.output_tokens,
    cost_usd: j.cost_usd,
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
