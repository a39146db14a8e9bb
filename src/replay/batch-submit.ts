// Submitting a run's batched arms: every request an arm still has to send (no result, not in a batch still
// running) is prepared exactly as a live call prepares it (providers' prepareRequest: translated when the provider
// differs, model replaced, never streamed), written as a line of a batch input on disk, split under the provider's
// limits, uploaded and created through the official SDK. Each batch is stored before it is created and gets its
// provider id the moment it exists (store/batches.ts), so a killed kt never loses or repeats one.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createBatchApi, prepareRequest, type BatchApi, type CallResult, type TargetSpec} from '../providers/index.js'
import {emptyUsage, type Arm} from '../records/index.js'
import {insertBatch, iterateBatchWork, markBatchCollected, ResultWriter, updateBatch, type DB, type ResultRow} from '../store/index.js'
import {errorMessage} from '../util/index.js'
import {customId, InputSplitter, type InputPart} from './batch-input.js'
import {estimateItem, requestBody} from './estimate.js'
import {batchArms, modelFor, targetFor, type PlannedRun} from './plan.js'
import {resultRow, SCRUBBED_NOTE} from './result-row.js'

export interface SubmitOptions {
  /** Aborting stops before the next batch is created; a batch being created is finished and stored. */
  stop?: AbortSignal
  /** Batch API factory (defaults to the providers'). */
  batchFor?: (target: TargetSpec) => BatchApi
  /** Called as each batch is created (and stored). */
  onBatch?: (b: {arm: Arm; batchId: string; requests: number; bytes: number}) => void
  /** How much this submission may reserve (estimated, at the batch price); null: no limit. */
  budget?: number | null
}

export interface SubmitOutcome {
  batches: number
  requests: number
  bytes: number
  /** Estimated cost of what was submitted, at the batch price. */
  reserved: number
  /** Requests left out because the budget (--max-cost) was reached. */
  overBudget: number
  /** Requests no batch can take (an API the target cannot serve, a line over the size limit): stored as errors. */
  refused: number
}

/** A request kt cannot put in any batch, with the reason, stored as an error result. */
interface Refusal {
  seq: number
  event_id: string
  api: string
  model: string
  type: string
  message: string
}

/** The Batch API of each batched arm's target (one per target). */
export function batchApisFor(run: PlannedRun, batchFor: (t: TargetSpec) => BatchApi = createBatchApi): Map<Arm, BatchApi> {
  const byTarget = new Map<string, BatchApi>()
  const out = new Map<Arm, BatchApi>()
  for (const arm of batchArms(run.plan)) {
    const target = targetFor(run.plan, arm)!
    let api = byTarget.get(target.id)
    if (!api) byTarget.set(target.id, (api = batchFor(target)))
    out.set(arm, api)
  }
  return out
}

/** Writes the inputs of one arm to `dir`; requests no batch can take are returned as refusals. */
function buildInputs(db: DB, run: PlannedRun, arm: Arm, api: BatchApi, dir: string, budget: {left: number | null; reserved: number; over: number}): {parts: InputPart[]; refused: Refusal[]} {
  const {plan, runId} = run
  const target = targetFor(plan, arm)!
  const splitter = new InputSplitter(dir, arm, api.format, api.limits)
  const refused: Refusal[] = []
  for (const item of iterateBatchWork(db, runId, arm)) {
    const body = requestBody(item)
    const model = modelFor(plan, arm, item)
    if (budget.left !== null) {
      const cost = estimateItem(plan, arm, item, body).cost ?? 0
      if (budget.over > 0 || budget.reserved + cost > budget.left) {
        budget.over++
        continue
      }
      budget.reserved += cost
    }
    const prepared = prepareRequest(model ? {...target, model} : target, {api: item.api, body: model ? {...body, model} : body, stream: false})
    if (!prepared) {
      refused.push({seq: item.seq, event_id: item.event_id, api: item.api, model, type: 'kt_unsupported', message: `target "${target.id}" (${target.provider}) cannot replay requests of api "${item.api}"`})
      continue
    }
    const line = api.format.line(customId(item.seq, arm), prepared)
    const bytes = Buffer.byteLength(line)
    if (bytes > splitter.maxLineBytes) {
      refused.push({seq: item.seq, event_id: item.event_id, api: prepared.wire, model, type: 'kt_batch_too_large', message: `the request is ${bytes} bytes as a batch line, more than a batch can hold (${splitter.maxLineBytes}); replay it live`})
      continue
    }
    // Kept with the batch item, so the collected result says what the live result would (translation, scrubbed body).
    const notes = item.scrubbed ? [...prepared.losses, SCRUBBED_NOTE] : prepared.losses
    splitter.add(api.format.groupKey(prepared), prepared.wire, line, bytes, {seq: item.seq, model: model || null, losses_json: notes.length ? JSON.stringify(notes) : null})
  }
  return {parts: splitter.end(), refused}
}

function refusalRow(runId: string, arm: Arm, targetId: string, r: Refusal): ResultRow {
  const result: CallResult = {
    status: 'error', http_status: null, error: {type: r.type, code: null, message: r.message}, retryable: false, retry_after_ms: null,
    response: null, usage: emptyUsage(), response_model: null, request_id: null, latency_ms: 0, ttft_ms: null, translation_losses: [], api: r.api,
  }
  // Never sent: no latency.
  return {...resultRow({runId, item: {event_id: r.event_id}, arm, targetId, model: r.model, result, attempts: 0, price: () => null}), latency_ms: null}
}

/** Uploads and creates one batch, stored before and after; a failure leaves it abandoned (its requests may be sent again). */
async function createOne(db: DB, run: PlannedRun, api: BatchApi, part: InputPart, opts: SubmitOptions): Promise<void> {
  const target = targetFor(run.plan, part.arm)!
  const n = insertBatch(db, {run_id: run.runId, arm: part.arm, target_id: target.id, wire: part.wire, requests: part.items.length, bytes: part.bytes}, part.items)
  try {
    const fileId = await api.upload(part.path, `kt-${run.runId}-${n}.jsonl`)
    if (fileId) updateBatch(db, run.runId, n, {input_file_id: fileId})
    const info = await api.create({path: part.path, fileId, wire: part.wire, window: run.plan.settings.completionWindow ?? '24h', metadata: {kt_run: run.runId, kt_batch: String(n), kt_arm: part.arm}})
    updateBatch(db, run.runId, n, {batch_id: info.id, state: info.state, completed: info.completed, failed: info.failed, message: info.message})
    opts.onBatch?.({arm: part.arm, batchId: info.id, requests: part.items.length, bytes: part.bytes})
  } catch (error) {
    updateBatch(db, run.runId, n, {state: 'abandoned', message: errorMessage(error)})
    markBatchCollected(db, run.runId, n)
    throw error
  }
}

/** Submits what the run's batched arms still have to send. */
export async function submitBatches(db: DB, run: PlannedRun, opts: SubmitOptions = {}): Promise<SubmitOutcome> {
  const apis = batchApisFor(run, opts.batchFor)
  await Promise.all([...apis.values()].map((a) => a.ready()))
  const dir = mkdtempSync(join(tmpdir(), 'kt-batch-'))
  const out: SubmitOutcome = {batches: 0, requests: 0, bytes: 0, reserved: 0, overBudget: 0, refused: 0}
  const budget = {left: opts.budget ?? null, reserved: 0, over: 0}
  try {
    for (const [arm, api] of apis) {
      if (opts.stop?.aborted) break
      const {parts, refused} = buildInputs(db, run, arm, api, dir, budget)
      if (refused.length) {
        const target = targetFor(run.plan, arm)!
        new ResultWriter(db).writeMany(refused.map((r) => refusalRow(run.runId, arm, target.id, r)))
        out.refused += refused.length
      }
      for (const part of parts) {
        if (opts.stop?.aborted) break
        await createOne(db, run, api, part, opts)
        rmSync(part.path, {force: true})
        out.batches++
        out.requests += part.items.length
        out.bytes += part.bytes
      }
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  out.reserved = budget.reserved
  out.overBudget = budget.over
  return out
}
