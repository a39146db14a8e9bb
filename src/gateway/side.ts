// The request path's handle on the side thread (side-worker.ts): shadow orders and finished exchanges are batched per
// event-loop turn and posted in the order they happened; a bound on exchanges not yet processed keeps memory flat when the store cannot keep up (past it they are
// dropped and counted, never queued without limit); flush and close wait for the thread, each with a deadline.
import {Worker} from 'node:worker_threads'
import type {KtConfig} from '../config/index.js'
import type {AccessRecord, Exchange, ShadowStart, SideConfig} from './exchange.js'
import type {LineCounts, LineLogLevel} from './line-sinks.js'
import type {ShadowCounts} from './mirror.js'
import type {SideIn, SideInit, SideItem, SideOut} from './side-worker.js'
import type {SpendTotals} from './spend.js'
import type {OtlpCounts} from './telemetry.js'

/** About 2–3 KB each: the bound keeps a store that cannot keep up to a few tens of MB. */
export const DEFAULT_MAX_PENDING_EVENTS = 10_000

/** What the side thread starts with (SideInit: its config, the plan's config, OTLP settings), and this side's own. */
export interface SideOptions extends Omit<SideInit, 'otlp'> {
  /** The environment the side thread reads keys from. */
  env: NodeJS.ProcessEnv
  maxPending?: number
  /** The OTLP exporter's settings, or null without telemetry.otlp. */
  otlp?: SideInit['otlp']
  onQuality?: (key: string, overall: number) => void
  /** The spend totals (with a day or month budget): on start, then with progress (batched, never per request). */
  onSpend?: (totals: SpendTotals | null) => void
  onLog?: (level: LineLogLevel, line: string) => void
}

export class SideThread {
  private readonly queue: SideItem[] = []
  /** Exchanges among the queued items. */
  private queuedExchanges = 0
  shadows: ShadowCounts = {sent: {}, dropped: {}, failed: {}, inFlight: 0}
  /** The exporter's counts as the side thread last reported them; null without telemetry.otlp. */
  otlp: OtlpCounts | null = null
  /** The audit-logger and log policies' lines written and dropped, by policy, as the side thread last reported them. */
  lines: LineCounts = {written: {}, dropped: {}}
  private scheduled = false
  private posted = 0
  processed = 0
  written = 0
  failed = 0
  dropped = 0
  private dead = false
  private flushId = 0
  private readonly flushWaiters = new Map<number, () => void>()
  private closeWaiter: (() => void) | null = null
  private readonly maxPending: number

  private constructor(
    private readonly worker: Worker,
    private readonly opts: SideOptions,
  ) {
    this.maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING_EVENTS
  }

  /** Starts the thread; resolves once it has opened (and migrated) the database. */
  static start(opts: SideOptions): Promise<SideThread> {
    const init: SideInit = {dbPath: opts.dbPath, config: opts.config, kt: opts.kt, generation: opts.generation, maxShadows: opts.maxShadows, shadowTimeoutMs: opts.shadowTimeoutMs, otlp: opts.otlp ?? null}
    const worker = new Worker(new URL('./side-worker.js', import.meta.url), {workerData: init, env: {...opts.env}})
    const side = new SideThread(worker, opts)
    return new Promise((resolve, reject) => {
      const onFirst = (m: SideOut) => {
        if (m.type === 'ready') {
          opts.onSpend?.(m.spend)
          worker.on('message', (x: SideOut) => side.receive(x))
          resolve(side)
        } else if (m.type === 'failed') reject(new Error(m.message))
        else return
        worker.off('message', onFirst)
      }
      worker.on('message', onFirst)
      worker.once('error', (err) => {
        side.dead = true
        reject(err)
        opts.onLog?.('ERROR', `event thread failed: ${err.message}; events are no longer written`)
      })
      worker.once('exit', () => {
        side.dead = true
        side.closeWaiter?.()
        for (const w of side.flushWaiters.values()) w()
        side.flushWaiters.clear()
      })
    })
  }

  private receive(m: SideOut): void {
    switch (m.type) {
      case 'progress':
        this.processed = m.processed
        this.written = m.written
        this.failed = m.failed
        this.shadows = m.shadows
        this.otlp = m.otlp
        this.lines = m.lines
        this.opts.onSpend?.(m.spend)
        break
      case 'quality':
        for (const u of m.updates) this.opts.onQuality?.(u.key, u.overall)
        break
      case 'log':
        this.opts.onLog?.(m.level, m.line)
        break
      case 'flushed':
        this.flushWaiters.get(m.id)?.()
        this.flushWaiters.delete(m.id)
        break
      case 'closed':
        this.closeWaiter?.()
        break
      default:
        break
    }
  }

  /** Exchanges handed over but not yet turned into events. */
  get pending(): number {
    return this.posted + this.queuedExchanges - this.processed
  }

  /** A request's shadows, as it starts: the side thread sends them beside the primary. */
  startShadows(start: ShadowStart): void {
    if (this.dead) return
    this.enqueue({shadows: start})
  }

  /** A read of /v1/events, for the audit-logger policies with log_all_access (a few hundred bytes; the side thread bounds the lines). */
  access(a: AccessRecord): void {
    if (!this.dead) this.enqueue({access: a})
  }

  submit(ex: Exchange): void {
    if (this.dead || this.pending >= this.maxPending) {
      this.dropped++
      return
    }
    this.queuedExchanges++
    this.enqueue({exchange: ex})
  }

  private enqueue(item: SideItem): void {
    this.queue.push(item)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.post())
    }
  }

  private post(): void {
    this.scheduled = false
    if (this.queue.length === 0 || this.dead) return
    const items = this.queue.splice(0)
    this.posted += this.queuedExchanges
    this.queuedExchanges = 0
    this.send({type: 'batch', items})
  }

  private send(m: SideIn): void {
    if (!this.dead) this.worker.postMessage(m)
  }

  setConfig(config: SideConfig, kt: KtConfig, generation: number): void {
    this.post()
    this.send({type: 'config', config, kt, generation})
  }

  /**
   * Writes everything handed over so far. Shadows still in flight get until `shadowDeadlineMs`, then are cut (and
   * recorded as timed out); false when the whole flush did not finish within `timeoutMs`.
   */
  flush(shadowDeadlineMs: number, timeoutMs: number): Promise<boolean> {
    this.post()
    if (this.dead) return Promise.resolve(false)
    const id = ++this.flushId
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.flushWaiters.delete(id)
        resolve(false)
      }, timeoutMs)
      this.flushWaiters.set(id, () => {
        clearTimeout(t)
        resolve(true)
      })
      this.send({type: 'flush', id, shadowDeadlineMs})
    })
  }

  /** Flushes, closes the database and ends the thread (terminated if it does not finish within the deadline). */
  async close(timeoutMs: number): Promise<void> {
    this.post()
    if (this.dead) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs)
      this.closeWaiter = () => {
        clearTimeout(t)
        resolve()
      }
      this.send({type: 'close'})
    })
    await this.worker.terminate()
  }
}
