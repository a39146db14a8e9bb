// The body-to-record codec: a record draft from a provider request body, response body (an object, or SSE text to
// assemble) or both, for every generation api kt imports; and which api a URL or a bare response body belongs to.
// Shared by the log formats (pairs, Batch files, HAR, recordings) and the gateway.
import {emptyRequest, toIso, unreadableNumbers, USAGE_NUMBER_KEYS, type Api} from '../records/index.js'
import {assembleAnthropicStream, parseAnthropicRequest, parseAnthropicResponse} from './anthropic.js'
import {asArray, asObject, asString, isObject, type Json} from './json.js'
import {assembleOpenAIChatStream, parseOpenAIChatRequest, parseOpenAIChatResponse, parseSse, type AssembledStream, type ParsedResponse} from './openai-chat.js'
import {assembleCompletionsStream, isCompletionsResponse, parseCompletionsRequest, parseCompletionsResponse} from './openai-completions.js'
import {assembleResponsesStream, isResponsesResponse, parseResponsesRequest, parseResponsesResponse} from './openai-responses.js'
import type {RecordDraft} from './record.js'

// Endpoints

export type Endpoint = {api: Api} | {skip: string}

/**
 * What a request URL (absolute, or a Batch-style path) is: a generation api kt imports, a known
 * non-generation endpoint to skip, or null when it is not an LLM API path at all. Matches path suffixes,
 * so proxies (LiteLLM, Helicone, OpenRouter) and Azure deployments are recognised too.
 */
export function endpointOf(url: string): Endpoint | null {
  const path = (url.split(/[?#]/)[0] ?? '').replace(/\/+$/, '')
  if (/\/chat\/completions$/.test(path)) return {api: 'openai.chat'}
  if (/\/v1\/messages$/.test(path)) return {api: 'anthropic.messages'}
  if (/\/responses$/.test(path)) return {api: 'openai.responses'}
  if (/(^|\/)(v1|deployments\/[^/]+)\/completions$/.test(path)) return {api: 'openai.completions'}
  if (/\/embeddings$/.test(path)) return {skip: 'embeddings request (not a generation)'}
  if (/\/moderations$/.test(path)) return {skip: 'moderation request (not a generation)'}
  if (/\/images\/[a-z]+$/.test(path)) return {skip: 'image request (not a text generation)'}
  if (/\/audio\/[a-z]+$/.test(path)) return {skip: 'audio request (not a text generation)'}
  if (/\/messages\/count_tokens$/.test(path)) return {skip: 'token count request (not a generation)'}
  return null
}


/** What the source knows besides the bodies (format, locator, timing, metadata…). */
export type DraftBase = Omit<RecordDraft, 'format'> & {format: string}

export type Which = 'openai' | 'anthropic'

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
  const usage = parsed.response.raw?.usage
  const bad = usage ? unreadableNumbers(usage, USAGE_NUMBER_KEYS, 'usage.') : null
  if (bad) draft.unreadable = {...draft.unreadable, ...bad}
}

function assemble(which: Which, text: string): AssembledStream {
  const events = parseSse(text)
  return which === 'anthropic' ? assembleAnthropicStream(events) : assembleOpenAIChatStream(events)
}

export function draftFromBodies(
  which: Which,
  reqBody: Json | null,
  resBody: Json | string | null,
  base: DraftBase,
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

/** Like provider-bodies' draftFromBodies, for the OpenAI Responses and Completions apis. */
function openaiOtherDraft(api: 'openai.responses' | 'openai.completions', reqBody: Json | null, resBody: Json | string | null, base: DraftBase): RecordDraft {
  const responses = api === 'openai.responses'
  const request = reqBody ? (responses ? parseResponsesRequest(reqBody) : parseCompletionsRequest(reqBody)) : null
  const draft: RecordDraft = {...base, api, request}
  let body: Json | null = null
  if (typeof resBody === 'string') {
    const events = parseSse(resBody)
    const s = responses ? assembleResponsesStream(events) : assembleCompletionsStream(events)
    body = s.body
    markStreamed(draft, s)
  } else if (resBody) {
    body = resBody
  }
  if (body && isObject(body.error)) {
    // A failed Response still carries its object; a bare `{error}` body is only an error.
    const e = body.error
    draft.status = 'error'
    draft.error = {type: asString(e.type) ?? (responses && body.status === 'failed' ? 'failed' : null), code: asString(e.code), message: asString(e.message)}
    if (!(responses && body.object === 'response')) body = null
  }
  if (body) {
    const parsed = responses ? parseResponsesResponse(body) : parseCompletionsResponse(body)
    applyParsedResponse(draft, parsed)
  }
  draft.model ??= (reqBody && asString(reqBody.model)) ?? (body ? asString(body.model) : null)
  draft.provider ??= 'openai'
  // §4: a request continuing server-side state cannot be replayed from the log alone.
  if (reqBody && (reqBody.previous_response_id || reqBody.conversation)) {
    draft.replayable = false
    draft.metadata = {...(draft.metadata ?? {}), not_replayable_reason: 'depends on server-side state (previous_response_id/conversation)'}
  }
  return draft
}

/** A draft for any generation api from its request body, response body (object, or SSE text) or both. */
export function draftForApi(api: Api, reqBody: Json | null, resBody: Json | string | null, base: DraftBase): RecordDraft {
  let draft: RecordDraft
  switch (api) {
    case 'openai.chat':
      draft = draftFromBodies('openai', reqBody, resBody, base)
      break
    case 'anthropic.messages':
      draft = draftFromBodies('anthropic', reqBody, resBody, base)
      break
    case 'openai.responses':
    case 'openai.completions':
      draft = openaiOtherDraft(api, reqBody, resBody, base)
      break
    default:
      return {...base, api: 'unknown', request: null, model: base.model ?? (reqBody ? asString(reqBody.model) : null)}
  }
  // A streamed response without its request still was a stream (the events table reads `stream` from the request).
  if (!draft.request && typeof resBody === 'string') draft.request = {...emptyRequest(), stream: true}
  return draft
}

/** The api a bare response body belongs to, when no request says so. */
export function apiOfResponseBody(v: unknown): Api | null {
  const o = asObject(v)
  if (o.object === 'chat.completion' || (Array.isArray(o.choices) && asObject(asArray(o.choices)[0]).message !== undefined)) return 'openai.chat'
  if (o.type === 'message' && Array.isArray(o.content)) return 'anthropic.messages'
  if (isResponsesResponse(o)) return 'openai.responses'
  if (isCompletionsResponse(o)) return 'openai.completions'
  return null
}

/** Marks a draft failed because of its HTTP status, keeping a more specific error found in the body. */
export function applyHttpStatus(draft: RecordDraft, status: number | null, message: string | null = null): void {
  draft.http_status = status
  if (status === null || (status >= 200 && status < 400)) return
  if (draft.status !== 'error') draft.status = 'error'
  draft.error ??= {type: 'http_error', code: String(status), message}
  if (draft.response && draft.response.finish_reason !== 'error') draft.response = {...draft.response, finish_reason: 'error'}
}
