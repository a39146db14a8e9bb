// The relay when a content_filter blocks or redacts answers (the plain relay in relay.ts runs without one: bytes as
// they arrive). A whole answer is held (bounded, as translated bodies are), filtered in the target's API, then sent,
// translated when the caller speaks the other API, or refused with 403 `content_blocked`. A stream is relayed event by
// event through answer-stream.ts (each text delta held back by a few characters); a blocking match ends it with an
// error event in the caller's stream shape. The event stores what the caller got (in the target's API, as always):
// the redacted answer, the part of a stream that went out before a block, a blocked whole answer with its matches
// redacted (so its usage and cost are kept, its matched text is not).
import {AnthropicToOpenAIStream, OpenAIToAnthropicStream, SseSplitter, anthropicMessageToOpenAIChat, decompressSync, openaiChatToAnthropicMessage, type Encoding, type Json, type SseEvent} from '../wire/index.js'
import type {PolicyTrigger} from '../records/index.js'
import {filterBody, type Blocked, type ContentMatcher} from './answer-filter.js'
import {AnswerStreamFilter, sseText} from './answer-stream.js'
import type {Capture} from './capture.js'
import {errorBody} from './errors.js'
import type {CallerApi} from './exchange.js'
import type {PlanTarget} from './plan.js'
import type {UpstreamAnswer} from './upstream-types.js'

/** A held answer beyond this is refused rather than held (as relay.ts does for a body it must translate). */
const MAX_HELD_BYTES = 32 * 1024 * 1024
const ENCODINGS = new Set(['gzip', 'deflate', 'br'])

export interface FilteredResult {
  outcome: 'ok' | 'error' | 'blocked'
  error: {type: string; code: string | null; message: string} | null
  /** The answer's content_filter triggers. */
  policies: PolicyTrigger[]
}

/** What the filtered relay needs from relay.ts (which owns the response: headers, backpressure, the result). */
export interface FilteredRelay {
  upstream: UpstreamAnswer
  callerApi: CallerApi
  target: PlanTarget
  includeUsage: boolean
  matcher: ContentMatcher
  capture: Capture
  /** A whole JSON answer with this status. */
  send(status: number, text: string): void
  /** The headers of an event stream. */
  open(): void
  write(text: string): void
  end(): void
  done(r: FilteredResult, httpStatus?: number): void
}

export function relayFiltered(io: FilteredRelay, sse: boolean): void {
  if (sse) filterStream(io)
  else holdBody(io)
}

function refuse(io: FilteredRelay, status: number, type: string, message: string, policies: PolicyTrigger[] = []): void {
  const code = type === 'content_blocked' ? type : null
  io.send(status, JSON.stringify(errorBody(io.callerApi, status, message, code)))
  io.done({outcome: type === 'content_blocked' ? 'blocked' : 'error', error: {type, code, message}, policies}, status)
}

function readJson(io: FilteredRelay, raw: Buffer): Json | null {
  try {
    const enc = String(io.upstream.headers['content-encoding'] ?? 'identity').toLowerCase()
    const bytes = enc === 'identity' ? raw : ENCODINGS.has(enc) ? decompressSync(raw, enc as Encoding, 'the answer') : null
    const v: unknown = bytes ? JSON.parse(bytes.toString('utf8')) : null
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null
  } catch {
    return null
  }
}

function holdBody(io: FilteredRelay): void {
  const chunks: Buffer[] = []
  let size = 0
  io.upstream.on('data', (c: Buffer) => {
    io.capture.add(c)
    size += c.length
    if (size <= MAX_HELD_BYTES) chunks.push(c)
  })
  io.upstream.on('end', () => {
    const id = io.target.id
    if (size > MAX_HELD_BYTES) return refuse(io, 502, 'answer_too_large', `upstream ${id}: answer of ${size} bytes is too large to filter (limit ${MAX_HELD_BYTES})`)
    const body = readJson(io, Buffer.concat(chunks, size))
    if (!body) return refuse(io, 502, 'invalid_response', `upstream ${id}: the answer is not JSON (a content_filter must read it)`)
    const v = filterBody(io.matcher, io.target.api, body)
    if (v.changed) io.capture.replace(Buffer.from(JSON.stringify(v.body)))
    if (v.block) return refuse(io, 403, 'content_blocked', v.block.message, v.triggers)
    let out = v.body
    if (io.target.api !== io.callerApi) out = io.callerApi === 'openai.chat' ? anthropicMessageToOpenAIChat(out) : openaiChatToAnthropicMessage(out)
    if (io.callerApi === 'openai.chat') out = {...out, provider: io.target.provider}
    io.send(io.upstream.statusCode ?? 200, JSON.stringify(out))
    io.done({outcome: 'ok', error: null, policies: v.triggers})
  })
}

/** The error event that ends a blocked stream, in the caller's stream shape (the SDKs raise it). */
function streamError(api: CallerApi, message: string): string {
  const body = errorBody(api, 403, message, 'content_blocked')
  return api === 'anthropic.messages' ? `event: error\ndata: ${JSON.stringify(body)}\n\n` : `data: ${JSON.stringify(body)}\n\n`
}

function filterStream(io: FilteredRelay): void {
  io.open()
  const splitter = new SseSplitter()
  const filter = new AnswerStreamFilter(io.matcher, io.target.api)
  const cross = io.target.api !== io.callerApi
  const tr = !cross ? null : io.callerApi === 'openai.chat' ? new AnthropicToOpenAIStream({includeUsage: io.includeUsage}) : new OpenAIToAnthropicStream()
  let stopped = false
  const block = (b: Blocked) => {
    stopped = true
    io.write(streamError(io.callerApi, b.message))
    io.end()
    io.done({outcome: 'blocked', error: {type: 'content_blocked', code: 'content_blocked', message: b.message}, policies: filter.hits.triggers()})
    // Nothing more of this answer will be sent: stop reading (and paying for) it. After done(): the cut this
    // causes ('aborted', at once) must not count as the outcome.
    io.upstream.destroy()
  }
  /** Filters the events, captures what may go out (target API), writes it (translated for the other API). */
  const relay = (events: SseEvent[], last: boolean) => {
    let kept = ''
    let text = ''
    const emit = (out: SseEvent[]) => {
      for (const ev of out) {
        const raw = sseText(ev)
        kept += raw
        text += tr ? tr.push(ev) : raw
      }
    }
    for (const ev of events) {
      const r = filter.push(ev)
      if (!Array.isArray(r)) {
        if (kept) io.capture.add(Buffer.from(kept))
        if (text) io.write(text)
        return block(r)
      }
      emit(r)
    }
    if (last) emit(filter.end())
    if (kept) io.capture.add(Buffer.from(kept))
    if (text) io.write(text)
  }
  io.upstream.on('data', (c: Buffer) => {
    if (!stopped) relay(splitter.push(c), false)
  })
  io.upstream.on('end', () => {
    if (stopped) return
    relay(splitter.end(), true)
    if (stopped) return
    io.end()
    io.done({outcome: 'ok', error: null, policies: filter.hits.triggers()})
  })
}
