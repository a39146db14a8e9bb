// `--judge-via batch`: the judge's asks go through its target's Batch API first (half price, outside the live rate
// limits, answered within 24 hours). The asks are found by running the judging pass with the judge collecting
// instead of calling (judge.ts), so exactly the asks a live pass would make go out, and nothing already cached. The
// answers are parsed and cached as a live answer would be; the live pass that follows then reads them from the
// cache, and asks live only what the batch did not answer well (an error, a malformed verdict: the live pass repairs
// it). A stopped wait (Ctrl-C or SIGTERM, where the command passes its signal) ends the pass with an error; the batch
// keeps running at the provider and stays in the judge's ledger (judge-batch-ledger.ts): the next batch pass waits
// for it and takes its answers (matched by their custom ids, which derive from the asks' cache keys) before
// submitting only what is still unanswered.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createBatchApi, estimateRequestTokens, prepareRequest, type BatchApi, type BatchInfo, type PreparedRequest, type WireApi} from '../providers/index.js'
import {errorMessage, KtError, sleep} from '../util/index.js'
import type {Judge, PendingAsk} from './judge.js'
import {judgeItems, type JudgeItemsOptions} from './judge-items.js'
import type {JudgeItem} from './judge-types.js'
import {JudgeBatchLedger, type PendingJudgeBatch} from './judge-batch-ledger.js'

export interface JudgeBatchProgress {
  batches: number
  requests: number
  completed: number
  failed: number
  elapsedMs: number
}

export interface JudgeBatchOutcome {
  /** Asks sent through the Batch API. */
  sent: number
  /** Answers taken into the cache (the live pass reads them). */
  answered: number
  /** Asks the batch did not answer well: the live pass asks them. */
  unanswered: number
  /** Asks left out because their batch estimate would have passed the judge's budget. */
  overBudget: number
  batchIds: string[]
  /** Batches of an earlier, stopped pass that this pass waited for and collected. */
  resumedBatchIds: string[]
}

export interface JudgeBatchOptions extends JudgeItemsOptions {
  stop?: AbortSignal
  onProgress?: (p: JudgeBatchProgress) => void
}

/** Consecutive failed polls before the wait gives up (the live pass then asks everything). */
const MAX_POLL_FAILURES = 8
/** The provider expires a batch after its 24 h window: waiting longer cannot help. */
const MAX_WAIT_MS = 25 * 3600_000

function pollIntervals(): {first: number; max: number} {
  const read = (name: string, fallback: number) => {
    const v = Number(process.env[name])
    return Number.isFinite(v) && v > 0 ? v : fallback
  }
  const first = read('KT_BATCH_POLL_MS', 5000)
  return {first, max: Math.max(first, read('KT_BATCH_POLL_MAX_MS', 60_000))}
}

interface Line {
  ask: PendingAsk
  prepared: PreparedRequest
  text: string
  est: number
}

/** The asks a live pass would make for these items, not cached, each once. */
async function collectAsks(judge: Judge, items: readonly JudgeItem[], opts: JudgeItemsOptions): Promise<PendingAsk[]> {
  judge.collecting = []
  try {
    await judgeItems(items, judge, opts)
    const seen = new Set<string>()
    return judge.collecting.filter((a) => !seen.has(a.cacheKey) && Boolean(seen.add(a.cacheKey)))
  } finally {
    judge.collecting = null
  }
}

/** Parts of at most the API's requests and bytes per batch. */
function split(api: BatchApi, lines: Line[]): Line[][] {
  const {requests, bytes} = api.limits
  const fixed = Buffer.byteLength(api.format.head) + Buffer.byteLength(api.format.tail)
  const parts: Line[][] = []
  let part: Line[] = []
  let size = fixed
  for (const l of lines) {
    const n = Buffer.byteLength(l.text) + Buffer.byteLength(api.format.sep)
    if (part.length > 0 && (part.length >= requests || size + n > bytes)) {
      parts.push(part)
      part = []
      size = fixed
    }
    part.push(l)
    size += n
  }
  if (part.length) parts.push(part)
  return parts
}

async function submit(api: BatchApi, part: Line[], dir: string, index: number): Promise<BatchInfo> {
  const path = join(dir, `judge-${index}.jsonl`)
  writeFileSync(path, api.format.head + part.map((l) => l.text).join(api.format.sep) + api.format.tail)
  const fileId = await api.upload(path, `kt-judge-${index}.jsonl`)
  return api.create({path, fileId, wire: part[0]!.prepared.wire, window: '24h', metadata: {kt: 'judge'}})
}

/** Polls until every batch is terminal (or the wait is stopped), with backoff. */
async function waitAll(api: BatchApi, infos: BatchInfo[], opts: JudgeBatchOptions, started: number): Promise<BatchInfo[]> {
  const {first, max} = pollIntervals()
  let interval = first
  let failures = 0
  for (;;) {
    const total = infos.reduce((s, b) => s + (b.total ?? 0), 0)
    opts.onProgress?.({batches: infos.length, requests: total, completed: infos.reduce((s, b) => s + b.completed, 0), failed: infos.reduce((s, b) => s + b.failed, 0), elapsedMs: Date.now() - started})
    if (infos.every((b) => b.terminal) || opts.stop?.aborted) return infos
    if (Date.now() - started > MAX_WAIT_MS) throw new KtError(`judge batches ${infos.map((b) => b.id).join(', ')} are still running after 25 hours`)
    await sleep(interval, opts.stop)
    interval = Math.min(max, interval * 2)
    try {
      infos = await Promise.all(infos.map((b) => (b.terminal ? b : api.retrieve(b.id))))
      failures = 0
    } catch (error) {
      if (++failures >= MAX_POLL_FAILURES) throw new KtError(`${failures} polls of the judge's batches failed in a row (last: ${errorMessage(error)})`)
    }
  }
}

/** An ask's custom id: from its cache key, so a later pass recognises the answers of an earlier pass's batch. */
const customId = (a: PendingAsk): string => `j_${a.cacheKey.slice(0, 62)}`

/** A pending batch older than this is past its 24 h window at the provider: the ledger forgets it. */
const LEDGER_MAX_AGE_MS = 48 * 3600_000

function stopped(ids: string[]): KtError {
  // No live pass either: it would ask everything the batches still hold, at full price.
  return new KtError(`stopped waiting for the judge's batches (${ids.join(', ')}); they keep running at the provider, and the next --judge-via batch pass collects them`)
}

/**
 * Takes a terminal batch's answers into the cache for the asks still waiting; every answer is booked (it was paid).
 * An ask that got an answer leaves `waiting` even when the answer is no verdict: the live pass repairs it, rather
 * than another day-long batch; an ask the batch never ran (expired, cancelled) stays.
 */
async function collect(api: BatchApi, info: BatchInfo, wire: string, waiting: Map<string, PendingAsk>, meter: Judge['budgetMeter'], est: (id: string) => number): Promise<number> {
  let answered = 0
  const seen = new Set<string>()
  for await (const o of api.results(info, wire as WireApi)) {
    if (o.custom_id === null || seen.has(o.custom_id)) continue
    seen.add(o.custom_id)
    meter.settleBatched(o.kind === 'result' ? o.result.usage : null, est(o.custom_id))
    const ask = waiting.get(o.custom_id)
    if (o.kind !== 'result' || !ask) continue
    waiting.delete(o.custom_id)
    if (ask.accept(o.result)) answered++
  }
  return answered
}

/** Waits for this judge's batches a stopped pass left behind, and takes their answers. */
async function resumeEarlier(api: BatchApi, ledger: JudgeBatchLedger, judge: Judge, waiting: Map<string, PendingAsk>, out: JudgeBatchOutcome, opts: JudgeBatchOptions): Promise<void> {
  const now = Date.now()
  const fresh = (e: PendingJudgeBatch) => now - Date.parse(e.created_at) < LEDGER_MAX_AGE_MS
  const all = ledger.forJudge(judge.model)
  ledger.remove(all.filter((e) => !fresh(e)).map((e) => e.batch_id))
  const earlier = all.filter(fresh)
  let infos: BatchInfo[] = []
  for (const e of earlier) {
    try {
      infos.push(await api.retrieve(e.batch_id))
    } catch {
      // Unreachable now: it stays in the ledger for a later pass (until its window is over).
    }
  }
  if (infos.length === 0) return
  out.resumedBatchIds = infos.map((b) => b.id)
  infos = await waitAll(api, infos, opts, now)
  if (opts.stop?.aborted) throw stopped(out.resumedBatchIds)
  for (const info of infos) {
    out.answered += await collect(api, info, earlier.find((e) => e.batch_id === info.id)!.wire, waiting, judge.budgetMeter, () => 0)
    ledger.remove([info.id])
  }
}

/**
 * Asks the judge's uncached asks for `items` through the Batch API and caches the well-formed answers. Call it
 * before the live judging pass over the same items.
 */
export async function judgeViaBatch(judge: Judge, items: readonly JudgeItem[], opts: JudgeBatchOptions = {}): Promise<JudgeBatchOutcome> {
  const asks = await collectAsks(judge, items, opts)
  const out: JudgeBatchOutcome = {sent: 0, answered: 0, unanswered: 0, overBudget: 0, batchIds: [], resumedBatchIds: []}
  if (asks.length === 0) return out
  const api = createBatchApi(judge.target)
  await api.ready()
  const ledger = new JudgeBatchLedger(judge.cacheDir)
  const waiting = new Map(asks.map((a) => [customId(a), a]))
  await resumeEarlier(api, ledger, judge, waiting, out, opts)
  await submitAndCollect(api, ledger, judge, waiting, out, opts)
  out.unanswered = asks.length - out.overBudget - out.answered
  return out
}

/** The asks still waiting, as new batches: each is in the ledger from the moment the provider returns its id. */
async function submitAndCollect(api: BatchApi, ledger: JudgeBatchLedger, judge: Judge, waiting: Map<string, PendingAsk>, out: JudgeBatchOutcome, opts: JudgeBatchOptions): Promise<void> {
  const meter = judge.budgetMeter
  const lines: Line[] = []
  for (const [id, ask] of waiting) {
    const est = meter.reserveBatched(meter.maxCost === null ? 0 : estimateRequestTokens(ask.body))
    if (est === false) {
      out.overBudget++
      continue
    }
    const prepared = prepareRequest(judge.target, {api: ask.api, body: ask.body, stream: false})!
    lines.push({ask, prepared, est, text: api.format.line(id, prepared)})
  }
  if (lines.length === 0) return
  const dir = mkdtempSync(join(tmpdir(), 'kt-judge-batch-'))
  const started = Date.now()
  const reserved = new Map(lines.map((l) => [customId(l.ask), l.est]))
  const wire = lines[0]!.prepared.wire
  try {
    let infos: BatchInfo[] = []
    const parts = split(api, lines)
    for (let i = 0; i < parts.length; i++) {
      const info = await submit(api, parts[i]!, dir, i)
      ledger.add({batch_id: info.id, judge: judge.model, wire, created_at: new Date().toISOString()})
      infos.push(info)
    }
    out.sent = lines.length
    out.batchIds = infos.map((b) => b.id)
    infos = await waitAll(api, infos, opts, started)
    if (opts.stop?.aborted) throw stopped(out.batchIds)
    for (const info of infos) {
      out.answered += await collect(api, info, wire, waiting, meter, (id) => {
        const est = reserved.get(id) ?? 0
        reserved.delete(id)
        return est
      })
      ledger.remove([info.id])
    }
  } finally {
    for (const est of reserved.values()) meter.settleBatched(null, est)
    rmSync(dir, {recursive: true, force: true})
  }
}
