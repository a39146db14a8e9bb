// The OpenAI Files + Batches API (OpenAI, Azure OpenAI, and compatible servers that implement it) through the
// official SDK: the JSONL input is streamed from disk into the upload (toStreamingFile: never read into memory), and
// the output and error files are read line by line as they download.
import {createReadStream} from 'node:fs'
import type {OpenAI} from 'openai'
import {KtError} from '../util/index.js'
import {batchLimits} from './batch-limits.js'
import {errorResult, resultOfBody} from './batch-results.js'
import type {BatchApi, BatchCreateInput, BatchInfo, BatchInputFormat, BatchOutcome} from './batch.js'
import {openaiSdkBuilder} from './openai.js'
import type {WireApi} from './runner.js'
import {loadOpenAI} from './sdk.js'
import type {TargetSpec} from './types.js'
import {batchFileFetch} from './transport.js'

type BatchObject = Awaited<ReturnType<OpenAI['batches']['retrieve']>>
type Endpoint = Parameters<OpenAI['batches']['create']>[0]['endpoint']

/** Uploads and downloads of large files take a while; polls are small. */
const FILE_TIMEOUT_MS = 30 * 60_000
/** How many of the newest batches are searched for one created from a given file. */
const FIND_SCAN = 1000
/** Error codes OpenAI writes for requests a batch never ran: they may be sent again. */
const UNFINISHED = new Set(['batch_expired', 'batch_cancelled'])

/** The endpoint of a wire API: Azure's data-plane paths have no /v1. */
function endpointFor(target: TargetSpec, wire: WireApi): string {
  if (wire === 'anthropic.messages') throw new KtError(`target "${target.id}": an OpenAI batch cannot hold Anthropic Messages requests`)
  const path = wire === 'openai.responses' ? '/responses' : '/chat/completions'
  return target.provider === 'azure-openai' ? path : `/v1${path}`
}

export function openaiBatchFormat(target: TargetSpec): BatchInputFormat {
  const azureDeployment = target.provider === 'azure-openai' ? target.deployment : undefined
  return {
    head: '',
    sep: '\n',
    tail: '\n',
    family: 'openai',
    // Azure names the deployment in the body's model (its batch calls are not routed by deployment).
    line: (customId, p) => JSON.stringify({custom_id: customId, method: 'POST', url: endpointFor(target, p.wire), body: azureDeployment ? {...p.body, model: azureDeployment} : p.body}),
    // "Each input file can only include requests to a single model" and one endpoint (OpenAI Batch guide).
    groupKey: (p) => `${p.wire}\u0000${typeof p.body.model === 'string' ? p.body.model : ''}`,
  }
}

function info(b: BatchObject): BatchInfo {
  const errors = b.errors?.data?.map((e) => [e.code, e.message, e.line != null ? `(line ${e.line})` : ''].filter(Boolean).join(' ')) ?? []
  return {
    id: b.id,
    state: b.status,
    terminal: b.status === 'completed' || b.status === 'failed' || b.status === 'expired' || b.status === 'cancelled',
    total: b.request_counts?.total ?? null,
    completed: b.request_counts?.completed ?? 0,
    failed: b.request_counts?.failed ?? 0,
    output_file_id: b.output_file_id ?? null,
    error_file_id: b.error_file_id ?? null,
    message: errors.length ? errors.join('; ') : null,
  }
}

/** Lines of a streamed body, decoded as they arrive. */
export async function* lines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of body) {
    rest += decoder.decode(chunk, {stream: true})
    let nl = rest.indexOf('\n')
    if (nl < 0) continue
    let from = 0
    while (nl >= 0) {
      const line = rest.slice(from, nl).trim()
      if (line) yield line
      from = nl + 1
      nl = rest.indexOf('\n', from)
    }
    rest = rest.slice(from)
  }
  rest += decoder.decode()
  if (rest.trim()) yield rest.trim()
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

/** One line of an output or error file: `{id, custom_id, response: {status_code, request_id, body} | null, error}`. */
export function openaiOutcome(text: string, wire: WireApi): BatchOutcome {
  let line: Record<string, unknown> | null
  try {
    line = obj(JSON.parse(text))
  } catch {
    line = null
  }
  const customId = line && typeof line.custom_id === 'string' ? line.custom_id : null
  if (!line || customId === null) return {custom_id: null, kind: 'unreadable', reason: `not a batch result line: ${text.slice(0, 120)}`}
  const response = obj(line.response)
  const error = obj(line.error)
  if (response && typeof response.status_code === 'number') {
    const requestId = typeof response.request_id === 'string' ? response.request_id : null
    return {custom_id: customId, kind: 'result', result: resultOfBody(wire, response.status_code, response.body, requestId)}
  }
  const code = error && typeof error.code === 'string' ? error.code : null
  const message = error && typeof error.message === 'string' ? error.message : null
  if (code && UNFINISHED.has(code)) return {custom_id: customId, kind: 'unfinished', reason: message ?? code}
  return {custom_id: customId, kind: 'result', result: errorResult(wire, code ?? 'batch_error', code, message ?? 'the batch recorded an error without a message')}
}

export function createOpenAIBatchApi(target: TargetSpec, apiKey: string | null): BatchApi {
  const build = openaiSdkBuilder(target, apiKey, {timeoutMs: FILE_TIMEOUT_MS, maxRetries: 2, deployment: false, fetch: batchFileFetch})
  let built: Promise<OpenAI> | null = null
  const client = () => (built ??= build())
  return {
    target,
    format: openaiBatchFormat(target),
    limits: batchLimits('openai'),
    async ready() {
      await client()
    },
    async upload(path, name) {
      const [sdk, mod] = await Promise.all([client(), loadOpenAI()])
      // A streamed body cannot be sent twice: no SDK retry (a failed upload fails the submission, which can resume).
      const file = await sdk.files.create({file: mod.toStreamingFile(createReadStream(path), name, {type: 'application/jsonl'}), purpose: 'batch'}, {maxRetries: 0})
      return file.id
    },
    async create(input: BatchCreateInput) {
      if (!input.fileId) throw new KtError(`target "${target.id}": an OpenAI batch needs its uploaded input file`)
      const sdk = await client()
      const b = await sdk.batches.create({input_file_id: input.fileId, endpoint: endpointFor(target, input.wire) as Endpoint, completion_window: input.window, metadata: input.metadata})
      return info(b)
    },
    async retrieve(id) {
      return info(await (await client()).batches.retrieve(id))
    },
    async findByInputFile(fileId) {
      const sdk = await client()
      let seen = 0
      for await (const b of sdk.batches.list({limit: 100})) {
        if (b.input_file_id === fileId) return info(b)
        if (++seen >= FIND_SCAN) break
      }
      return null
    },
    async *results(batch, wire) {
      const sdk = await client()
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue
        const res = await sdk.files.content(fileId)
        if (!res.body) continue
        for await (const text of lines(res.body as unknown as AsyncIterable<Uint8Array>)) yield openaiOutcome(text, wire)
      }
    },
    async cancel(id) {
      return info(await (await client()).batches.cancel(id))
    },
  }
}
