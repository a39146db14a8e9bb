// `kt replay` end to end: plan a new run (or resume a stored one with its plan rebuilt), check the targets before
// anything is stored, submit the batched arms' batches, make the live arms' calls under Ctrl-C/SIGTERM, wait for the
// batches (unless --detach), then judge and gate the completed run, and say how it ended.
import type {KtConfig} from '../config/index.js'
import {refuseBatchLatency, parseGates} from '../gate/index.js'
import {
  batchArms,
  buildPlan,
  checkTargets,
  createReplayRun,
  estimateRun,
  executeRun,
  liveArms,
  resumePlan,
  submitBatches,
  viaOf,
  waitForBatches,
  type ArmEstimate,
  type PlannedRun,
  type ReplaySettings,
  type ResumeOverrides,
} from '../replay/index.js'
import {findRuns, setRunOptions, setRunStatus, withRollback, type DB} from '../store/index.js'
import type {JudgeOptions} from '../scoring/index.js'
import {KtError} from '../util/index.js'
import {leaseRun} from './run-lease.js'
import {finishRun, openBatches, settleStatus, type BatchSummary, type RunIO, type RunOutcome} from './run-finish.js'
import {pickRun} from './runs.js'

export {errorAlarms, type ErrorAlarm} from './run-finish.js'

export interface ReplayStart {
  candidate: string
  primary?: string
  settings: ReplaySettings
  name?: string
}

export interface ReplayInput {
  config: KtConfig
  /** A new run… */
  start?: ReplayStart
  /** …or a stored one to continue, with the limits it may change. */
  resume?: {ref: string; overrides: ResumeOverrides}
  dryRun?: boolean
  gates?: readonly string[]
  allowInconclusive?: boolean
  judge?: JudgeOptions | null
  /** With batched arms: return once the batches are submitted; `kt runs wait` collects them. */
  detach?: boolean
}

export type ReplayIO = RunIO

export type ReplayOutcome = {kind: 'dry-run'; arms: ArmEstimate[]} | RunOutcome

async function plannedRun(db: DB, dbPath: string, input: ReplayInput, io: ReplayIO): Promise<PlannedRun | ArmEstimate[]> {
  if (input.resume) {
    const run = pickRun(db, input.resume.ref, io.note, dbPath)
    const plan = resumePlan(run, input.config, input.resume.overrides)
    checkBatchOptions(plan, input)
    await checkTargets(plan)
    setRunOptions(db, run.id, JSON.stringify(plan.settings))
    if (run.status === 'completed') io.note(`run ${run.id} is already complete; nothing to send`)
    return {runId: run.id, total: run.total, plan}
  }
  const start = input.start!
  const plan = buildPlan({primary: start.primary, candidate: start.candidate}, start.settings, input.config)
  checkBatchOptions(plan, input)
  // A dry run plans the run inside a transaction that is rolled back: nothing is left behind.
  if (input.dryRun) return withRollback(db, () => estimateRun(db, createReplayRun(db, plan).runId, plan))
  if (start.name !== undefined) {
    const taken = findRuns(db, start.name).filter((r) => r.name === start.name)
    if (taken.length) throw new KtError(`a run named "${start.name}" already exists (${taken[0]!.id}); choose another --name, or continue it with --resume ${start.name}`, 2)
  }
  // Keys and SDKs first: a missing key must not leave a run behind.
  await checkTargets(plan)
  return createReplayRun(db, plan, {name: start.name, config: input.config.file ? {file: input.config.file} : undefined})
}

/** What a batched run cannot do, refused before anything is stored or sent. */
function checkBatchOptions(plan: PlannedRun['plan'], input: ReplayInput): void {
  const batched = batchArms(plan)
  if (input.detach && batched.length === 0) throw new KtError('--detach returns while batches run: it needs a batched arm (--via batch or --via-primary batch)', 2)
  if (input.detach && (input.gates?.length || input.judge)) {
    throw new KtError('--detach returns before there are answers to gate or judge: run kt gate RUN (or kt report RUN --judge …) after kt runs wait RUN', 2)
  }
  if (input.gates?.length) refuseBatchLatency(parseGates(input.gates), batched)
}

export async function replay(db: DB, dbPath: string, input: ReplayInput, io: ReplayIO): Promise<ReplayOutcome> {
  const planned = await plannedRun(db, dbPath, input, io)
  if (Array.isArray(planned)) return {kind: 'dry-run', arms: planned}
  const {runId} = planned
  const stop = new AbortController()
  const release = leaseRun(db, runId, () => {
    io.note(`run ${runId}: another process took the run over (this one stopped renewing its lease in time); stopping`)
    stop.abort()
  })
  // Ctrl-C or SIGTERM also ends a wait for the judge's batch (--judge-via batch).
  const judged = input.judge ? {...input, judge: {...input.judge, stop: stop.signal}} : input
  try {
    return await replayLeased(db, planned, judged, io, stop)
  } finally {
    release()
  }
}

function bytesText(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} bytes`
}

/** What the phases of a leased run add up to, for its report. */
interface Tally {
  spent: number
  pacedTo: number | null
  overBudget: boolean
}

/** The commands that continue a stopped run: resume its calls, or collect its batches. */
interface Hints {
  resume: string
  wait: string
}

/**
 * First Ctrl-C (or SIGTERM): stop sending (calls in flight finish) or stop waiting (batches keep running).
 * Second: mark the run and quit. Set `waiting` once the run waits for its batches; `off()` removes the handler.
 */
function onInterrupts(db: DB, runId: string, io: ReplayIO, stop: AbortController, hints: Hints): {waiting: boolean; off: () => void} {
  const signals = io.signals ?? process
  let interrupts = 0
  const onSignal = () => {
    if (++interrupts === 1) {
      io.note(handle.waiting ? '\nstopping the wait: the batches keep running at the provider' : '\nstopping: letting calls in flight finish (Ctrl-C again to quit at once)')
      stop.abort()
      return
    }
    const out = openBatches(db, runId) > 0
    setRunStatus(db, runId, out ? 'waiting' : 'interrupted')
    io.note(`${out ? 'collect the batches' : 'resume'} with: ${out ? hints.wait : hints.resume}`)
    ;(io.exit ?? process.exit)(130)
  }
  const handle = {
    waiting: false,
    off: () => {
      signals.off('SIGINT', onSignal)
      signals.off('SIGTERM', onSignal)
    },
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  return handle
}

/** Submits the batched arms' batches; returns their estimated cost, reserved out of --max-cost. */
async function submitPhase(db: DB, planned: PlannedRun, input: ReplayInput, io: ReplayIO, stop: AbortSignal, tally: Tally, batches: BatchSummary): Promise<number> {
  // A resumed run first picks up what its batches answered, so that only what has no answer is sent again.
  if (input.resume) {
    const picked = await waitForBatches(db, planned, {once: true, stop, onNote: io.note})
    tally.spent += picked.cost
    batches.unfinished += picked.unfinished
  }
  const sub = await submitBatches(db, planned, {
    stop,
    budget: planned.plan.settings.maxCost,
    onBatch: (b) => io.note(`submitted batch ${b.batchId}: ${b.requests} ${b.arm} requests (${bytesText(b.bytes)})`),
  })
  Object.assign(batches, {submitted: sub.batches, requests: sub.requests, bytes: sub.bytes})
  tally.overBudget = sub.overBudget > 0
  if (sub.refused) io.note(`${sub.refused} requests cannot go in a batch: stored as errors that say why`)
  if (openBatches(db, planned.runId) > 0) setRunStatus(db, planned.runId, 'waiting')
  return sub.reserved
}

/** The live arms' calls, within what --max-cost leaves once the batches' estimated cost is reserved. */
async function livePhase(db: DB, planned: PlannedRun, io: ReplayIO, stop: AbortSignal, tally: Tally, reserved: number): Promise<void> {
  const plan = planned.plan
  const budget = plan.settings.maxCost === null ? null : Math.max(0, plan.settings.maxCost - reserved)
  const progress = io.progress()
  try {
    const outcome = await executeRun(db, {...planned, plan: {...plan, settings: {...plan.settings, maxCost: budget}}}, {stop, onProgress: (p) => progress.update(p.done, p.total, p.errors)})
    tally.spent += outcome.cost
    tally.pacedTo = outcome.pacedTo
    if (outcome.status === 'stopped_max_cost') tally.overBudget = true
  } finally {
    progress.stop()
  }
}

/** Waits for the run's batches, showing their progress. */
async function waitPhase(db: DB, planned: PlannedRun, io: ReplayIO, stop: AbortSignal, tally: Tally, batches: BatchSummary): Promise<void> {
  const view = io.batchProgress?.()
  try {
    const waited = await waitForBatches(db, planned, {stop, onNote: io.note, onProgress: (p) => view?.update(p)})
    tally.spent += waited.cost
    batches.unfinished += waited.unfinished
  } finally {
    view?.stop()
  }
}

async function replayLeased(db: DB, planned: PlannedRun, input: ReplayInput, io: ReplayIO, stop: AbortController): Promise<ReplayOutcome> {
  const {runId, plan} = planned
  const hints: Hints = {resume: `kt replay --resume ${runId}${io.dbHint}`, wait: `kt runs wait ${runId}${io.dbHint}`}
  const batched = batchArms(plan).length > 0
  const live = liveArms(plan).some((a) => viaOf(plan, a) === 'live')
  const via = (arm: 'primary' | 'candidate') => (batched && viaOf(plan, arm) === 'batch' ? ' (via batch)' : '')
  io.note(`run ${runId}: ${planned.total} requests, primary ${plan.primary === 'recorded' ? 'recorded' : plan.primary.id + via('primary')}, candidate ${plan.candidate.id + via('candidate')}`)
  const interrupts = onInterrupts(db, runId, io, stop, hints)
  const tally: Tally = {spent: 0, pacedTo: null, overBudget: false}
  const batches: BatchSummary | null = batched ? {submitted: 0, requests: 0, bytes: 0, running: 0, unfinished: 0} : null
  try {
    const reserved = batches ? await submitPhase(db, planned, input, io, stop.signal, tally, batches) : 0
    if (live && !stop.signal.aborted) await livePhase(db, planned, io, stop.signal, tally, reserved)
    if (batches && !input.detach && !stop.signal.aborted && openBatches(db, runId) > 0) {
      interrupts.waiting = true
      await waitPhase(db, planned, io, stop.signal, tally, batches)
    }
  } catch (error) {
    const out = openBatches(db, runId) > 0
    setRunStatus(db, runId, out ? 'waiting' : 'interrupted')
    io.note(`run ${runId} interrupted; once this is fixed, ${out ? `collect its batches with: ${hints.wait}` : `resume with: ${hints.resume}`}`)
    throw error
  } finally {
    interrupts.off()
  }
  if (batches) batches.running = openBatches(db, runId)
  const status = settleStatus(db, planned, tally.overBudget)
  return finishRun(db, planned, status, {...input, spent: tally.spent, pacedTo: tally.pacedTo, stopped: stop.signal.aborted, detached: input.detach === true, batches}, io)
}
