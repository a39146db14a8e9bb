import type {Statement} from 'better-sqlite3'
import type {StoredColumns} from '../formats/index.js'
import type {CanonicalRecord, EventFields, Usage} from '../records/index.js'
import type {DB} from './db.js'

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
}

export const EVENT_COLUMNS: (keyof EventRow)[] = [
  'event_id', 'kind', 'timestamp', 'timestamp_inferred', 'source_id', 'source_format', 'source_file', 'source_locator',
  'dataset', 'import_id', 'trace_id', 'session_id', 'user_id_hash', 'app', 'route', 'environment', 'provider', 'api',
  'model', 'response_model', 'traffic_role', 'mirror_group_id', 'primary_event_id', 'shadow_event_id', 'decision',
  'policy_id', 'decision_reason', 'status', 'http_status', 'error_type', 'error_code', 'error_message', 'stream',
  'finish_reason', 'finish_reason_raw', 'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens',
  'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'cost_source',
  'comparison_metric', 'comparison_score', 'comparison_verdict', 'tags', 'request_hash', 'replayable',
  'request_json', 'response_json', 'response_text', 'metadata_json',
]

/** Columns without the (possibly large) bodies, for listings. */
export const SUMMARY_COLUMNS = EVENT_COLUMNS.filter((c) => c !== 'request_json' && c !== 'response_json')

function boolInt(v: boolean | null | undefined): number | null {
  return v === null || v === undefined ? null : v ? 1 : 0
}

/** Positions in EVENT_COLUMNS order of the columns the importer reads or fills in a row array. */
export const IMPORT_ID_INDEX = EVENT_COLUMNS.indexOf('import_id')
export const REPLAYABLE_INDEX = EVENT_COLUMNS.indexOf('replayable')

/** A row as an array in EVENT_COLUMNS order (what EventWriter.writeValues binds; cheap to post to another thread). */
export function rowValues(row: EventRow): unknown[] {
  const out = new Array<unknown>(EVENT_COLUMNS.length)
  for (let i = 0; i < EVENT_COLUMNS.length; i++) out[i] = row[EVENT_COLUMNS[i]!]
  return out
}

export function recordToRow(r: CanonicalRecord, extra: {dataset?: string | null; import_id?: number | null; kind?: string; request_hash?: string | null}): EventRow {
  return {
    event_id: r.id,
    kind: extra.kind ?? 'request',
    timestamp: r.timestamp,
    timestamp_inferred: r.timestamp_inferred ? 1 : 0,
    source_id: r.source_id,
    source_format: r.source.format,
    source_file: r.source.file,
    source_locator: r.source.locator,
    dataset: extra.dataset ?? null,
    import_id: extra.import_id ?? null,
    trace_id: r.event.trace_id,
    session_id: r.event.session_id,
    user_id_hash: r.event.user_id_hash,
    app: r.event.app,
    route: r.event.route,
    environment: r.event.environment,
    provider: r.provider,
    api: r.api,
    model: r.model,
    response_model: r.response_model,
    traffic_role: r.event.traffic_role,
    mirror_group_id: r.event.mirror_group_id,
    primary_event_id: r.event.primary_event_id,
    shadow_event_id: r.event.shadow_event_id,
    decision: r.event.decision,
    policy_id: r.event.policy_id,
    decision_reason: r.event.decision_reason,
    status: r.status,
    http_status: r.http_status,
    error_type: r.error?.type ?? null,
    error_code: r.error?.code ?? null,
    error_message: r.error?.message ?? null,
    stream: boolInt(r.request.stream),
    finish_reason: r.response?.finish_reason ?? null,
    finish_reason_raw: r.response?.finish_reason_raw ?? null,
    latency_ms: r.latency_ms,
    ttft_ms: r.ttft_ms,
    input_tokens: r.usage.input_tokens,
    output_tokens: r.usage.output_tokens,
    cached_input_tokens: r.usage.cached_input_tokens,
    cache_write_tokens: r.usage.cache_write_tokens,
    reasoning_tokens: r.usage.reasoning_tokens,
    total_tokens: r.usage.total_tokens,
    cost_usd: r.cost_usd,
    cost_source: r.cost_source,
    comparison_metric: r.event.comparison_metric,
    comparison_score: r.event.comparison_score,
    comparison_verdict: r.event.comparison_verdict,
    tags: JSON.stringify(r.tags),
    request_hash: extra.request_hash ?? null,
    replayable: r.replayable ? 1 : 0,
    request_json: r.request.raw ? JSON.stringify(r.request.raw) : null,
    response_json: r.response?.raw ? JSON.stringify(r.response.raw) : null,
    response_text: r.response?.text ?? null,
    // The same text as a copy's would be ({...metadata}), without making the copy.
    metadata_json: JSON.stringify(r.metadata),
  }
}

/**
 * rowValues(recordToRow(r, extra)) without the object in between: the importer's hot path. The two must
 * stay in step (same values, EVENT_COLUMNS order).
 */
export function recordToValues(r: CanonicalRecord, extra: {dataset?: string | null; import_id?: number | null; kind?: string; request_hash?: string | null}): unknown[] {
  return [
    r.id, // event_id
    extra.kind ?? 'request', // kind
    r.timestamp, // timestamp
    r.timestamp_inferred ? 1 : 0, // timestamp_inferred
    r.source_id, // source_id
    r.source.format, // source_format
    r.source.file, // source_file
    r.source.locator, // source_locator
    extra.dataset ?? null, // dataset
    extra.import_id ?? null, // import_id
    r.event.trace_id, // trace_id
    r.event.session_id, // session_id
    r.event.user_id_hash, // user_id_hash
    r.event.app, // app
    r.event.route, // route
    r.event.environment, // environment
    r.provider, // provider
    r.api, // api
    r.model, // model
    r.response_model, // response_model
    r.event.traffic_role, // traffic_role
    r.event.mirror_group_id, // mirror_group_id
    r.event.primary_event_id, // primary_event_id
    r.event.shadow_event_id, // shadow_event_id
    r.event.decision, // decision
    r.event.policy_id, // policy_id
    r.event.decision_reason, // decision_reason
    r.status, // status
    r.http_status, // http_status
    r.error?.type ?? null, // error_type
    r.error?.code ?? null, // error_code
    r.error?.message ?? null, // error_message
    boolInt(r.request.stream), // stream
    r.response?.finish_reason ?? null, // finish_reason
    r.response?.finish_reason_raw ?? null, // finish_reason_raw
    r.latency_ms, // latency_ms
    r.ttft_ms, // ttft_ms
    r.usage.input_tokens, // input_tokens
    r.usage.output_tokens, // output_tokens
    r.usage.cached_input_tokens, // cached_input_tokens
    r.usage.cache_write_tokens, // cache_write_tokens
    r.usage.reasoning_tokens, // reasoning_tokens
    r.usage.total_tokens, // total_tokens
    r.cost_usd, // cost_usd
    r.cost_source, // cost_source
    r.event.comparison_metric, // comparison_metric
    r.event.comparison_score, // comparison_score
    r.event.comparison_verdict, // comparison_verdict
    JSON.stringify(r.tags), // tags
    extra.request_hash ?? null, // request_hash
    r.replayable ? 1 : 0, // replayable
    r.request.raw ? JSON.stringify(r.request.raw) : null, // request_json
    r.response?.raw ? JSON.stringify(r.response.raw) : null, // response_json
    r.response?.text ?? null, // response_text
    // The same text as a copy's would be ({...metadata}), without making the copy.
    JSON.stringify(r.metadata), // metadata_json
  ]
}

export class EventWriter {
  private readonly insert: Statement
  private positional: Statement | null = null
  constructor(private readonly db: DB) {
    const cols = EVENT_COLUMNS
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO events (${cols.join(',')}) VALUES (${cols.map((c) => `@${c}`).join(',')})`,
    )
  }

  /** Returns false when an event with the same id is already stored (a duplicate). */
  write(row: EventRow): boolean {
    return this.insert.run(row).changes > 0
  }

  /** write() for a row as rowValues gives it: positional binding, cheaper than 55 named parameters. */
  writeValues(values: unknown[]): boolean {
    this.positional ??= this.db.prepare(
      `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(',')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(',')})`,
    )
    return this.positional.run(values).changes > 0
  }
}

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

export interface EventQuery {
  from?: string
  to?: string
  model?: string[]
  provider?: string[]
  dataset?: string[]
  tags?: string[]
  /** `key=value` matches that column exactly; bare text matches ids, names, tags and metadata. */
  filter?: string[]
  kind?: string[]
  replayableOnly?: boolean
  /** Keep only the newest N (the result is still in time order). */
  last?: number
  /** Only events strictly after this rowid (for --follow). */
  afterRowid?: number
  /** Only events at or before this rowid (a stable upper bound while others insert). */
  upToRowid?: number
  /** `rowid` = insertion order (for --follow); default time order. */
  order?: 'time' | 'rowid'
  limit?: number
}

const FILTER_COLUMNS = new Set<string>([
  'event_id', 'kind', 'provider', 'api', 'model', 'response_model', 'status', 'http_status', 'finish_reason', 'dataset',
  'traffic_role', 'decision', 'policy_id', 'source_format', 'source_id', 'trace_id', 'session_id', 'environment', 'app',
  'route', 'error_type', 'cost_source', 'mirror_group_id', 'request_hash',
])

export function buildEventWhere(q: EventQuery): {where: string; params: unknown[]} {
  const clauses: string[] = []
  const params: unknown[] = []
  const inList = (col: string, values?: string[]) => {
    if (!values || values.length === 0) return
    clauses.push(`${col} IN (${values.map(() => '?').join(',')})`)
    params.push(...values)
  }
  if (q.from) {
    clauses.push('timestamp >= ?')
    params.push(q.from)
  }
  if (q.to) {
    clauses.push('timestamp <= ?')
    params.push(q.to)
  }
  inList('model', q.model)
  inList('provider', q.provider)
  inList('dataset', q.dataset)
  inList('kind', q.kind)
  for (const tag of q.tags ?? []) {
    clauses.push('EXISTS (SELECT 1 FROM json_each(events.tags) WHERE value = ?)')
    params.push(tag)
  }
  for (const f of q.filter ?? []) {
    const m = /^([a-z_]+)(!?=)(.*)$/.exec(f)
    if (m && FILTER_COLUMNS.has(m[1]!)) {
      clauses.push(`${m[1]} ${m[2] === '=' ? '=' : '!='} ?`)
      params.push(m[3])
      continue
    }
    const like = `%${f.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    clauses.push(
      `(event_id LIKE ?1 ESCAPE '\\' OR model LIKE ?1 ESCAPE '\\' OR provider LIKE ?1 ESCAPE '\\' OR status LIKE ?1 ESCAPE '\\'
        OR policy_id LIKE ?1 ESCAPE '\\' OR decision LIKE ?1 ESCAPE '\\' OR kind LIKE ?1 ESCAPE '\\' OR dataset LIKE ?1 ESCAPE '\\'
        OR tags LIKE ?1 ESCAPE '\\' OR metadata_json LIKE ?1 ESCAPE '\\' OR source_id LIKE ?1 ESCAPE '\\')`.replaceAll('?1', '?'),
    )
    for (let i = 0; i < 11; i++) params.push(like)
  }
  if (q.replayableOnly) clauses.push('replayable = 1')
  if (q.afterRowid !== undefined) {
    clauses.push('rowid > ?')
    params.push(q.afterRowid)
  }
  if (q.upToRowid !== undefined) {
    clauses.push('rowid <= ?')
    params.push(q.upToRowid)
  }
  return {where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params}
}

/** The SELECT behind iterateEvents (rowid plus `columns`), for callers that need it as a subquery too. */
export function eventSelect(q: EventQuery, columns: readonly string[] = EVENT_COLUMNS): {sql: string; params: unknown[]} {
  const {where, params} = buildEventWhere(q)
  const cols = `rowid, ${columns.join(',')}`
  let sql: string
  if (q.last !== undefined) {
    sql = `SELECT * FROM (SELECT ${cols} FROM events ${where} ORDER BY timestamp DESC, rowid DESC LIMIT ${Math.max(0, Math.floor(q.last))}) ORDER BY timestamp, rowid`
  } else {
    const order = q.order === 'rowid' ? 'rowid' : 'timestamp, rowid'
    sql = `SELECT ${cols} FROM events ${where} ORDER BY ${order}${q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : ''}`
  }
  return {sql, params}
}

/** Streams matching rows in time order without loading them all (exports stay in flat memory). */
export function* iterateEvents(db: DB, q: EventQuery, columns: readonly string[] = EVENT_COLUMNS): Generator<EventRow & {rowid: number}> {
  const {sql, params} = eventSelect(q, columns)
  yield* db.prepare(sql).iterate(...params) as IterableIterator<EventRow & {rowid: number}>
}

/** Like iterateEvents but each row is an array `[rowid, ...columns]`: about twice as fast for wide exports. */
export function* iterateEventsRaw(db: DB, q: EventQuery, columns: readonly string[]): Generator<unknown[]> {
  const {sql, params} = eventSelect(q, columns)
  yield* db.prepare(sql).raw(true).iterate(...params) as IterableIterator<unknown[]>
}

export function countEvents(db: DB, q: EventQuery): number {
  const {where, params} = buildEventWhere(q)
  return (db.prepare(`SELECT count(*) AS n FROM events ${where}`).get(...params) as {n: number}).n
}

/** Highest rowid so far (0 for an empty table): where `--follow` starts. */
export function maxRowid(db: DB): number {
  return (db.prepare('SELECT coalesce(max(rowid), 0) AS n FROM events').get() as {n: number}).n
}

export function getEvent(db: DB, id: string): EventRow | undefined {
  return db.prepare('SELECT * FROM events WHERE event_id = ?').get(id) as EventRow | undefined
}
