// Waiting for a run's batches and storing their answers: each batch is polled (bounded interval with backoff) until
// the provider says it is over, then its output and error files are read line by line and every request gets the
// same result a live call would have stored, joined on custom_id. A request with no line in either file of a
// completed batch is an error result saying so; requests an expired, cancelled or failed batch never ran get no
// result, so `kt replay --resume` can send them again. Collecting twice stores nothing twice (one result per
// request and arm), so a killed collection is simply done again.
import {batchErrorResult, estimateCost, isRetryableStatus, type BatchApi, type CallResult, type BatchInfo, type TargetSpec, type WireApi} from '../providers/index.js'
import type {Usage} from '../records/index.js'
import {batchItems, markBatchCollected, ResultWriter, runBatches, updateBatch, type BatchItem, type BatchRow, type DB, type ResultRow} from '../store/index.js'
import {errorMessage, KtError, sleep} from '../util/index.js'
import {customId} from './batch-input.js'
import {batchApisFor} from './batch-submit.js'
import type {PlannedRun} from './plan.js'
import {resultRow} from './result-row.js'

export interface BatchProgress {
  batches: {part: number; arm: string; batch_id: string | null; state: string; requests: number; completed: number; failed: number}[]
  requests: number
  completed: number
  failed: number
  elapsedMs: number
}

export interface WaitOptions {
  stop?: AbortSignal
  onProgress?: (p: BatchProgress) => void
  /** Something worth saying (a batch collected, a poll that failed). */
  onNote?: (line: string) => void
  batchFor?: (target: TargetSpec) => BatchApi
  /** Poll each batch once, collect what is over, and return (a resume picking up before it submits). */
  once?: boolean
}

export interface WaitOutcome {
  /** The wait was stopped (Ctrl-C, SIGTERM): batches still running stay running. */
  stopped: boolean
  /** Batches collected by this wait. */
  collected: number
  results: number
  errors: number
  cost: number
  /** Requests an expired, cancelled or failed batch never ran: no result yet, `kt replay --resume` sends them again. */
  unfinished: number
  /** Batches still running (after a stopped or `once` wait). */
  running: number
  /** Time spent asleep between polls. */
  sleptMs: number
}

/** First poll interval and its cap: KT_BATCH_POLL_MS (default 5 s) and KT_BATCH_POLL_MAX_MS (default 60 s). */
export function pollIntervals(): {first: number; max: number} {
  const read = (name: string, dflt: number) => {
    const set = process.env[name]
    if (set === undefined || set.trim() === '') return dflt
    const n = Number(set)
    if (!Number.isFinite(n) || n < 1) throw new KtError(`${name} must be a number of milliseconds >= 1, got "${set}"`)
    return n
  }
  const first = read('KT_BATCH_POLL_MS', 5000)
  return {first, max: Math.max(first, read('KT_BATCH_POLL_MAX_MS', 60_000))}
}

/** A database error is kt's own problem, not the provider's: it is not retried. */
function isSqliteError(error: unknown): boolean {
  return /^SQLITE_/.test((error as {code?: unknown}).code?.toString() ?? '')
}

/** Consecutive failed polls before the wait gives up (the batches keep running). */
const MAX_POLL_FAILURES = 8
/** Results written per transaction while a file streams in. */
const WRITE_CHUNK = 1000

const UNRUN_STATES = new Set(['expired', 'cancelled', 'failed'])

/** Stores a terminal batch's answers; returns what was stored and what never ran. */
async function collect(db: DB, run: PlannedRun, api: BatchApi, row: BatchRow, info: BatchInfo): Promise<{results: number; errors: number; cost: number; unfinished: number}> {
  const items = new Map<string, BatchItem>()
  for (const it of batchItems(db, run.runId, row.part)) items.set(customId(it.seq, it.arm), it)
  const pricing = run.plan.settings.pricing
  const writer = new ResultWriter(db)
  const out = {results: 0, errors: 0, cost: 0, unfinished: 0}
  const seen = new Set<string>()
  let rows: ResultRow[] = []
  const store = (item: BatchItem, result: CallResult) => {
    const model = item.model ?? ''
    const price = (usage: Usage) => estimateCost(result.response_model ?? model, usage, pricing, {batch: true}) ?? estimateCost(model, usage, pricing, {batch: true})
    const losses = item.losses_json ? (JSON.parse(item.losses_json) as string[]) : []
    const stored = resultRow({runId: run.runId, item: {event_id: item.event_id}, arm: item.arm, targetId: row.target_id, model, result, attempts: 1, price, batchId: info.id, losses})
    rows.push(stored)
    out.results++
    if (result.status !== 'ok') out.errors++
    out.cost += stored.cost_usd ?? 0
    if (rows.length >= WRITE_CHUNK) {
      writer.writeMany(rows)
      rows = []
    }
  }
  let unreadable = 0
  for await (const o of api.results(info, row.wire as WireApi)) {
    if (o.kind === 'unreadable') {
      unreadable++
      continue
    }
    const item = items.get(o.custom_id)
    if (!item || seen.has(o.custom_id)) continue
    seen.add(o.custom_id)
    if (o.kind === 'unfinished') out.unfinished++
    else store(item, o.result)
  }
  // What neither file mentions: never run when the batch did not run to the end, otherwise lost by the provider.
  for (const [id, item] of items) {
    if (seen.has(id)) continue
    if (UNRUN_STATES.has(info.state)) {
      out.unfinished++
      continue
    }
    const why = `batch ${info.id} ended (${info.state}) with no line for this request in its output or error file${unreadable ? ` (${unreadable} lines could not be read)` : ''}`
    store(item, batchErrorResult(row.wire as WireApi, 'batch_result_missing', null, why))
  }
  writer.writeMany(rows)
  markBatchCollected(db, run.runId, row.part)
  return out
}

/**
 * A batch kt was creating when it stopped: found by its uploaded file and adopted, or abandoned (its requests have
 * no batch and may be sent again).
 */
async function recover(db: DB, run: PlannedRun, api: BatchApi, row: BatchRow, note: (l: string) => void): Promise<BatchRow | null> {
  const found = row.input_file_id ? await api.findByInputFile(row.input_file_id) : null
  if (found) {
    updateBatch(db, run.runId, row.part, {batch_id: found.id, state: found.state})
    note(`batch ${found.id} (${row.requests} requests of ${row.arm}) was created just before kt stopped; kt follows it`)
    return {...row, batch_id: found.id, state: found.state}
  }
  updateBatch(db, run.runId, row.part, {state: 'abandoned', message: 'kt stopped before the provider created this batch'})
  markBatchCollected(db, run.runId, row.part)
  note(`${row.requests} requests of ${row.arm} were never submitted (kt stopped while creating their batch); kt replay --resume ${run.runId} sends them`)
  return null
}

function progressOf(rows: BatchRow[], started: number): BatchProgress {
  const batches = rows.map((r) => ({part: r.part, arm: r.arm, batch_id: r.batch_id, state: r.state, requests: r.requests, completed: r.completed, failed: r.failed}))
  return {
    batches,
    requests: batches.reduce((a, b) => a + b.requests, 0),
    completed: batches.reduce((a, b) => a + b.completed, 0),
    failed: batches.reduce((a, b) => a + b.failed, 0),
    elapsedMs: Date.now() - started,
  }
}

/** Polls the run's uncollected batches and collects each as it ends, until none is left (or the wait is stopped). */
export async function waitForBatches(db: DB, run: PlannedRun, opts: WaitOptions = {}): Promise<WaitOutcome> {
  const note = opts.onNote ?? (() => undefined)
  const apis = batchApisFor(run, opts.batchFor)
  const apiOf = (row: BatchRow): BatchApi => {
    const api = apis.get(row.arm)
    if (!api) throw new KtError(`run ${run.runId}: batch ${row.batch_id ?? row.part} is for arm ${row.arm}, which the run no longer sends through a batch`)
    return api
  }
  const out: WaitOutcome = {stopped: false, collected: 0, results: 0, errors: 0, cost: 0, unfinished: 0, running: 0, sleptMs: 0}
  const started = Date.now()
  const {first, max} = pollIntervals()
  let interval = first
  let failures = 0
  const waiting = runBatches(db, run.runId).filter((r) => r.collected_at === null)
  for (const row of waiting.filter((r) => r.batch_id === null)) await recover(db, run, apiOf(row), row, note)
  // What this wait shows: the batches it started with, collected or not.
  const watched = new Set(waiting.map((r) => r.part))
  for (;;) {
    const open = runBatches(db, run.runId).filter((r) => r.collected_at === null && r.batch_id !== null)
    for (const row of open) {
      if (opts.stop?.aborted) break
      let info: BatchInfo
      let got: Awaited<ReturnType<typeof collect>> | null = null
      // A poll or a download that fails (the network, the provider) is tried again on the next round; collecting
      // again stores nothing twice.
      try {
        info = await apiOf(row).retrieve(row.batch_id!)
        updateBatch(db, run.runId, row.part, {state: info.state, completed: info.completed, failed: info.failed, output_file_id: info.output_file_id, error_file_id: info.error_file_id, message: info.message})
        if (info.terminal) got = await collect(db, run, apiOf(row), row, info)
        failures = 0
      } catch (error) {
        if (error instanceof KtError || isSqliteError(error)) throw error
        // 401, 403, 404…: asking again will not help.
        const status = (error as {status?: unknown}).status
        if (typeof status === 'number' && !isRetryableStatus(status)) throw new KtError(`run ${run.runId}: batch ${row.batch_id}: ${errorMessage(error)}`)
        if (++failures >= MAX_POLL_FAILURES) throw new KtError(`run ${run.runId}: ${failures} polls of its batches failed in a row (last: ${errorMessage(error)}); the batches keep running: kt runs wait ${run.runId}`)
        note(`reading batch ${row.batch_id} failed (${errorMessage(error)}); trying again`)
        continue
      }
      if (!got) continue
      out.collected++
      out.results += got.results
      out.errors += got.errors
      out.cost += got.cost
      out.unfinished += got.unfinished
      const why = info.message ? `: ${info.message}` : ''
      note(`batch ${info.id} ${info.state}${why}: ${got.results} results stored${got.unfinished ? `, ${got.unfinished} requests never ran` : ''}`)
    }
    const now = runBatches(db, run.runId)
    opts.onProgress?.(progressOf(now.filter((r) => watched.has(r.part) && r.batch_id !== null), started))
    out.running = now.filter((r) => r.collected_at === null && r.batch_id !== null).length
    if (out.running === 0 || opts.once) return out
    if (opts.stop?.aborted) return {...out, stopped: true}
    const asleep = Date.now()
    await sleep(interval, opts.stop)
    out.sleptMs += Date.now() - asleep
    if (opts.stop?.aborted) return {...out, stopped: true}
    interval = Math.min(max, Math.round(interval * 1.5))
  }
}

/** Asks the provider to cancel every batch of the run still running; what finished stays collectable. */
export async function cancelBatches(db: DB, run: PlannedRun, opts: {batchFor?: (target: TargetSpec) => BatchApi} = {}): Promise<{cancelled: BatchInfo[]; over: number}> {
  const apis = batchApisFor(run, opts.batchFor)
  const cancelled: BatchInfo[] = []
  let over = 0
  for (const row of runBatches(db, run.runId)) {
    if (row.collected_at !== null || row.batch_id === null) continue
    const api = apis.get(row.arm)
    if (!api) continue
    const now = await api.retrieve(row.batch_id)
    if (now.terminal || now.state === 'cancelling') {
      over++
      updateBatch(db, run.runId, row.part, {state: now.state})
      continue
    }
    const info = await api.cancel(row.batch_id)
    updateBatch(db, run.runId, row.part, {state: info.state, completed: info.completed, failed: info.failed})
    cancelled.push(info)
  }
  return {cancelled, over}
}
