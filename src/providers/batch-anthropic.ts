// Anthropic Message Batches through the official SDK. The requests go in the create call's body itself; kt writes
// that body (`{"requests":[…]}`) to a file and sends it from disk (a file-backed Blob through the SDK's generic
// post), so a batch of 100,000 requests is never one string in memory. Results are read line by line (the SDK's
// JSONL decoder over the streamed download).
import {openAsBlob} from 'node:fs'
import type {Anthropic} from '@anthropic-ai/sdk'
import {anthropicSdkBuilder} from './anthropic.js'
import {batchLimits} from './batch-limits.js'
import {errorResult, resultOfBody} from './batch-results.js'
import type {BatchApi, BatchInfo, BatchInputFormat, BatchOutcome} from './batch.js'
import type {TargetSpec} from './types.js'
import {batchFileFetch} from './transport.js'

type MessageBatch = Awaited<ReturnType<Anthropic['messages']['batches']['retrieve']>>
type Individual = {custom_id: string; result: {type: string; message?: unknown; error?: unknown}}

const FILE_TIMEOUT_MS = 30 * 60_000

export const anthropicBatchFormat: BatchInputFormat = {
  head: '{"requests":[',
  sep: ',',
  tail: ']}',
  family: 'anthropic',
  line: (customId, p) => JSON.stringify({custom_id: customId, params: p.body}),
  // One batch may mix models.
  groupKey: () => '',
}

function info(b: MessageBatch): BatchInfo {
  const c = b.request_counts
  return {
    id: b.id,
    state: b.processing_status === 'canceling' ? 'cancelling' : b.processing_status,
    terminal: b.processing_status === 'ended',
    total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
    completed: c.succeeded,
    failed: c.errored + c.canceled + c.expired,
    output_file_id: null,
    error_file_id: null,
    message: null,
  }
}

/** One result: succeeded (a Message), errored (an API error body), canceled or expired (never ran). */
export function anthropicOutcome(r: Individual): BatchOutcome {
  const type = r.result?.type
  if (type === 'succeeded') return {custom_id: r.custom_id, kind: 'result', result: resultOfBody('anthropic.messages', null, r.result.message, null)}
  if (type === 'canceled' || type === 'expired') return {custom_id: r.custom_id, kind: 'unfinished', reason: `the batch ${type === 'canceled' ? 'was cancelled' : 'expired'} before this request ran`}
  if (type === 'errored') {
    const outer = (r.result.error ?? {}) as {type?: unknown; error?: {type?: unknown; message?: unknown}}
    const e = outer.type === 'error' && outer.error ? outer.error : (outer as {type?: unknown; message?: unknown})
    return {custom_id: r.custom_id, kind: 'result', result: errorResult('anthropic.messages', typeof e.type === 'string' ? e.type : 'errored', null, typeof e.message === 'string' ? e.message : null)}
  }
  return {custom_id: null, kind: 'unreadable', reason: `unknown batch result type ${JSON.stringify(type ?? null)}`}
}

export function createAnthropicBatchApi(target: TargetSpec, apiKey: string): BatchApi {
  const build = anthropicSdkBuilder(target, apiKey, {timeoutMs: FILE_TIMEOUT_MS, maxRetries: 2, fetch: batchFileFetch})
  let built: Promise<Anthropic> | null = null
  const client = () => (built ??= build())
  return {
    target,
    format: anthropicBatchFormat,
    limits: batchLimits('anthropic'),
    async ready() {
      await client()
    },
    async upload() {
      return null
    },
    async create(input) {
      const sdk = await client()
      // messages.batches.create would JSON.stringify the requests in memory; the same POST with the body from disk.
      const body = await openAsBlob(input.path, {type: 'application/json'})
      const b = await sdk.post<MessageBatch>('/v1/messages/batches', {body, headers: {'content-type': 'application/json'}, maxRetries: 0})
      return info(b)
    },
    async retrieve(id) {
      return info(await (await client()).messages.batches.retrieve(id))
    },
    async findByInputFile() {
      return null
    },
    async *results(batch) {
      const sdk = await client()
      const decoder = await sdk.messages.batches.results(batch.id)
      for await (const r of decoder) yield anthropicOutcome(r as unknown as Individual)
    },
    async cancel(id) {
      return info(await (await client()).messages.batches.cancel(id))
    },
  }
}
