// Worker thread of a CallPool (pool.ts): holds real provider clients (official SDKs on its own keep-alive sockets)
// and runs the calls it is sent. The main thread keeps scheduling, limits, retries and the database.
import {parentPort} from 'node:worker_threads'
import {KtError} from '../util/index.js'
import {createClient, keyEnvFor} from './client.js'
import type {CallResult, ProviderClient, TargetSpec} from './types.js'

/** What the pool sends. A target is sent once per worker, before its first call. */
export type ToWorker =
  | {t: 'target'; key: number; target: TargetSpec}
  | {t: 'call'; id: number; key: number; api: string; body: Record<string, unknown>; stream?: boolean; timeoutMs?: number; abortable: boolean}
  | {t: 'abort'; id: number}

/**
 * What the worker sends back: a result as `[id, CallResult JSON without response.raw, response.raw JSON or null]`
 * (strings cross threads as one copy; a structured clone of the same object costs several times more), or why the
 * call could not be made (a kt bug or a bad target).
 */
export type Finished = [id: number, result: string, raw: string | null] | {t: 'error'; id: number; kt: boolean; message: string; stack?: string}

/** Finished calls go back in batches, one message per turn of the worker's event loop (each message has a fixed cost). */
export type FromWorker = Finished[]

function resultMessage(id: number, r: CallResult): Finished {
  if (!r.response?.raw) return [id, JSON.stringify(r), null]
  return [id, JSON.stringify({...r, response: {...r.response, raw: null}}), JSON.stringify(r.response.raw)]
}

function main(): void {
  const port = parentPort
  if (!port) throw new Error('pool-worker.js runs only as a worker thread')
  const targets = new Map<number, TargetSpec>()
  const clients = new Map<string, ProviderClient>()
  const aborts = new Map<number, AbortController>()
  let batch: Finished[] = []
  const flush = () => {
    port.postMessage(batch satisfies FromWorker)
    batch = []
  }
  const post = (m: Finished) => {
    if (batch.length === 0) setImmediate(flush)
    batch.push(m)
  }

  const run = async (m: Extract<ToWorker, {t: 'call'}>): Promise<void> => {
    let controller: AbortController | undefined
    try {
      const target = targets.get(m.key)
      if (!target) throw new Error(`call pool: no target ${m.key} in this worker`)
      // A client holds the key it was made with: a changed environment variable makes a new one.
      const keyEnv = keyEnvFor(target)
      const cacheKey = `${m.key}\u0000${keyEnv ? process.env[keyEnv] ?? '' : ''}`
      let client = clients.get(cacheKey)
      if (!client) {
        client = createClient(target)
        clients.set(cacheKey, client)
      }
      // A signal only when the caller has one: each costs listeners in the SDK and the transport.
      if (m.abortable) {
        controller = new AbortController()
        aborts.set(m.id, controller)
      }
      const result = await client.call({api: m.api, body: m.body, stream: m.stream}, {signal: controller?.signal, timeoutMs: m.timeoutMs})
      post(resultMessage(m.id, result))
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error))
      post({t: 'error', id: m.id, kt: error instanceof KtError, message: e.message, stack: e.stack})
    } finally {
      if (controller) aborts.delete(m.id)
    }
  }

  // Each call is its own message: batching them made the worker run many SDK preparations in a row while
  // answers waited, which showed up as recorded latency (bench/replay.ts).
  port.on('message', (m: ToWorker) => {
    if (m.t === 'call') void run(m)
    else if (m.t === 'target') targets.set(m.key, m.target)
    else aborts.get(m.id)?.abort()
  })
}

main()
