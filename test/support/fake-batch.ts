// A real HTTP server speaking the OpenAI Files + Batches API and Anthropic's Message Batches API, for tests and
// benchmarks, reached through the official SDKs. Batches move through their states as they are polled (OpenAI:
// validating → in_progress → finalizing → completed; Anthropic: in_progress → ended); answers are the fake upstream's
// (fake-upstream.ts), so a batched answer equals a live one. Scripted per request: answered, an HTTP error, an error
// without a response, or no line at all; per batch: validation failure, expiry after some requests. Cancel works.
// Output files are written line by line as they are downloaded, so 100,000 requests stay cheap.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {anthropicMessage, answerFor, errorBody, openaiCompletion, responsesObject} from './fake-upstream.js'

type Json = Record<string, unknown>

/** What happens to one request: answered, answered with an HTTP error, an error with no response, or no line anywhere. */
export type RequestFate = 'ok' | 'missing' | {status: number; message?: string} | {error: string; message?: string}

export interface FakeBatchOptions {
  /** Polls a batch spends in each state before moving on (default 1 each; Anthropic uses in_progress only). */
  polls?: {validating?: number; in_progress?: number; finalizing?: number}
  /** Each request's fate (default 'ok'). */
  fate?: (customId: string, body: Json) => RequestFate
  /** Batches (by creation order, from 0) that expire after their in_progress polls, having run only the first `ran`. */
  expire?: (index: number) => {ran: number} | null
  /** OpenAI batches (by creation order) that fail validation, with this error. */
  failValidation?: (index: number) => {code: string; message: string} | null
  /** An HTTP error instead of the answer to a poll (by poll number, from 0), with the request's headers to echo. */
  pollFault?: (poll: number, headers: IncomingMessage['headers']) => {status: number; message?: string} | null
  /** Refuse a batch above these (to check kt splits under them). */
  maxRequests?: number
  maxBytes?: number
  /** A scripted answer text (or tool arguments, when the request forces a tool) for a request body, as the fake
   *  upstream's `answer` option: an LLM judge's verdict, say. Undefined: the usual echo answer. */
  answer?: (body: Json) => string | undefined
}

interface Line {
  custom_id: string
  /** The request line as uploaded, parsed only when an answer is written. */
  text: string
}

type Disposition = 'ok' | 'missing' | 'unfinished' | {status: number; message?: string} | {error: string; message?: string}

export interface FakeBatchState {
  kind: 'openai' | 'anthropic'
  index: number
  id: string
  endpoint: string
  state: string
  polls: number
  lines: Line[]
  bytes: number
  created_at: number
  input_file_id: string | null
  metadata: Json | null
  errors: {code: string; message: string}[] | null
  /** Per line, once the batch has run. */
  done: Disposition[] | null
  cancelRequested: boolean
}

export interface FakeBatch {
  /** Base URL without /v1 (OpenAI SDK: `${url}/v1`; Anthropic SDK: `url`). */
  url: string
  batches: FakeBatchState[]
  /** Files uploaded to /v1/files and their bytes (the multipart file part). */
  uploads: {files: number; bytes: number}
  /** Bytes of Anthropic batch create bodies. */
  anthropicBytes: number
  /** Retrieve calls (polls) answered. */
  polls: number
  /** Output, error and results downloads and their bytes. */
  downloads: {files: number; bytes: number}
  cancels: number
  /** Lets every batch still running finish on its next poll (after a kill, to end a test quickly). */
  finishAll(): void
  close(): Promise<void>
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

/** Writes lines to a response honouring backpressure; returns the bytes written. */
async function streamLines(res: ServerResponse, lines: Iterable<string>): Promise<number> {
  res.writeHead(200, {'content-type': 'application/octet-stream'})
  let bytes = 0
  let chunk: string[] = []
  let size = 0
  const flush = async () => {
    if (!chunk.length) return
    const text = chunk.join('')
    bytes += Buffer.byteLength(text)
    chunk = []
    size = 0
    if (!res.write(text)) await new Promise<void>((r) => res.once('drain', () => r()))
  }
  for (const l of lines) {
    chunk.push(l, '\n')
    size += l.length + 1
    if (size >= 1 << 16) await flush()
  }
  await flush()
  res.end()
  return bytes
}

function openaiAnswerBody(endpoint: string, body: Json, scripted?: string): Json {
  const a = answerFor(body, 'openai', 'unknown', scripted)
  return endpoint.endsWith('/responses') ? responsesObject(a) : openaiCompletion(a)
}

export async function startFakeBatch(options: FakeBatchOptions = {}): Promise<FakeBatch> {
  const files = new Map<string, {text: string; purpose: string; bytes: number}>()
  const batches: FakeBatchState[] = []
  const byId = new Map<string, FakeBatchState>()
  const out: FakeBatch = {
    url: '',
    batches,
    uploads: {files: 0, bytes: 0},
    anthropicBytes: 0,
    polls: 0,
    downloads: {files: 0, bytes: 0},
    cancels: 0,
    finishAll: () => {
      finishing = true
    },
    close: async () => undefined,
  }
  let finishing = false
  let seq = 0
  const polls = {validating: options.polls?.validating ?? 1, in_progress: options.polls?.in_progress ?? 1, finalizing: options.polls?.finalizing ?? 1}

  /** Runs the batch's requests (all, or the first `ran`); the rest are unfinished. */
  const run = (b: FakeBatchState, ran: number) => {
    b.done = b.lines.map((l, i) => {
      if (i >= ran) return 'unfinished'
      return options.fate?.(l.custom_id, b.kind === 'openai' ? obj(obj(JSON.parse(l.text)).body) : obj(obj(JSON.parse(l.text)).params)) ?? 'ok'
    })
  }

  /** One poll: the batch moves on when it has spent its polls in the current state. */
  const advance = (b: FakeBatchState) => {
    b.polls++
    const next = (state: string) => {
      b.state = state
      b.polls = 0
    }
    if (b.cancelRequested && (b.state === 'in_progress' || b.state === 'validating' || b.state === 'cancelling' || b.state === 'canceling')) {
      run(b, Math.floor(b.lines.length / 2))
      return next(b.kind === 'openai' ? 'cancelled' : 'ended')
    }
    if (b.kind === 'openai' && b.state === 'validating' && (finishing || b.polls >= polls.validating)) {
      if (b.errors) return next('failed')
      return next('in_progress')
    }
    if (b.state === 'in_progress' && (finishing || b.polls >= polls.in_progress)) {
      const exp = options.expire?.(b.index) ?? null
      run(b, exp ? exp.ran : b.lines.length)
      if (exp) return next(b.kind === 'openai' ? 'expired' : 'ended')
      return next(b.kind === 'openai' ? 'finalizing' : 'ended')
    }
    if (b.kind === 'openai' && b.state === 'finalizing' && (finishing || b.polls >= polls.finalizing)) next('completed')
  }

  const counts = (b: FakeBatchState) => {
    const d = b.done ?? []
    const ok = d.filter((x) => x === 'ok').length
    const failed = d.filter((x) => x !== 'ok').length
    return {ok, failed}
  }

  const openaiBatch = (b: FakeBatchState): Json => {
    const c = counts(b)
    const ended = ['completed', 'expired', 'cancelled'].includes(b.state)
    const hasErrors = (b.done ?? []).some((x) => x !== 'ok' && x !== 'missing' && !(x === 'unfinished' && b.state === 'cancelled'))
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors: b.errors && b.state === 'failed' ? {object: 'list', data: b.errors.map((e) => ({...e, param: null, line: null}))} : null,
      input_file_id: b.input_file_id,
      completion_window: '24h',
      status: b.state,
      output_file_id: ended && c.ok ? `file-out-${b.id}` : null,
      error_file_id: ended && hasErrors ? `file-err-${b.id}` : null,
      created_at: b.created_at,
      expires_at: b.created_at + 86400,
      request_counts: {total: b.lines.length, completed: b.done ? c.ok : 0, failed: b.done ? c.failed : 0},
      metadata: b.metadata,
    }
  }

  const anthropicBatch = (b: FakeBatchState): Json => {
    const d = b.done ?? []
    const n = (f: (x: Disposition) => boolean) => d.filter(f).length
    const ended = b.state === 'ended'
    const unfinished = n((x) => x === 'unfinished')
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: b.state,
      request_counts: {
        processing: ended ? 0 : b.lines.length,
        succeeded: n((x) => x === 'ok'),
        errored: n((x) => typeof x === 'object'),
        canceled: b.cancelRequested ? unfinished : 0,
        expired: b.cancelRequested ? 0 : unfinished,
      },
      ended_at: ended ? new Date().toISOString() : null,
      created_at: new Date(b.created_at * 1000).toISOString(),
      expires_at: new Date((b.created_at + 86400) * 1000).toISOString(),
      archived_at: null,
      cancel_initiated_at: b.cancelRequested ? new Date().toISOString() : null,
      results_url: ended ? `${out.url}/v1/messages/batches/${b.id}/results` : null,
    }
  }

  function* openaiFile(b: FakeBatchState, which: 'out' | 'err'): Iterable<string> {
    for (let i = 0; i < b.lines.length; i++) {
      const d = b.done![i]!
      const id = b.lines[i]!.custom_id
      if (which === 'out') {
        if (d !== 'ok') continue
        const body = obj(obj(JSON.parse(b.lines[i]!.text)).body)
        yield JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: {status_code: 200, request_id: `req_${b.id}_${i}`, body: openaiAnswerBody(b.endpoint, body, options.answer?.(body))}, error: null})
      } else if (d === 'unfinished') {
        if (b.state === 'expired') yield JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: null, error: {code: 'batch_expired', message: 'This request could not be executed before the completion window expired.'}})
      } else if (typeof d === 'object' && 'status' in d) {
        yield JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: {status_code: d.status, request_id: `req_${b.id}_${i}`, body: errorBody('openai', d.status, d.message ? {message: d.message} : undefined)}, error: null})
      } else if (typeof d === 'object') {
        yield JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: null, error: {code: d.error, message: d.message ?? d.error}})
      }
    }
  }

  function* anthropicResults(b: FakeBatchState): Iterable<string> {
    for (let i = 0; i < b.lines.length; i++) {
      const d = b.done![i]!
      const id = b.lines[i]!.custom_id
      if (d === 'missing') continue
      if (d === 'ok') {
        const params = obj(obj(JSON.parse(b.lines[i]!.text)).params)
        yield JSON.stringify({custom_id: id, result: {type: 'succeeded', message: anthropicMessage(answerFor(params, 'anthropic', 'unknown', options.answer?.(params)))}})
      } else if (d === 'unfinished') yield JSON.stringify({custom_id: id, result: {type: b.cancelRequested ? 'canceled' : 'expired'}})
      else {
        const status = 'status' in d ? d.status : 500
        yield JSON.stringify({custom_id: id, result: {type: 'errored', error: errorBody('anthropic', status, d.message ? {message: d.message} : undefined)}})
      }
    }
  }

  const createOpenAI = (res: ServerResponse, body: Json) => {
    const file = files.get(String(body.input_file_id))
    if (!file) return sendJson(res, 404, errorBody('openai', 404, {message: `No such File object: ${String(body.input_file_id)}`}))
    if (body.completion_window !== '24h') return sendJson(res, 400, errorBody('openai', 400, {message: 'completion_window must be 24h'}))
    const endpoint = String(body.endpoint)
    const lines: Line[] = []
    const errors: {code: string; message: string}[] = []
    const ids = new Set<string>()
    const models = new Set<string>()
    for (const text of file.text.split('\n')) {
      if (!text.trim()) continue
      const l = obj(JSON.parse(text))
      const id = String(l.custom_id)
      if (ids.has(id)) errors.push({code: 'duplicate_custom_id', message: `custom_id ${id} appears twice`})
      ids.add(id)
      if (l.url !== endpoint) errors.push({code: 'mismatched_endpoint', message: `line url ${String(l.url)} is not the batch endpoint ${endpoint}`})
      if (l.method !== 'POST') errors.push({code: 'invalid_method', message: 'method must be POST'})
      if (obj(l.body).stream === true) errors.push({code: 'invalid_request', message: 'stream is not supported in batches'})
      models.add(String(obj(l.body).model))
      lines.push({custom_id: id, text})
    }
    if (models.size > 1) errors.push({code: 'model_mismatch', message: `the file holds requests for ${models.size} models`})
    if (options.maxRequests !== undefined && lines.length > options.maxRequests) errors.push({code: 'too_many_requests', message: `${lines.length} requests > ${options.maxRequests}`})
    if (options.maxBytes !== undefined && file.bytes > options.maxBytes) errors.push({code: 'file_too_large', message: `${file.bytes} bytes > ${options.maxBytes}`})
    const index = batches.length
    const failed = options.failValidation?.(index)
    if (failed) errors.push(failed)
    const b: FakeBatchState = {
      kind: 'openai', index, id: `batch_${++seq}`, endpoint, state: 'validating', polls: 0, lines, bytes: file.bytes, created_at: Math.floor(Date.now() / 1000),
      input_file_id: String(body.input_file_id), metadata: obj(body.metadata), errors: errors.length ? errors : null, done: null, cancelRequested: false,
    }
    batches.push(b)
    byId.set(b.id, b)
    sendJson(res, 200, openaiBatch(b))
  }

  const createAnthropic = (res: ServerResponse, raw: string) => {
    out.anthropicBytes += Buffer.byteLength(raw)
    let body: Json
    try {
      body = obj(JSON.parse(raw))
    } catch {
      return sendJson(res, 400, errorBody('anthropic', 400, {message: 'invalid JSON body'}))
    }
    const requests = Array.isArray(body.requests) ? body.requests : []
    if (requests.length === 0) return sendJson(res, 400, errorBody('anthropic', 400, {message: 'requests: at least one request is required'}))
    if (options.maxRequests !== undefined && requests.length > options.maxRequests) return sendJson(res, 413, errorBody('anthropic', 413))
    if (options.maxBytes !== undefined && Buffer.byteLength(raw) > options.maxBytes) return sendJson(res, 413, errorBody('anthropic', 413))
    const ids = new Set<string>()
    const lines: Line[] = []
    for (const r of requests) {
      const o = obj(r)
      const id = String(o.custom_id)
      const params = obj(o.params)
      if (!CUSTOM_ID.test(id) || ids.has(id)) return sendJson(res, 400, errorBody('anthropic', 400, {message: `requests: invalid or duplicate custom_id ${id}`}))
      if (typeof params.max_tokens !== 'number' || !Array.isArray(params.messages)) return sendJson(res, 400, errorBody('anthropic', 400, {message: `requests.${id}.params: max_tokens and messages are required`}))
      if (params.stream === true) return sendJson(res, 400, errorBody('anthropic', 400, {message: 'stream is not supported in batches'}))
      ids.add(id)
      lines.push({custom_id: id, text: JSON.stringify(o)})
    }
    const b: FakeBatchState = {
      kind: 'anthropic', index: batches.length, id: `msgbatch_${++seq}`, endpoint: '/v1/messages', state: 'in_progress', polls: 0, lines, bytes: Buffer.byteLength(raw),
      created_at: Math.floor(Date.now() / 1000), input_file_id: null, metadata: null, errors: null, done: null, cancelRequested: false,
    }
    batches.push(b)
    byId.set(b.id, b)
    sendJson(res, 200, anthropicBatch(b))
  }

  const upload = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const form = await new Response(raw, {headers: {'content-type': String(req.headers['content-type'])}}).formData()
    const file = form.get('file')
    const purpose = String(form.get('purpose'))
    if (!(file instanceof Blob)) return sendJson(res, 400, errorBody('openai', 400, {message: 'file is required'}))
    const text = await file.text()
    const id = `file-${++seq}`
    const bytes = Buffer.byteLength(text)
    files.set(id, {text, purpose, bytes})
    out.uploads.files++
    out.uploads.bytes += bytes
    sendJson(res, 200, {id, object: 'file', bytes, created_at: Math.floor(Date.now() / 1000), filename: (file as File).name ?? 'upload', purpose, status: 'processed'})
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const path = u.pathname
    const anthropic = path.startsWith('/v1/messages/')
    // The Anthropic SDK sends its key as x-api-key or as a bearer token, depending on its version.
    if (anthropic ? !req.headers['x-api-key'] && !req.headers.authorization : !req.headers.authorization) return sendJson(res, 401, errorBody(anthropic ? 'anthropic' : 'openai', 401))
    let m: RegExpExecArray | null
    if (req.method === 'POST' && path === '/v1/files') return upload(req, res, raw)
    if (req.method === 'GET' && (m = /^\/v1\/files\/([^/]+)\/content$/.exec(path))) {
      const [, id] = m
      const fm = /^file-(out|err)-(.+)$/.exec(id!)
      const b = fm ? byId.get(fm[2]!) : undefined
      if (!fm || !b || !b.done) return sendJson(res, 404, errorBody('openai', 404, {message: `No such File object: ${id}`}))
      out.downloads.files++
      out.downloads.bytes += await streamLines(res, openaiFile(b, fm[1] as 'out' | 'err'))
      return
    }
    if (req.method === 'POST' && path === '/v1/batches') return createOpenAI(res, obj(JSON.parse(raw.toString('utf8'))))
    if (req.method === 'GET' && path === '/v1/batches') {
      const limit = Number(u.searchParams.get('limit') ?? 20)
      const after = u.searchParams.get('after')
      const all = batches.filter((b) => b.kind === 'openai').reverse()
      const from = after ? all.findIndex((b) => b.id === after) + 1 : 0
      const page = all.slice(from, from + limit)
      return sendJson(res, 200, {object: 'list', data: page.map(openaiBatch), first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: from + limit < all.length})
    }
    if ((m = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path))) {
      const b = byId.get(m[1]!)
      if (!b || b.kind !== 'openai') return sendJson(res, 404, errorBody('openai', 404, {message: `No batch ${m[1]}`}))
      if (m[2]) {
        out.cancels++
        if (['completed', 'failed', 'expired', 'cancelled'].includes(b.state)) return sendJson(res, 409, errorBody('openai', 409, {message: `Cannot cancel a batch with status ${b.state}`}))
        b.cancelRequested = true
        b.state = 'cancelling'
        return sendJson(res, 200, openaiBatch(b))
      }
      const fault = options.pollFault?.(out.polls, req.headers)
      out.polls++
      if (fault) return sendJson(res, fault.status, errorBody('openai', fault.status, fault.message ? {message: fault.message} : undefined))
      advance(b)
      return sendJson(res, 200, openaiBatch(b))
    }
    if (req.method === 'POST' && path === '/v1/messages/batches') return createAnthropic(res, raw.toString('utf8'))
    if ((m = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path))) {
      const b = byId.get(m[1]!)
      if (!b || b.kind !== 'anthropic') return sendJson(res, 404, errorBody('anthropic', 404))
      if (m[2] === '/cancel') {
        out.cancels++
        if (b.state === 'ended') return sendJson(res, 409, errorBody('anthropic', 409))
        b.cancelRequested = true
        b.state = 'canceling'
        return sendJson(res, 200, anthropicBatch(b))
      }
      if (m[2] === '/results') {
        if (!b.done || b.state !== 'ended') return sendJson(res, 404, errorBody('anthropic', 404, {message: 'results are not available yet'}))
        out.downloads.files++
        out.downloads.bytes += await streamLines(res, anthropicResults(b))
        return
      }
      out.polls++
      advance(b)
      return sendJson(res, 200, anthropicBatch(b))
    }
    return sendJson(res, 404, errorBody(anthropic ? 'anthropic' : 'openai', 404, {message: `Unknown path ${path}`}))
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody('openai', 500, {message: String(error)}))
        else res.end()
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  out.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  out.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return out
}
