// `kt replay` end to end: plan a new run (or resume a stored one with its plan rebuilt), check the targets before
// anything is stored, execute under Ctrl-C/SIGTERM, then judge and gate the completed run, and say how it ended.
import {qualityPolicyFrom, type KtConfig} from '../config/index.js'
import {
  buildPlan,
  checkTargets,
  createReplayRun,
  estimateRun,
  executeRun,
  liveArms,
  resumePlan,
  summarizeRun,
  type ArmEstimate,
  type ArmSummary,
  type PlannedRun,
  type ReplaySettings,
  type ResumeOverrides,
} from '../replay/index.js'
import {findRuns, releaseRunLease, renewRunLease, setRunOptions, setRunStatus, takeRunLease, withRollback, type DB, type RunStatus} from '../store/index.js'
import {formatJudgeSummary, type JudgeOptions} from '../scoring/index.js'
import {KtError} from '../util/index.js'
import {runGates, type RunGatesResult} from './gate-run.js'
import {pickRun} from './runs.js'
import {scoreRun, type ScoreRunOutcome} from './score-run.js'

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
}

export interface ReplayIO {
  note(line: string): void
  /** Progress of the calls; `stop` ends the display. */
  progress(): {update(done: number, total: number, errors: number): void; stop(): void}
  /** How to name the database in the resume command printed for the user (e.g. ` --db x.db`). */
  dbHint: string
  /** Where SIGINT and SIGTERM come from (the process; tests pass an emitter). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>
  /** Ends the process at once on a second signal (default process.exit). */
  exit?: (code: number) => void
}

/** An arm whose calls mostly failed: the run completed, but says so and exits non-zero. */
export interface ErrorAlarm {
  arm: string
  errors: number
  requests: number
  error_rate: number
  first_error: string | null
}

export type ReplayOutcome =
  | {kind: 'dry-run'; arms: ArmEstimate[]}
  | {
      kind: 'run'
      run_id: string
      status: RunStatus
      paced_to: number | null
      arms: ArmSummary[]
      alarms: ErrorAlarm[]
      gate: RunGatesResult | null
      judge: ScoreRunOutcome['judge']
      exit_code: number
    }

/**
 * Arms that called live and mostly failed: every call, or at least half and 25 points more than the primary
 * (whose own errors, recorded or live, are the baseline).
 */
export function errorAlarms(arms: ArmSummary[], live: readonly string[]): ErrorAlarm[] {
  const primary = arms.find((a) => a.arm === 'primary')?.error_rate ?? 0
  return arms
    .filter((a) => live.includes(a.arm) && a.requests > 0)
    .filter((a) => a.error_rate === 1 || (a.arm !== 'primary' && a.error_rate >= 0.5 && a.error_rate >= primary + 0.25))
    .map((a) => ({arm: a.arm, errors: a.errors, requests: a.requests, error_rate: a.error_rate, first_error: a.first_error}))
}

async function plannedRun(db: DB, dbPath: string, input: ReplayInput, io: ReplayIO): Promise<PlannedRun | ArmEstimate[]> {
  if (input.resume) {
    const run = pickRun(db, input.resume.ref, io.note, dbPath)
    const plan = resumePlan(run, input.config, input.resume.overrides)
    await checkTargets(plan)
    setRunOptions(db, run.id, JSON.stringify(plan.settings))
    if (run.status === 'completed') io.note(`run ${run.id} is already complete; nothing to send`)
    return {runId: run.id, total: run.total, plan}
  }
  const start = input.start!
  const plan = buildPlan({primary: start.primary, candidate: start.candidate}, start.settings, input.config)
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

/** A run is replayed by one process at a time: the lease is renewed while it runs and taken over only when stale. */
const LEASE_MS = 30_000

function leaseRun(db: DB, runId: string, onLost: () => void): () => void {
  const held = takeRunLease(db, runId, LEASE_MS)
  if (held) {
    const [host, pid] = held.owner.split(':')
    throw new KtError(`run ${runId} is being replayed by another process (process ${pid} on ${host}, lease until ${held.until}); wait for it to finish or stop it, then resume`)
  }
  const timer = setInterval(() => {
    try {
      if (!renewRunLease(db, runId, LEASE_MS)) onLost()
    } catch {
      // A busy database: the lease is renewed on the next tick, well before it expires.
    }
  }, LEASE_MS / 3)
  timer.unref()
  return () => {
    clearInterval(timer)
    try {
      releaseRunLease(db, runId)
    } catch {
      // It expires on its own.
    }
  }
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
  try {
    return await replayLeased(db, planned, input, io, stop)
  } finally {
    release()
  }
}

async function replayLeased(db: DB, planned: PlannedRun, input: ReplayInput, io: ReplayIO, stop: AbortController): Promise<ReplayOutcome> {
  const {runId, plan} = planned
  const resumeHint = `kt replay --resume ${runId}${io.dbHint}`
  io.note(`run ${runId}: ${planned.total} requests, primary ${plan.primary === 'recorded' ? 'recorded' : plan.primary.id}, candidate ${plan.candidate.id}`)
  // First Ctrl-C (or SIGTERM): stop sending and let calls in flight finish. Second: mark the run interrupted and quit.
  const signals = io.signals ?? process
  let interrupts = 0
  const onSignal = () => {
    if (++interrupts === 1) {
      io.note('\nstopping: letting calls in flight finish (Ctrl-C again to quit at once)')
      stop.abort()
      return
    }
    setRunStatus(db, runId, 'interrupted')
    io.note(`resume with: ${resumeHint}`)
    ;(io.exit ?? process.exit)(130)
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  const progress = io.progress()
  let outcome
  try {
    outcome = await executeRun(db, planned, {stop: stop.signal, onProgress: (p) => progress.update(p.done, p.total, p.errors)})
  } catch (error) {
    io.note(`run ${runId} interrupted; once this is fixed, resume with: ${resumeHint}`)
    throw error
  } finally {
    progress.stop()
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
  }
  const arms = summarizeRun(db, runId)
  const policy = qualityPolicyFrom(input.config) ?? undefined
  // --max-cost covers the judge too: it may spend what the replay left.
  const maxCost = plan.settings.maxCost
  const judge = input.judge && maxCost !== null ? {...input.judge, maxCost: Math.max(0, maxCost - outcome.cost)} : input.judge ?? undefined
  const completed = outcome.status === 'completed'
  const gate = input.gates?.length && completed ? await runGates(db, runId, input.gates, {policy, allowInconclusive: input.allowInconclusive, judge}) : null
  const judged = gate ? gate.judge : judge && completed ? (await scoreRun(db, runId, {policy, judge})).judge : null
  if (judged) for (const line of formatJudgeSummary(judged)) io.note(line)
  for (const w of gate?.model.warnings ?? []) io.note(`warning: ${w}`)
  if (outcome.pacedTo !== null) {
    io.note(`kt's own call threads were saturated: calls in flight were held as low as ${outcome.pacedTo} (of --concurrency ${plan.settings.concurrency}) so that waiting on kt is not recorded as upstream latency`)
  }
  const alarms = completed ? errorAlarms(arms, liveArms(plan)) : []
  for (const a of alarms) {
    io.note(`run ${runId}: ${a.arm}: ${a.errors} of ${a.requests} calls failed (${(a.error_rate * 100).toFixed(1)}%)${a.first_error ? `; first error: ${a.first_error}` : ''}`)
  }
  let exit = gate ? gate.exitCode : 0
  if (alarms.length) exit = Math.max(exit, 1)
  if (outcome.status === 'interrupted') {
    io.note(`run ${runId} interrupted; resume with: ${resumeHint}`)
    exit = 130
  } else if (outcome.status === 'stopped_max_cost') {
    io.note(`run ${runId} stopped at the --max-cost limit; resume with a higher limit: ${resumeHint} --max-cost USD`)
    exit = 1
  }
  return {kind: 'run', run_id: runId, status: outcome.status, paced_to: outcome.pacedTo, arms, alarms, gate, judge: judged, exit_code: exit}
}
