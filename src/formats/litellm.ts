// LiteLLM proxy logs (docs/log-formats.md §7): the StandardLoggingPayload every LiteLLM callback receives (JSON or
// JSONL from the S3/GCS/blob/generic-API loggers), and rows of the LiteLLM_SpendLogs table (JSON, JSONL, CSV).
// LiteLLM logs the messages and the optional params separately, so a replayable request body is synthesised
// from them (flagged `request_synthesized`), except when SpendLogs kept the client's original body.
import {num, usageFromOpenAIChat} from '../records/index.js'
import type {Api, CanonicalResponse, Provider, Usage} from '../records/index.js'
import {isAnthropicResponse, parseAnthropicResponse} from '../wire/index.js'
import {asArray, asObject, isObject, type Json} from '../wire/index.js'
import {parseOpenAIChatResponse, type ParsedResponse} from '../wire/index.js'
import {decode, epochMs, hashIdentifier, isoFromMs, msBetween, str, strings, synthBody, toChatMessages} from './langfuse.js'
import {buildRecord, requestFromBody, responseFromBody, type RecordDraft} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome, Shape} from './types.js'

/** What LiteLLM writes in place of prompts and completions when message logging is off. */
export const LITELLM_REDACTED = 'redacted-by-litellm'

const CALL_APIS: Record<string, Api> = {
  completion: 'openai.chat',
  acompletion: 'openai.chat',
  text_completion: 'openai.completions',
  atext_completion: 'openai.completions',
  responses: 'openai.responses',
  aresponses: 'openai.responses',
  anthropic_messages: 'anthropic.messages',
  aanthropic_messages: 'anthropic.messages',
}

function apiOf(callType: string | null): Api | {skip: string} {
  if (callType && CALL_APIS[callType]) return CALL_APIS[callType]!
  return {skip: `LiteLLM call_type "${callType ?? '(none)'}" is not a chat or text generation (embeddings, images, audio, moderation, rerank, batches are not imported)`}
}

const PROVIDERS: Record<string, Provider> = {
  azure: 'azure_openai',
  azure_openai: 'azure_openai',
  vertex_ai: 'vertex',
  vertex_ai_beta: 'vertex',
  gemini: 'google',
  google: 'google',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  text_completion_openai: 'openai',
}

/** kt provider from LiteLLM's `custom_llm_provider` (unknown names are kept as they are). */
export function providerFromLitellm(p: unknown): Provider | null {
  const s = str(p)?.toLowerCase()
  if (!s) return null
  return PROVIDERS[s] ?? s
}

function isRedactedText(v: unknown): boolean {
  if (v === LITELLM_REDACTED) return true
  return Array.isArray(v) && v.length > 0 && v.every((p) => asObject(p).text === LITELLM_REDACTED)
}

/** Message logging off: LiteLLM replaces the prompt (string or every message's content) with its sentinel. */
function isRedacted(messages: unknown): boolean {
  if (messages === LITELLM_REDACTED) return true
  const list = asArray(messages)
  return list.length > 0 && list.every((m) => isRedactedText(asObject(m).content))
}

function nonEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return false
  if (typeof v === 'string') return v.trim() !== '' && v.trim() !== '{}' && v.trim() !== '[]'
  if (Array.isArray(v)) return v.length > 0
  return isObject(v) ? Object.keys(v).length > 0 : true
}

/** Request body from what LiteLLM logged: `{model, messages, ...model_parameters}` in the call's own shape. */
function synthesise(api: Api, model: string | null, messages: unknown, params: Json, stream: boolean): Json | null {
  const extra: Json = stream ? {stream: true} : {}
  if (api === 'openai.completions') {
    const prompt = typeof messages === 'string' ? messages : toChatMessages(messages)?.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')
    if (!prompt) return null
    const body = synthBody(model, [], params, extra)
    delete body.messages
    return {...body, prompt}
  }
  if (api === 'openai.responses') {
    if (!nonEmpty(messages)) return null
    const body = synthBody(model, [], params, extra)
    delete body.messages
    return {...body, input: messages}
  }
  // Chat and Anthropic messages are logged in their own wire format: kept verbatim.
  const list = typeof messages === 'string' ? [{role: 'user', content: messages}] : asArray(messages)
  if (list.length === 0 || !list.every(isObject)) return null
  return synthBody(model, list as Json[], params, extra)
}

/** Response dict LiteLLM logged (OpenAI ModelResponse, text completion, Responses or Anthropic body). */
function parseResponse(api: Api, body: Json): ParsedResponse | null {
  if (api === 'openai.responses' && (body.object === 'response' || Array.isArray(body.output))) return responseFromBody(api, body)
  if (isAnthropicResponse(body)) return parseAnthropicResponse(body)
  const choice = asObject(asArray(body.choices)[0])
  if (typeof choice.text === 'string') {
    // Text completion: `choices[0].text`.
    const parsed = parseOpenAIChatResponse({...body, choices: [{...choice, message: {role: 'assistant', content: choice.text}}]})
    return {...parsed, response: {...parsed.response, raw: body}}
  }
  if (Array.isArray(body.choices)) return parseOpenAIChatResponse(body)
  return null
}

/** LiteLLM usage is OpenAI-normalised: prompt_tokens already includes cache reads and writes (§1.1). */
function litellmUsage(usageObj: unknown, flat: Json): Partial<Usage> {
  const u = asObject(usageObj)
  const base = usageFromOpenAIChat(u)
  const details = asObject(u.prompt_tokens_details)
  return {
    input_tokens: base.input_tokens ?? num(flat.prompt_tokens),
    output_tokens: base.output_tokens ?? num(flat.completion_tokens),
    cached_input_tokens: base.cached_input_tokens ?? num(u.cache_read_input_tokens),
    cache_write_tokens: num(u.cache_creation_input_tokens) ?? num(details.cache_creation_tokens),
    reasoning_tokens: base.reasoning_tokens,
    total_tokens: num(u.total_tokens) ?? num(flat.total_tokens),
  }
}

// LiteLLM metadata worth keeping as is; everything user_api_key_* is hashed, IPs and headers dropped.
const KEEP_META = [
  'requester_metadata', 'spend_logs_metadata', 'applied_guardrails', 'guardrail_information', 'attempted_fallbacks',
  'attempted_retries', 'max_retries', 'original_model_group', 'prompt_management_metadata', 'mcp_tool_call_metadata',
]

function litellmMeta(m: Json, into: Json): void {
  for (const [k, v] of Object.entries(m)) {
    if (!nonEmpty(v)) continue
    if (k.startsWith('user_api_key') && k !== 'user_api_key_hash') {
      const h = hashIdentifier(v)
      if (h) into[`${k}_hash`] = h
    } else if (k === 'user_api_key_hash') {
      into.user_api_key_hash = hashIdentifier(v)
    } else if (KEEP_META.includes(k)) {
      into[k] = v
    }
  }
}

function cacheHit(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  const s = str(v)?.toLowerCase()
  return s === 'true' ? true : s === 'false' ? false : null
}

interface Common {
  format: string
  locator: string
  api: Api
  callType: string | null
  model: string | null
  start: number | null
  end: number | null
  firstToken: number | null
  streamed: boolean
  status: string | null
  errorInfo: Json
  errorStr: string | null
  body: Json | null
  synthesized: boolean
  redacted: boolean
  response: Json | null
  usage: Partial<Usage>
  cost: number | null
  provider: Provider | null
  tags: string[]
  meta: Json
  event: RecordDraft['event']
}

function draftFrom(c: Common): RecordDraft {
  const meta: Json = {...c.meta}
  if (c.callType) meta.call_type = c.callType
  if (c.synthesized) meta.request_synthesized = true
  if (c.redacted) meta.content_redacted = true
  if (!c.body && !c.redacted) meta.content_not_logged = true
  const request = c.body ? requestFromBody(c.api, c.body) : null
  if (request) request.stream = request.stream || c.streamed
  const draft: RecordDraft = {
    format: c.format,
    locator: c.locator,
    timestamp: isoFromMs(c.start),
    provider: c.provider,
    api: c.api,
    model: c.model,
    request,
    usage: c.usage,
    latency_ms: msBetween(c.start, c.end),
    // For non-streamed calls LiteLLM sets completionStartTime = endTime: not a first-token time.
    ttft_ms: c.streamed ? msBetween(c.start, c.firstToken) : null,
    cost_usd: c.cost,
    cost_source: 'reported',
    tags: c.tags,
    replayable: c.body !== null && !c.redacted && c.api !== 'openai.completions',
    event: c.event,
    metadata: meta,
  }
  if (c.response && nonEmpty(c.response)) {
    const parsed = parseResponse(c.api, c.response)
    if (parsed) {
      let response: CanonicalResponse = parsed.response
      if (c.redacted || response.text === LITELLM_REDACTED) response = {...response, text: null, reasoning: null, raw: null}
      draft.response = response
      draft.response_model = parsed.model
      draft.source_id = parsed.id
      if (!draft.timestamp && parsed.created) draft.timestamp = isoFromMs(parsed.created * 1000)
      // Fill what the flat columns lack from the body's usage (it carries the cache details).
      const u = draft.usage ?? {}
      if (u.input_tokens === null || u.input_tokens === undefined) draft.usage = {...parsed.usage, ...Object.fromEntries(Object.entries(u).filter(([, v]) => v !== null))}
    }
  }
  if (c.status === 'failure' || (c.status === null && c.errorStr)) {
    draft.status = 'error'
    const code = str(c.errorInfo.error_code)
    const http = num(code)
    draft.error = {
      type: str(c.errorInfo.error_class) ?? 'litellm_failure',
      code,
      message: str(c.errorInfo.error_message) ?? c.errorStr,
    }
    if (http !== null && http >= 100 && http < 600) draft.http_status = http
    if (draft.response) draft.response = {...draft.response, finish_reason: 'error'}
  }
  const guard = str(asObject(meta.status_fields).guardrail_status)
  if (guard === 'guardrail_intervened') draft.status = 'blocked'
  return draft
}

// ---------------------------------------------------------------------------------------------
// StandardLoggingPayload
// ---------------------------------------------------------------------------------------------

function isStandardLoggingPayload(v: unknown): boolean {
  if (!isObject(v)) return false
  return 'call_type' in v && 'startTime' in v && ('hidden_params' in v || 'model_map_information' in v || 'response_cost' in v) && !('request_id' in v && 'spend' in v)
}

function slpOutcome(o: Json, locator: string, ctx: FormatContext): Outcome {
  const callType = str(o.call_type)
  const api = apiOf(callType)
  if (typeof api !== 'string') return {kind: 'skip', reason: api.skip, locator}
  const model = str(o.model)
  const stream = o.stream === true
  const messages = decode(o.messages)
  const redacted = isRedacted(messages)
  const params = asObject(decode(o.model_parameters))
  const body = redacted ? null : synthesise(api, model, messages, params, stream)
  const hidden = asObject(o.hidden_params)
  const slpMeta = asObject(decode(o.metadata))
  const response = asObject(decode(o.response))
  const meta: Json = {}
  for (const [k, v] of [
    ['litellm_call_id', str(o.id)],
    ['model_group', str(o.model_group)],
    ['model_id', str(o.model_id) ?? str(hidden.model_id)],
    ['api_base', str(o.api_base) ?? str(hidden.api_base)],
    ['litellm_model_name', str(hidden.litellm_model_name)],
    ['cache_hit', cacheHit(o.cache_hit)],
    ['saved_cache_cost', num(o.saved_cache_cost) || null],
    ['response_time_s', num(o.response_time)],
  ] as const) {
    if (v !== null) meta[k] = v
  }
  if (nonEmpty(o.cost_breakdown)) meta.cost_breakdown = o.cost_breakdown
  if (nonEmpty(o.status_fields)) meta.status_fields = o.status_fields
  litellmMeta(slpMeta, meta)
  const user = str(o.end_user) ?? str(slpMeta.user_api_key_end_user_id) ?? str(slpMeta.user_api_key_user_id)
  const modelInfo = asObject(asObject(o.model_map_information).model_map_value)
  const draft = draftFrom({
    format: 'litellm',
    locator,
    api,
    callType,
    model,
    start: epochMs(o.startTime),
    end: epochMs(o.endTime),
    firstToken: epochMs(o.completionStartTime),
    streamed: stream,
    status: str(o.status),
    errorInfo: asObject(o.error_information),
    errorStr: str(o.error_str),
    body,
    synthesized: body !== null,
    redacted,
    response,
    usage: litellmUsage(nonEmpty(response.usage) ? response.usage : slpMeta.usage_object, o),
    cost: num(o.response_cost),
    provider: providerFromLitellm(o.custom_llm_provider) ?? providerFromLitellm(modelInfo.litellm_provider),
    tags: strings(o.request_tags),
    meta,
    event: {
      // Retries and fallbacks of one request share trace_id (§7, §13): kept for dedupe.
      trace_id: str(o.trace_id),
      session_id: str(slpMeta.session_id) ?? str(slpMeta.litellm_session_id),
      user_id_hash: hashIdentifier(user),
    },
  })
  draft.source_id = str(o.id) ?? draft.source_id ?? null
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const litellmFormat: Format = {
  name: 'litellm',
  title: 'LiteLLM StandardLoggingPayload (callback / bucket logger output: JSON, JSONL)',
  shapes: ['jsonl', 'json'],
  detect: (v: unknown) => isStandardLoggingPayload(v),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isStandardLoggingPayload(item.value)) {
        yield {kind: 'reject', reason: 'not a LiteLLM StandardLoggingPayload (needs call_type, startTime and hidden_params/response_cost)', locator: item.locator}
        return
      }
      yield slpOutcome(item.value as Json, item.locator, ctx)
    },
  }),
}

// ---------------------------------------------------------------------------------------------
// LiteLLM_SpendLogs rows
// ---------------------------------------------------------------------------------------------

function isSpendLog(v: unknown, shape?: Shape): boolean {
  if (!isObject(v)) return false
  const base = 'request_id' in v && 'call_type' in v && 'spend' in v
  return shape === 'csv' ? base && 'startTime' in v : base
}

/** The client's original body from `proxy_server_request`, minus the proxy's own bookkeeping. */
function originalBody(v: unknown): Json | null {
  const body = asObject(decode(v))
  if (!nonEmpty(body.messages) && !nonEmpty(body.input) && !nonEmpty(body.prompt)) return null
  const out: Json = {}
  for (const [k, val] of Object.entries(body)) {
    if (k === 'litellm_metadata' || k === 'proxy_server_request' || k === 'headers') continue
    // The proxy's `metadata` carries request headers and key info, not the OpenAI `metadata` param.
    if (k === 'metadata' && isObject(val) && Object.keys(val).some((mk) => mk === 'headers' || mk.startsWith('user_api_key') || mk.startsWith('requester'))) continue
    out[k] = val
  }
  return out
}

function spendOutcome(o: Json, locator: string, ctx: FormatContext): Outcome {
  const callType = str(o.call_type)
  const api = apiOf(callType)
  if (typeof api !== 'string') return {kind: 'skip', reason: api.skip, locator}
  const rowMeta = asObject(decode(o.metadata))
  const model = str(o.model)
  const original = originalBody(o.proxy_server_request)
  const messages = decode(o.messages)
  const redacted = isRedacted(original ? (original.messages ?? original.input ?? original.prompt) : messages)
  let body: Json | null = null
  let synthesized = false
  if (!redacted && original) {
    body = original
  } else if (!redacted && nonEmpty(messages)) {
    body = synthesise(api, model, messages, {}, false)
    synthesized = body !== null
  }
  const response = asObject(decode(o.response))
  const start = epochMs(o.startTime)
  const end = epochMs(o.endTime)
  const firstToken = epochMs(o.completionStartTime)
  // SpendLogs have no stream flag: a first-chunk time before the end means the call was streamed.
  const streamed = body?.stream === true || (firstToken !== null && end !== null && firstToken < end)
  const meta: Json = {}
  for (const [k, v] of [
    ['model_group', str(o.model_group)],
    ['model_id', str(o.model_id)],
    ['api_base', str(o.api_base)],
    ['cache_hit', cacheHit(o.cache_hit)],
    ['cache_key', str(o.cache_key) === 'Cache OFF' ? null : str(o.cache_key)],
    ['api_key_hash', hashIdentifier(o.api_key)],
    ['team_id_hash', hashIdentifier(o.team_id)],
    ['organization_id_hash', hashIdentifier(o.organization_id)],
    ['mcp_namespaced_tool_name', str(o.mcp_namespaced_tool_name)],
    ['agent_id', str(o.agent_id)],
    ['request_duration_ms', num(o.request_duration_ms)],
  ] as const) {
    if (v !== null) meta[k] = v
  }
  litellmMeta(rowMeta, meta)
  const user = str(o.end_user) ?? str(o.user) ?? str(rowMeta.user_api_key_end_user_id) ?? str(rowMeta.user_api_key_user_id)
  const draft = draftFrom({
    format: 'litellm-spend-logs',
    locator,
    api,
    callType,
    model,
    start,
    end,
    firstToken,
    streamed,
    status: str(o.status) ?? str(rowMeta.status),
    errorInfo: asObject(rowMeta.error_information),
    errorStr: null,
    body,
    synthesized,
    redacted,
    response,
    usage: litellmUsage(nonEmpty(response.usage) ? response.usage : rowMeta.usage_object, o),
    cost: num(o.spend),
    provider: providerFromLitellm(o.custom_llm_provider),
    tags: strings(o.request_tags),
    meta,
    event: {
      session_id: str(o.session_id),
      user_id_hash: hashIdentifier(user),
      trace_id: str(rowMeta.trace_id),
    },
  })
  if (draft.latency_ms === null) draft.latency_ms = num(o.request_duration_ms)
  draft.source_id = str(o.request_id) ?? draft.source_id ?? null
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const litellmSpendLogsFormat: Format = {
  name: 'litellm-spend-logs',
  title: 'LiteLLM_SpendLogs rows (SQL/CSV export or /spend/logs API: JSON, JSONL, CSV)',
  shapes: ['jsonl', 'json', 'csv'],
  detect: (v: unknown, shape: Shape) => isSpendLog(v, shape),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isSpendLog(item.value)) {
        yield {kind: 'reject', reason: 'not a LiteLLM SpendLogs row (needs request_id, call_type and spend)', locator: item.locator}
        return
      }
      yield spendOutcome(item.value as Json, item.locator, ctx)
    },
  }),
}
