// Bare provider bodies as in-house loggers write them: a request body, a response body, or a pair
// `{request, response, timestamp?, latency_ms?, ...}`, one per JSONL line or as a JSON document/array.
// Also a raw SSE capture (one streamed response, OpenAI or Anthropic).
import {num, toIso, unreadableNumbers} from '../records/index.js'
import {isAnthropicResponse, isAnthropicSse} from '../wire/index.js'
import {asArray, asObject, asString, isObject, maybeJson, type Json} from '../wire/index.js'
import {isOpenAIChatRequest, isOpenAIChatResponse, isOpenAIChatSse, looksAnthropicMessages, parseSse} from '../wire/index.js'
import {buildRecord, draftFromBodies, type RecordDraft, type Which} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'
import {objectParser} from './common/parser.js'
import {sessionIdOf, traceIdOf} from './common/values.js'


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
    // Turns of one conversation share a session id, retries and sub-calls a trace id: on the wrapper or in its metadata.
    event: {session_id: sessionIdOf(wrapper, meta), trace_id: traceIdOf(wrapper, meta)},
  })
  const bad = unreadableNumbers(wrapper, ['latency_ms', 'duration_ms', 'ttft_ms', 'cost_usd', 'cost'])
  if (bad) draft.unreadable = {...draft.unreadable, ...bad}
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
    open: () =>
      objectParser('', function* (v: Json, item: Item, ctx: FormatContext): Iterable<Outcome> {
        // Either provider's bodies may follow in the same file; each line is parsed as what it is.
        const c = classify(v)
        if (c === null) {
          yield {kind: 'reject', reason: 'not an OpenAI Chat or Anthropic Messages request, response or pair', locator: item.locator}
          return
        }
        const fmt = c === which ? name : c === 'openai' ? 'openai-chat' : 'anthropic-messages'
        yield {kind: 'record', record: buildRecord(pairDraft(c, v, item, fmt), ctx)}
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
