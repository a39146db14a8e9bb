// Reading an answer's captured bytes on the side path: a JSON body or an SSE stream (assembled by the wire parsers),
// time to first token from the chunk marks, and the answer re-shaped into the caller's API when it was translated.
import type {CanonicalResponse, PolicyTrigger, Usage} from '../records/index.js'
import {emptyUsage} from '../records/index.js'
import {
  anthropicMessageToOpenAIChat,
  assembleAnthropicStream,
  assembleOpenAIChatStream,
  assembleResponsesStream,
  isAnthropicContentEvent,
  isOpenAIContentEvent,
  isResponsesContentEvent,
  openaiChatToAnthropicMessage,
  responseFromBody,
  SseSplitter,
  type Json,
  type SseEvent,
} from '../wire/index.js'
import type {CallerApi} from './exchange.js'

export interface Answer {
  /** Body in the target's API (assembled when streamed); null when there is none. */
  body: Json | null
  response: CanonicalResponse | null
  usage: Usage
  responseModel: string | null
  sourceId: string | null
  ttftMs: number | null
  /** A stream that ended without its terminal event, or with an error event. */
  streamError: string | null
  /** content_filter rules that redacted this stored copy (a shadow's answer; events.ts). */
  redactions?: PolicyTrigger[]
}

const EMPTY: Answer = {body: null, response: null, usage: emptyUsage(), responseModel: null, sourceId: null, ttftMs: null, streamError: null}

function firstByte(bytes: Uint8Array): number {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b
  return -1
}

/** The SSE events of a stream, and the time (from the marks) of the chunk that carried the first content. */
function readStream(api: CallerApi, bytes: Uint8Array, marks: readonly number[]): {events: SseEvent[]; ttftMs: number | null} {
  const splitter = new SseSplitter()
  const isContent = api === 'anthropic.messages' ? isAnthropicContentEvent : api === 'openai.responses' ? isResponsesContentEvent : isOpenAIContentEvent
  const events: SseEvent[] = []
  let ttftMs: number | null = null
  let from = 0
  const take = (evs: SseEvent[], at: number | null) => {
    for (const ev of evs) {
      if (ttftMs === null && at !== null && isContent(ev)) ttftMs = at
      events.push(ev)
    }
  }
  for (let i = 0; i + 1 < marks.length; i += 2) {
    const end = marks[i]!
    take(splitter.push(bytes.subarray(from, end)), marks[i + 1]!)
    from = end
  }
  if (from < bytes.length) take(splitter.push(bytes.subarray(from)), marks.length ? marks[marks.length - 1]! : null)
  take(splitter.end(), marks.length ? marks[marks.length - 1]! : null)
  return {events, ttftMs}
}

/** Parses an answer in `api`'s format. `ttfbMs` stands in for TTFT when the answer was not streamed. */
export function parseAnswer(api: CallerApi, bytes: Uint8Array | null, marks: readonly number[], ttfbMs: number | null): Answer {
  if (!bytes || bytes.length === 0) return EMPTY
  let body: Json | null = null
  let ttftMs = ttfbMs
  let streamError: string | null = null
  if (firstByte(bytes) === 0x7b) {
    try {
      body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Json
    } catch {
      return {...EMPTY, streamError: 'the answer is not valid JSON'}
    }
  } else {
    const read = readStream(api, bytes, marks)
    ttftMs = read.ttftMs
    const assembled = api === 'anthropic.messages' ? assembleAnthropicStream(read.events) : api === 'openai.responses' ? assembleResponsesStream(read.events) : assembleOpenAIChatStream(read.events)
    body = assembled.body
    if (assembled.error) streamError = `${assembled.error.type ?? 'error'}: ${assembled.error.message ?? 'error event in the stream'}`
    else if (!assembled.complete) streamError = 'the stream ended before its terminal event'
  }
  const parsed = responseFromBody(api, body)
  return {body, response: parsed.response, usage: parsed.usage, responseModel: parsed.model, sourceId: parsed.id, ttftMs, streamError}
}

/** The answer body in the caller's API (what a replay reads back from response_json). */
export function inCallerApi(callerApi: CallerApi, targetApi: CallerApi, body: Json | null): Json | null {
  // A Responses API request is only ever served in that API (proxy.ts), never translated.
  if (!body || callerApi === targetApi || callerApi === 'openai.responses' || targetApi === 'openai.responses') return body
  return callerApi === 'openai.chat' ? anthropicMessageToOpenAIChat(body) : openaiChatToAnthropicMessage(body)
}
