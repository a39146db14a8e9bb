// One OTel span → a record. When content was captured an OpenAI chat body is synthesised so the record is
// replayable; otherwise it is metrics-only. A span with only Langfuse attributes goes to the Langfuse reader (§8).
import {normalizeFinishReason, num, TRACE_CONTEXT_KEY} from '../../records/index.js'
import type {Api} from '../../records/index.js'
import {asObject, isObject, type Json} from '../../wire/index.js'
import {buildRecord, requestFromBody, type RecordDraft} from '../../wire/index.js'
import {promptText, synthBody, synthBodyWith} from '../common/body.js'
import {responseFromOutput} from '../common/output.js'
import {decode, hashIdentifier, isoFromMs, msBetween, putKnown, str, strings} from '../common/values.js'
import {langfuseAttributes} from '../langfuse/shapes.js'
import {langfuseSpanOutcome} from '../langfuse/span.js'
import type {FormatContext, Outcome} from '../types.js'
import {finishReasons, first, paramsOf, providerOf, toolsOf, usageOf} from './attributes.js'
import {classify} from './classify.js'
import {ktSpanFields, ktTraceContext} from './kt.js'
import {content, unflatten, type Content} from './messages.js'
import type {Span} from './otlp.js'

/** Older instrumentations put the content on span events (`gen_ai.content.prompt` etc.): folded into the attributes. */
function withEventContent(span: Span): Json {
  const a: Json = {...span.attrs}
  for (const ev of span.events) {
    for (const k of ['gen_ai.prompt', 'gen_ai.completion', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']) {
      if (a[k] === undefined && ev.attrs[k] !== undefined) a[k] = ev.attrs[k]
    }
  }
  return a
}

/** The synthesised body, when the span captured the prompt; `meta` says which. */
function spanBody(api: Api, model: string | null, params: Json, tools: Json[], c: Content, meta: Json): Json | null {
  if (!c.messages || !c.messages.length) {
    meta.content_captured = false
    return null
  }
  meta.request_synthesized = true
  if (api === 'openai.completions') return synthBodyWith(model, 'prompt', promptText(c.messages), params)
  return synthBody(model, c.messages, params, tools.length ? {tools} : {})
}

/** The completion, or (metrics-only) just the finish reason the span reports. */
function applyOutput(draft: RecordDraft, a: Json, c: Content, responseModel: string | null, meta: Json): void {
  const finish = finishReasons(a)
  if (c.output) {
    let out = c.output
    // A message's own finish_reason wins; else the span's list, else OpenInference's raw output.value.
    if (out.kind === 'message' && out.finish === null) out = {...out, finish: finish ?? str(asObject(decode(a['output.value'])).finish_reason)}
    const {parsed, synthesized} = responseFromOutput(out, {id: str(a['gen_ai.response.id']), model: responseModel})
    draft.response = parsed.response
    if (synthesized) meta.response_synthesized = true
  } else if (finish) {
    draft.response = {text: null, tool_calls: [], reasoning: null, finish_reason: normalizeFinishReason(finish), finish_reason_raw: finish, raw: null}
  }
}

/** Error = `status.code 2` or `error.type`, described by the `exception` event. */
function applyError(draft: RecordDraft, span: Span, a: Json): void {
  const exception = span.events.find((e) => e.name === 'exception')
  const errorType = str(a['error.type'])
  if (span.statusCode !== 'error' && !errorType) return
  draft.status = 'error'
  draft.error = {
    type: errorType ?? str(exception?.attrs['exception.type']) ?? 'span_error',
    code: draft.http_status !== null && draft.http_status !== undefined ? String(draft.http_status) : null,
    message: span.statusMessage ?? str(exception?.attrs['exception.message']),
  }
}

/** A span the kt gateway exported: the event it came from (id, status, cost, routing, mirror fields, caller's trace). */
function applyKtFields(draft: RecordDraft, span: Span, a: Json): void {
  const kt = ktSpanFields(a)
  if (!kt) return
  if (kt.id) draft.id = kt.id
  // The upstream's answer id, as the gateway's event keeps it (other spans keep their span id).
  draft.source_id = str(a['gen_ai.response.id']) ?? draft.source_id ?? null
  if (kt.status) draft.status = kt.status
  if (kt.cost !== null) {
    draft.cost_usd = kt.cost
    draft.cost_source = 'computed'
  }
  draft.event = {...draft.event, ...kt.event}
  draft.metadata = {...draft.metadata, ...kt.metadata}
  // Its trace id is already the event's trace_id (every span's is).
  const continued = ktTraceContext(span, kt.event)
  if (continued) draft.metadata[TRACE_CONTEXT_KEY] = continued
}

/** Span identity, top_k, OpenInference metadata and OpenLLMetry association properties (minus PII). */
function spanMeta(span: Span, a: Json, meta: Json): Json {
  putKnown(meta, [
    ['span_name', span.name],
    ['span_kind', span.kind],
    ['parent_span_id', span.parentSpanId],
    ['scope', span.scope],
    ['response_id', str(a['gen_ai.response.id'])],
    ['operation', str(a['gen_ai.operation.name'])],
  ])
  const topK = num(a['gen_ai.request.top_k'] ?? a['llm.top_k'])
  if (topK !== null) meta.request_top_k = topK
  const oiMeta = decode(a.metadata)
  if (isObject(oiMeta) && Object.keys(oiMeta).length) meta.span_metadata = oiMeta
  const assoc = unflatten(a, 'traceloop.association.properties.')
  // User ids and e-mails are PII: only their hash is kept (user_id_hash).
  const assocKept = Object.fromEntries(Object.entries(assoc).filter(([k]) => !/user|email|ip_address/i.test(k)))
  if (Object.keys(assocKept).length) meta.association_properties = assocKept
  return assoc
}

export function spanOutcome(span: Span, locator: string, ctx: FormatContext): Outcome {
  const a = withEventContent(span)
  if (langfuseAttributes(a) && a['gen_ai.operation.name'] === undefined) {
    return langfuseSpanOutcome(a, {name: span.name, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId, startMs: span.startMs, endMs: span.endMs}, locator, ctx, 'otel')
  }
  const cls = classify(a)
  if ('skip' in cls) return {kind: 'skip', reason: cls.skip, locator}
  const api = cls.api
  const {params, invocation} = paramsOf(a)
  const model = str(a['gen_ai.request.model']) ?? str(invocation.model) ?? str(a['llm.request.model_name']) ?? str(a['llm.model_name'])
  const llmModel = str(a['llm.model_name'])
  const responseModel = str(a['gen_ai.response.model']) ?? str(a['llm.response.model_name']) ?? (llmModel && llmModel !== model ? llmModel : null)
  const c = content(a, span.events)
  const meta: Json = {otel_convention: c.convention}
  const body = spanBody(api, model, params, toolsOf(a, invocation), c, meta)
  const ttftS = first(a, ['gen_ai.response.time_to_first_chunk', 'gen_ai.server.time_to_first_token'])
  const draft: RecordDraft = {
    format: 'otel',
    locator,
    source_id: span.spanId ?? str(a['gen_ai.response.id']),
    timestamp: isoFromMs(span.startMs),
    provider: providerOf(a),
    api,
    model,
    response_model: responseModel,
    request: body ? requestFromBody(api, body) : null,
    usage: usageOf(a),
    latency_ms: span.durationMs ?? msBetween(span.startMs, span.endMs),
    ttft_ms: ttftS !== null ? Math.round(ttftS * 1e6) / 1000 : null,
    cost_usd: first(a, ['llm.cost.total', 'gen_ai.usage.cost']),
    cost_source: 'reported',
    replayable: body !== null && api !== 'openai.completions',
    http_status: first(a, ['http.response.status_code', 'http.status_code']),
  }
  if (draft.request && api === 'openai.completions') {
    draft.request = {...draft.request, messages: c.messages ? [{role: 'user', parts: [{type: 'text', text: String(body?.prompt ?? '')}]}] : []}
  }
  if (draft.request && params.stream === true) draft.request.stream = true
  applyOutput(draft, a, c, responseModel, meta)
  applyError(draft, span, a)
  const assoc = spanMeta(span, a, meta)
  draft.metadata = meta
  draft.tags = strings(a['tag.tags'])
  draft.event = {
    trace_id: span.traceId,
    session_id: str(a['gen_ai.conversation.id']) ?? str(a['session.id']) ?? str(assoc.session_id),
    user_id_hash: hashIdentifier(a['user.id'] ?? a['enduser.id'] ?? assoc.user_id),
    app: str(span.resource['service.name']),
    environment: str(span.resource['deployment.environment.name'] ?? span.resource['deployment.environment']),
  }
  applyKtFields(draft, span, a)
  return {kind: 'record', record: buildRecord(draft, ctx)}
}
