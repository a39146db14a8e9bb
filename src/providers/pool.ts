// A pool of worker threads that make provider calls. One thread's event loop saturates at a few thousand SDK
// calls per second (each costs a few tenths of a millisecond of CPU: the SDK, HTTP, parsing), and once it is
// saturated the latency it records includes its own queueing. At high replay concurrency the calls are spread
// over workers; the caller keeps everything else (what to send, limits, retries, storing results).
//
// Clients from `pool.client(target)` are ordinary ProviderClients: their key is checked here, before anything
// is sent, and each worker makes its own SDK client on first use (workers share the process's environment).
import {existsSync} from 'node:fs'
import type {EventLoopUtilization} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {SHARE_ENV, Worker} from 'node:worker_threads'
import {KtError} from '../util/index.js'
import {createClient} from './client.js'
import type {Finished, FromWorker, ToWorker} from './pool-worker.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

interface Pending {
  resolve: (r: CallResult) => void
  reject: (e: Error) => void
  slot: Slot
  signal?: AbortSignal
  onAbort?: () => void
}

interface Slot {
  worker: Worker
  /** The worker's event-loop utilisation when `utilization()` last looked. */
  elu: EventLoopUtilization
  inFlight: number
  /** Target keys this worker has been sent. */
  known: Set<number>
  failed: boolean
}

export interface CallPool {
  readonly size: number
  client(target: TargetSpec): ProviderClient
  /** The workers' mean event-loop utilisation (0..1) since the last time this was asked. */
  utilization(): number
  /** Ends the workers; calls still pending reject. */
  close(): Promise<void>
}

/** The worker script, next to this module in the compiled tree; null when running from sources (no pool then). */
export function poolWorkerUrl(): URL | null {
  const url = new URL('./pool-worker.js', import.meta.url)
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null
}

export function createCallPool(size: number, url: URL | null = poolWorkerUrl()): CallPool {
  if (!url) throw new Error('call pool: pool-worker.js not found next to pool.js')
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`call pool: size must be a positive integer, got ${size}`)
  return new WorkerPool(size, url)
}

class WorkerPool implements CallPool {
  private readonly pending = new Map<number, Pending>()
  private readonly slots: Slot[] = []
  private nextId = 1
  private nextKey = 1
  private readonly keys = new Map<string, number>()
  private closed = false

  constructor(
    readonly size: number,
    url: URL,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.startWorker(url))
  }

  private startWorker(url: URL): Slot {
    // SHARE_ENV: the workers see the process's environment as it is now, not a copy from when they started (the
    // pool outlives a run, and keys are read from the environment when a client is made).
    const worker = new Worker(url, {env: SHARE_ENV})
    const slot: Slot = {worker, elu: worker.performance.eventLoopUtilization(), inFlight: 0, known: new Set(), failed: false}
    worker.on('message', (batch: FromWorker) => {
      for (const m of batch) this.finished(m)
    })
    worker.on('error', (e: Error) => this.failSlot(slot, e))
    worker.on('exit', (code) => {
      if (!this.closed) this.failSlot(slot, new Error(`call pool: a worker exited (code ${code}) with calls in flight`))
    })
    worker.unref()
    return slot
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id)
    if (!p) return undefined
    this.pending.delete(id)
    // Unref'd once idle: idle workers must not keep the process alive (a CLI exits when its work is done).
    if (--p.slot.inFlight === 0) p.slot.worker.unref()
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort)
    return p
  }

  private failSlot(slot: Slot, error: Error): void {
    if (slot.failed) return
    slot.failed = true
    for (const [id, p] of this.pending) if (p.slot === slot) this.settle(id)?.reject(error)
  }

  private finished(m: Finished): void {
    if (Array.isArray(m)) {
      const p = this.settle(m[0])
      if (!p) return
      const result = JSON.parse(m[1]) as CallResult
      // response.raw stays null: the engine stores raw_json as it is (CallResult.raw_json).
      if (m[2] !== null) result.raw_json = m[2]
      p.resolve(result)
      return
    }
    const p = this.settle(m.id)
    if (!p) return
    const e = m.kt ? new KtError(m.message) : new Error(m.message)
    if (m.stack) e.stack = m.stack
    p.reject(e)
  }

  /** The live worker with the fewest calls in flight. */
  private pick(): Slot {
    let best: Slot | null = null
    for (const s of this.slots) if (!s.failed && (best === null || s.inFlight < best.inFlight)) best = s
    if (!best) throw new Error('call pool: every worker has failed')
    return best
  }

  private call(key: number, target: TargetSpec, req: CallRequest, opts: CallOptions): Promise<CallResult> {
    if (this.closed) return Promise.reject(new Error('call pool: closed'))
    return new Promise<CallResult>((resolve, reject) => {
      const slot = this.pick()
      const id = this.nextId++
      if (!slot.known.has(key)) {
        send(slot, {t: 'target', key, target})
        slot.known.add(key)
      }
      const p: Pending = {resolve, reject, slot, signal: opts.signal}
      if (opts.signal) {
        p.onAbort = () => send(slot, {t: 'abort', id})
        opts.signal.addEventListener('abort', p.onAbort, {once: true})
      }
      this.pending.set(id, p)
      slot.inFlight++
      // Ref'd while calls are in flight, so that awaiting a result keeps the process alive.
      if (slot.inFlight === 1) slot.worker.ref()
      send(slot, {t: 'call', id, key, api: req.api, body: req.body, stream: req.stream, timeoutMs: opts.timeoutMs, abortable: opts.signal !== undefined})
      if (opts.signal?.aborted) p.onAbort!()
    })
  }

  client(target: TargetSpec): ProviderClient {
    if (target.provider === 'simulated') throw new Error('call pool: simulated targets run in the calling thread')
    // Made (and dropped) here too, so that a missing key or a bad target fails in the caller's thread before
    // anything is sent, exactly as with createClient.
    const local = createClient(target)
    // The same target keeps its key (and its SDK client in each worker) from run to run.
    const id = JSON.stringify(target)
    let key = this.keys.get(id)
    if (key === undefined) this.keys.set(id, (key = this.nextKey++))
    return {
      target,
      nativeApi: local.nativeApi,
      // The target's SDK client is built here too, once, for its configuration errors (the workers build their own).
      ready: async () => {
        await local.ready?.()
      },
      call: (req, opts = {}) => this.call(key, target, req, opts),
    }
  }

  utilization(): number {
    // The mean: calls are spread evenly (fewest in flight first), so saturation shows in every worker, while
    // one busy worker is a burst.
    let sum = 0
    let n = 0
    for (const s of this.slots) {
      if (s.failed) continue
      const now = s.worker.performance.eventLoopUtilization()
      sum += s.worker.performance.eventLoopUtilization(now, s.elu).utilization
      s.elu = now
      n++
    }
    return n === 0 ? 0 : sum / n
  }

  async close(): Promise<void> {
    this.closed = true
    for (const [id] of this.pending) this.settle(id)?.reject(new Error('call pool: closed'))
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}

function send(slot: Slot, m: ToWorker): void {
  slot.worker.postMessage(m)
}

let shared: CallPool | null = null

/**
 * The process's pool of `size` workers, made on first use and kept (idle workers do not hold the process
 * open): warm threads (compiled code, open keep-alive sockets) for every later run in the same process.
 */
export function sharedCallPool(size: number): CallPool {
  if (shared && shared.size === size) return shared
  void shared?.close()
  shared = createCallPool(size)
  return shared
}
