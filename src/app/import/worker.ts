// Worker thread of a large `kt import`: runs the ImportProducer (reading, parsing, record and row building,
// hashing) and posts its messages to the importer, which only stores rows. At most MAX_IN_FLIGHT messages
// wait unacknowledged, so memory stays flat however far ahead reading could get.
import {parentPort, workerData} from 'node:worker_threads'
import {KtError} from '../../util/index.js'
import {ImportProducer, type ProducerMessage, type ProducerOptions} from './producer.js'

export interface WorkerInput {
  files: string[]
  opts: ProducerOptions
}

/** What the importer sends: a message was handled, or give up on a file. */
export type ToWorker = {t: 'ack'} | {t: 'cancel'; index: number}

/** What the worker sends: the producer's messages, then `done` (or `fatal` for an error outside any file). */
export type FromWorker = ProducerMessage | {t: 'done'} | {t: 'fatal'; kt: boolean; message: string; stack?: string}

const MAX_IN_FLIGHT = 16

async function main(): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('import-worker.js runs only as a worker thread')
  const {files, opts} = workerData as WorkerInput
  const producer = new ImportProducer(opts)
  let inFlight = 0
  let wake: (() => void) | null = null
  port.on('message', (m: ToWorker) => {
    if (m.t === 'ack') {
      inFlight--
      wake?.()
    } else if (m.t === 'cancel') producer.cancel(m.index)
  })
  const post = (m: FromWorker) => port.postMessage(m)
  try {
    for await (const m of producer.run(files)) {
      post(m)
      inFlight++
      while (inFlight >= MAX_IN_FLIGHT) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
      }
    }
    post({t: 'done'})
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    post({t: 'fatal', kt: error instanceof KtError, message: e.message, stack: e.stack})
  }
}

await main()
