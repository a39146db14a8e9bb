// One call's outcome as the results table keeps it: the same row whether the answer came from a live call or a
// provider's batch (which has no latency to record, and names its batch instead).
import type {CallResult} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import type {ResultRow} from '../store/index.js'

export interface RowExtras {
  attempts: number
  cost: number | null
  /** Answered through this provider batch: latency and time to first token are not measured (stored as null). */
  batchId?: string
  /** Translation losses, when the result does not carry them (batched requests were translated when submitted). */
  losses?: string[]
}

export function resultRow(runId: string, eventId: string, arm: Arm, targetId: string, model: string, result: CallResult, x: RowExtras): ResultRow {
  const batched = x.batchId !== undefined
  return {
    run_id: runId,
    event_id: eventId,
    arm,
    target_id: targetId,
    api: result.api,
    model,
    response_model: result.response_model,
    status: result.status,
    http_status: result.http_status,
    error_type: result.error?.type ?? null,
    error_code: result.error?.code ?? null,
    error_message: result.error?.message ?? null,
    attempts: x.attempts,
    latency_ms: batched ? null : result.latency_ms,
    ttft_ms: batched ? null : result.ttft_ms,
    input_tokens: result.usage.input_tokens,
    output_tokens: result.usage.output_tokens,
    cached_input_tokens: result.usage.cached_input_tokens,
    reasoning_tokens: result.usage.reasoning_tokens,
    total_tokens: result.usage.total_tokens,
    cost_usd: x.cost,
    finish_reason: result.response?.finish_reason ?? (result.status === 'ok' ? null : 'error'),
    finish_reason_raw: result.response?.finish_reason_raw ?? null,
    response_text: result.response?.text ?? null,
    tool_calls_json: result.response?.tool_calls.length ? JSON.stringify(result.response.tool_calls) : null,
    response_json: result.raw_json ?? (result.response?.raw ? JSON.stringify(result.response.raw) : null),
    translation_losses_json: JSON.stringify(x.losses ?? result.translation_losses),
    simulated: result.simulated ? 1 : 0,
    created_at: new Date().toISOString(),
    batch_id: batched ? x.batchId : null,
  }
}
