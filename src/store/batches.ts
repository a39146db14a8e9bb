// A run's provider batches (kt replay --via batch) and the requests each holds. A batch row is written before the
// provider is asked to create it (state 'creating', with the uploaded input file once there is one) and gets its
// provider id the moment the provider returns it: whatever kt is killed in the middle of, the next `kt runs wait`
// or `kt replay --resume` knows what was submitted.
import type {Arm} from '../records/index.js'
import type {DB} from './db.js'
import {SCRUBBED_REQUEST, type PendingItem} from './results.js'

export interface BatchRow {
  run_id: string
  /** The batch's number within its run. */
  part: number
  arm: Arm
  target_id: string
  /** The wire API its requests call (openai.chat, openai.responses, anthropic.messages). */
  wire: string
  /** The provider's id; null while kt is creating it. */
  batch_id: string | null
  input_file_id: string | null
  /** 'creating', a provider state (validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled, ended), or 'abandoned' (never created). */
  state: string
  requests: number
  bytes: number
  completed: number
  failed: number
  output_file_id: string | null
  error_file_id: string | null
  message: string | null
  created_at: string
  updated_at: string
  /** When its results were stored; from then on its requests without a result may be sent again. */
  collected_at: string | null
}

export interface BatchItem {
  seq: number
  event_id: string
  arm: Arm
  /** The model the request was sent to. */
  model: string | null
  /** Translation losses (JSON list), null when none. */
  losses_json: string | null
}

export interface NewBatch {
  run_id: string
  arm: Arm
  target_id: string
  wire: string
  requests: number
  bytes: number
}

/** Stores a batch about to be created with the requests it holds (a request sent again moves here); returns its part. */
export function insertBatch(db: DB, batch: NewBatch, items: {seq: number; model: string | null; losses_json: string | null}[]): number {
  return db.transaction(() => {
    const part = (db.prepare('SELECT coalesce(max(part), -1) + 1 FROM run_batches WHERE run_id = ?').pluck().get(batch.run_id) as number) ?? 0
    const now = new Date().toISOString()
    db.prepare(
      `INSERT INTO run_batches (run_id, part, arm, target_id, wire, state, requests, bytes, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?)`,
    ).run(batch.run_id, part, batch.arm, batch.target_id, batch.wire, batch.requests, batch.bytes, now, now)
    const ins = db.prepare('INSERT OR REPLACE INTO batch_items (run_id, seq, arm, part, model, losses_json) VALUES (?, ?, ?, ?, ?, ?)')
    for (const it of items) ins.run(batch.run_id, it.seq, batch.arm, part, it.model, it.losses_json)
    return part
  }).immediate()
}

export interface BatchUpdate {
  batch_id?: string
  input_file_id?: string
  state?: string
  completed?: number
  failed?: number
  output_file_id?: string | null
  error_file_id?: string | null
  message?: string | null
}

const UPDATABLE = ['batch_id', 'input_file_id', 'state', 'completed', 'failed', 'output_file_id', 'error_file_id', 'message'] as const

export function updateBatch(db: DB, runId: string, part: number, u: BatchUpdate): void {
  const keys = UPDATABLE.filter((k) => u[k] !== undefined)
  if (keys.length === 0) return
  db.prepare(`UPDATE run_batches SET ${keys.map((k) => `${k} = ?`).join(', ')}, updated_at = ? WHERE run_id = ? AND part = ?`).run(
    ...keys.map((k) => u[k] ?? null),
    new Date().toISOString(),
    runId,
    part,
  )
}

/** Its results are stored: its requests without one may now be sent again. */
export function markBatchCollected(db: DB, runId: string, part: number): void {
  const now = new Date().toISOString()
  db.prepare('UPDATE run_batches SET collected_at = ?, updated_at = ? WHERE run_id = ? AND part = ?').run(now, now, runId, part)
}

export function runBatches(db: DB, runId: string): BatchRow[] {
  return db.prepare('SELECT * FROM run_batches WHERE run_id = ? ORDER BY part').all(runId) as BatchRow[]
}

/** The requests a batch holds now (a request sent again in a later batch belongs to that one). */
export function batchItems(db: DB, runId: string, part: number): BatchItem[] {
  return db
    .prepare(
      `SELECT b.seq, i.event_id, b.arm, b.model, b.losses_json FROM batch_items b JOIN run_items i ON i.run_id = b.run_id AND i.seq = b.seq
       WHERE b.run_id = ? AND b.part = ? ORDER BY b.seq`,
    )
    .all(runId, part) as BatchItem[]
}

/**
 * The requests of a run that `arm` still has to send through a batch: no result, and not in a batch whose results are
 * still to come. Read one by one (never the whole set of bodies at once); no other statement may run on `db` until
 * the iteration ends.
 */
export function iterateBatchWork(db: DB, runId: string, arm: Arm): IterableIterator<PendingItem> {
  return db
    .prepare(
      `SELECT i.seq, i.event_id, i.aa, e.api, e.model, e.request_json, e.output_tokens, ${SCRUBBED_REQUEST} AS scrubbed
       FROM run_items i JOIN events e ON e.event_id = i.event_id
       WHERE i.run_id = ? AND (? <> 'primary_aa' OR i.aa = 1)
         AND NOT EXISTS (SELECT 1 FROM results r WHERE r.run_id = i.run_id AND r.event_id = i.event_id AND r.arm = ?)
         AND NOT EXISTS (SELECT 1 FROM batch_items b JOIN run_batches rb ON rb.run_id = b.run_id AND rb.part = b.part
                         WHERE b.run_id = i.run_id AND b.seq = i.seq AND b.arm = ? AND rb.collected_at IS NULL)
       ORDER BY i.seq`,
    )
    .iterate(runId, arm, arm, arm) as IterableIterator<PendingItem>
}
