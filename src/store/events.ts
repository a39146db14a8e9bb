// The events table: writing rows and querying them. Rows and their mapping from records live in records/event.ts.
import type {Statement} from 'better-sqlite3'
import {EVENT_COLUMNS, type EventRow} from '../records/index.js'
import type {DB} from './db.js'

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
  /**
   * Also list the quality-scorer verdicts of replay runs (see SCORE_EVENTS). They are not traffic, so listings
   * leave them out unless asked (`--filter quality_scorer`, `--filter kind=score`).
   */
  scores?: boolean
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


/**
 * The quality-scorer verdicts of replay runs, as event rows (kind `score`, policy `quality_scorer`): one per
 * scored answer, with the arm's own model, latency, tokens and cost. Derived from the scores table when asked
 * for, never stored as events, so listings and aggregates of traffic stay traffic.
 */
const SCORE_EVENT_VALUES: Record<keyof EventRow, string> = {
  event_id: "'sc_' || s.run_id || '_' || s.arm || '_' || s.event_id",
  kind: "'score'",
  timestamp: 'r.created_at',
  timestamp_inferred: '0',
  source_id: 's.event_id',
  source_format: "'kt-score'",
  source_file: 'NULL',
  source_locator: 'NULL',
  dataset: 'e.dataset',
  import_id: 'NULL',
  // The run id doubles as the trace id, so `--filter trace_id=RUN` finds a run's verdicts.
  trace_id: 's.run_id',
  session_id: 'e.session_id',
  user_id_hash: 'NULL',
  app: 'e.app',
  route: 'e.route',
  environment: 'e.environment',
  provider:
    "CASE WHEN r.target_id IS NULL OR r.target_id = 'recorded' THEN e.provider WHEN r.simulated = 1 THEN 'simulated' WHEN r.api LIKE 'anthropic.%' THEN 'anthropic' ELSE 'openai' END",
  api: 'r.api',
  model: 'r.model',
  response_model: 'r.response_model',
  traffic_role: "'comparison'",
  mirror_group_id: 'NULL',
  primary_event_id: 's.event_id',
  shadow_event_id: 'NULL',
  decision: "CASE WHEN s.pass IS NULL THEN 'unscored' WHEN s.pass = 1 THEN 'pass' ELSE 'fail' END",
  policy_id: "'quality_scorer'",
  decision_reason:
    "CASE WHEN s.pass = 0 THEN 'below min_score: ' || (SELECT group_concat(json_extract(value, '$.dimension'), ', ') FROM json_each(s.on_fail_json)) END",
  status: "CASE WHEN r.status = 'ok' THEN 'ok' ELSE 'error' END",
  http_status: 'r.http_status',
  error_type: 'r.error_type',
  error_code: 'r.error_code',
  error_message: 'r.error_message',
  stream: 'NULL',
  finish_reason: 'r.finish_reason',
  finish_reason_raw: 'r.finish_reason_raw',
  latency_ms: 'r.latency_ms',
  ttft_ms: 'r.ttft_ms',
  input_tokens: 'r.input_tokens',
  output_tokens: 'r.output_tokens',
  cached_input_tokens: 'r.cached_input_tokens',
  cache_write_tokens: 'NULL',
  reasoning_tokens: 'r.reasoning_tokens',
  total_tokens: 'r.total_tokens',
  cost_usd: 'r.cost_usd',
  cost_source: "CASE WHEN r.cost_usd IS NULL THEN NULL ELSE 'computed' END",
  comparison_metric: "'quality.overall'",
  comparison_score: 's.overall',
  comparison_verdict: "CASE WHEN s.pass IS NULL THEN NULL WHEN s.pass = 1 THEN 'same' ELSE 'worse' END",
  tags: "json_array('arm=' || s.arm, 'run=' || s.run_id)",
  request_hash: 'e.request_hash',
  replayable: '0',
  request_json: 'NULL',
  response_json: 'NULL',
  response_text: 'r.response_text',
  metadata_json: `json_remove(json_object(
      'run_id', s.run_id, 'arm', s.arm, 'scorer', s.scorer,
      'dimensions', json_object('relevance', s.relevance, 'coherence', s.coherence, 'completeness', s.completeness),
      'overall', s.overall, 'on_fail', json(s.on_fail_json), 'flags', json(s.flags_json),
      'judge', CASE WHEN json_valid(s.judge_json) THEN json_object('model', json_extract(s.judge_json, '$.model'),
        'rubric', json_extract(s.judge_json, '$.rubric'), 'status', json_extract(s.judge_json, '$.status'),
        'scores', json_extract(s.judge_json, '$.scores'), 'pairwise_verdict', json_extract(s.judge_json, '$.pairwise.verdict')) END
    ), CASE WHEN json_valid(s.judge_json) THEN '$.none' ELSE '$.judge' END)`,
  target_id: 'r.target_id',
  model_group: 'NULL',
  policies_triggered_json: 'NULL',
  traffic_mirror_json: 'NULL',
}

const SCORE_EVENTS = `SELECT -s.rowid AS rowid, ${EVENT_COLUMNS.map((c) => `${SCORE_EVENT_VALUES[c]} AS ${c}`).join(', ')}
  FROM scores s
  JOIN results r ON r.run_id = s.run_id AND r.event_id = s.event_id AND r.arm = s.arm
  JOIN events e ON e.event_id = s.event_id`

/** Whether filters ask for the quality-scorer verdicts: `quality_scorer` (or `quality-scorer`) as text, `kind=score`, `policy_id=quality_scorer`. */
export function wantsScores(filter: readonly string[] | undefined): boolean {
  return (filter ?? []).some((f) => /^(kind=score|policy_id=quality_scorer)$/.test(f) || (!/^[a-z_]+!?=/.test(f) && /quality[_-]scorer/i.test(f)))
}

/** The table (or, with verdicts, the union) a query reads; aliased `events` so every clause reads the same. */
function sourceOf(q: EventQuery): string {
  return q.scores ? `(SELECT rowid, ${EVENT_COLUMNS.join(', ')} FROM events UNION ALL ${SCORE_EVENTS}) AS events` : 'events'
}

const FILTER_COLUMNS = new Set<string>([
  'event_id', 'kind', 'provider', 'api', 'model', 'response_model', 'status', 'http_status', 'finish_reason', 'dataset',
  'traffic_role', 'decision', 'policy_id', 'source_format', 'source_id', 'trace_id', 'session_id', 'environment', 'app',
  'route', 'error_type', 'cost_source', 'mirror_group_id', 'request_hash', 'target_id', 'model_group',
])

/** Events of an import still loading (or abandoned by a killed one) are not shown: an import appears whole or not at all. */
export const VISIBLE = "(events.import_id IS NULL OR events.import_id NOT IN (SELECT id FROM imports WHERE status <> 'done'))"

export function buildEventWhere(q: EventQuery): {where: string; params: unknown[]} {
  const clauses: string[] = [VISIBLE]
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
    // The newest N, printed oldest first: the inner select carries the timestamp for the outer order even when
    // `columns` does not include it, and the outer select names the columns so rows keep their shape.
    const inner = `SELECT rowid AS kt_rowid, timestamp AS kt_ts, ${columns.join(',')} FROM ${sourceOf(q)} ${where} ORDER BY timestamp DESC, rowid DESC LIMIT ${Math.max(0, Math.floor(q.last))}`
    sql = `SELECT kt_rowid AS rowid, ${columns.join(',')} FROM (${inner}) ORDER BY kt_ts, kt_rowid`
  } else {
    const order = q.order === 'rowid' ? 'rowid' : 'timestamp, rowid'
    sql = `SELECT ${cols} FROM ${sourceOf(q)} ${where} ORDER BY ${order}${q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : ''}`
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
  return (db.prepare(`SELECT count(*) AS n FROM ${sourceOf(q)} ${where}`).get(...params) as {n: number}).n
}

/**
 * What the gateway spent in `[from, to)` (ISO UTC times as the gateway writes them): the sum of `cost_usd` of the
 * events it wrote itself (primaries, refusals and shadows; not events imported into dataset `gateway`). The range
 * on `timestamp` after `dataset =` is served by the (dataset, timestamp) index; each row in it is still read for
 * its cost, so callers keep the range short (cost_limit's budgets read one day at a time, see gateway/spend.ts).
 */
export function gatewaySpend(db: DB, from: string, to: string): number {
  const r = db
    .prepare(
      `SELECT total(cost_usd) AS usd FROM events
       WHERE dataset = 'gateway' AND timestamp >= ? AND timestamp < ? AND import_id IS NULL AND source_format = 'kt-gateway'`,
    )
    .get(from, to) as {usd: number}
  return r.usd
}

/**
 * The rowid up to which every event is final (`--follow` starts there): the highest one, or, while an import is
 * loading, the last one before its first row, so that its rows are shown once it completes, not skipped.
 */
export function maxRowid(db: DB): number {
  const r = db
    .prepare(
      `SELECT coalesce((SELECT min(rowid) - 1 FROM events WHERE import_id IN (SELECT id FROM imports WHERE status = 'loading')),
                       (SELECT max(rowid) FROM events), 0) AS n`,
    )
    .get() as {n: number}
  return r.n
}

export function getEvent(db: DB, id: string): EventRow | undefined {
  return db.prepare('SELECT * FROM events WHERE event_id = ?').get(id) as EventRow | undefined
}

/**
 * Every distinct node of the metadata JSON of the events `select` returns (json_tree lists each once), for the
 * kt-events CSV header. Array elements are not listed separately by the caller.
 */
export function metadataNodes(db: DB, select: {sql: string; params: unknown[]}): {fullkey: string; path: string; key: string; branch: number}[] {
  return db
    .prepare(
      `SELECT DISTINCT t.fullkey AS fullkey, t.path AS path, t.key AS key, (t.type = 'object' AND t.value <> '{}') AS branch
       FROM (${select.sql}) e, json_tree(e.metadata_json) t
       WHERE json_valid(e.metadata_json) AND t.fullkey <> '$' AND typeof(t.key) = 'text'`,
    )
    .all(...select.params) as {fullkey: string; path: string; key: string; branch: number}[]
}
