// kt's event: one row of the events table, column for column, and the one mapping from a canonical record to it.
// The store writes these rows; kt-events exports and imports them; listings show them as EventObject.
import type {CanonicalRecord} from './types.js'

/** One row of the events table, column for column. */
export interface EventRow {
  event_id: string
  kind: string
  timestamp: string
  timestamp_inferred: number
  source_id: string | null
  source_format: string | null
  source_file: string | null
  source_locator: string | null
  dataset: string | null
  import_id: number | null
  trace_id: string | null
  session_id: string | null
  user_id_hash: string | null
  app: string | null
  route: string | null
  environment: string | null
  provider: string | null
  api: string | null
  model: string | null
  response_model: string | null
  traffic_role: string | null
  mirror_group_id: string | null
  primary_event_id: string | null
  shadow_event_id: string | null
  decision: string | null
  policy_id: string | null
  decision_reason: string | null
  status: string
  http_status: number | null
  error_type: string | null
  error_code: string | null
  error_message: string | null
  stream: number | null
  finish_reason: string | null
  finish_reason_raw: string | null
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cached_input_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
  cost_usd: number | null
  cost_source: string | null
  comparison_metric: string | null
  comparison_score: number | null
  comparison_verdict: string | null
  tags: string
  request_hash: string | null
  replayable: number
  request_json: string | null
  response_json: string | null
  response_text: string | null
  metadata_json: string
  target_id: string | null
  model_group: string | null
  policies_triggered_json: string | null
  traffic_mirror_json: string | null
}

/** What the importer knows beyond the record itself. */
export interface RowExtra {
  dataset?: string | null
  import_id?: number | null
  kind?: string
  request_hash?: string | null
}

function boolInt(v: boolean | null | undefined): number | null {
  return v === null || v === undefined ? null : v ? 1 : 0
}

/**
 * How each column is filled from a record, in the table's column order. The mapped type makes a missing or
 * extra column a compile error; the object, the positional array and the column list are all derived from it.
 */
const FROM_RECORD: {[K in keyof EventRow]: (r: CanonicalRecord, x: RowExtra) => EventRow[K]} = {
  event_id: (r) => r.id,
  kind: (_, x) => x.kind ?? 'request',
  timestamp: (r) => r.timestamp,
  timestamp_inferred: (r) => (r.timestamp_inferred ? 1 : 0),
  source_id: (r) => r.source_id,
  source_format: (r) => r.source.format,
  source_file: (r) => r.source.file,
  source_locator: (r) => r.source.locator,
  dataset: (_, x) => x.dataset ?? null,
  import_id: (_, x) => x.import_id ?? null,
  trace_id: (r) => r.event.trace_id,
  session_id: (r) => r.event.session_id,
  user_id_hash: (r) => r.event.user_id_hash,
  app: (r) => r.event.app,
  route: (r) => r.event.route,
  environment: (r) => r.event.environment,
  provider: (r) => r.provider,
  api: (r) => r.api,
  model: (r) => r.model,
  response_model: (r) => r.response_model,
  traffic_role: (r) => r.event.traffic_role,
  mirror_group_id: (r) => r.event.mirror_group_id,
  primary_event_id: (r) => r.event.primary_event_id,
  shadow_event_id: (r) => r.event.shadow_event_id,
  decision: (r) => r.event.decision,
  policy_id: (r) => r.event.policy_id,
  decision_reason: (r) => r.event.decision_reason,
  status: (r) => r.status,
  http_status: (r) => r.http_status,
  error_type: (r) => r.error?.type ?? null,
  error_code: (r) => r.error?.code ?? null,
  error_message: (r) => r.error?.message ?? null,
  stream: (r) => boolInt(r.request.stream),
  finish_reason: (r) => r.response?.finish_reason ?? null,
  finish_reason_raw: (r) => r.response?.finish_reason_raw ?? null,
  latency_ms: (r) => r.latency_ms,
  ttft_ms: (r) => r.ttft_ms,
  input_tokens: (r) => r.usage.input_tokens,
  output_tokens: (r) => r.usage.output_tokens,
  cached_input_tokens: (r) => r.usage.cached_input_tokens,
  cache_write_tokens: (r) => r.usage.cache_write_tokens,
  reasoning_tokens: (r) => r.usage.reasoning_tokens,
  total_tokens: (r) => r.usage.total_tokens,
  cost_usd: (r) => r.cost_usd,
  cost_source: (r) => r.cost_source,
  comparison_metric: (r) => r.event.comparison_metric,
  comparison_score: (r) => r.event.comparison_score,
  comparison_verdict: (r) => r.event.comparison_verdict,
  tags: (r) => JSON.stringify(r.tags),
  request_hash: (_, x) => x.request_hash ?? null,
  replayable: (r) => (r.replayable ? 1 : 0),
  request_json: (r) => (r.request.raw ? JSON.stringify(r.request.raw) : null),
  response_json: (r) => (r.response?.raw ? JSON.stringify(r.response.raw) : null),
  response_text: (r) => r.response?.text ?? null,
  metadata_json: (r) => JSON.stringify(r.metadata),
  target_id: (r) => r.event.target_id ?? null,
  model_group: (r) => r.event.model_group ?? null,
  policies_triggered_json: (r) => (r.event.policies_triggered ? JSON.stringify(r.event.policies_triggered) : null),
  traffic_mirror_json: (r) => (r.event.traffic_mirror ? JSON.stringify(r.event.traffic_mirror) : null),
}

export const EVENT_COLUMNS = Object.keys(FROM_RECORD) as (keyof EventRow)[]
const GETTERS = EVENT_COLUMNS.map((c) => FROM_RECORD[c] as (r: CanonicalRecord, x: RowExtra) => unknown)

/** Columns without the (possibly large) bodies, for listings. */
export const SUMMARY_COLUMNS = EVENT_COLUMNS.filter((c) => c !== 'request_json' && c !== 'response_json')

/** Positions in EVENT_COLUMNS order of the columns the importer reads or fills in a row array. */
export const IMPORT_ID_INDEX = EVENT_COLUMNS.indexOf('import_id')
export const REPLAYABLE_INDEX = EVENT_COLUMNS.indexOf('replayable')

/** A row as an array in EVENT_COLUMNS order (what the store binds positionally; cheap to post to another thread). */
export function rowValues(row: EventRow): unknown[] {
  const out = new Array<unknown>(EVENT_COLUMNS.length)
  for (let i = 0; i < EVENT_COLUMNS.length; i++) out[i] = row[EVENT_COLUMNS[i]!]
  return out
}

/** rowValues(recordToRow(r, x)) without the object in between: the importer's hot path. */
export function recordToValues(r: CanonicalRecord, x: RowExtra): unknown[] {
  const out = new Array<unknown>(GETTERS.length)
  for (let i = 0; i < GETTERS.length; i++) out[i] = GETTERS[i]!(r, x)
  return out
}

export function recordToRow(r: CanonicalRecord, x: RowExtra): EventRow {
  const row: Record<string, unknown> = {}
  for (let i = 0; i < GETTERS.length; i++) row[EVENT_COLUMNS[i]!] = GETTERS[i]!(r, x)
  return row as unknown as EventRow
}
