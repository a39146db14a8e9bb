// The replay engine: sends each request of a run to the arms that still have no result, under a hard in-flight cap, per-target caps and token-bucket rate limits, with retries.
// Here: which tasks a run still needs and which threads make the calls; engine-run.ts sends them and saves the
// results, engine-clients.ts holds the clients and per-target limits.
import {availableParallelism} from 'node:os'
import {createBatchApi, createClient, poolWorkerUrl, sharedCallPool, type ProviderClient, type TargetSpec} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {pendingWork, setRunStatus, type DB} from '../store/index.js'
import {KtError} from '../util/index.js'
import {execute, type ExecuteOptions, type ExecuteOutcome, type Task} from './engine-run.js'
import {liveArms, targetFor, viaOf, type PlannedRun, type RunPlan} from './plan.js'

export type {ExecuteOptions, ExecuteOutcome} from './engine-run.js'

/**
 * Builds a client for every live arm's target and loads its SDK: a missing key or a bad target fails here,
 * before a run is created or anything is sent.
 */
export async function checkTargets(plan: RunPlan, clientFor: (t: TargetSpec) => ProviderClient = createClient): Promise<void> {
  await Promise.all(liveArms(plan).map((arm) => (viaOf(plan, arm) === 'batch' ? createBatchApi(targetFor(plan, arm)!).ready() : clientFor(targetFor(plan, arm)!).ready?.())))
}

/** Sends what the run still lacks, as its plan says; the plan is the one the run was created or resumed with. */
export async function executeRun(db: DB, run: PlannedRun, opts: ExecuteOptions = {}): Promise<ExecuteOutcome> {
  const plan = run.plan
  // Arms sent through a Batch API are submitted and collected by batch-submit.ts and batch-collect.ts.
  const arms = liveArms(plan).filter((a) => viaOf(plan, a) === 'live')
  // Compared with the recorded answers, a simulated target is handed each request's logged answer (a faithful one
  // answers like it); between two live arms a simulation stands on its own.
  const recorded = plan.primary === 'recorded' && arms.some((a) => targetFor(plan, a)!.provider === 'simulated')
  const work = pendingWork(db, run.runId, arms, {recorded})
  const tasks: Task[] = []
  for (const {item, arms: need} of work) {
    // Alternate which arm goes first so neither gets a systematic head start (time-of-day, warm caches).
    const ordered = item.seq % 2 === 0 ? need : [...need].sort((a, b) => (a === 'candidate' ? -1 : b === 'candidate' ? 1 : 0))
    for (const arm of ordered) tasks.push({item, arm})
  }
  const total = tasks.length
  try {
    const threads = opts.clientFor ? 0 : callThreads(plan, arms, plan.settings.concurrency, total)
    const out = await execute(db, run.runId, plan, arms, tasks, opts, threads > 0 ? sharedCallPool(threads) : null)
    return {...out, threads}
  } catch (error) {
    // Whatever stopped it (a missing key, a bad target or setting, a refused result), the run is not running any
    // more: it is left interrupted, to resume once that is fixed. A failing database keeps its own error.
    try {
      setRunStatus(db, run.runId, 'interrupted')
    } catch {
      // the original error says more
    }
    throw error
  }
}

/** Below this concurrency one thread keeps up with its calls (bench/replay.ts: kt/bare >= 0.97 at 16). */
const POOL_MIN_CONCURRENCY = 32
const POOL_MAX_THREADS = 4

/**
 * How many worker threads make the calls: none (this thread) unless the run is large and highly concurrent with
 * a live SDK target on a machine with 2+ cores, then one per core up to POOL_MAX_THREADS.
 * KT_REPLAY_THREADS=N sets it (0: this thread).
 */
export function callThreads(plan: RunPlan, arms: Arm[], concurrency: number, calls: number): number {
  if (!poolWorkerUrl()) return 0
  const live = arms.some((a) => targetFor(plan, a)!.provider !== 'simulated')
  const set = process.env.KT_REPLAY_THREADS
  if (set !== undefined && set !== '') {
    const n = Number(set)
    if (!Number.isInteger(n) || n < 0) throw new KtError(`KT_REPLAY_THREADS must be a whole number >= 0, got "${set}"`)
    return live ? n : 0
  }
  const cores = availableParallelism()
  // One worker on one core only adds the cost of messages; more workers than cores only add contention.
  if (!live || cores < 2 || concurrency < POOL_MIN_CONCURRENCY || calls < 2 * concurrency) return 0
  return Math.min(POOL_MAX_THREADS, cores)
}
