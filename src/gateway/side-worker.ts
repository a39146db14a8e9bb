// The side thread: sends the shadows the request path ordered, turns each finished exchange and its shadows into
// events (parsing, scoring, comparison), writes them to the store in batched transactions and, with telemetry.otlp,
// hands them to the OTLP exporter (telemetry.ts), and writes the audit-logger and log policies' lines (line-sinks.ts)
// in the same batches, so that neither shadow calls, parsing, SQLite, span export nor policy lines ever hold up the
// thread that answers callers.
// Messages in: batch (shadow orders, finished exchanges and reads of /v1/events, in the order they happened), config,
// flush, close. Out: ready, progress (counts; spend totals with a cost_limit day or month budget), quality (scores),
// log lines, flushed, closed.
import {parentPort, workerData} from 'node:worker_threads'
import type {KtConfig} from '../config/index.js'
import {recordToValues} from '../records/index.js'
import {EventWriter, gatewaySpend, inTransaction, openDb, type DB} from '../store/index.js'
import {buildEvents} from './events.js'
import type {AccessRecord, Exchange, ShadowRecord, ShadowStart, SideConfig} from './exchange.js'
import {PolicyLines, type LineCounts, type LineLogLevel} from './line-sinks.js'
import {Mirror, type ShadowCounts} from './mirror.js'
import {buildPlan, type Plan} from './plan.js'
import {SPEND_REREAD_MS, SpendTracker, type SpendTotals} from './spend.js'
import {OtlpExport, type OtlpCounts, type OtlpSettings} from './telemetry.js'
import {createPools} from './upstream.js'

export type SideItem = {shadows: ShadowStart} | {exchange: Exchange} | {access: AccessRecord}

export type SideIn =
  | {type: 'batch'; items: SideItem[]}
  | {type: 'config'; config: SideConfig; kt: KtConfig; generation: number}
  | {type: 'flush'; id: number; shadowDeadlineMs: number}
  | {type: 'close'}

export type SideOut =
  | {type: 'ready'; spend: SpendTotals | null}
  | {type: 'failed'; message: string}
  | {type: 'progress'; processed: number; written: number; failed: number; shadows: ShadowCounts; otlp: OtlpCounts | null; spend: SpendTotals | null; lines: LineCounts}
  | {type: 'quality'; updates: {key: string; overall: number}[]}
  | {type: 'log'; level: LineLogLevel; line: string}
  | {type: 'flushed'; id: number}
  | {type: 'closed'}

export interface SideInit {
  dbPath: string
  config: SideConfig
  /** The config the side thread builds its own plan from (to send shadows). */
  kt: KtConfig
  generation: number
  maxShadows: number
  shadowTimeoutMs: number
  /** The OTLP exporter's settings (header values included), or null without telemetry.otlp. */
  otlp: OtlpSettings | null
}

/** Rows per transaction, and how long a partial batch may wait (fewer, larger commits cost less per row). */
const BATCH_ROWS = 512
const FLUSH_MS = 100
/** At most this long (or the export deadline, if shorter) for the last spans when the gateway drains. */
const OTLP_DRAIN_MS = 5000
/** At most this long for the policies' last lines when the gateway drains (a stdout nobody reads never empties). */
const LINES_DRAIN_MS = 5000

const port = parentPort!
const post = (m: SideOut) => port.postMessage(m)
const init = workerData as SideInit

let config = init.config
let db: DB
let plan: Plan
try {
  db = openDb(init.dbPath)
  plan = buildPlan(init.kt, process.env, init.generation)
} catch (err) {
  post({type: 'failed', message: (err as Error).message})
  process.exit(1)
}
const writer = new EventWriter(db)
const pools = createPools(init.maxShadows)
let progressQueued = false
/** Counts changed: one progress message per event-loop turn at most. */
function queueProgress(): void {
  if (progressQueued) return
  progressQueued = true
  setImmediate(() => {
    progressQueued = false
    postProgress()
  })
}
const mirror = new Mirror(pools, {maxInFlight: init.maxShadows, timeoutMs: init.shadowTimeoutMs}, queueProgress)
const otlp = init.otlp ? new OtlpExport(init.otlp, {onChange: queueProgress, onLog: (level, line) => post({type: 'log', level, line})}) : null
const lines = new PolicyLines((level, line) => post({type: 'log', level, line}), queueProgress)
lines.configure(config.linePolicies)
/** Shadows of requests still in flight or not yet done, by exchange id. */
const shadowsOf = new Map<string, Promise<ShadowRecord[]>>()
let rows: unknown[][] = []
let quality: {key: string; overall: number}[] = []
let processed = 0
let written = 0
let failed = 0
let timer: NodeJS.Timeout | null = null
/** Kept only while a cost_limit policy has a day or month budget. */
let spend = config.trackSpend ? new SpendTracker(readSpend) : null
// Other gateways on the same database write spend too: read it every minute, with or without traffic here.
const spendTimer = setInterval(() => {
  if (!spend) return
  spend.reread()
  postProgress()
}, SPEND_REREAD_MS)

function readSpend(from: string, to: string): number | null {
  try {
    return gatewaySpend(db, from, to)
  } catch (err) {
    post({type: 'log', level: 'ERROR', line: `cannot read the spend since ${from} for cost_limit budgets: ${(err as Error).message}`})
    return null
  }
}

function postProgress(): void {
  post({type: 'progress', processed, written, failed, shadows: mirror.counts, otlp: otlp?.counts ?? null, spend: spend?.totals() ?? null, lines: lines.counts})
}

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
  lines.flush()
  postProgress()
  if (quality.length) {
    post({type: 'quality', updates: quality})
    quality = []
  }
}

function build(ex: Exchange): void {
  processed++
  try {
    const built = buildEvents(ex, config)
    for (const {record, requestHash} of built.records) {
      rows.push(recordToValues(record, {dataset: 'gateway', kind: 'request', request_hash: requestHash}))
      spend?.add(record.timestamp, record.cost_usd)
    }
    quality.push(...built.quality)
    for (const line of built.escalations) post({type: 'log', level: 'WARN', line})
    if (otlp) exportSpans(ex.id, built.records.map((b) => b.record))
    policyLines(ex.id, built.records.map((b) => b.record))
  } catch (err) {
    failed++
    post({type: 'log', level: 'ERROR', line: `event ${ex.id} could not be built: ${(err as Error).message}`})
  }
  if (rows.length >= BATCH_ROWS) flush()
  else timer ??= setTimeout(flush, FLUSH_MS)
}

/** Like a span, a policy line that cannot be made costs that line only. */
function policyLines(id: string, records: Parameters<PolicyLines['request']>[0]): void {
  try {
    lines.request(records)
  } catch (err) {
    post({type: 'log', level: 'ERROR', line: `event ${id}: no audit-logger/log line: ${(err as Error).message}`})
  }
}

/** A span that cannot be made costs that span only: the events are written all the same. */
function exportSpans(id: string, records: Parameters<OtlpExport['exportEvents']>[0]): void {
  try {
    otlp!.exportEvents(records)
  } catch (err) {
    post({type: 'log', level: 'ERROR', line: `event ${id}: no OTLP span: ${(err as Error).message}`})
  }
}

function take(items: SideItem[]): void {
  for (const item of items) {
    if ('shadows' in item) {
      shadowsOf.set(item.shadows.exchangeId, Promise.all(mirror.start(plan, item.shadows)))
      continue
    }
    if ('access' in item) {
      lines.access(item.access)
      timer ??= setTimeout(flush, FLUSH_MS)
      continue
    }
    const ex = item.exchange
    const pending = shadowsOf.get(ex.id)
    if (!pending) {
      build(ex)
      continue
    }
    // The event is written once its shadows are done (or timed out, or dropped).
    void pending.then((recs) => {
      shadowsOf.delete(ex.id)
      ex.shadows = recs
      build(ex)
    })
  }
}

/** Waits for shadows still in flight until the deadline, then cuts them; their exchanges are then built. */
async function settleShadows(deadlineMs: number): Promise<void> {
  const all = Promise.all(shadowsOf.values())
  let t: NodeJS.Timeout | undefined
  const late = new Promise<void>((r) => (t = setTimeout(r, Math.max(0, deadlineMs))))
  await Promise.race([all, late])
  clearTimeout(t)
  mirror.abortAll()
  await Promise.all(shadowsOf.values())
  // Let the `then` callbacks above build their exchanges.
  await new Promise((r) => setImmediate(r))
}

port.on('message', (m: SideIn) => {
  switch (m.type) {
    case 'batch':
      take(m.items)
      break
    case 'config':
      config = m.config
      lines.configure(config.linePolicies)
      // A budget added by a reload starts from the store's sums; one removed stops the reads.
      spend = config.trackSpend ? (spend ?? new SpendTracker(readSpend)) : null
      queueProgress()
      try {
        plan = buildPlan(m.kt, process.env, m.generation)
      } catch (err) {
        post({type: 'log', level: 'ERROR', line: `the event thread kept the previous configuration: ${(err as Error).message}`})
      }
      break
    case 'flush':
      void settleShadows(m.shadowDeadlineMs)
        .then(async () => {
          flush()
          await Promise.all([lines.drain(LINES_DRAIN_MS), otlp ? otlp.flush(Math.min(init.otlp!.exportTimeoutMs, OTLP_DRAIN_MS)) : null])
        })
        .then(() => {
          postProgress()
          post({type: 'flushed', id: m.id})
        })
      break
    case 'close':
      clearInterval(spendTimer)
      flush()
      db.close()
      pools.destroy()
      // What a flush left (nothing, after the drain's) gets a short while; files are closed.
      void lines.close(1000).then(() => {
        postProgress()
        post({type: 'closed'})
        port.close()
      })
      break
  }
})

post({type: 'ready', spend: spend?.totals() ?? null})
