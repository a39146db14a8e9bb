// How a replay ends, whether its answers came from live calls or from the providers' batches (kt replay,
// kt replay --resume, kt runs wait): the run's status from what is left, then, for a completed run, the judge, the
// gates and the alarm for an arm whose calls mostly failed; and the command that continues the run when it is not.
import {qualityPolicyFrom, type KtConfig} from '../config/index.js'
import {batchArms, liveArms, summarizeRun, type ArmSummary, type BatchProgress, type PlannedRun} from '../replay/index.js'
import {formatJudgeSummary, type JudgeOptions} from '../scoring/index.js'
import {pendingCount, runBatches, setRunStatus, type DB, type RunStatus} from '../store/index.js'
import {runGates, type RunGatesResult} from './gate-run.js'
import {scoreRun, type ScoreRunOutcome} from './score-run.js'

/** An arm whose calls mostly failed: the run completed, but says so and exits non-zero. */
export interface ErrorAlarm {
  arm: string
  errors: number
  requests: number
  error_rate: number
  first_error: string | null
}

/** What the run's batches came to. */
export interface BatchSummary {
  /** Batches submitted by this command. */
  submitted: number
  /** Requests in them. */
  requests: number
  /** Bytes uploaded. */
  bytes: number
  /** Batches of the run still running at the provider. */
  running: number
  /** Requests an expired, cancelled or failed batch never ran (no result yet). */
  unfinished: number
}

export interface RunOutcome {
  kind: 'run'
  run_id: string
  status: RunStatus
  paced_to: number | null
  arms: ArmSummary[]
  alarms: ErrorAlarm[]
  gate: RunGatesResult | null
  judge: ScoreRunOutcome['judge']
  /** Arms answered through a Batch API (no latency measured). */
  batch_arms: string[]
  /** Present when the run has batched arms. */
  batches: BatchSummary | null
  /** The command that continues the run, when it is not complete. */
  next: string | null
  exit_code: number
}

export interface ProgressView {
  update(done: number, total: number, errors: number): void
  stop(): void
}

export interface BatchProgressView {
  update(p: BatchProgress): void
  stop(): void
}

export interface RunIO {
  note(line: string): void
  /** Progress of live calls; `stop` ends the display. */
  progress(): ProgressView
  /** Progress of a wait for batches. */
  batchProgress?(): BatchProgressView
  /** How to name the database in the commands printed for the user (e.g. ` --db x.db`). */
  dbHint: string
  /** Where SIGINT and SIGTERM come from (the process; tests pass an emitter). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>
  /** Ends the process at once on a second signal (default process.exit). */
  exit?: (code: number) => void
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

/** Batches of the run whose results are still to be stored. */
export function openBatches(db: DB, runId: string): number {
  return runBatches(db, runId).filter((b) => b.collected_at === null).length
}

/** The run's status from what is left: nothing, batches still out, the budget, or an interruption. */
export function settleStatus(db: DB, run: PlannedRun, overBudget: boolean): RunStatus {
  let status: RunStatus
  if (pendingCount(db, run.runId, liveArms(run.plan)) === 0) status = 'completed'
  else if (openBatches(db, run.runId) > 0) status = 'waiting'
  else if (overBudget) status = 'stopped_max_cost'
  else status = 'interrupted'
  setRunStatus(db, run.runId, status)
  return status
}

export interface FinishInput {
  config: KtConfig
  gates?: readonly string[]
  allowInconclusive?: boolean
  judge?: JudgeOptions | null
  /** What this command spent (for the judge's share of --max-cost). */
  spent: number
  pacedTo: number | null
  /** Ctrl-C or SIGTERM stopped the command. */
  stopped: boolean
  /** --detach: returning with batches out is what was asked. */
  detached: boolean
  batches: BatchSummary | null
}

/** Judges and gates a completed run, says how it ended, and picks the exit status. */
export async function finishRun(db: DB, run: PlannedRun, status: RunStatus, input: FinishInput, io: RunIO): Promise<RunOutcome> {
  const {runId, plan} = run
  const resumeHint = `kt replay --resume ${runId}${io.dbHint}`
  const waitHint = `kt runs wait ${runId}${io.dbHint}`
  const arms = summarizeRun(db, runId)
  const policy = qualityPolicyFrom(input.config) ?? undefined
  // --max-cost covers the judge too: it may spend what the replay left.
  const maxCost = plan.settings.maxCost
  const judge = input.judge && maxCost !== null ? {...input.judge, maxCost: Math.max(0, maxCost - input.spent)} : input.judge ?? undefined
  const completed = status === 'completed'
  const gate = input.gates?.length && completed ? await runGates(db, runId, input.gates, {policy, allowInconclusive: input.allowInconclusive, judge}) : null
  const judged = gate ? gate.judge : judge && completed ? (await scoreRun(db, runId, {policy, judge})).judge : null
  if (judged) for (const line of formatJudgeSummary(judged)) io.note(line)
  for (const w of gate?.model.warnings ?? []) io.note(`warning: ${w}`)
  if (input.pacedTo !== null) {
    io.note(`kt's own call threads were saturated: calls in flight were held as low as ${input.pacedTo} (of --concurrency ${plan.settings.concurrency}) so that waiting on kt is not recorded as upstream latency`)
  }
  const alarms = completed ? errorAlarms(arms, liveArms(plan)) : []
  for (const a of alarms) {
    io.note(`run ${runId}: ${a.arm}: ${a.errors} of ${a.requests} calls failed (${(a.error_rate * 100).toFixed(1)}%)${a.first_error ? `; first error: ${a.first_error}` : ''}`)
  }
  let exit = gate ? gate.exitCode : 0
  if (alarms.length) exit = Math.max(exit, 1)
  let next: string | null = null
  if (status === 'waiting') {
    next = waitHint
    if (input.detached) io.note(`run ${runId}: ${input.batches?.running ?? openBatches(db, runId)} batches are running at the provider (they finish within 24 h); collect the answers with: ${waitHint}`)
    else io.note(`run ${runId}: stopped waiting; the batches keep running at the provider; collect them with: ${waitHint}`)
    exit = input.detached ? 0 : 130
  } else if (status === 'interrupted') {
    next = resumeHint
    if (input.stopped) {
      io.note(`run ${runId} interrupted; resume with: ${resumeHint}`)
      exit = 130
    } else {
      const left = pendingCount(db, runId, liveArms(plan))
      io.note(`run ${runId}: ${left} answer${left === 1 ? '' : 's'} missing (a batch expired, was cancelled or failed before running them); send them again with: ${resumeHint}`)
      exit = 1
    }
  } else if (status === 'stopped_max_cost') {
    next = `${resumeHint} --max-cost USD`
    io.note(`run ${runId} stopped at the --max-cost limit; resume with a higher limit: ${resumeHint} --max-cost USD`)
    exit = 1
  }
  return {kind: 'run', run_id: runId, status, paced_to: input.pacedTo, arms, alarms, gate, judge: judged, batch_arms: batchArms(plan), batches: input.batches, next, exit_code: exit}
}
