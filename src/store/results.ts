// Results: exactly one per (run, request, arm); the primary key makes a second result impossible, so a resumed
// or concurrent run can never double one.
import type {Arm} from '../records/index.js'
import type {DB} from './db.js'

export interface ResultRow {
  run_id: string
  event_id: string
  arm: Arm
  target_id: string | null
  api: string | null
  model: string | null
  response_model: string | null
  status: string
  http_status: number | null
  error_type: string | null
  error_code: string | null
  error_message: string | null
  attempts: number
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cached_input_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
  cost_usd: number | null
  finish_reason: string | null
  finish_reason_raw: string | null
  response_text: string | null
  tool_calls_json: string | null
  response_json: string | null
  translation_losses_json: string
  simulated: number
  created_at: string
  /** The provider's batch that answered it (kt replay --via batch); null for a live call, whose latency was measured. */
  batch_id?: string | null
  /** JSON array of every call made for this result, in order: [{latency_ms, status, http_status}]; null when not recorded. */
  attempts_json?: string | null
  /** The timeout each call ran under (ms); null when not recorded. */
  timeout_ms?: number | null
}

const RESULT_COLUMNS: (keyof ResultRow)[] = [
  'run_id', 'event_id', 'arm', 'target_id', 'api', 'model', 'response_model', 'status', 'http_status', 'error_type',
  'error_code', 'error_message', 'attempts', 'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens',
  'cached_input_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'finish_reason', 'finish_reason_raw',
  'response_text', 'tool_calls_json', 'response_json', 'translation_losses_json', 'simulated', 'created_at',
  'attempts_json', 'timeout_ms', 'batch_id',
]

export class ResultWriter {
  private readonly stmt
  private readonly many
  constructor(db: DB) {
    // OR IGNORE: the primary key already guarantees one result per arm; a late duplicate is dropped, never doubled.
    this.stmt = db.prepare(`INSERT OR IGNORE INTO results (${RESULT_COLUMNS.join(',')}) VALUES (${RESULT_COLUMNS.map(() => '?').join(',')})`)
    this.many = db.transaction((rows: ResultRow[]) => {
      for (const row of rows) this.write(row)
    })
  }

  write(row: ResultRow): boolean {
    return this.stmt.run(RESULT_COLUMNS.map((c) => row[c] ?? null)).changes > 0
  }

  /** Several results in one transaction (one commit instead of one per row). */
  writeMany(rows: ResultRow[]): void {
    if (rows.length === 1) this.write(rows[0]!)
    else if (rows.length > 1) this.many(rows)
  }
}

export interface PendingItem {
  seq: number
  event_id: string
  aa: number
  api: string
  model: string | null
  request_json: string | null
  output_tokens: number | null
  /** 1 when credentials were scrubbed from the request body at import: what replay sends differs from the log. */
  scrubbed: number
  /** The logged answer, only when asked for (`recorded`): simulated targets answer like it. */
  response_text?: string | null
  finish_reason?: string | null
  response_json?: string | null
}

/**
 * Items of a run with the arms that still have no result; the request body comes from the event, and with
 * `recorded` its logged answer too.
 */
/** 1 when import masked or removed credentials in the event's request body (its metadata.scrubbed names 'request'). */
export const SCRUBBED_REQUEST = `(instr(e.metadata_json, '"scrubbed"') > 0 AND EXISTS (SELECT 1 FROM json_each(e.metadata_json, '$.scrubbed') WHERE value = 'request'))`

export function pendingWork(db: DB, runId: string, arms: Arm[], opts: {recorded?: boolean} = {}): {item: PendingItem; arms: Arm[]}[] {
  const rows = db
    .prepare(
      `SELECT i.seq, i.event_id, i.aa, e.api, e.model, e.request_json, e.output_tokens,${opts.recorded ? ' e.response_text, e.finish_reason, e.response_json,' : ''}
              ${SCRUBBED_REQUEST} AS scrubbed,
              (SELECT group_concat(arm) FROM results r WHERE r.run_id = i.run_id AND r.event_id = i.event_id) AS done
       FROM run_items i JOIN events e ON e.event_id = i.event_id
       WHERE i.run_id = ? ORDER BY i.seq`,
    )
    .all(runId) as (PendingItem & {done: string | null})[]
  const out: {item: PendingItem; arms: Arm[]}[] = []
  for (const r of rows) {
    const done = new Set((r.done ?? '').split(',').filter(Boolean))
    const need = arms.filter((a) => !done.has(a) && (a !== 'primary_aa' || r.aa === 1))
    if (need.length) out.push({item: r, arms: need})
  }
  return out
}

/** How many (request, arm) of a run still have no result, over `arms`. */
export function pendingCount(db: DB, runId: string, arms: Arm[]): number {
  let n = 0
  const stmt = db.prepare(
    `SELECT count(*) FROM run_items i WHERE i.run_id = ? AND (? <> 'primary_aa' OR i.aa = 1)
       AND NOT EXISTS (SELECT 1 FROM results r WHERE r.run_id = i.run_id AND r.event_id = i.event_id AND r.arm = ?)`,
  )
  for (const arm of arms) n += stmt.pluck().get(runId, arm, arm) as number
  return n
}

export function resultsFor(db: DB, runId: string): ResultRow[] {
  return db.prepare('SELECT * FROM results WHERE run_id = ? ORDER BY event_id, arm').all(runId) as ResultRow[]
}

export function resultCounts(db: DB, runId: string): Record<string, {done: number; errors: number}> {
  const rows = db
    .prepare("SELECT arm, count(*) AS done, sum(status != 'ok') AS errors FROM results WHERE run_id = ? GROUP BY arm")
    .all(runId) as {arm: string; done: number; errors: number}[]
  return Object.fromEntries(rows.map((r) => [r.arm, {done: r.done, errors: r.errors}]))
}

/** The columns a run summary reads, per result. */
export interface ResultSummaryRow {
  arm: Arm
  status: string
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
  error_message: string | null
}

export function resultSummaryRows(db: DB, runId: string): ResultSummaryRow[] {
  return db
    .prepare('SELECT arm, status, latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, error_message FROM results WHERE run_id = ?')
    .all(runId) as ResultSummaryRow[]
}
