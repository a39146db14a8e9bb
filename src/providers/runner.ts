// One upstream call, whatever the SDK: deadline + caller abort, timing, reading the raw body (JSON or SSE) and
// handing it to the wire-format parsers, and classifying every failure. The SDK call itself is injected as `send`.
import {assembleAnthropicStream, parseAnthropicResponse} from '../wire/index.js'
import type {Json} from '../wire/index.js'
import {assembleOpenAIChatStream, parseOpenAIChatResponse, parseSse, type ParsedResponse, type SseEvent} from '../wire/index.js'
import {emptyUsage, maskKnown, scrubText} from '../records/index.js'
import {capError, capResult, classifyError, isRetryableErrorType, timeoutResult, type AbortState, type Classified} from './classify.js'
import {assembleResponsesStream, parseResponsesResponse} from '../wire/index.js'
import {isAnthropicContentEvent, isOpenAIContentEvent, isResponsesContentEvent, readSseBody} from '../wire/index.js'
import {AnswerTooLargeError, bodyComplete, maxAnswerBytes, readBodyText, sentAt} from './transport.js'
import {emptyResult} from './body.js'
import type {CallResult} from './types.js'

export type WireApi = 'openai.chat' | 'anthropic.messages' | 'openai.responses'

export const DEFAULT_TIMEOUT_MS = 120_000

export interface RunSpec {
  wire: WireApi
  stream: boolean
  timeoutMs: number
  signal?: AbortSignal
  /**
   * Starts the SDK call and resolves to the raw, unread Response (SDK `.asResponse()`); rejects with SDK errors.
   * `timeoutMs` must reach the SDK's `timeout` (it is the deadline until the headers); `signal` is the caller's.
   */
  send: (signal: AbortSignal | undefined, timeoutMs: number) => Promise<Response>
  losses: string[]
  /** Strings that must never reach a stored field (API keys, header values). */
  secrets: string[]
}

/** A whole answer body of `wire`, parsed. */
export function parseBody(wire: WireApi, body: Json): ParsedResponse {
  if (wire === 'anthropic.messages') return parseAnthropicResponse(body)
  if (wire === 'openai.responses') return parseResponsesResponse(body)
  return parseOpenAIChatResponse(body)
}

function contentTest(wire: WireApi): (ev: SseEvent) => boolean {
  return wire === 'anthropic.messages' ? isAnthropicContentEvent : wire === 'openai.responses' ? isResponsesContentEvent : isOpenAIContentEvent
}

function assemble(wire: WireApi, events: SseEvent[]): {body: Json | null; complete: boolean; error: {type: string | null; message: string | null} | null} {
  if (wire === 'anthropic.messages') return assembleAnthropicStream(events)
  if (wire === 'openai.responses') return assembleResponsesStream(events)
  return assembleOpenAIChatStream(events)
}

/** An error text without the target's own key and header values, nor anything else kt's credential rule finds. */
function scrub(text: string | null, secrets: string[]): string | null {
  if (text === null) return null
  return scrubText(maskKnown(text, secrets))
}

function requestIdOf(headers: Headers): string | null {
  return headers.get('x-request-id') ?? headers.get('request-id') ?? headers.get('apim-request-id')
}

/** What readSseBody read of a stream (its type is not part of wire's public face). */
type StreamRead = Awaited<ReturnType<typeof readSseBody>>

/** A failed call's result: `c` over `base`, its error texts scrubbed of the target's secrets. */
function failed(base: CallResult, secrets: string[], c: Classified, latency: number, extra: Partial<CallResult> = {}): CallResult {
  return {
    ...base,
    ...c,
    error: {type: scrub(c.error.type, secrets), code: scrub(c.error.code, secrets), message: scrub(c.error.message, secrets)},
    latency_ms: latency,
    ...extra,
  }
}

export async function runCall(spec: RunSpec): Promise<CallResult> {
  const base: CallResult = emptyResult(spec.wire, spec.losses)
  const state: AbortState = {timedOut: false, timeoutMs: spec.timeoutMs, userAborted: false}
  if (spec.signal?.aborted) return failed(base, spec.secrets, classifyError(null, {...state, userAborted: true}), 0)

  // One deadline per call. Until the headers it is the SDK's own `timeout` (its timer aborts the request, the SDK
  // throws APIConnectionTimeoutError); the caller's signal goes to the SDK as is (APIUserAbortError). After the
  // headers, only a body still on its way needs a timer, set to what is left of timeoutMs.
  const start = performance.now()
  let response: Response
  try {
    response = await spec.send(spec.signal, spec.timeoutMs)
  } catch (err) {
    return failed(base, spec.secrets, classifyError(err, state), performance.now() - start)
  }
  // Latency runs from when the request reached its socket (when the transport knows it), not from when the SDK
  // began building it: at high concurrency that gap is this thread's own queueing, not the upstream's time.
  const from = sentAt(response) ?? start
  let controller: AbortController | null = null
  let timer: NodeJS.Timeout | undefined
  const onUserAbort = () => {
    state.userAborted = true
    controller?.abort()
  }
  if (spec.stream || !bodyComplete(response)) {
    controller = new AbortController()
    const c = controller
    timer = setTimeout(() => {
      state.timedOut = true
      c.abort()
    }, Math.max(0, spec.timeoutMs - (performance.now() - start)))
    spec.signal?.addEventListener('abort', onUserAbort, {once: true})
    if (spec.signal?.aborted) onUserAbort()
  }

  // The body is read here, between the timer and its clearing; what it says is judged by wholeAnswer and streamAnswer.
  try {
    const httpStatus = response.status
    const requestId = requestIdOf(response.headers)
    if (!spec.stream) {
      let text: string
      try {
        text = await readBodyText(response, controller?.signal)
      } catch (err) {
        return failed(base, spec.secrets, classifyError(err, state), performance.now() - from, {http_status: httpStatus, request_id: requestId})
      }
      return wholeAnswer(spec, base, text, performance.now() - from, httpStatus, requestId)
    }
    // nodeFetch bodies stop at the answer size cap themselves; any other Response is capped here.
    const limit = maxAnswerBytes()
    const read = await readSseBody(response, from, contentTest(spec.wire), controller!.signal, {bytes: limit, error: (seen) => new AnswerTooLargeError(limit, seen, false)})
    return streamAnswer(spec, base, state, read, performance.now() - from, httpStatus, requestId)
  } finally {
    clearTimeout(timer)
    spec.signal?.removeEventListener('abort', onUserAbort)
  }
}

/** The result of a whole (not streamed) answer body: parsed, or why it is not an answer. */
function wholeAnswer(spec: RunSpec, base: CallResult, text: string, latency: number, httpStatus: number, requestId: string | null): CallResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return failed(
      base,
      spec.secrets,
      {status: 'error', http_status: httpStatus, error: {type: 'invalid_response', code: null, message: `upstream returned HTTP ${httpStatus} with a body that is not JSON (${text.length} bytes)`}, retryable: false, retry_after_ms: null, request_id: requestId},
      latency,
    )
  }
  const body = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Json) : {}
  // Some compatible servers answer 200 with an error object.
  if (body.error && !body.choices && !body.content && !body.output) {
    const e = body.error as Record<string, unknown>
    const type = typeof e.type === 'string' ? e.type : 'upstream_error'
    return failed(base, spec.secrets, {status: 'error', http_status: httpStatus, error: {type, code: typeof e.code === 'string' ? e.code : null, message: typeof e.message === 'string' ? e.message : JSON.stringify(e)}, retryable: isRetryableErrorType(type), retry_after_ms: null, request_id: requestId}, latency)
  }
  const parsed = parseBody(spec.wire, body)
  return {...base, http_status: httpStatus, response: parsed.response, usage: parsed.usage, response_model: parsed.model, request_id: requestId, latency_ms: latency}
}

/** The result of a streamed answer as read: assembled, or why it is not a whole answer (with what came of it). */
function streamAnswer(spec: RunSpec, base: CallResult, state: AbortState, read: StreamRead, latency: number, httpStatus: number, requestId: string | null): CallResult {
  const cap = capError(read.readError)
  if (cap) return failed(base, spec.secrets, capResult(cap), latency, {http_status: httpStatus, request_id: requestId})
  const ttft = read.ttftMs
  const assembled = assemble(spec.wire, parseSse(read.text))
  const parsed = assembled.body && Object.keys(assembled.body).length ? parseBody(spec.wire, assembled.body) : null
  const partial = parsed ? {...parsed.response, finish_reason: 'error' as const} : null
  const common = {http_status: httpStatus, request_id: requestId, ttft_ms: ttft, response_model: parsed?.model ?? null, usage: parsed?.usage ?? emptyUsage()}
  if (state.timedOut) return failed(base, spec.secrets, timeoutResult(spec.timeoutMs), latency, {...common, response: partial})
  if (state.userAborted) return failed(base, spec.secrets, classifyError(null, state), latency, {...common, response: partial})
  if (assembled.error) {
    const type = assembled.error.type ?? 'stream_error'
    return failed(
      base,
      spec.secrets,
      {status: 'error', http_status: httpStatus, error: {type, code: null, message: assembled.error.message ?? 'error event in the stream'}, retryable: isRetryableErrorType(type), retry_after_ms: null, request_id: requestId},
      latency,
      {...common, response: partial},
    )
  }
  if (!assembled.complete) {
    const reason = read.readError ? classifyError(read.readError, state).error.message : null
    return failed(
      base,
      spec.secrets,
      {status: 'error', http_status: httpStatus, error: {type: read.readError ? 'connection_error' : 'stream_incomplete', code: null, message: `stream ended before its terminal event${reason ? ` (${reason})` : ''}`}, retryable: true, retry_after_ms: null, request_id: requestId},
      latency,
      {...common, response: partial},
    )
  }
  return {...base, ...common, response: parsed?.response ?? null, latency_ms: latency}
}
