// Replay runs and their fixed request sets (run_items). A run's plan is stored as a record (JSON, no secrets)
// for `kt runs show` and for resume; results live in results.ts.
import type {Api} from '../records/index.js'
import type {DB} from './db.js'
import {buildEventWhere, type EventQuery} from './events.js'
import {OWNER, ownerAlive} from './owner.js'

/** `waiting`: every call left to make is in a provider's batch; `kt runs wait` collects the answers. */
export type RunStatus = 'running' | 'interrupted' | 'completed' | 'stopped_max_cost' | 'failed' | 'waiting'

export interface RunRow {
  id: string
  name: string | null
  created_at: string
  updated_at: string
  status: RunStatus
  primary_json: string
  candidate_json: string
  options_json: string
  config_json: string | null
  total: number
}

export function createRun(db: DB, run: Omit<RunRow, 'updated_at'>, items: {event_id: string; aa: boolean}[]): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO runs (id, name, created_at, updated_at, status, primary_json, candidate_json, options_json, config_json, total)
       VALUES (@id, @name, @created_at, @created_at, @status, @primary_json, @candidate_json, @options_json, @config_json, @total)`,
    ).run(run)
    const ins = db.prepare('INSERT INTO run_items (run_id, seq, event_id, aa) VALUES (?, ?, ?, ?)')
    items.forEach((it, i) => ins.run(run.id, i, it.event_id, it.aa ? 1 : 0))
  })()
}

export function setRunStatus(db: DB, id: string, status: RunStatus): void {
  db.prepare('UPDATE runs SET status = ?, updated_at = ? WHERE id = ?').run(status, new Date().toISOString(), id)
}

/** Settings changed on resume (limits, budget) are saved, so `kt runs show` tells what the run now uses. */
export function setRunOptions(db: DB, id: string, optionsJson: string): void {
  db.prepare('UPDATE runs SET options_json = ?, updated_at = ? WHERE id = ?').run(optionsJson, new Date().toISOString(), id)
}

/**
 * Runs a reference can mean, newest first: `last`, an exact id, every run with that name, or the one run
 * whose id starts with it.
 */
export function findRuns(db: DB, ref: string): RunRow[] {
  if (ref === 'last') return db.prepare('SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1').all() as RunRow[]
  const exact = db.prepare('SELECT * FROM runs WHERE id = ? OR name = ? ORDER BY created_at DESC, rowid DESC').all(ref, ref) as RunRow[]
  if (exact.length) return exact
  const prefix = db.prepare("SELECT * FROM runs WHERE id LIKE ? || '%' LIMIT 2").all(ref) as RunRow[]
  return prefix.length === 1 ? prefix : []
}

/** A run by id, name (the newest of that name), unique id prefix, or `last`. */
export function getRun(db: DB, ref: string): RunRow | undefined {
  return findRuns(db, ref)[0]
}

export function listRuns(db: DB, limit = 50): RunRow[] {
  return db.prepare('SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as RunRow[]
}

/** How many of a run's requests also go to the primary's A/A repeat. */
export function aaItemCount(db: DB, runId: string): number {
  return (db.prepare('SELECT count(*) AS n FROM run_items WHERE run_id = ? AND aa = 1').get(runId) as {n: number}).n
}

/** Ids of the replayable primary traffic a query selects, in time order (imported or gateway requests, never shadows). */
export function replayableEventIds(db: DB, q: EventQuery): string[] {
  const {where, params} = buildEventWhere({...q, replayableOnly: true, kind: ['request']})
  const extra = "(traffic_role IS NULL OR traffic_role = 'primary')"
  const sql = `SELECT event_id FROM events ${where ? `${where} AND ${extra}` : `WHERE ${extra}`} ORDER BY timestamp, rowid`
  return db.prepare(sql).pluck().all(...params) as string[]
}

/** The logged answer of each request of a run, in the shape of a result (the recorded primary's results). */
export interface RecordedAnswer {
  event_id: string
  api: Api
  model: string | null
  response_model: string | null
  status: string
  http_status: number | null
  error_type: string | null
  error_code: string | null
  error_message: string | null
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
  response_json: string | null
}

/**
 * The logged answers of a run's requests, in pages of `pageSize` (seq order): a run of 100,000 requests never holds
 * all its logged answers at once.
 */
export function* recordedAnswers(db: DB, runId: string, pageSize = 2000): Generator<RecordedAnswer> {
  const page = db.prepare(
    `SELECT i.seq, e.event_id, e.api, e.model, e.response_model, e.status, e.http_status, e.error_type, e.error_code, e.error_message,
            e.latency_ms, e.ttft_ms, e.input_tokens, e.output_tokens, e.cached_input_tokens, e.reasoning_tokens, e.total_tokens,
            e.cost_usd, e.finish_reason, e.finish_reason_raw, e.response_text, e.response_json
     FROM run_items i JOIN events e ON e.event_id = i.event_id WHERE i.run_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?`,
  )
  let after = -1
  for (;;) {
    const rows = page.all(runId, after, pageSize) as (RecordedAnswer & {seq: number})[]
    if (rows.length === 0) return
    after = rows[rows.length - 1]!.seq
    yield* rows
  }
}

/** Runs fn in one transaction (nested in a savepoint when one is open). */
export function inTransaction<T>(db: DB, fn: () => T): T {
  return db.transaction(fn)()
}

/** Runs fn and then undoes everything it wrote (`--dry-run` plans a run without leaving it behind). */
export function withRollback<T>(db: DB, fn: () => T): T {
  db.exec('SAVEPOINT kt_dry_run')
  try {
    return fn()
  } finally {
    db.exec('ROLLBACK TO kt_dry_run')
    db.exec('RELEASE kt_dry_run')
  }
}

/** A lease on a run: who replays it, and until when the claim holds unless renewed. */
export interface RunLease {
  owner: string
  until: string
}

/**
 * Takes the run for this process until now + ttl, unless another holds it: a lease is taken over only when stale
 * (not renewed in time, or its process on this host no longer runs). Returns null when taken, else the holder.
 */
export function takeRunLease(db: DB, runId: string, ttlMs: number): RunLease | null {
  const now = new Date()
  const until = new Date(now.getTime() + ttlMs).toISOString()
  return db.transaction(() => {
    const held = db.prepare('SELECT lease_owner AS owner, lease_until AS until FROM runs WHERE id = ?').get(runId) as {owner: string | null; until: string | null} | undefined
    if (held?.owner && held.owner !== OWNER && held.until !== null && held.until > now.toISOString() && ownerAlive(held.owner)) return {owner: held.owner, until: held.until}
    db.prepare('UPDATE runs SET lease_owner = ?, lease_until = ? WHERE id = ?').run(OWNER, until, runId)
    return null
  }).immediate()
}

/** Extends this process's lease; false when another process took the run over (the lease had gone stale). */
export function renewRunLease(db: DB, runId: string, ttlMs: number): boolean {
  const until = new Date(Date.now() + ttlMs).toISOString()
  return db.prepare('UPDATE runs SET lease_until = ? WHERE id = ? AND lease_owner = ?').run(until, runId, OWNER).changes > 0
}

export function releaseRunLease(db: DB, runId: string): void {
  db.prepare('UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?').run(runId, OWNER)
}
