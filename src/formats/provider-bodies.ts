// Bare provider bodies as in-house loggers write them: a request body, a response body, or a pair
// `{request, response, timestamp?, latency_ms?, ...}`, one per JSONL line or as a JSON document/array.
// Also a raw SSE capture (one streamed response, OpenAI or Anthropic).
import {num, toIso} from '../records/index.js'
import type {Api} from '../records/index.js'
import {isAnthropicResponse, isAnthropicSse, assembleAnthropicStream, parseAnthropicRequest, parseAnthropicResponse} from '../wire/index.js'
import {asArray, asObject, asString, isObject, maybeJson, type Json} from '../wire/index.js'
import {
  assembleOpenAIChatStream,
  isOpenAIChatRequest,
  isOpenAIChatResponse,
  isOpenAIChatSse,
  looksAnthropicMessages,
  parseOpenAIChatRequest,
  parseOpenAIChatResponse,
  parseSse,
  type AssembledStream,
  type ParsedResponse,
} from '../wire/index.js'
import {buildRecord, type RecordDraft} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'

type Which = 'openai' | 'anthropic'

const PAIR_REQUEST_KEYS = ['request', 'request_body', 'requestBody', 'input']
const PAIR_RESPONSE_KEYS = ['response', 'response_body', 'responseBody', 'output']

function pick(o: Json, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return maybeJson(o[k])
  return undefined
}

function isAnthropicRequest(v: unknown): boolean {
  const o = asObject(v)
  return Array.isArray(o.messages) && looksAnthropicMessages(o)
}

/** Which provider a value (request, response, pair or SSE text) belongs to, or null. */
function classify(v: unknown): Which | null {
  if (typeof v === 'string') {
    const events = parseSse(v)
    if (isAnthropicSse(events)) return 'anthropic'
    if (isOpenAIChatSse(events)) return 'openai'
    return null
  }
  if (!isObject(v)) return null
  if (isOpenAIChatResponse(v)) return 'openai'
  if (isAnthropicResponse(v)) return 'anthropic'
  const req = pick(v, PAIR_REQUEST_KEYS)
  const res = pick(v, PAIR_RESPONSE_KEYS)
  if (isObject(req) || isObject(res) || typeof res === 'string') {
    if (isObject(res) && isOpenAIChatResponse(res)) return 'openai'
    if (isObject(res) && isAnthropicResponse(res)) return 'anthropic'
    if (typeof res === 'string') {
      const c = classify(res)
      if (c) return c
    }
    if (isOpenAIChatRequest(req)) return 'openai'
    if (isAnthropicRequest(req)) return 'anthropic'
    return null
  }
  if (isOpenAIChatRequest(v)) return 'openai'
  if (isAnthropicRequest(v)) return 'anthropic'
  return null
}

/**
 * A response that was read from an SSE stream: the request asked for a stream, and an error event or a
 * stream cut before its final event makes the record an error.
 */
export function markStreamed(draft: RecordDraft, s: AssembledStream): void {
  if (draft.request) draft.request.stream = true
  if (s.error) {
    draft.status = 'error'
    draft.error = {type: s.error.type, code: null, message: s.error.message}
  } else if (!s.complete) {
    draft.status = 'error'
    draft.error = {type: 'stream_incomplete', code: null, message: 'stream ended before its final event'}
  }
  draft.metadata = {...(draft.metadata ?? {}), streamed: true}
}

/** A parsed response body onto the draft; the id and created time only where the source had none. */
export function applyParsedResponse(draft: RecordDraft, parsed: ParsedResponse): void {
  draft.response = draft.status === 'error' ? {...parsed.response, finish_reason: 'error'} : parsed.response
  draft.usage = parsed.usage
  draft.response_model = parsed.model
  draft.source_id ??= parsed.id
  if (!draft.timestamp && parsed.created) draft.timestamp = toIso(parsed.created)
}

function assemble(which: Which, text: string): AssembledStream {
  const events = parseSse(text)
  return which === 'anthropic' ? assembleAnthropicStream(events) : assembleOpenAIChatStream(events)
}

export function draftFromBodies(
  which: Which,
  reqBody: Json | null,
  resBody: Json | string | null,
  base: Omit<RecordDraft, 'format'> & {format: string},
): RecordDraft {
  const api: Api = which === 'anthropic' ? 'anthropic.messages' : 'openai.chat'
  const request = reqBody ? (which === 'anthropic' ? parseAnthropicRequest(reqBody) : parseOpenAIChatRequest(reqBody)) : null
  // Object.assign, not spread: later property additions on a spread object cost a new hidden class per record
  // on Node 20 (about a third of the import's parsing time).
  const draft: RecordDraft = Object.assign({}, base, {api, request})
  let body: Json | null = null
  if (typeof resBody === 'string') {
    const s = assemble(which, resBody)
    body = s.body
    markStreamed(draft, s)
  } else if (resBody) {
    body = resBody
  }
  if (body && (asObject(body).error || asObject(body).type === 'error')) {
    const e = asObject(asObject(body).error)
    draft.status = 'error'
    draft.error = {type: asString(e.type), code: asString(e.code) ?? null, message: asString(e.message)}
    body = null
  }
  if (body) {
    const parsed = which === 'anthropic' ? parseAnthropicResponse(body) : parseOpenAIChatResponse(body)
    applyParsedResponse(draft, parsed)
  }
  draft.model ??= (reqBody && asString(reqBody.model)) ?? (body ? asString(body.model) : null)
  draft.provider ??= which
  return draft
}

function pairDraft(which: Which, v: Json, item: Item, format: string): RecordDraft {
  const isBareResponse = which === 'openai' ? isOpenAIChatResponse(v) : isAnthropicResponse(v)
  const req = isBareResponse ? null : pick(v, PAIR_REQUEST_KEYS)
  const res = isBareResponse ? v : pick(v, PAIR_RESPONSE_KEYS)
  const bareRequest = !isBareResponse && req === undefined && res === undefined
  const reqBody = bareRequest ? v : isObject(req) ? req : null
  const resBody = isObject(res) || typeof res === 'string' ? res : null
  const wrapper = bareRequest || isBareResponse ? {} : v
  const meta = asObject(wrapper.metadata)
  const tags = asArray(wrapper.tags).filter((t): t is string => typeof t === 'string')
  const statusCode = num(wrapper.status_code ?? wrapper.http_status ?? wrapper.status)
  const draft = draftFromBodies(which, reqBody, resBody, {
    format,
    locator: item.locator,
    source_id: asString(wrapper.id) ?? asString(wrapper.request_id) ?? null,
    timestamp: toIso(wrapper.timestamp ?? wrapper.start_time ?? wrapper.created_at ?? wrapper.startTime),
    latency_ms: num(wrapper.latency_ms ?? wrapper.duration_ms),
    ttft_ms: num(wrapper.ttft_ms),
    http_status: statusCode,
    cost_usd: num(wrapper.cost_usd ?? wrapper.cost),
    tags,
    metadata: meta,
  })
  // A logged error object says more than the status code alone (e.g. Anthropic's overloaded_error on a 529).
  if (draft.status !== 'error') {
    const logged = isObject(wrapper.error) ? (isObject(wrapper.error.error) ? wrapper.error.error : wrapper.error) : null
    if (logged || (statusCode !== null && statusCode >= 400)) {
      draft.status = 'error'
      draft.error = logged
        ? {type: asString(logged.type), code: asString(logged.code) ?? (statusCode !== null ? String(statusCode) : null), message: asString(logged.message)}
        : {type: 'http_error', code: String(statusCode), message: asString(wrapper.error)}
    }
  }
  return draft
}

function bodyFormat(which: Which, name: string, title: string): Format {
  return {
    name,
    title,
    shapes: ['jsonl', 'json'],
    family: 'provider-bodies',
    detect: (v) => classify(v) === which,
    open: () => ({
      *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
        if (!isObject(item.value)) {
          yield {kind: 'reject', reason: 'expected a JSON object', locator: item.locator}
          return
        }
        // Either provider's bodies may follow in the same file; each line is parsed as what it is.
        const c = classify(item.value)
        if (c === null) {
          yield {kind: 'reject', reason: 'not an OpenAI Chat or Anthropic Messages request, response or pair', locator: item.locator}
          return
        }
        const fmt = c === which ? name : c === 'openai' ? 'openai-chat' : 'anthropic-messages'
        yield {kind: 'record', record: buildRecord(pairDraft(c, item.value, item, fmt), ctx)}
      },
    }),
  }
}

export const openaiChatFormat = bodyFormat('openai', 'openai-chat', 'OpenAI Chat Completions bodies: request, response or {request, response} pairs')
export const anthropicMessagesFormat = bodyFormat('anthropic', 'anthropic-messages', 'Anthropic Messages bodies: request, response or {request, response} pairs')

export const sseFormat: Format = {
  name: 'sse',
  title: 'A raw SSE capture of one streamed response (OpenAI or Anthropic)',
  shapes: ['sse'],
  detect: (v) => typeof v === 'string' && classify(v) !== null,
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      const which = classify(item.value)
      if (!which || typeof item.value !== 'string') {
        yield {kind: 'reject', reason: 'not an OpenAI or Anthropic event stream', locator: item.locator}
        return
      }
      // Only the response exists in a capture: kept for events and reports, not replayable.
      yield {kind: 'record', record: buildRecord(draftFromBodies(which, null, item.value, {format: 'sse', locator: item.locator}), ctx)}
    },
  }),
}
