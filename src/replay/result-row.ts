// A call's result as the row kt stores, the same whether the answer came from a live call or a provider's batch (which
// has no latency to record, and names its batch instead): the one credential rule applied to everything the upstream
// said (its error text, the answer, tool calls and body: an upstream may echo a key anywhere), text made well-formed,
// token counts outside their physical bounds dropped, and what differs from the logged request said on the result.
import type {CallResult} from '../providers/index.js'
import {BOUNDS, boundProblem, scrubJsonText, scrubText, wellFormed, withinBounds, type Arm, type Usage} from '../records/index.js'
import type {PendingItem, ResultRow} from '../store/index.js'

/** The note a result carries when the body sent is not the one logged (credentials scrubbed at import). */
export const SCRUBBED_NOTE = 'request body: credentials found in the log were masked or removed at import, so the body sent differs from the one logged'

function text(s: string | null): string | null {
  return s === null ? null : wellFormed(scrubText(s))
}

function json(s: string | null): string | null {
  return s === null ? null : scrubJsonText(s)
}

/** Usage with impossible counts nulled (a lying upstream's 1e308 tokens never reach a sum), and what was dropped. */
function boundedUsage(u: Usage, notes: string[]): Usage {
  let out = u
  for (const k of Object.keys(u) as (keyof Usage)[]) {
    const v = u[k]
    if (v === null || withinBounds('tokens', v)) continue
    notes.push(`upstream usage: ${boundProblem(k, 'tokens', v)} (${v}), not a possible token count (0..${BOUNDS.tokens.max}): not kept`)
    out = {...out, [k]: null}
  }
  return out
}

export interface RowInput {
  runId: string
  item: Pick<PendingItem, 'event_id'> & {scrubbed?: PendingItem['scrubbed']}
  arm: Arm
  targetId: string
  model: string
  result: CallResult
  attempts: number
  /** Every call made for this result (latency and status), retries and timeouts included; none for a batch. */
  calls?: {latency_ms: number; status: string; http_status: number | null}[]
  /** The timeout each call ran under (live calls). */
  timeoutMs?: number
  /** Prices usage (null when it cannot). */
  price: (usage: Usage) => number | null
  /** Answered through this provider batch: latency and time to first token are not measured (stored as null). */
  batchId?: string
  /** Translation losses, when the result does not carry them (batched requests were translated when submitted). */
  losses?: string[]
}

export function resultRow(i: RowInput): ResultRow {
  const r = i.result
  const batched = i.batchId !== undefined
  const notes = [...(i.losses ?? r.translation_losses)]
  if (i.item.scrubbed && !r.simulated) notes.push(SCRUBBED_NOTE)
  const usage = boundedUsage(r.usage, notes)
  const cost = r.status === 'ok' || usage.output_tokens !== null ? i.price(usage) : null
  return {
    run_id: i.runId,
    event_id: i.item.event_id,
    arm: i.arm,
    target_id: i.targetId,
    api: r.api,
    model: i.model,
    response_model: text(r.response_model),
    status: r.status,
    http_status: r.http_status,
    error_type: text(r.error?.type ?? null),
    error_code: text(r.error?.code ?? null),
    error_message: text(r.error?.message ?? null),
    attempts: i.attempts,
    latency_ms: batched ? null : r.latency_ms,
    ttft_ms: batched ? null : r.ttft_ms,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cached_input_tokens: usage.cached_input_tokens,
    reasoning_tokens: usage.reasoning_tokens,
    total_tokens: usage.total_tokens,
    cost_usd: cost,
    finish_reason: r.response?.finish_reason ?? (r.status === 'ok' ? null : 'error'),
    finish_reason_raw: text(r.response?.finish_reason_raw ?? null),
    response_text: text(r.response?.text ?? null),
    tool_calls_json: r.response?.tool_calls.length ? json(JSON.stringify(r.response.tool_calls)) : null,
    response_json: json(r.raw_json ?? (r.response?.raw ? JSON.stringify(r.response.raw) : null)),
    translation_losses_json: JSON.stringify(notes),
    simulated: r.simulated ? 1 : 0,
    created_at: new Date().toISOString(),
    attempts_json: i.calls ? JSON.stringify(i.calls) : null,
    timeout_ms: i.timeoutMs ?? null,
    batch_id: batched ? i.batchId : null,
  }
}
