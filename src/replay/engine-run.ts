// One execution of a run's live calls (engine.ts lists the tasks and picks the call threads): lanes take the tasks
// in order under the pacer, each call waits for its limits and is retried, and every result is committed the
// moment it completes (results that complete in the same turn of the event loop share one transaction), so a
// killed run resumes exactly where it was.
import {estimateCost, type CallPool, type CallResult, type ProviderClient, type RecordedAnswer, type TargetSpec} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {pendingCount, ResultWriter, setBusyTimeout, setRunStatus, type DB, type PendingItem, type ResultRow, type RunStatus} from '../store/index.js'
import {rng} from '../stats/index.js'
import {KtError, sleep, TokenBucket} from '../util/index.js'
import {ArmClients} from './engine-clients.js'
import {estimateItem, requestBody} from './estimate.js'
import {resultRow} from './result-row.js'
import {createPacer, type Pacer} from './pace.js'
import {batchArms, modelFor, targetFor, type ReplaySettings, type RunPlan} from './plan.js'

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

export interface Task {
  item: PendingItem
  arm: Arm
}

function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test((error as {code?: string}).code ?? '')
}

/** A run-status write that waits out a busy database within the same bound as result writes, instead of failing the run. */
async function writeStatus(db: DB, runId: string, status: RunStatus): Promise<void> {
  const since = Date.now()
  for (;;) {
    try {
      setRunStatus(db, runId, status)
      return
    } catch (error) {
      if (!isBusy(error) || Date.now() - since > busyWaitMs()) throw error
      await sleep(250)
    }
  }
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

/** Sends `tasks` in order and stores their results; `threads` of the outcome is the caller's to add. */
export async function execute(db: DB, runId: string, plan: RunPlan, arms: Arm[], tasks: Task[], opts: ExecuteOptions, pool: CallPool | null): Promise<Omit<ExecuteOutcome, 'threads'>> {
  const clients = new ArmClients(plan, arms, opts.clientFor, pool)
  await clients.ready()
  return new Execution(db, runId, plan, arms, tasks, opts, pool, clients).run()
}

/** The state of one execution: what was taken, done, spent and reserved, and the results not yet saved. */
class Execution {
  private readonly s: ReplaySettings
  private readonly stop: AbortSignal | undefined
  private readonly rps: TokenBucket | null
  private readonly tpm: TokenBucket | null
  private readonly writer: ResultWriter
  private readonly rand: () => number
  private readonly base: number
  private pacer: Pacer | null = null
  private next = 0
  private done = 0
  private errors = 0
  private spent = 0
  private reserved = 0
  private stoppedForCost = false
  private failure: unknown = null
  private readonly unsaved: ResultRow[] = []
  // A busy database (another command writing) does not lose the run: the rows wait and are written again shortly,
  // for up to KT_BUSY_WAIT_MS in all (default 10 minutes).
  private busySince: number | null = null
  private retrying: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly db: DB,
    private readonly runId: string,
    private readonly plan: RunPlan,
    private readonly arms: Arm[],
    private readonly tasks: Task[],
    private readonly opts: ExecuteOptions,
    private readonly pool: CallPool | null,
    private readonly clients: ArmClients,
  ) {
    const s = (this.s = plan.settings)
    this.rps = s.rps ? TokenBucket.perSecond(s.rps) : null
    this.tpm = s.tpm ? TokenBucket.tokensPerMinute(s.tpm) : null
    this.writer = new ResultWriter(db)
    this.rand = rng(s.seed ^ 0x7e7)
    this.base = opts.retryBaseMs ?? 500
    this.stop = opts.stop
  }

  async run(): Promise<Omit<ExecuteOutcome, 'threads'>> {
    const lanes = Math.max(1, Math.min(this.s.concurrency, this.tasks.length))
    const pacer = (this.pacer = pacerFor(lanes, this.pool))
    // A blocked write would stall every call in flight (and their timings): wait briefly, retry asynchronously (save).
    const busyTimeout = setBusyTimeout(this.db, 100)
    try {
      await writeStatus(this.db, this.runId, 'running')
      this.report()
      await Promise.all(Array.from({length: lanes}, () => this.lane()))
    } finally {
      pacer?.stop()
    }
    try {
      await this.flush()
    } finally {
      setBusyTimeout(this.db, busyTimeout)
    }
    if (this.failure !== null) {
      await writeStatus(this.db, this.runId, 'interrupted')
      throw this.failure
    }
    const remaining = pendingCount(this.db, this.runId, this.arms)
    let status: RunStatus = remaining === 0 ? 'completed' : this.stoppedForCost ? 'stopped_max_cost' : 'interrupted'
    // The live arms are done; what is left is in the providers' batches.
    if (status === 'completed' && pendingCount(this.db, this.runId, batchArms(this.plan)) > 0) status = 'waiting'
    await writeStatus(this.db, this.runId, status)
    const pacedTo = pacer && pacer.lowest < lanes ? pacer.lowest : null
    return {status, sent: this.done, errors: this.errors, cost: this.spent, pacedTo}
  }

  private report(): void {
    this.opts.onProgress?.({done: this.done, total: this.tasks.length, errors: this.errors, cost: this.spent})
  }

  /** Nothing more is taken: stopped, over budget, failed, or no task left. */
  private halted(): boolean {
    return this.stop?.aborted || this.stoppedForCost || this.failure !== null || this.next >= this.tasks.length
  }

  /** One of the `--concurrency` lanes: takes the next task until there is none or the run stops. */
  private async lane(): Promise<void> {
    const s = this.s
    for (;;) {
      if (this.halted()) return
      // The place is taken before the task: a task is never held back while a later one goes out.
      const leave = this.pacer ? await this.pacer.acquire() : null
      if (this.halted()) {
        leave?.()
        return
      }
      const task = this.tasks[this.next++]!
      let est = 0
      try {
        // Parsed once, for the cost estimate and the call.
        const body = requestBody(task.item)
        if (s.maxCost !== null) {
          const cost = estimateItem(this.plan, task.arm, task.item, body).cost ?? 0
          if (this.spent + this.reserved + cost > s.maxCost) {
            this.stoppedForCost = true
            return
          }
          this.reserved += est = cost
        }
        await this.runTask(task, body)
      } catch (error) {
        // Not an upstream failure (those are results): stop everyone, keep what is saved, resume later.
        this.failure ??= error
      } finally {
        this.reserved -= est
        leave?.()
      }
    }
  }

  /** Sends one task under its limits, retrying as allowed, and records its result (none when stopped while waiting to retry). */
  private async runTask(task: Task, body: Record<string, unknown>): Promise<void> {
    const {plan, s} = this
    const target = targetFor(plan, task.arm)!
    const limits = this.clients.limitsOf(target.id)
    const model = modelFor(plan, task.arm, task.item)
    const client = this.clients.client(task.arm, model)
    const sendBody = model ? {...body, model} : body
    // The token estimate walks every message: only token budgets need it.
    let tokens = 0
    if (this.tpm || limits.tpm) {
      const e = estimateItem(plan, task.arm, task.item, body)
      tokens = e.input + e.output
    }
    if (this.rps) await this.rps.take(1)
    if (this.tpm) await this.tpm.take(tokens)
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
        const wait = retryWait(result, attempts, this.base, this.rand)
        if (wait === null) {
          result = waitRefused(result)
          break
        }
        // Ctrl-C or SIGTERM ends the wait; the request keeps no result, so a resume sends it again.
        await sleep(wait, this.stop)
        if (this.stop?.aborted) return
      }
    } finally {
      release()
    }
    const price = (usage: CallResult['usage']) => estimateCost(result.response_model ?? model, usage, s.pricing) ?? estimateCost(model, usage, s.pricing)
    this.record(resultRow({runId: this.runId, item: task.item, arm: task.arm, targetId: target.id, model, result, attempts, calls, timeoutMs, price}))
  }

  /** Counts a result and queues it for saving. */
  private record(row: ResultRow): void {
    const cost = row.cost_usd
    // Committed before this turn of the event loop ends, together with the other results that completed in it.
    if (this.unsaved.push(row) === 1) queueMicrotask(this.save)
    this.done++
    if (row.status !== 'ok') this.errors++
    this.spent += cost ?? 0
    this.report()
  }

  /** Writes the rows not yet saved in one transaction. An arrow: it is handed to queueMicrotask and setTimeout. */
  private readonly save = (): void => {
    const rows = this.unsaved.splice(0)
    if (rows.length === 0) return
    try {
      this.writer.writeMany(rows)
      this.busySince = null
    } catch (error) {
      if (isBusy(error) && (this.busySince ??= Date.now()) + busyWaitMs() > Date.now()) {
        this.unsaved.unshift(...rows)
        this.retrying ??= setTimeout(() => {
          this.retrying = null
          this.save()
        }, 250)
        return
      }
      // One by one then, so that one refused row does not take its neighbours with it. A database that refuses
      // (full disk, a lock held too long) stops the run like any other failure; what was not saved is sent again on resume.
      for (const row of rows) {
        try {
          this.writer.write(row)
        } catch (e) {
          this.failure ??= e
        }
      }
    }
  }

  /** Writes what is left, waiting out a busy database within the same bound. */
  private async flush(): Promise<void> {
    for (;;) {
      if (this.retrying) clearTimeout(this.retrying)
      this.retrying = null
      this.save()
      if (this.unsaved.length === 0 || this.failure !== null) return
      await sleep(250)
    }
  }
}
