// Where an import's records come from: the producer (read, parse, build rows) in this thread for small inputs,
// or in a worker thread for large ones so that parsing and storing overlap on two cores. Both paths yield the
// same messages, so counts, reasons, errors and stored rows are the same either way.
import {existsSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {KtError} from '../../util/index.js'
import {ImportProducer, type ProducerMessage, type ProducerOptions} from './producer.js'
import type {FromWorker, ToWorker, WorkerInput} from './worker.js'

/** Below this many bytes of input the producer runs in this thread (KT_IMPORT_WORKER=1/0 forces either way). */
const WORKER_MIN_BYTES = 8 * 1024 * 1024

/** The producer's messages, from this thread or a worker, and how to tell it to give up on a file. */
export interface Source {
  messages: AsyncGenerator<ProducerMessage>
  cancel(index: number): void
  close(): Promise<void>
}

function inputBytes(files: string[]): number {
  let total = 0
  for (const f of files) {
    try {
      total += statSync(f).size
    } catch {
      // Missing or unreadable: the producer reports it.
    }
  }
  return total
}

function workerUrl(): URL | null {
  const url = new URL('./worker.js', import.meta.url)
  // Only the compiled tree has the worker next to this module.
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null
}

export function useWorker(files: string[]): URL | null {
  const setting = process.env.KT_IMPORT_WORKER
  // stdin belongs to this thread: a worker would not see it.
  if (setting === '0' || files.length === 0 || files.some((f) => f === '-' || f === '/dev/stdin' || f === '/dev/fd/0' || f === '/proc/self/fd/0')) return null
  const url = workerUrl()
  if (!url) return null
  return setting === '1' || inputBytes(files) >= WORKER_MIN_BYTES ? url : null
}

export function inThread(files: string[], opts: ProducerOptions): Source {
  const producer = new ImportProducer(opts)
  return {messages: producer.run(files), cancel: (i) => producer.cancel(i), close: async () => {}}
}

export function inWorker(url: URL, files: string[], opts: ProducerOptions): Source {
  const worker = new Worker(url, {workerData: {files, opts} satisfies WorkerInput})
  const send = (m: ToWorker) => worker.postMessage(m)
  const queue: FromWorker[] = []
  let wake: (() => void) | null = null
  let failure: Error | null = null
  worker.on('message', (m: FromWorker) => {
    queue.push(m)
    wake?.()
  })
  worker.on('error', (e: Error) => {
    failure ??= e
    wake?.()
  })
  worker.on('exit', (code) => {
    failure ??= new Error(`import worker exited (code ${code}) before finishing`)
    wake?.()
  })
  async function* messages(): AsyncGenerator<ProducerMessage> {
    for (;;) {
      const m = queue.shift()
      if (m === undefined) {
        if (failure) throw failure
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
        continue
      }
      if (m.t === 'done') return
      if (m.t === 'fatal') {
        const e = m.kt ? new KtError(m.message) : new Error(m.message)
        if (m.stack) e.stack = m.stack
        throw e
      }
      yield m
      send({t: 'ack'})
    }
  }
  return {
    messages: messages(),
    cancel: (index) => send({t: 'cancel', index}),
    close: async () => {
      worker.removeAllListeners('exit')
      await worker.terminate()
    },
  }
}

