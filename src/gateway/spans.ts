// One event → the OpenTelemetry GenAI span the gateway exports for it. Pure, so it is tested alone, and shaped so that
// `kt import` (formats/otel/) reads the span back as the same event: span name `chat {model}`, start at the event's
// timestamp and end after its upstream latency, the GenAI semantic conventions' attributes (provider, models, usage,
// finish reasons, request parameters, the prompt and answer as gen_ai.input.messages / gen_ai.output.messages in
// their `{role, parts}` shape) and kt's own (records/span-attributes.ts). A request and its shadows share one trace,
// the shadows as children of the primary: the caller's trace when the request continued one (the event keeps its
// trace context, so the primary's parent is the caller's span and its tracestate goes along), else one whose ids
// derive from the request's event id. Either way every export of an event gives the same span.
import {GENAI_REQUEST_PARAMS, GENAI_SPAN, KT_MIRROR_PREFIX, KT_SPAN, ktSpanIdOf, ktTraceIdOf, TRACE_CONTEXT_KEY, type CanonicalRecord, type CanonicalRequest, type Message, type Part, type TraceContextMeta} from '../records/index.js'
import {requestFromBody} from '../wire/index.js'

export type AttrValue = string | number | boolean | string[]

/** [seconds, nanoseconds] since the epoch: OpenTelemetry's HrTime, exact to the nanosecond. */
export type HrTime = [number, number]

export interface SpanSpec {
  name: string
  traceId: string
  spanId: string
  parentSpanId: string | null
  /** The parent is the caller's span (from its traceparent header), not one of kt's. */
  remoteParent: boolean
  /** The caller's tracestate, as it sent it; null for none. */
  traceState: string | null
  start: HrTime
  end: HrTime
  attributes: Record<string, AttrValue>
  /** The span's status is ERROR with this message when the event's status is not ok; null leaves it unset. */
  error: string | null
}

/** The id of the request an event belongs to: its own for a primary, its primary's for a shadow. */
export function requestKey(r: CanonicalRecord): string {
  return r.event.primary_event_id ?? r.id
}

/** A caller's trace an event continues. */
export interface ContinuedTrace {
  traceId: string
  /** The caller's span (a primary's parent); null on a shadow. */
  parentSpanId: string | null
  sampled: boolean
  traceState: string | null
}

const TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/

/**
 * The caller's trace an event continues: its trace_id with metadata.trace_context (gateway/events.ts writes them, the
 * OTel importer reads them back); null when the request started its own trace or the stored context is unusable.
 */
export function continuedTrace(r: CanonicalRecord): ContinuedTrace | null {
  const meta = r.metadata[TRACE_CONTEXT_KEY]
  const traceId = r.event.trace_id
  if (meta === null || typeof meta !== 'object' || traceId === null || !TRACE_ID.test(traceId)) return null
  const t = meta as Partial<TraceContextMeta>
  const parentSpanId = typeof t.parent_span_id === 'string' && SPAN_ID.test(t.parent_span_id) ? t.parent_span_id : null
  // A primary continues the caller's span or nothing.
  if (parentSpanId === null && requestKey(r) === r.id) return null
  return {traceId, parentSpanId, sampled: t.sampled !== false, traceState: typeof t.tracestate === 'string' && t.tracestate !== '' ? t.tracestate : null}
}

/** The GenAI conventions' provider names where they differ from the ones kt's events use. */
const PROVIDER_NAMES: Record<string, string> = {azure_openai: 'azure.ai.openai', bedrock: 'aws.bedrock', vertex: 'gcp.vertex_ai', google: 'gcp.gemini'}

function hrTimeAt(ms: number, plusNs = 0): HrTime {
  const wholeMs = Math.floor(ms)
  let seconds = Math.floor(wholeMs / 1000)
  let nanos = (wholeMs - seconds * 1000) * 1_000_000 + Math.round((ms - wholeMs) * 1_000_000) + plusNs
  seconds += Math.floor(nanos / 1e9)
  nanos %= 1e9
  return [seconds, nanos]
}

function toolArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** A canonical part in the conventions' part shape; null for parts they cannot carry (an image kept only as a hash). */
function otelPart(p: Part): Record<string, unknown> | null {
  switch (p.type) {
    case 'text':
      return {type: 'text', content: p.text}
    case 'image':
      return p.url ? {type: 'uri', modality: 'image', uri: p.url} : null
    case 'tool_call':
      return {type: 'tool_call', id: p.id, name: p.name, arguments: toolArguments(p.arguments)}
    case 'tool_result':
      return {type: 'tool_call_response', id: p.tool_call_id, response: p.content}
    case 'reasoning':
      return {type: 'reasoning', content: p.text}
    default:
      return null
  }
}

function otelMessages(messages: readonly Message[]): Record<string, unknown>[] {
  return messages.map((m) => ({role: m.role, parts: m.parts.map(otelPart).filter((p) => p !== null)}))
}

/** The caller's body parsed (the events table keeps it raw), or null when there is none. */
function parsedRequest(r: CanonicalRecord): CanonicalRequest | null {
  const raw = r.request.raw
  if (!raw) return null
  if (r.request.messages.length) return r.request
  return requestFromBody(r.api, raw)
}

function setParams(a: Record<string, AttrValue>, req: CanonicalRequest): void {
  for (const [key, attr] of GENAI_REQUEST_PARAMS) {
    const v = req.params[key]
    if (typeof v === 'number' && Number.isFinite(v)) a[attr] ??= v
    else if (attr.endsWith('stop_sequences') && (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) a[attr] ??= typeof v === 'string' ? [v] : (v as string[])
  }
  if (req.stream) a[GENAI_SPAN.stream] = true
}

function setContent(a: Record<string, AttrValue>, r: CanonicalRecord, req: CanonicalRequest | null): void {
  if (req) {
    // Anthropic's system prompt is a field of its own (the conventions' system instructions), which the canonical
    // request puts first among the messages; OpenAI's system messages are part of the chat history.
    const separate = r.api === 'anthropic.messages' && req.system !== null && req.messages[0]?.role === 'system'
    if (separate) a[GENAI_SPAN.systemInstructions] = JSON.stringify([{type: 'text', content: req.system}])
    a[GENAI_SPAN.inputMessages] = JSON.stringify(otelMessages(separate ? req.messages.slice(1) : req.messages))
    if (req.tools.length) a[GENAI_SPAN.toolDefinitions] = JSON.stringify(req.tools.map((t) => ({type: 'function', name: t.name, ...(t.description ? {description: t.description} : {}), ...(t.parameters !== undefined ? {parameters: t.parameters} : {})})))
  }
  const res = r.response
  if (!res || (res.text === null && res.tool_calls.length === 0)) return
  const parts: Record<string, unknown>[] = []
  if (res.reasoning) parts.push({type: 'reasoning', content: res.reasoning})
  if (res.text !== null) parts.push({type: 'text', content: res.text})
  for (const t of res.tool_calls) parts.push({type: 'tool_call', id: t.id, name: t.name, arguments: toolArguments(t.arguments)})
  const finish = res.finish_reason_raw ?? res.finish_reason
  a[GENAI_SPAN.outputMessages] = JSON.stringify([{role: 'assistant', parts, ...(finish ? {finish_reason: finish} : {})}])
}

/** `traffic_mirror` as flat attributes under kt.traffic_mirror. (nulls left out; the shadow's answer only with content). */
function setMirror(a: Record<string, AttrValue>, block: Record<string, unknown>, withContent: boolean, prefix = KT_MIRROR_PREFIX): void {
  for (const [k, v] of Object.entries(block)) {
    if (v === null || v === undefined) continue
    if (k === 'response' && !withContent) continue
    if (typeof v === 'object' && !Array.isArray(v)) setMirror(a, v as Record<string, unknown>, withContent, `${prefix}${k}.`)
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) a[`${prefix}${k}`] = v
  }
}

function setUsage(a: Record<string, AttrValue>, r: CanonicalRecord): void {
  const u = r.usage
  const pairs: [number | null, string][] = [
    [u.input_tokens, GENAI_SPAN.inputTokens],
    [u.output_tokens, GENAI_SPAN.outputTokens],
    [u.cached_input_tokens, GENAI_SPAN.cacheReadTokens],
    [u.cache_write_tokens, GENAI_SPAN.cacheWriteTokens],
    [u.reasoning_tokens, GENAI_SPAN.reasoningTokens],
  ]
  for (const [v, attr] of pairs) if (v !== null) a[attr] = v
}

function setKt(a: Record<string, AttrValue>, r: CanonicalRecord): void {
  const e = r.event
  const put = (attr: string, v: string | number | null | undefined) => {
    if (v !== null && v !== undefined) a[attr] = v
  }
  put(KT_SPAN.eventId, r.id)
  put(KT_SPAN.status, r.status)
  put(KT_SPAN.trafficRole, e.traffic_role)
  put(KT_SPAN.targetId, e.target_id)
  put(KT_SPAN.modelGroup, e.model_group)
  put(KT_SPAN.cost, r.cost_usd)
  if (e.policies_triggered) a[KT_SPAN.policiesTriggered] = JSON.stringify(e.policies_triggered)
  put(KT_SPAN.decision, e.decision)
  put(KT_SPAN.policyId, e.policy_id)
  put(KT_SPAN.decisionReason, e.decision_reason)
  put(KT_SPAN.route, e.route)
  put(KT_SPAN.userIdHash, e.user_id_hash)
  put(KT_SPAN.mirrorGroupId, e.mirror_group_id)
  put(KT_SPAN.primaryEventId, e.primary_event_id)
  put(KT_SPAN.shadowEventId, e.shadow_event_id)
  const meta = r.metadata
  if (typeof meta.ab_tag === 'string') a[KT_SPAN.abTag] = meta.ab_tag
  if (typeof meta.requested_model === 'string') a[KT_SPAN.requestedModel] = meta.requested_model
}

/** The span for one event the gateway wrote. `withContent` false leaves prompts, answers and tool definitions out. */
export function spanFor(r: CanonicalRecord, withContent: boolean): SpanSpec {
  const a: Record<string, AttrValue> = {[GENAI_SPAN.operation]: 'chat'}
  const provider = PROVIDER_NAMES[r.provider] ?? r.provider
  a[GENAI_SPAN.provider] = provider
  a[GENAI_SPAN.system] = provider
  if (r.model) a[GENAI_SPAN.requestModel] = r.model
  if (r.response_model) a[GENAI_SPAN.responseModel] = r.response_model
  if (r.source_id) a[GENAI_SPAN.responseId] = r.source_id
  const finish = r.response?.finish_reason_raw ?? r.response?.finish_reason
  if (finish) a[GENAI_SPAN.finishReasons] = [finish]
  setUsage(a, r)
  if (r.ttft_ms !== null) a[GENAI_SPAN.timeToFirstChunk] = r.ttft_ms / 1000
  if (r.http_status !== null) a['http.response.status_code'] = r.http_status
  if (r.status !== 'ok') a['error.type'] = r.error?.type ?? r.status
  const req = parsedRequest(r)
  if (req) setParams(a, req)
  if (withContent) setContent(a, r, req)
  setKt(a, r)
  if (r.event.traffic_mirror) setMirror(a, r.event.traffic_mirror, withContent)
  const startMs = Date.parse(r.timestamp)
  const latencyNs = r.latency_ms !== null && r.latency_ms > 0 ? Math.round(r.latency_ms * 1_000_000) : 0
  const key = requestKey(r)
  const primary = key === r.id
  const caller = continuedTrace(r)
  return {
    name: r.model ? `chat ${r.model}` : 'chat',
    traceId: caller?.traceId ?? ktTraceIdOf(key),
    spanId: ktSpanIdOf(r.id),
    parentSpanId: primary ? (caller?.parentSpanId ?? null) : ktSpanIdOf(key),
    remoteParent: primary && caller !== null,
    traceState: caller?.traceState ?? null,
    start: hrTimeAt(startMs),
    end: hrTimeAt(startMs, latencyNs),
    attributes: a,
    error: r.status === 'ok' ? null : (r.error?.message ?? r.status),
  }
}
