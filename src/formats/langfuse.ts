// Langfuse (docs/log-formats.md §8): observations as JSON/JSONL, public-API pages `{data, meta}`, traces with
// `observations[]`, the UI CSV export, and Langfuse OTel attribute maps (`langfuse.observation.*`).
// Only GENERATION observations are LLM calls; spans/events/agents are counted as skipped.
//
// This module also holds the helpers the LiteLLM and OTel importers share (messages in any of the
// OpenAI / Anthropic / OTel-parts shapes → an OpenAI chat body, time and id helpers). It imports neither
// of them, so there is no import cycle.
import {sha256} from '../records/index.js'
import {num, toIso} from '../records/index.js'
import type {Api, Usage} from '../records/index.js'
import {isAnthropicResponse, parseAnthropicResponse} from '../wire/index.js'
import {asArray, asObject, asString, isObject, maybeJson, type Json} from '../wire/index.js'
import {argString, isOpenAIChatResponse, looksAnthropicMessages, parseOpenAIChatResponse, type ParsedResponse} from '../wire/index.js'
import {buildRecord, requestFromBody, type RecordDraft} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome, Shape} from './types.js'

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by litellm.ts and otel.ts)
// ---------------------------------------------------------------------------------------------

/** A non-empty string, else null (CSV cells arrive as '' for "absent"). */
export function str(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

/** Like maybeJson, but also undoes a JSON-quoted string (`"\"hi\""` → `hi`), as CSV exports write them. */
export function decode(v: unknown): unknown {
  if (typeof v !== 'string') return v
  const s = v.trim()
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s)
    } catch {
      return v
    }
  }
  return maybeJson(v)
}

export function strings(v: unknown): string[] {
  const d = decode(v)
  if (typeof d === 'string') return d === '' ? [] : [d]
  return asArray(d).filter((t): t is string => typeof t === 'string' && t !== '')
}

/**
 * Short stable hash of a user / API-key identifier: PII is never stored in clear (§13), but calls of one
 * user can still be grouped. Unsalted, so low-entropy values (IPs) are dropped instead of hashed.
 */
export function hashIdentifier(v: unknown): string | null {
  const s = str(v)
  return s === null ? null : sha256(s).slice(0, 16)
}

/**
 * Epoch milliseconds (fractional) from epoch s/ms/µs/ns numbers or ISO / naive-UTC strings. Unlike toIso it
 * keeps sub-millisecond digits, so a LiteLLM latency of 4.583 ms is not rounded to 4 or 5.
 */
export function epochMs(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) return null
    return n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6
  }
  if (typeof value !== 'string') return null
  const iso = toIso(value)
  if (!iso) return null
  const frac = /\d{2}:\d{2}:\d{2}[.,](\d+)/.exec(value)
  const extra = frac && frac[1]!.length > 3 ? Number(`0.${frac[1]!.slice(3)}`) : 0
  return Date.parse(iso) + extra
}

/** end − start in ms, rounded to µs; null when a side is missing or the span runs backwards. */
export function msBetween(start: number | null, end: number | null): number | null {
  if (start === null || end === null || end < start) return null
  return Math.round((end - start) * 1000) / 1000
}

export function isoFromMs(ms: number | null): string | null {
  if (ms === null) return null
  const d = new Date(Math.floor(ms))
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

// Keys that configure the client, not the model call: never part of a replayable body.
const CLIENT_ONLY = new Set([
  'max_retries', 'num_retries', 'timeout', 'request_timeout', 'extra_headers', 'api_base', 'base_url', 'api_version',
  'organization', 'mock_response', 'litellm_params', 'litellm_metadata', 'model', 'messages',
])

/** Params from logs (Langfuse stores them as strings): "0.7" → 0.7, "true" → true, "{}"/null/"Infinity" dropped. */
export function coerceParams(v: unknown): Json {
  const out: Json = {}
  for (const [k, raw] of Object.entries(asObject(decode(v)))) {
    let val: unknown = raw
    if (typeof val === 'string') {
      const t = val.trim()
      // LangChain logs max_tokens "Infinity" for "no limit": there is nothing to send.
      if (t === '' || t === 'null' || t === 'None' || t === 'undefined' || /^-?(Infinity|inf|nan)$/i.test(t)) continue
      if (t === 'true' || t === 'True') val = true
      else if (t === 'false' || t === 'False') val = false
      else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) val = Number(t)
      else val = maybeJson(t)
    }
    if (typeof val === 'number' && !Number.isFinite(val)) continue
    if (val === null || val === undefined) continue
    if (isObject(val) && Object.keys(val).length === 0) continue
    out[k] = val
  }
  return out
}

/**
 * A request body from a model, messages and logged parameters: client-only keys dropped, `extra_body`
 * merged (that is what the SDKs do with it), nulls removed. The caller marks it `request_synthesized`.
 */
export function synthBody(model: string | null, messages: Json[], params: Json, extra: Json = {}): Json {
  const body: Json = {}
  if (model) body.model = model
  body.messages = messages
  for (const [k, v] of Object.entries({...params, ...extra})) {
    if (v === null || v === undefined || CLIENT_ONLY.has(k)) continue
    if (k === 'extra_body') {
      for (const [ek, ev] of Object.entries(asObject(decode(v)))) if (ev !== null && ev !== undefined && !CLIENT_ONLY.has(ek)) body[ek] = ev
      continue
    }
    body[k] = v
  }
  return body
}

const ROLE_ALIASES: Record<string, string> = {human: 'user', ai: 'assistant', model: 'assistant', function: 'tool', chatbot: 'assistant'}
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])

function roleOf(m: Json, fallback = 'user'): string {
  const r = asString(m.role) ?? (typeof m.type === 'string' && (ROLES.has(m.type) || m.type in ROLE_ALIASES) ? m.type : null) ?? fallback
  const lower = r.toLowerCase()
  return ROLE_ALIASES[lower] ?? lower
}

function jsonText(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  if (Array.isArray(v) && v.every((p) => isObject(p) && typeof p.text === 'string')) return v.map((p) => (p as Json).text).join('')
  return JSON.stringify(v)
}

function toolCall(id: unknown, name: unknown, args: unknown): Json {
  return {id: str(id) ?? '', type: 'function', function: {name: str(name) ?? '', arguments: argString(decode(args))}}
}

/** OpenAI content parts (or a plain string when all text) from OpenAI / Anthropic / Responses parts. */
function chatContent(parts: Json[]): unknown {
  if (parts.length === 0) return null
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => p.text).join('')
  return parts
}

/** OTel GenAI message (`{role, parts:[…]}`) → OpenAI chat messages (tool results become `role: tool`). */
function fromOtelParts(role: string, parts: unknown[]): Json[] {
  const content: Json[] = []
  const calls: Json[] = []
  const results: Json[] = []
  for (const raw of parts) {
    const p = asObject(raw)
    switch (p.type) {
      case 'text':
        content.push({type: 'text', text: jsonText(p.content ?? p.text)})
        break
      case 'tool_call':
        calls.push(toolCall(p.id, p.name, p.arguments))
        break
      case 'tool_call_response':
        results.push({role: 'tool', tool_call_id: str(p.id) ?? '', content: jsonText(p.response ?? p.result)})
        break
      case 'uri':
        if (p.modality === 'image' && typeof p.uri === 'string') content.push({type: 'image_url', image_url: {url: p.uri}})
        break
      case 'blob':
        if (p.modality === 'image' && typeof p.content === 'string') {
          content.push({type: 'image_url', image_url: {url: `data:${str(p.mime_type) ?? 'image/png'};base64,${p.content}`}})
        }
        break
      case 'reasoning':
        break
      default:
        if (typeof p.content === 'string') content.push({type: 'text', text: p.content})
    }
  }
  const out: Json[] = []
  if (content.length || calls.length) {
    const msg: Json = {role, content: chatContent(content)}
    if (calls.length) msg.tool_calls = calls
    out.push(msg)
  }
  return [...out, ...results]
}

/** An OpenAI-ish message whose content may hold OpenAI, Responses or Anthropic parts → OpenAI chat messages. */
function fromChatLike(m: Json, fallbackRole = 'user'): Json[] {
  const role = roleOf(m, fallbackRole)
  const content = decode(m.content)
  const parts: Json[] = []
  const calls: Json[] = asArray(m.tool_calls).map((tc) => {
    const t = asObject(tc)
    const fn = asObject(t.function)
    return toolCall(t.id, fn.name ?? t.name, fn.arguments ?? t.arguments)
  })
  const results: Json[] = []
  if (Array.isArray(content)) {
    for (const raw of content) {
      if (typeof raw === 'string') {
        parts.push({type: 'text', text: raw})
        continue
      }
      const b = asObject(raw)
      switch (b.type) {
        case 'text':
        case 'input_text':
        case 'output_text':
          parts.push({type: 'text', text: asString(b.text) ?? ''})
          break
        case 'image_url':
          parts.push({type: 'image_url', image_url: isObject(b.image_url) ? b.image_url : {url: b.image_url}})
          break
        case 'image': {
          const src = asObject(b.source)
          if (src.type === 'base64') parts.push({type: 'image_url', image_url: {url: `data:${str(src.media_type) ?? 'image/png'};base64,${str(src.data) ?? ''}`}})
          else if (typeof src.url === 'string') parts.push({type: 'image_url', image_url: {url: src.url}})
          break
        }
        case 'tool_use':
          calls.push(toolCall(b.id, b.name, b.input ?? {}))
          break
        case 'tool_result':
          results.push({role: 'tool', tool_call_id: str(b.tool_use_id) ?? '', content: jsonText(b.content)})
          break
        case 'thinking':
        case 'redacted_thinking':
          break
        default:
          if (typeof b.text === 'string') parts.push({type: 'text', text: b.text})
      }
    }
  } else if (typeof content === 'string') {
    parts.push({type: 'text', text: content})
  } else if (isObject(content)) {
    parts.push({type: 'text', text: JSON.stringify(content)})
  }
  const fc = asObject(m.function_call)
  if (typeof fc.name === 'string') calls.push(toolCall('', fc.name, fc.arguments))
  const out: Json[] = []
  if (role === 'tool') {
    out.push({role: 'tool', tool_call_id: str(m.tool_call_id) ?? '', content: parts.map((p) => (p.type === 'text' ? p.text : '')).join('')})
  } else if (parts.length || calls.length || results.length === 0) {
    const msg: Json = {role, content: chatContent(parts)}
    if (calls.length) msg.tool_calls = calls
    if (typeof m.name === 'string' && m.name !== '') msg.name = m.name
    out.push(msg)
  }
  return [...out, ...results]
}

/**
 * Any logged prompt → OpenAI chat messages, or null when it is not recognisably a prompt.
 * Accepts: a string; `[{role, content}]` (OpenAI, with Anthropic blocks or Responses parts); OTel
 * `[{role, parts}]`; Responses input items (`function_call`, `function_call_output`); `{messages: […]}`.
 */
export function toChatMessages(value: unknown): Json[] | null {
  const v = decode(value)
  if (typeof v === 'string') return v.trim() === '' ? null : [{role: 'user', content: v}]
  if (isObject(v)) {
    if (Array.isArray(v.messages)) return toChatMessages(v.messages)
    if (typeof v.role === 'string') return toChatMessages([v])
    if (typeof v.prompt === 'string') return toChatMessages(v.prompt)
    return null
  }
  if (!Array.isArray(v) || v.length === 0) return null
  const out: Json[] = []
  for (const item of v) {
    if (typeof item === 'string') {
      out.push({role: 'user', content: item})
      continue
    }
    if (!isObject(item)) return null
    if (item.type === 'function_call') {
      out.push({role: 'assistant', content: null, tool_calls: [toolCall(item.call_id ?? item.id, item.name, item.arguments)]})
    } else if (item.type === 'function_call_output') {
      out.push({role: 'tool', tool_call_id: str(item.call_id) ?? '', content: jsonText(item.output)})
    } else if (Array.isArray(item.parts)) {
      out.push(...fromOtelParts(roleOf(item), item.parts))
    } else if ('role' in item || 'content' in item || 'tool_calls' in item || (typeof item.type === 'string' && item.type in ROLE_ALIASES)) {
      out.push(...fromChatLike(item))
    } else {
      return null
    }
  }
  return out.length ? out : null
}

/** What a logged output turned out to be: a whole provider response, or one assistant message. */
export type OutputShape =
  | {kind: 'body'; which: 'openai' | 'anthropic'; body: Json}
  | {kind: 'message'; message: Json; finish: string | null}

/** Any logged completion (string, OpenAI message, choice, response body, OTel output message, …) or null. */
export function outputFrom(value: unknown): OutputShape | null {
  const v = decode(value)
  if (typeof v === 'string') return v === '' ? null : {kind: 'message', message: {role: 'assistant', content: v}, finish: null}
  if (Array.isArray(v)) {
    if (v.length === 0) return null
    const first = asObject(v[0])
    // A bare list of content blocks is one message; otherwise a list of choices/messages: choice 0.
    if (['text', 'tool_use', 'output_text', 'thinking'].includes(String(first.type)) && !('role' in first)) {
      return outputFrom({role: 'assistant', content: v})
    }
    return outputFrom(v[0])
  }
  if (!isObject(v)) return null
  if (isOpenAIChatResponse(v)) return {kind: 'body', which: 'openai', body: v}
  if (isAnthropicResponse(v)) return {kind: 'body', which: 'anthropic', body: v}
  const finish = str(v.finish_reason) ?? str(v.stop_reason)
  if (isObject(v.message)) return {kind: 'message', message: fromChatLike(v.message, 'assistant')[0] ?? {role: 'assistant', content: null}, finish}
  if (Array.isArray(v.parts)) return {kind: 'message', message: fromOtelParts('assistant', v.parts)[0] ?? {role: 'assistant', content: null}, finish}
  if ('role' in v || 'content' in v || 'tool_calls' in v) {
    return {kind: 'message', message: fromChatLike({...v, role: 'assistant'}, 'assistant')[0] ?? {role: 'assistant', content: null}, finish}
  }
  for (const k of ['text', 'completion', 'output']) {
    if (typeof v[k] === 'string') return {kind: 'message', message: {role: 'assistant', content: v[k]}, finish}
  }
  return null
}

/** Parsed response from an output shape; a bare message is wrapped in a chat.completion (flagged synthesized). */
export function responseFromOutput(out: OutputShape, ids: {id?: string | null; model?: string | null}): {parsed: ParsedResponse; synthesized: boolean} {
  if (out.kind === 'body') return {parsed: out.which === 'anthropic' ? parseAnthropicResponse(out.body) : parseOpenAIChatResponse(out.body), synthesized: false}
  const message = {...out.message}
  if (message.content === undefined) message.content = null
  const body: Json = {object: 'chat.completion', choices: [{index: 0, message, finish_reason: out.finish}]}
  if (ids.id) body.id = ids.id
  if (ids.model) body.model = ids.model
  return {parsed: parseOpenAIChatResponse(body), synthesized: true}
}

/** Canonical usage from Langfuse-style `usageDetails` (§1.1): sums over key families; null when empty. */
export function usageFromDetails(details: Json): Partial<Usage> | null {
  const entries = Object.entries(details)
    .map(([k, v]) => [k.toLowerCase(), num(v)] as const)
    .filter((e): e is readonly [string, number] => e[1] !== null)
  if (entries.length === 0) return null
  const sum = (pred: (k: string) => boolean) => {
    const hits = entries.filter(([k]) => pred(k))
    return hits.length ? hits.reduce((a, [, v]) => a + v, 0) : null
  }
  let input = sum((k) => k.startsWith('input'))
  let output = sum((k) => k.startsWith('output'))
  // OpenAI-style keys sent as usageDetails (older SDK integrations).
  if (input === null) input = sum((k) => k === 'prompt_tokens' || k === 'prompttokens')
  if (output === null) output = sum((k) => k === 'completion_tokens' || k === 'completiontokens')
  return {
    input_tokens: input,
    output_tokens: output,
    cached_input_tokens: sum((k) => /cache_read|input_cached/.test(k)),
    cache_write_tokens: sum((k) => /^cache_creation|cache_write|input_cache_creation/.test(k)),
    reasoning_tokens: sum((k) => k.includes('reasoning')),
    total_tokens: sum((k) => k === 'total' || k === 'total_tokens' || k === 'totaltokens'),
  }
}

// ---------------------------------------------------------------------------------------------
// Langfuse observations
// ---------------------------------------------------------------------------------------------

interface TraceInfo {
  id: string | null
  name: string | null
  tags: string[]
  userId: string | null
  sessionId: string | null
  release: string | null
  environment: string | null
  timestamp: string | null
}

function traceInfo(t: Json): TraceInfo {
  return {
    timestamp: toIso(t.timestamp),
    id: str(t.id),
    name: str(t.name),
    tags: strings(t.tags),
    userId: str(t.userId),
    sessionId: str(t.sessionId),
    release: str(t.release),
    environment: str(t.environment),
  }
}

function isObservation(o: Json): boolean {
  return 'traceId' in o && 'type' in o && 'startTime' in o && ('usageDetails' in o || 'usage' in o || 'calculatedTotalCost' in o || 'model' in o)
}

function isTrace(o: Json): boolean {
  return Array.isArray(o.observations) && ('timestamp' in o || 'id' in o)
}

function isPage(o: Json): boolean {
  if (!Array.isArray(o.data) || !isObject(o.meta)) return false
  const first = o.data[0]
  if (first === undefined) return 'totalItems' in o.meta || 'page' in o.meta
  return isObject(first) && (isObservation(first) || isTrace(first))
}

/** The flat attribute map of a Langfuse OTel span: the object itself or its `attributes` object. */
export function langfuseAttributes(o: Json): Json | null {
  const has = (m: Json) => Object.keys(m).some((k) => k.startsWith('langfuse.observation.'))
  if (has(o)) return o
  if (isObject(o.attributes) && has(o.attributes)) return o.attributes
  return null
}

function isCsvRow(o: Json): boolean {
  return 'id' in o && 'traceId' in o && 'startTime' in o && ('input' in o || 'output' in o)
}

export function detectLangfuse(v: unknown): boolean {
  if (!isObject(v)) return false
  return isObservation(v) || isTrace(v) || isPage(v) || langfuseAttributes(v) !== null || isCsvRow(v)
}

function observationUsage(o: Json): Partial<Usage> {
  const details = asObject(decode(o.usageDetails))
  const fromDetails = usageFromDetails(details)
  if (fromDetails) return fromDetails
  const legacy = asObject(decode(o.usage))
  const unit = str(legacy.unit)
  if (Object.keys(legacy).length && (!unit || unit.toUpperCase() === 'TOKENS')) {
    return {
      input_tokens: num(legacy.input ?? legacy.promptTokens),
      output_tokens: num(legacy.output ?? legacy.completionTokens),
      total_tokens: num(legacy.total ?? legacy.totalTokens),
    }
  }
  return {
    input_tokens: num(o.promptTokens ?? o.inputUsage),
    output_tokens: num(o.completionTokens ?? o.outputUsage),
    total_tokens: num(o.totalTokens ?? o.totalUsage),
  }
}

function observationCost(o: Json): number | null {
  const cd = asObject(decode(o.costDetails))
  const direct = num(cd.total) ?? num(o.calculatedTotalCost) ?? num(o.totalCost)
  if (direct !== null) return direct
  const parts = Object.values(cd).map(num).filter((n): n is number => n !== null)
  return parts.length ? parts.reduce((a, b) => a + b, 0) : null
}

export interface ObservationOptions {
  format?: string
  /** OTel span ids when the observation came from a span. */
  spanMeta?: Json
  provider?: string | null
}

/** One Langfuse observation (any of the shapes, already decoded to observation field names) → outcome. */
export function observationOutcome(o: Json, trace: TraceInfo | null, locator: string, ctx: FormatContext, opts: ObservationOptions = {}): Outcome {
  const rawType = str(o.type)
  const type = (rawType ?? (str(o.model) ? 'GENERATION' : 'untyped')).toUpperCase()
  if (type !== 'GENERATION') {
    return {kind: 'skip', reason: `Langfuse ${type} observation: only GENERATION observations are LLM calls`, locator}
  }
  const meta: Json = {}
  const start = epochMs(o.startTime)
  const end = epochMs(o.endTime)
  const firstToken = epochMs(decode(o.completionStartTime))
  const model = str(o.model) ?? str(o.providedModelName)
  const params = coerceParams(o.modelParameters)
  const input = decode(o.input)
  const inputObj = isObject(input) && Array.isArray(input.messages) ? input : null
  // Tools, tool_choice, response_format… logged next to the messages belong in the body too.
  const inputParams: Json = {}
  if (inputObj) for (const [k, v] of Object.entries(inputObj)) if (k !== 'messages' && k !== 'model' && v !== null) inputParams[k] = v
  const rawMessages = inputObj ? asArray(inputObj.messages) : Array.isArray(input) ? input : null

  let api: Api = 'openai.chat'
  let body: Json | null = null
  // Anthropic-shaped input (content blocks, top-level system): kept Anthropic. Judged on structure only (no
  // model argument): plain-text messages to a Claude model logged via LiteLLM are OpenAI-format calls.
  if (rawMessages && rawMessages.length && looksAnthropicMessages({messages: rawMessages, ...inputParams}) && !rawMessages.some((m) => Array.isArray(asObject(m).parts))) {
    api = 'anthropic.messages'
    body = synthBody(model, rawMessages as Json[], params, inputParams)
  } else {
    const messages = toChatMessages(input)
    if (messages) body = synthBody(model, messages, params, inputParams)
  }
  if (body) meta.request_synthesized = true
  else if (input !== null && input !== undefined && input !== '') meta.input_not_replayable = 'input is not a list of chat messages'

  const draft: RecordDraft = {
    format: opts.format ?? 'langfuse',
    locator,
    source_id: str(o.id),
    timestamp: isoFromMs(start) ?? trace?.timestamp ?? null,
    api,
    model,
    provider: opts.provider ?? null,
    request: body ? requestFromBody(api, body) : null,
    latency_ms: msBetween(start, end),
    ttft_ms: msBetween(start, firstToken),
    usage: observationUsage(o),
    cost_usd: observationCost(o),
    cost_source: 'reported',
    replayable: body !== null,
  }
  if (draft.request && params.stream === true) draft.request.stream = true

  const out = outputFrom(o.output)
  if (out) {
    const {parsed, synthesized} = responseFromOutput(out, {})
    draft.response = parsed.response
    draft.response_model = out.kind === 'body' ? parsed.model : null
    if (synthesized) meta.response_synthesized = true
  }

  const level = str(o.level)?.toUpperCase() ?? null
  if (level === 'ERROR') {
    draft.status = 'error'
    draft.error = {type: 'langfuse_level_error', code: null, message: str(o.statusMessage)}
    if (draft.response) draft.response = {...draft.response, finish_reason: draft.response.finish_reason ?? 'error'}
  } else {
    if (level && level !== 'DEFAULT') meta.level = level
    if (str(o.statusMessage)) meta.status_message = str(o.statusMessage)
  }

  const userMeta = decode(o.metadata)
  if (isObject(userMeta) && Object.keys(userMeta).length) meta.langfuse_metadata = userMeta
  // LangChain integrations record the provider in metadata; otherwise it is guessed from the model name.
  const lsProvider = isObject(userMeta) ? str(userMeta.ls_provider)?.toLowerCase() : null
  if (!draft.provider && lsProvider) draft.provider = lsProvider === 'azure' ? 'azure_openai' : lsProvider
  for (const [k, name] of [
    ['name', 'name'], ['parentObservationId', 'parent_observation_id'], ['promptName', 'prompt_name'], ['promptVersion', 'prompt_version'],
    ['version', 'version'], ['modelId', 'model_id'], ['internalModelId', 'internal_model_id'], ['traceName', 'trace_name'],
  ] as const) {
    const val = str(o[k])
    if (val !== null) meta[name] = val
  }
  if (trace?.name) meta.trace_name = trace.name
  if (trace?.release) meta.release = trace.release
  const cd = asObject(decode(o.costDetails))
  if (Object.keys(cd).length > 1) meta.cost_details = cd
  Object.assign(meta, opts.spanMeta ?? {})
  // Langfuse's `latency`/`timeToFirstToken` change units between versions (§8): recomputed above, not trusted.
  if (draft.latency_ms === null && num(o.latency) !== null) meta.reported_latency = num(o.latency)

  const tags = trace?.tags.length ? trace.tags : strings(o.traceTags ?? o.tags)
  draft.tags = tags
  draft.metadata = meta
  draft.event = {
    trace_id: str(o.traceId) ?? trace?.id ?? null,
    session_id: trace?.sessionId ?? str(o.sessionId),
    user_id_hash: hashIdentifier(trace?.userId ?? o.userId),
    environment: str(o.environment) ?? trace?.environment ?? null,
  }
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export interface SpanInfo {
  name?: string | null
  traceId?: string | null
  spanId?: string | null
  parentSpanId?: string | null
  startMs?: number | null
  endMs?: number | null
}

/** A Langfuse OTel span's attributes (`langfuse.observation.*`, `langfuse.trace.*`) → outcome. */
export function langfuseSpanOutcome(attrs: Json, span: SpanInfo, locator: string, ctx: FormatContext, format = 'langfuse'): Outcome {
  const a = (k: string) => decode(attrs[`langfuse.observation.${k}`])
  // Metadata arrives either as one object or flattened to `langfuse.observation.metadata.<key>`.
  let metadata: unknown = a('metadata')
  const prefix = 'langfuse.observation.metadata.'
  const flat = Object.keys(attrs).filter((k) => k.startsWith(prefix))
  if (flat.length) metadata = {...asObject(metadata), ...Object.fromEntries(flat.map((k) => [k.slice(prefix.length), decode(attrs[k])]))}
  const obs: Json = {
    id: span.spanId ?? null,
    traceId: span.traceId ?? null,
    parentObservationId: span.parentSpanId ?? null,
    type: str(a('type')) ?? 'span',
    name: span.name ?? null,
    startTime: span.startMs ?? null,
    endTime: span.endMs ?? null,
    completionStartTime: a('completion_start_time'),
    model: a('model.name'),
    modelParameters: a('model.parameters'),
    input: a('input'),
    output: a('output'),
    usageDetails: a('usage_details'),
    costDetails: a('cost_details'),
    level: a('level'),
    statusMessage: a('status_message'),
    metadata,
    promptName: a('prompt.name'),
    promptVersion: a('prompt.version'),
    version: attrs['langfuse.version'],
    environment: attrs['langfuse.environment'] ?? attrs['deployment.environment.name'] ?? attrs['deployment.environment'],
  }
  const trace: TraceInfo = {
    id: span.traceId ?? null,
    name: str(attrs['langfuse.trace.name']),
    tags: strings(attrs['langfuse.trace.tags']),
    userId: str(attrs['langfuse.user.id'] ?? attrs['user.id']),
    sessionId: str(attrs['langfuse.session.id'] ?? attrs['session.id']),
    release: str(attrs['langfuse.release']),
    environment: null,
    timestamp: null,
  }
  const spanMeta: Json = {langfuse_otel: true}
  if (attrs['langfuse.internal.as_root'] === true) spanMeta.langfuse_root = true
  return observationOutcome(obs, trace, locator, ctx, {format, spanMeta})
}

function spanTiming(o: Json): SpanInfo {
  return {
    name: str(o.name),
    traceId: str(o.traceId ?? o.trace_id),
    spanId: str(o.spanId ?? o.span_id),
    parentSpanId: str(o.parentSpanId ?? o.parent_span_id),
    startMs: epochMs(o.startTimeUnixNano ?? o.start_time_unix_nano ?? o.startTime ?? o.start_time),
    endMs: epochMs(o.endTimeUnixNano ?? o.end_time_unix_nano ?? o.endTime ?? o.end_time),
  }
}

function* traceOutcomes(t: Json, locator: string, ctx: FormatContext): Generator<Outcome> {
  const info = traceInfo(t)
  const list = asArray(t.observations)
  if (list.length && list.every((x) => typeof x === 'string')) {
    yield {kind: 'skip', reason: 'Langfuse trace lists observation ids only (no observation bodies); export the observations to import them', locator}
    return
  }
  for (let i = 0; i < list.length; i++) {
    const o = list[i]
    const loc = `${locator} observations[${i}]`
    if (!isObject(o)) yield {kind: 'reject', reason: 'Langfuse trace observation is not an object', locator: loc}
    else yield observationOutcome(o, info, loc, ctx)
  }
}

export const langfuseFormat: Format = {
  name: 'langfuse',
  title: 'Langfuse observations (API, trace or UI export: JSON, JSONL, CSV) and Langfuse OTel attributes',
  shapes: ['jsonl', 'json', 'csv'],
  detect: (v: unknown, _shape: Shape) => detectLangfuse(v),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      const v = item.value
      if (!isObject(v)) {
        yield {kind: 'reject', reason: 'expected a JSON object (Langfuse observation, trace or API page)', locator: item.locator}
        return
      }
      if (isPage(v)) {
        const data = asArray(v.data)
        for (let i = 0; i < data.length; i++) {
          const el = data[i]
          const loc = `${item.locator} data[${i}]`
          if (isObject(el) && isTrace(el)) yield* traceOutcomes(el, loc, ctx)
          else if (isObject(el) && isObservation(el)) yield observationOutcome(el, null, loc, ctx)
          else yield {kind: 'reject', reason: 'Langfuse API page element is neither an observation nor a trace', locator: loc}
        }
        return
      }
      if (isTrace(v)) {
        yield* traceOutcomes(v, item.locator, ctx)
        return
      }
      const attrs = langfuseAttributes(v)
      if (attrs) {
        yield langfuseSpanOutcome(attrs, attrs === v ? {} : spanTiming(v), item.locator, ctx)
        return
      }
      if (isObservation(v) || isCsvRow(v)) {
        yield observationOutcome(v, null, item.locator, ctx)
        return
      }
      yield {kind: 'reject', reason: 'not a Langfuse observation, trace, API page or OTel attribute map', locator: item.locator}
    },
  }),
}
