// The side path's thread: turns exchanges into events (parsing, scoring, comparison) and writes them to the store in
// batched transactions, so neither parsing nor SQLite ever holds up the thread that answers callers.
// Messages in: exchanges, config, flush, close. Out: ready, progress (counts), quality (scores), log lines.
import {parentPort, workerData} from 'node:worker_threads'
import {recordToValues} from '../records/index.js'
import {EventWriter, inTransaction, openDb, type DB} from '../store/index.js'
import {buildEvents} from './events.js'
import type {Exchange, SideConfig} from './exchange.js'

export type SideIn =
  | {type: 'exchanges'; list: Exchange[]}
  | {type: 'config'; config: SideConfig}
  | {type: 'flush'; id: number}
  | {type: 'close'}

export type SideOut =
  | {type: 'ready'}
  | {type: 'failed'; message: string}
  | {type: 'progress'; processed: number; written: number; failed: number}
  | {type: 'quality'; updates: {key: string; overall: number}[]}
  | {type: 'log'; level: 'WARN' | 'ERROR'; line: string}
  | {type: 'flushed'; id: number}
  | {type: 'closed'}

/** Rows per transaction, and how long a partial batch may wait (fewer, larger commits cost less per row). */
const BATCH_ROWS = 512
const FLUSH_MS = 100

const port = parentPort!
const post = (m: SideOut) => port.postMessage(m)
const init = workerData as {dbPath: string; config: SideConfig}

let config = init.config
let db: DB
try {
  db = openDb(init.dbPath)
} catch (err) {
  post({type: 'failed', message: (err as Error).message})
  process.exit(1)
}
const writer = new EventWriter(db)
let rows: unknown[][] = []
let quality: {key: string; overall: number}[] = []
let processed = 0
let written = 0
let failed = 0
let timer: NodeJS.Timeout | null = null

function flush(): void {
  if (timer) clearTimeout(timer)
  timer = null
  if (rows.length) {
    const batch = rows
    rows = []
    try {
      inTransaction(db, () => {
        for (const values of batch) if (writer.writeValues(values)) written++
      })
    } catch (err) {
      failed += batch.length
      post({type: 'log', level: 'ERROR', line: `cannot write ${batch.length} event(s): ${(err as Error).message}`})
    }
  }
  post({type: 'progress', processed, written, failed})
  if (quality.length) {
    post({type: 'quality', updates: quality})
    quality = []
  }
}

function take(list: Exchange[]): void {
  for (const ex of list) {
    processed++
    try {
      const built = buildEvents(ex, config)
      for (const {record, requestHash} of built.records) rows.push(recordToValues(record, {dataset: 'gateway', kind: 'request', request_hash: requestHash}))
      quality.push(...built.quality)
      for (const line of built.escalations) post({type: 'log', level: 'WARN', line})
    } catch (err) {
      failed++
      post({type: 'log', level: 'ERROR', line: `event ${ex.id} could not be built: ${(err as Error).message}`})
    }
  }
  if (rows.length >= BATCH_ROWS) flush()
  else timer ??= setTimeout(flush, FLUSH_MS)
}

port.on('message', (m: SideIn) => {
  switch (m.type) {
    case 'exchanges':
      take(m.list)
      break
    case 'config':
      config = m.config
      break
    case 'flush':
      flush()
      post({type: 'flushed', id: m.id})
      break
    case 'close':
      flush()
      db.close()
      post({type: 'closed'})
      port.close()
      break
  }
})

post({type: 'ready'})
