// The replay engine: sends each request of a run to the arms that still have no result, under a hard in-flight cap, per-target caps and token-bucket rate limits, with retries.
// Every result is committed the moment it completes (results that complete in the same turn of the event loop
// share one transaction), so a killed run resumes exactly where it was.
import {availableParallelism} from 'node:os'
import {createBatchApi, createClient, estimateCost, poolWorkerUrl, sharedCallPool, type CallPool, type CallResult, type ProviderClient, type RecordedAnswer, type TargetSpec} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {pendingCount, pendingWork, ResultWriter, setBusyTimeout, setRunStatus, type DB, type PendingItem, type ResultRow, type RunStatus} from '../store/index.js'
import {rng} from '../stats/index.js'
import {KtError, Semaphore, sleep, TokenBucket} from '../util/index.js'
import {estimateItem, requestBody} from './estimate.js'
import {resultRow} from './result-row.js'
import {createPacer, type Pacer} from './pace.js'
import {batchArms, liveArms, modelFor, targetFor, viaOf, type PlannedRun, type RunPlan} from './plan.js'

export interface ExecuteOptions {
  /** Aborting stops dispatching; calls in flight finish and are saved. */
  stop?: AbortSignal
  onProgress?: (p: {done: number; total: number; errors: number; cost: number}) => void
  /** Base of the exponential backoff between retries (tests shorten it). */
  retryBaseMs?: number
  /** Client factory (defaults to the real provider clients). */
  clientFor?: (target: TargetSpec) => ProviderClient
}

export interface ExecuteOutcome {
  status: RunStatus
  sent: number
  errors: number
  cost: number
  /** Worker threads that made the calls (0: this thread). */
  threads: number
  /**
   * The fewest calls let in flight while kt's own call threads were saturated (pace.ts); null when the run
   * was never held below its concurrency.
   */
  pacedTo: number | null
}

interface Task {
  item: PendingItem
  arm: Arm
}

function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test((error as {code?: string}).code ?? '')
}

/** How long a replay waits for a busy database before giving up on a write: KT_BUSY_WAIT_MS, default 10 minutes. */
function busyWaitMs(): number {
  const set = Number(process.env.KT_BUSY_WAIT_MS)
  return Number.isFinite(set) && set >= 0 ? set : 600_000
}

/** The longest wait kt honours between attempts: KT_MAX_RETRY_WAIT_MS, default 60 s. */
export function maxRetryWaitMs(): number {
  const set = Number(process.env.KT_MAX_RETRY_WAIT_MS)
  return Number.isFinite(set) && set >= 0 ? set : 60_000
}

/**
 * How long to wait before the next attempt: the server's Retry-After when it gave one, else exponential backoff
 * with jitter. Null when the server asks for longer than kt waits: the request then fails, saying what was asked,
 * instead of hanging the run (or, past setTimeout's range, retrying at once in a storm).
 */
function retryWait(result: CallResult, attempts: number, base: number, rand: () => number): number | null {
  const asked = result.retry_after_ms
  if (asked === null) return backoffMs(attempts, base, rand)
  return asked <= maxRetryWaitMs() ? asked : null
}

function waitRefused(result: CallResult): CallResult {
  const asked = result.retry_after_ms!
  const secs = asked >= 1e12 ? 'a very long time' : `${Math.round(asked / 1000)} s`
  const why = `the server asked to retry after ${secs}, longer than kt waits (${Math.round(maxRetryWaitMs() / 1000)} s; KT_MAX_RETRY_WAIT_MS)`
  const message = result.error?.message ? `${result.error.message}; ${why}` : why
  return {...result, retryable: false, error: {type: result.error?.type ?? 'retry_after_too_long', code: result.error?.code ?? null, message}}
}

/** The logged answer of a pending item, when it was read and there is one. */
function recordedAnswer(item: PendingItem): RecordedAnswer | null {
  if (item.response_text == null && item.response_json == null) return null
  return {api: item.api, text: item.response_text ?? null, finish_reason: item.finish_reason ?? null, response_json: item.response_json ?? null}
}

function backoffMs(attempt: number, base: number, rand: () => number): number {
  // Full jitter (AWS architecture blog): spreads retries of many workers apart.
  const cap = Math.min(30_000, base * 2 ** (attempt - 1))
  return Math.round(cap / 2 + (rand() * cap) / 2)
}

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

/** Utilisation of this thread's event loop since the last call, for pacing calls made here. */
function threadUtilization(): () => number {
  let last = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const u = performance.eventLoopUtilization(now, last).utilization
    last = now
    return u
  }
}

/** A pacer for the threads that make the calls, or null with KT_REPLAY_PACE=0 (then --concurrency alone caps). */
function pacerFor(concurrency: number, pool: CallPool | null): Pacer | null {
  const set = process.env.KT_REPLAY_PACE
  if (set !== undefined && set !== '' && set !== '0' && set !== '1') throw new KtError(`KT_REPLAY_PACE must be 0 or 1, got "${set}"`)
  if (set === '0') return null
  return createPacer(concurrency, pool ? () => pool.utilization() : threadUtilization())
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

async function execute(db: DB, runId: string, plan: RunPlan, arms: Arm[], tasks: Task[], opts: ExecuteOptions, pool: CallPool | null): Promise<Omit<ExecuteOutcome, 'threads'>> {
  const s = plan.settings
  const total = tasks.length
  const makeClient = opts.clientFor ?? (pool ? (t: TargetSpec) => (t.provider === 'simulated' ? createClient(t) : pool.client(t)) : createClient)
  // One client per (arm, model): --model-map can send one arm's requests to several models.
  const clients = new Map<string, ProviderClient>()
  const clientFor = (arm: Arm, model: string): ProviderClient => {
    const key = `${arm}\u0000${model}`
    let c = clients.get(key)
    if (!c) {
      const target = targetFor(plan, arm)!
      // A simulated primary's A/A arm gets its own seed: real models are nondeterministic, the simulation must be too.
      const sim = target.provider === 'simulated' && arm === 'primary_aa'
      c = makeClient({...target, ...(model ? {model} : {}), ...(sim ? {simulation: {...target.simulation, seed: (target.simulation?.seed ?? 0) + 7919}} : {})})
      clients.set(key, c)
    }
    return c
  }
  const targetLimits = new Map<string, {sem: Semaphore | null; rpm: TokenBucket | null; tpm: TokenBucket | null}>()
  for (const arm of arms) {
    const target = targetFor(plan, arm)!
    // Created before anything is sent, so a missing API key fails the run up front.
    clientFor(arm, target.model ?? '')
    if (!targetLimits.has(target.id)) {
      targetLimits.set(target.id, {
        sem: target.max_concurrency ? new Semaphore(target.max_concurrency) : null,
        rpm: target.rpm ? TokenBucket.perMinute(target.rpm) : null,
        tpm: target.tpm ? TokenBucket.tokensPerMinute(target.tpm) : null,
      })
    }
  }
  // A target's SDK is loaded and its client built before anything is sent: a configuration error fails the run here.
  await Promise.all([...clients.values()].map((c) => c.ready?.()))
  const rps = s.rps ? TokenBucket.perSecond(s.rps) : null
  const tpm = s.tpm ? TokenBucket.tokensPerMinute(s.tpm) : null
  const writer = new ResultWriter(db)
  const rand = rng(s.seed ^ 0x7e7)
  const base = opts.retryBaseMs ?? 500

  let next = 0
  let done = 0
  let errors = 0
  let spent = 0
  let reserved = 0
  let stoppedForCost = false
  let failure: unknown = null
  const stop = opts.stop
  const report = () => opts.onProgress?.({done, total, errors, cost: spent})
  const unsaved: ResultRow[] = []
  // A busy database (another command writing) does not lose the run: the rows wait and are written again shortly,
  // for up to KT_BUSY_WAIT_MS in all (default 10 minutes).
  let busySince: number | null = null
  let retrying: ReturnType<typeof setTimeout> | null = null
  const save = () => {
    const rows = unsaved.splice(0)
    if (rows.length === 0) return
    try {
      writer.writeMany(rows)
      busySince = null
    } catch (error) {
      if (isBusy(error) && (busySince ??= Date.now()) + busyWaitMs() > Date.now()) {
        unsaved.unshift(...rows)
        retrying ??= setTimeout(() => {
          retrying = null
          save()
        }, 250)
        return
      }
      // One by one then, so that one refused row does not take its neighbours with it. A database that refuses
      // (full disk, a lock held too long) stops the run like any other failure; what was not saved is sent again on resume.
      for (const row of rows) {
        try {
          writer.write(row)
        } catch (e) {
          failure ??= e
        }
      }
    }
  }
  /** Writes what is left, waiting out a busy database within the same bound. */
  const flush = async () => {
    for (;;) {
      if (retrying) clearTimeout(retrying)
      retrying = null
      save()
      if (unsaved.length === 0 || failure !== null) return
      await sleep(250)
    }
  }

  const runTask = async (task: Task, body: Record<string, unknown>): Promise<void> => {
    const target = targetFor(plan, task.arm)!
    const limits = targetLimits.get(target.id)!
    const model = modelFor(plan, task.arm, task.item)
    const client = clientFor(task.arm, model)
    const sendBody = model ? {...body, model} : body
    // The token estimate walks every message: only token budgets need it.
    let tokens = 0
    if (tpm || limits.tpm) {
      const e = estimateItem(plan, task.arm, task.item, body)
      tokens = e.input + e.output
    }
    if (rps) await rps.take(1)
    if (tpm) await tpm.take(tokens)
    if (limits.rpm) await limits.rpm.take(1)
    if (limits.tpm) await limits.tpm.take(tokens)
    const release = limits.sem ? await limits.sem.acquire() : () => undefined
    let result: CallResult
    let attempts = 0
    // Every call is kept (latency and status), so a timeout that a retry recovered still counts in latency.
    const calls: {latency_ms: number; status: string; http_status: number | null}[] = []
    const timeoutMs = target.timeout_ms ?? s.timeoutMs
    try {
      for (;;) {
        attempts++
        result = await client.call({api: task.item.api, body: sendBody, ...(target.provider === 'simulated' && plan.primary === 'recorded' ? {recorded: recordedAnswer(task.item)} : {})}, {timeoutMs})
        calls.push({latency_ms: result.latency_ms, status: result.status, http_status: result.http_status})
        if (result.status === 'ok' || !result.retryable || attempts > s.retries) break
        const wait = retryWait(result, attempts, base, rand)
        if (wait === null) {
          result = waitRefused(result)
          break
        }
        // Ctrl-C or SIGTERM ends the wait; the request keeps no result, so a resume sends it again.
        await sleep(wait, stop)
        if (stop?.aborted) return
      }
    } finally {
      release()
    }
    const price = (usage: CallResult['usage']) => estimateCost(result.response_model ?? model, usage, s.pricing) ?? estimateCost(model, usage, s.pricing)
    const row = resultRow({runId, item: task.item, arm: task.arm, targetId: target.id, model, result, attempts, calls, timeoutMs, price})
    const cost = row.cost_usd
    // Committed before this turn of the event loop ends, together with the other results that completed in it.
    if (unsaved.push(row) === 1) queueMicrotask(save)
    done++
    if (row.status !== 'ok') errors++
    spent += cost ?? 0
    report()
  }

  const worker = async (): Promise<void> => {
    for (;;) {
      if (stop?.aborted || stoppedForCost || failure !== null || next >= tasks.length) return
      // The place is taken before the task: a task is never held back while a later one goes out.
      const leave = pacer ? await pacer.acquire() : null
      if (stop?.aborted || stoppedForCost || failure !== null || next >= tasks.length) {
        leave?.()
        return
      }
      const task = tasks[next++]!
      let est = 0
      try {
        // Parsed once, for the cost estimate and the call.
        const body = requestBody(task.item)
        if (s.maxCost !== null) {
          const cost = estimateItem(plan, task.arm, task.item, body).cost ?? 0
          if (spent + reserved + cost > s.maxCost) {
            stoppedForCost = true
            return
          }
          reserved += est = cost
        }
        await runTask(task, body)
      } catch (error) {
        // Not an upstream failure (those are results): stop everyone, keep what is saved, resume later.
        failure ??= error
      } finally {
        reserved -= est
        leave?.()
      }
    }
  }

  const lanes = Math.max(1, Math.min(s.concurrency, tasks.length))
  const pacer = pacerFor(lanes, pool)
  // A blocked write would stall every call in flight (and their timings): wait briefly, retry asynchronously (save).
  const busyTimeout = setBusyTimeout(db, 100)
  try {
    setRunStatus(db, runId, 'running')
    report()
    await Promise.all(Array.from({length: lanes}, () => worker()))
  } finally {
    pacer?.stop()
  }
  try {
    await flush()
  } finally {
    setBusyTimeout(db, busyTimeout)
  }
  if (failure !== null) {
    setRunStatus(db, runId, 'interrupted')
    throw failure
  }
  const remaining = pendingCount(db, runId, arms)
  let status: RunStatus = remaining === 0 ? 'completed' : stoppedForCost ? 'stopped_max_cost' : 'interrupted'
  // The live arms are done; what is left is in the providers' batches.
  if (status === 'completed' && pendingCount(db, runId, batchArms(plan)) > 0) status = 'waiting'
  setRunStatus(db, runId, status)
  const pacedTo = pacer && pacer.lowest < lanes ? pacer.lowest : null
  return {status, sent: done, errors, cost: spent, pacedTo}
}
