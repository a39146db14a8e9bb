// The event as kt shows it in JSON (listings, exports, the gateway's events API), read from a stored row.
import type {EventRow} from './event.js'
import type {EventFields, PolicyTrigger, StoredColumns, Usage} from './types.js'

/**
 * The event as kt shows it in JSON: every stored column (so a JSON export imports back losslessly),
 * with `usage`, `error`, `source`, `tags` and `metadata` as nested values. `import_id` is local to one
 * database and left out. Bodies only with `withBodies`.
 */
export interface EventObject extends Omit<EventFields, 'traffic_role'> {
  id: string
  kind: string
  timestamp: string
  timestamp_inferred: boolean
  dataset: string | null
  provider: string | null
  api: string | null
  model: string | null
  response_model: string | null
  status: string
  http_status: number | null
  error: {type: string | null; code: string | null; message: string | null} | null
  stream: boolean | null
  finish_reason: string | null
  finish_reason_raw: string | null
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  usage: Usage
  cost: number | null
  cost_source: string | null
  /** As stored: an imported export may hold a role kt does not know. */
  traffic_role: string | null
  source: {format: string | null; file: string | null; locator: string | null; id: string | null}
  request_hash: string | null
  replayable: boolean
  tags: string[]
  metadata: Record<string, unknown>
  request?: unknown
  response?: unknown
  response_text?: string | null
}

function parseJsonColumn<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    // A hand-edited or foreign row must not break a listing; the raw text is still visible in CSV.
    return fallback
  }
}

export function rowToEvent(row: EventRow, withBodies = false): EventObject {
  const ev: EventObject = {
    id: row.event_id,
    kind: row.kind,
    timestamp: row.timestamp,
    timestamp_inferred: row.timestamp_inferred === 1,
    dataset: row.dataset,
    provider: row.provider,
    api: row.api,
    model: row.model,
    response_model: row.response_model,
    status: row.status,
    http_status: row.http_status,
    error: row.error_type !== null || row.error_message !== null || row.error_code !== null ? {type: row.error_type, code: row.error_code, message: row.error_message} : null,
    stream: row.stream === null ? null : row.stream === 1,
    finish_reason: row.finish_reason,
    finish_reason_raw: row.finish_reason_raw,
    latency_ms: row.latency_ms,
    ttft_ms: row.ttft_ms,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    usage: {
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cached_input_tokens: row.cached_input_tokens,
      cache_write_tokens: row.cache_write_tokens,
      reasoning_tokens: row.reasoning_tokens,
      total_tokens: row.total_tokens,
    },
    cost: row.cost_usd,
    cost_source: row.cost_source,
    traffic_role: row.traffic_role,
    trace_id: row.trace_id,
    session_id: row.session_id,
    user_id_hash: row.user_id_hash,
    app: row.app,
    route: row.route,
    environment: row.environment,
    mirror_group_id: row.mirror_group_id,
    primary_event_id: row.primary_event_id,
    shadow_event_id: row.shadow_event_id,
    decision: row.decision,
    policy_id: row.policy_id,
    decision_reason: row.decision_reason,
    comparison_metric: row.comparison_metric,
    comparison_score: row.comparison_score,
    comparison_verdict: row.comparison_verdict,
    target_id: row.target_id ?? null,
    model_group: row.model_group ?? null,
    policies_triggered: parseJsonColumn<PolicyTrigger[] | null>(row.policies_triggered_json ?? null, null),
    traffic_mirror: parseJsonColumn<Record<string, unknown> | null>(row.traffic_mirror_json ?? null, null),
    source: {format: row.source_format, file: row.source_file, locator: row.source_locator, id: row.source_id},
    request_hash: row.request_hash,
    replayable: row.replayable === 1,
    tags: parseJsonColumn<string[]>(row.tags, []),
    metadata: parseJsonColumn<Record<string, unknown>>(row.metadata_json, {}),
  }
  if (withBodies) {
    ev.request = parseJsonColumn<unknown>(row.request_json, null)
    ev.response = parseJsonColumn<unknown>(row.response_json, null)
    ev.response_text = row.response_text
  }
  return ev
}

/** Puts the columns a kt export carried (see StoredColumns) over a row; a `--dataset` the user passed still wins. */
export function applyStoredColumns(row: EventRow, c: StoredColumns | undefined, userDataset: string | undefined): EventRow {
  if (!c) return row
  if (userDataset === undefined && c.dataset !== undefined) row.dataset = c.dataset
  if (c.kind !== undefined) row.kind = c.kind
  if (c.request_hash !== undefined) row.request_hash = c.request_hash
  if (c.stream !== undefined) row.stream = c.stream === null ? null : c.stream ? 1 : 0
  if (c.provider !== undefined) row.provider = c.provider
  if (c.api !== undefined) row.api = c.api
  return row
}

