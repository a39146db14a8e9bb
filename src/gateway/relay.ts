// Streaming an upstream answer back to the caller. Same API: the bytes go out as they arrive (a non-streamed
// OpenAI-format answer gets a `"provider"` field spliced in after its opening brace, no parse); a copy is kept
// beside them for the side path. Other API: each SSE event is translated as it completes (wire/translate-stream),
// a whole body once it has arrived. Errors are passed through with their status in the caller's error shape, with
// any key the upstream echoed scrubbed out. A content_filter that blocks or redacts answers hands every successful
// answer to relay-filtered.ts instead.
import type {OutgoingHttpHeaders, ServerResponse} from 'node:http'
import {AnthropicToOpenAIStream, OpenAIToAnthropicStream, SseSplitter, anthropicMessageToOpenAIChat, openaiChatToAnthropicMessage, readErrorBody, translateErrorBody, type Json} from '../wire/index.js'
import {Capture} from './capture.js'
import {errorBody} from './errors.js'
import type {CallerApi} from './exchange.js'
import type {PlanTarget} from './plan.js'
import type {UpstreamAnswer} from './upstream.js'
import {maskKnown, type PolicyTrigger} from '../records/index.js'
import type {ContentMatcher} from './answer-filter.js'
import {relayFiltered, type FilteredRelay} from './relay-filtered.js'

/** Upstream headers worth passing to the caller. Never cookies, account ids or hop-by-hop headers. */
const PASSED = ['x-request-id', 'request-id', 'openai-processing-ms', 'retry-after', 'retry-after-ms', 'x-should-retry']
/** A translated body must be held whole; beyond this it is refused rather than held. */
const MAX_TRANSLATED_BYTES = 32 * 1024 * 1024
/** Error bodies are read whole (to scrub and reshape them); they are small. */
const MAX_ERROR_BYTES = 1024 * 1024

export interface RelayResult {
  /** `blocked`: a content_filter refused the answer (relay-filtered.ts). */
  outcome: 'ok' | 'error' | 'blocked'
  httpStatus: number
  error: {type: string; code: string | null; message: string} | null
  capture: Capture
  /** content_filter triggers on the answer. */
  policies?: PolicyTrigger[]
}

export interface RelayOptions {
  res: ServerResponse
  upstream: UpstreamAnswer
  callerApi: CallerApi
  target: PlanTarget
  stream: boolean
  includeUsage: boolean
  /** x-kt-target, x-kt-event-id, connection… */
  headers: Record<string, string>
  sentAt: number
  captureBytes?: number
  /** content_filter rules that block or redact answers: the answer goes through relay-filtered.ts. */
  matcher?: ContentMatcher | null
  onDone: (r: RelayResult) => void
}

function passedHeaders(upstream: UpstreamAnswer, extra: Record<string, string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const h of PASSED) {
    const v = upstream.headers[h]
    if (v !== undefined) out[h] = v
  }
  return Object.assign(out, extra)
}

/** Whether `chunk` starts (after blanks) with `{` followed by more than `}`: then a field can go in front. */
function spliceAt(chunk: Buffer): {at: number; comma: boolean} | null {
  let i = 0
  while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++
  if (chunk[i] !== 0x7b) return null
  let j = i + 1
  while (j < chunk.length && (chunk[j] === 0x20 || chunk[j] === 0x0a || chunk[j] === 0x0d || chunk[j] === 0x09)) j++
  return {at: i + 1, comma: chunk[j] !== 0x7d}
}

export function relayAnswer(o: RelayOptions): void {
  const status = o.upstream.statusCode ?? 502
  const capture = new Capture(o.sentAt, o.captureBytes)
  let ended = false
  const done = (r: Omit<RelayResult, 'capture' | 'httpStatus'>, httpStatus = status) => {
    if (ended) return
    ended = true
    o.onDone({...r, capture, httpStatus})
  }
  const cut = (why: string) => {
    if (ended) return
    if (!o.res.headersSent) sendWhole(o, 502, JSON.stringify(errorBody(o.callerApi, 502, `upstream ${o.target.id}: ${why}`)), {'content-type': 'application/json'})
    else o.res.destroy()
    done({outcome: 'error', error: {type: 'upstream_cut', code: null, message: why}}, o.res.headersSent ? status : 502)
  }
  o.upstream.on('aborted', () => cut('the upstream closed the connection before the answer was complete'))
  o.upstream.on('error', (err) => cut(err.message))
  if (status < 200 || status >= 300) return relayError(o, status, capture, done)
  const sse = /text\/event-stream/i.test(String(o.upstream.headers['content-type'] ?? ''))
  if (o.matcher) return relayFiltered(filteredIo(o, o.matcher, capture, done), sse)
  const cross = o.target.api !== o.callerApi
  if (!cross && sse) return passStream(o, capture, done)
  if (!cross) return passBody(o, capture, done)
  if (sse) return translateStream(o, capture, done)
  return translateBody(o, capture, done)
}

type Done = (r: Omit<RelayResult, 'capture' | 'httpStatus'>, httpStatus?: number) => void

function sendWhole(o: RelayOptions, status: number, text: string, headers: OutgoingHttpHeaders): void {
  if (o.res.headersSent || o.res.destroyed) return
  o.res.writeHead(status, {...passedHeaders(o.upstream, o.headers), ...headers, 'content-length': Buffer.byteLength(text)})
  o.res.end(text)
}

function filteredIo(o: RelayOptions, matcher: ContentMatcher, capture: Capture, done: Done): FilteredRelay {
  return {
    upstream: o.upstream,
    callerApi: o.callerApi,
    target: o.target,
    includeUsage: o.includeUsage,
    matcher,
    capture,
    send: (status, text) => sendWhole(o, status, text, {'content-type': 'application/json'}),
    open: () => {
      o.res.writeHead(o.upstream.statusCode ?? 200, {...passedHeaders(o.upstream, o.headers), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache'})
      o.res.flushHeaders()
    },
    write: (text) => write(o, text),
    end: () => o.res.end(),
    done,
  }
}

/** Writes with backpressure: a slow caller pauses the upstream socket instead of growing a buffer. */
function write(o: RelayOptions, chunk: Buffer | string): void {
  if (!o.res.write(chunk)) {
    o.upstream.pause()
    o.res.once('drain', () => o.upstream.resume())
  }
}

function passStream(o: RelayOptions, capture: Capture, done: Done): void {
  o.res.writeHead(o.upstream.statusCode ?? 200, {...passedHeaders(o.upstream, o.headers), 'content-type': String(o.upstream.headers['content-type']), 'cache-control': 'no-cache'})
  o.res.flushHeaders()
  o.upstream.on('data', (c: Buffer) => {
    capture.add(c)
    write(o, c)
  })
  o.upstream.on('end', () => {
    o.res.end()
    done({outcome: 'ok', error: null})
  })
}

function passBody(o: RelayOptions, capture: Capture, done: Done): void {
  const provider = o.callerApi !== 'anthropic.messages' ? Buffer.from(`"provider":${JSON.stringify(o.target.provider)}`) : null
  const length = o.upstream.headers['content-length']
  const encoded = o.upstream.headers['content-encoding'] !== undefined && o.upstream.headers['content-encoding'] !== 'identity'
  let started = false
  const start = (first: Buffer | null): Buffer | null => {
    started = true
    const headers: OutgoingHttpHeaders = {...passedHeaders(o.upstream, o.headers), 'content-type': String(o.upstream.headers['content-type'] ?? 'application/json')}
    if (encoded) headers['content-encoding'] = o.upstream.headers['content-encoding']
    let out = first
    const at = first && provider && !encoded ? spliceAt(first) : null
    if (first && at) {
      const insert = at.comma ? Buffer.concat([provider!, Buffer.from(',')]) : provider!
      out = Buffer.concat([first.subarray(0, at.at), insert, first.subarray(at.at)])
      if (length !== undefined) headers['content-length'] = Number(length) + insert.length
    } else if (length !== undefined) headers['content-length'] = length
    o.res.writeHead(o.upstream.statusCode ?? 200, headers)
    return out
  }
  o.upstream.on('data', (c: Buffer) => {
    capture.add(c)
    write(o, started ? c : start(c)!)
  })
  o.upstream.on('end', () => {
    if (!started) start(null)
    o.res.end()
    done({outcome: 'ok', error: null})
  })
}

function translateBody(o: RelayOptions, capture: Capture, done: Done): void {
  const chunks: Buffer[] = []
  let size = 0
  o.upstream.on('data', (c: Buffer) => {
    capture.add(c)
    size += c.length
    if (size <= MAX_TRANSLATED_BYTES) chunks.push(c)
  })
  o.upstream.on('end', () => {
    if (size > MAX_TRANSLATED_BYTES) {
      const message = `upstream ${o.target.id}: answer of ${size} bytes is too large to translate (limit ${MAX_TRANSLATED_BYTES})`
      sendWhole(o, 502, JSON.stringify(errorBody(o.callerApi, 502, message)), {'content-type': 'application/json'})
      return done({outcome: 'error', error: {type: 'answer_too_large', code: null, message}}, 502)
    }
    let body: Json
    try {
      body = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as Json
    } catch {
      const message = `upstream ${o.target.id}: the answer is not JSON`
      sendWhole(o, 502, JSON.stringify(errorBody(o.callerApi, 502, message)), {'content-type': 'application/json'})
      return done({outcome: 'error', error: {type: 'invalid_response', code: null, message}}, 502)
    }
    const out = o.callerApi === 'openai.chat' ? {...anthropicMessageToOpenAIChat(body), provider: o.target.provider} : openaiChatToAnthropicMessage(body)
    sendWhole(o, o.upstream.statusCode ?? 200, JSON.stringify(out), {'content-type': 'application/json'})
    done({outcome: 'ok', error: null})
  })
}

function translateStream(o: RelayOptions, capture: Capture, done: Done): void {
  o.res.writeHead(o.upstream.statusCode ?? 200, {...passedHeaders(o.upstream, o.headers), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache'})
  o.res.flushHeaders()
  const splitter = new SseSplitter()
  const tr = o.callerApi === 'openai.chat' ? new AnthropicToOpenAIStream({includeUsage: o.includeUsage}) : new OpenAIToAnthropicStream()
  const emit = (events: ReturnType<SseSplitter['push']>) => {
    let text = ''
    for (const ev of events) text += tr.push(ev)
    if (text) write(o, text)
  }
  o.upstream.on('data', (c: Buffer) => {
    capture.add(c)
    emit(splitter.push(c))
  })
  o.upstream.on('end', () => {
    emit(splitter.end())
    o.res.end()
    done({outcome: 'ok', error: null})
  })
}

function relayError(o: RelayOptions, status: number, capture: Capture, done: Done): void {
  const chunks: Buffer[] = []
  let size = 0
  o.upstream.on('data', (c: Buffer) => {
    size += c.length
    if (size <= MAX_ERROR_BYTES) chunks.push(c)
  })
  o.upstream.on('end', () => {
    const raw = maskKnown(Buffer.concat(chunks).toString('utf8'), o.target.secrets)
    // Only the scrubbed text is kept for the event.
    capture.add(Buffer.from(raw))
    let parsed: unknown = null
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = null
    }
    const same = o.target.api === o.callerApi && parsed !== null && readErrorBody(parsed) !== null
    const family = o.callerApi === 'anthropic.messages' ? 'anthropic' : 'openai'
    const text = same ? raw : JSON.stringify(translateErrorBody(family, status, raw))
    sendWhole(o, status, text, {'content-type': 'application/json'})
    const e = readErrorBody(parsed)
    done({outcome: 'error', error: {type: e?.type ?? `http_${status}`, code: e?.code ?? null, message: e?.message ?? `upstream returned HTTP ${status}`}})
  })
}
