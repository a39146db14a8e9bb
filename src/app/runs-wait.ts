// `kt runs wait RUN` and `kt runs cancel RUN`: a run's provider batches, from any process. Wait polls them (progress,
// Ctrl-C/SIGTERM stop the wait and leave them running), stores every answer as it comes, and ends the run as a
// replay would; it never submits anything (`kt replay --resume` sends what is left). Cancel asks the provider to stop
// them; what they finished stays, for `kt runs wait` to collect.
import type {KtConfig} from '../config/index.js'
import {cancelBatches, resumePlan, waitForBatches, type PlannedRun} from '../replay/index.js'
import type {JudgeOptions} from '../scoring/index.js'
import {runBatches, setRunStatus, type DB} from '../store/index.js'
import {KtError} from '../util/index.js'
import {finishRun, openBatches, settleStatus, type RunIO, type RunOutcome} from './run-finish.js'
import {leaseRun} from './run-lease.js'
import {pickRun} from './runs.js'

export interface WaitInput {
  ref: string
  config: KtConfig
  gates?: readonly string[]
  allowInconclusive?: boolean
  judge?: JudgeOptions | null
}

/** The stored run with its plan rebuilt (targets and keys from the config and the environment); it must have batches. */
function batchedRun(db: DB, dbPath: string, ref: string, config: KtConfig, note: (l: string) => void): PlannedRun {
  const run = pickRun(db, ref, note, dbPath)
  if (runBatches(db, run.id).length === 0) throw new KtError(`run ${run.id} has no batches (it was replayed live); there is nothing to wait for or cancel`, 2)
  return {runId: run.id, total: run.total, plan: resumePlan(run, config, {})}
}

export async function waitRun(db: DB, dbPath: string, input: WaitInput, io: RunIO): Promise<RunOutcome> {
  const planned = batchedRun(db, dbPath, input.ref, input.config, io.note)
  const {runId} = planned
  const stop = new AbortController()
  const release = leaseRun(db, runId, () => {
    io.note(`run ${runId}: another process took the run over; stopping the wait`)
    stop.abort()
  })
  const signals = io.signals ?? process
  let interrupts = 0
  const onSignal = () => {
    if (++interrupts === 1) {
      io.note('\nstopping the wait: the batches keep running at the provider')
      stop.abort()
      return
    }
    setRunStatus(db, runId, openBatches(db, runId) > 0 ? 'waiting' : 'interrupted')
    io.note(`collect the batches with: kt runs wait ${runId}${io.dbHint}`)
    ;(io.exit ?? process.exit)(130)
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  const view = io.batchProgress?.()
  try {
    const waited = await waitForBatches(db, planned, {stop: stop.signal, onNote: io.note, onProgress: (p) => view?.update(p)})
    view?.stop()
    const status = settleStatus(db, planned, false)
    const batches = {submitted: 0, requests: 0, bytes: 0, running: openBatches(db, runId), unfinished: waited.unfinished}
    return await finishRun(db, planned, status, {...input, spent: waited.cost, pacedTo: null, stopped: stop.signal.aborted, detached: false, batches}, io)
  } finally {
    view?.stop()
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
    release()
  }
}

export interface CancelOutcome {
  run_id: string
  /** Batches the provider was asked to cancel, with the state it answered. */
  cancelled: {batch_id: string; state: string}[]
  /** Batches already over (or already cancelling). */
  already: number
  next: string
}

export async function cancelRun(db: DB, dbPath: string, input: {ref: string; config: KtConfig}, io: Pick<RunIO, 'note' | 'dbHint'>): Promise<CancelOutcome> {
  const planned = batchedRun(db, dbPath, input.ref, input.config, io.note)
  const {cancelled, over} = await cancelBatches(db, planned)
  return {run_id: planned.runId, cancelled: cancelled.map((b) => ({batch_id: b.id, state: b.state})), already: over, next: `kt runs wait ${planned.runId}${io.dbHint}`}
}
