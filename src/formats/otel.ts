// OpenTelemetry (docs/log-formats.md §10): OTLP/JSON trace envelopes (`resourceSpans`, one per line from the
// collector file exporter) and flat span-attribute maps, in any of the conventions LLM instrumentations use:
// current GenAI semconv (`gen_ai.input.messages` parts JSON), deprecated `gen_ai.prompt`/`gen_ai.completion`,
// OpenInference (`llm.input_messages.N.message.*`) and OpenLLMetry (`gen_ai.prompt.N.*`).
// Only LLM-call spans become records; tool, agent, chain and embedding spans are counted as skipped (agent
// spans repeat their children's usage). When content was captured an OpenAI chat body is synthesised so
// the record is replayable; otherwise it is metrics-only.
//
// Timing: OTLP nanos are 19-digit integers. Quoted ones go through BigInt exactly; unquoted ones have already
// lost precision in JSON.parse (a double is exact to ~256 ns at that size), which is far below the 1 µs
// resolution kt keeps, so converting the parsed number to ms is accurate enough.
import {nanosToMs, normalizeFinishReason, num} from '../records/index.js'
import type {Api, Provider, Usage} from '../records/index.js'
import {asArray, asObject, isObject, type Json} from '../wire/index.js'
import {argString} from '../wire/index.js'
import {
  decode,
  epochMs,
  hashIdentifier,
  isoFromMs,
  langfuseAttributes,
  langfuseSpanOutcome,
  msBetween,
  outputFrom,
  responseFromOutput,
  str,
  strings,
  synthBody,
  toChatMessages,
  type OutputShape,
} from './langfuse.js'
import {buildRecord, requestFromBody, type RecordDraft} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'

interface SpanEvent {
  name: string
  attrs: Json
}

interface Span {
  attrs: Json
  name: string | null
  traceId: string | null
  spanId: string | null
  parentSpanId: string | null
  kind: string | null
  startMs: number | null
  endMs: number | null
  /** Exact end − start from the integer nanos when both are present (BigInt), else null. */
  durationMs: number | null
  statusCode: 'unset' | 'ok' | 'error'
  statusMessage: string | null
  events: SpanEvent[]
  resource: Json
  scope: string | null
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON decoding
// ---------------------------------------------------------------------------------------------

/** An OTLP AnyValue (camelCase or snake_case keys) → plain JSON value. */
function anyValue(v: unknown): unknown {
  const o = asObject(v)
  const pick = (camel: string, snake: string) => (camel in o ? o[camel] : o[snake])
  if ('stringValue' in o || 'string_value' in o) return pick('stringValue', 'string_value')
  if ('boolValue' in o || 'bool_value' in o) return pick('boolValue', 'bool_value') === true || pick('boolValue', 'bool_value') === 'true'
  if ('intValue' in o || 'int_value' in o) {
    // int64 arrives as a string in proto3 JSON; token counts always fit a double.
    const n = num(pick('intValue', 'int_value'))
    return n ?? pick('intValue', 'int_value')
  }
  if ('doubleValue' in o || 'double_value' in o) return num(pick('doubleValue', 'double_value'))
  if ('arrayValue' in o || 'array_value' in o) return asArray(asObject(pick('arrayValue', 'array_value')).values).map(anyValue)
  if ('kvlistValue' in o || 'kvlist_value' in o) return kvMap(asObject(pick('kvlistValue', 'kvlist_value')).values)
  if ('bytesValue' in o || 'bytes_value' in o) return pick('bytesValue', 'bytes_value')
  return null
}

/** `[{key, value: AnyValue}]` → `{key: value}`; an attribute object passes through. */
function kvMap(list: unknown): Json {
  if (isObject(list)) return list
  const out: Json = {}
  for (const kv of asArray(list)) {
    const o = asObject(kv)
    if (typeof o.key === 'string') out[o.key] = anyValue(o.value)
  }
  return out
}

/** Trace/span id as lower-case hex from hex (any case), `0x…` or base64 (protobuf JSON); all-zero = none. */
export function otelId(v: unknown, bytes: 8 | 16): string | null {
  const s = str(v)?.trim()
  if (!s) return null
  let hex: string | null = null
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(s)) hex = s.toLowerCase()
  else if (/^0x[0-9a-fA-F]+$/.test(s)) hex = s.slice(2).toLowerCase().padStart(bytes * 2, '0')
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const buf = Buffer.from(s, 'base64')
    if (buf.length === bytes) hex = buf.toString('hex')
  }
  if (hex === null) return s
  return /^0+$/.test(hex) ? null : hex
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']

function spanKind(v: unknown): string | null {
  if (typeof v === 'number') return KINDS[v] ?? String(v)
  const s = str(v)
  if (!s) return null
  if (/^\d+$/.test(s)) return KINDS[Number(s)] ?? s
  return s.replace(/^(SPAN_KIND_|SpanKind\.)/, '').toLowerCase()
}

function statusCode(v: unknown): Span['statusCode'] {
  if (v === 2 || v === '2') return 'error'
  if (v === 1 || v === '1') return 'ok'
  const s = str(v)?.toUpperCase() ?? ''
  if (s.endsWith('ERROR')) return 'error'
  if (s.endsWith('OK')) return 'ok'
  return 'unset'
}

/** Time of an OTLP nanos field (string → exact BigInt path; number → the parsed double). */
function nanos(v: unknown): number | null {
  if (v === null || v === undefined || v === '' || v === 0 || v === '0') return null
  return nanosToMs(v)
}

/** end − start in ms from the integer nanos themselves (no µs truncation of each side), rounded to µs. */
function nanosDuration(start: unknown, end: unknown): number | null {
  try {
    if ((typeof start !== 'string' && typeof start !== 'number') || (typeof end !== 'string' && typeof end !== 'number')) return null
    const diff = BigInt(String(end).split('.')[0]!) - BigInt(String(start).split('.')[0]!)
    if (diff < 0n) return null
    return Math.round(Number(diff) / 1000) / 1000
  } catch {
    return null
  }
}

function spanFrom(sp: Json, resource: Json, scope: string | null): Span {
  const ctxObj = asObject(sp.context)
  const status = asObject(sp.status)
  const startNs = sp.startTimeUnixNano ?? sp.start_time_unix_nano
  const endNs = sp.endTimeUnixNano ?? sp.end_time_unix_nano
  let startMs = nanos(startNs)
  let endMs = nanos(endNs)
  const durationMs = startMs !== null && endMs !== null ? nanosDuration(startNs, endNs) : null
  if (startMs === null) {
    // Console exporters: ISO `start_time`/`end_time` (Python) or µs `timestamp` + `duration` (JS).
    startMs = epochMs(sp.start_time ?? sp.startTime ?? sp.timestamp)
    endMs = epochMs(sp.end_time ?? sp.endTime)
    const duration = num(sp.duration)
    if (endMs === null && startMs !== null && duration !== null) endMs = startMs + duration / 1000
  }
  return {
    attrs: kvMap(sp.attributes),
    name: str(sp.name),
    traceId: otelId(sp.traceId ?? sp.trace_id ?? ctxObj.trace_id ?? ctxObj.traceId, 16),
    spanId: otelId(sp.spanId ?? sp.span_id ?? ctxObj.span_id ?? ctxObj.spanId ?? sp.id, 8),
    parentSpanId: otelId(sp.parentSpanId ?? sp.parent_span_id ?? sp.parentId ?? sp.parent_id, 8),
    kind: spanKind(sp.kind),
    startMs,
    endMs,
    durationMs,
    statusCode: statusCode(status.code ?? status.status_code),
    statusMessage: str(status.message ?? status.description),
    events: asArray(sp.events).map((e) => ({name: str(asObject(e).name) ?? '', attrs: kvMap(asObject(e).attributes)})),
    resource,
    scope,
  }
}

function* envelopeSpans(env: Json): Generator<Span> {
  for (const rs of asArray(env.resourceSpans ?? env.resource_spans)) {
    const r = asObject(rs)
    const resource = kvMap(asObject(r.resource).attributes)
    for (const ss of asArray(r.scopeSpans ?? r.scope_spans ?? r.instrumentationLibrarySpans ?? r.instrumentation_library_spans)) {
      const s = asObject(ss)
      const scope = str(asObject(s.scope ?? s.instrumentationLibrary ?? s.instrumentation_library).name)
      for (const sp of asArray(s.spans)) yield spanFrom(asObject(sp), resource, scope)
    }
  }
}

function isEnvelope(o: Json): boolean {
  return 'resourceSpans' in o || 'resource_spans' in o
}

function isLogsEnvelope(o: Json): boolean {
  return 'resourceLogs' in o || 'resource_logs' in o
}

const GENAI_KEY = /^(gen_ai\.|llm\.|traceloop\.)|^openinference\.span\.kind$/

function hasGenAiKeys(m: Json): boolean {
  return Object.keys(m).some((k) => GENAI_KEY.test(k))
}

/** A flat attribute map: the object itself, or the `attributes` (object or KV list) of a single span dump. */
function singleSpanAttributes(o: Json): Json | null {
  if (hasGenAiKeys(o)) return o
  if (isObject(o.attributes) || Array.isArray(o.attributes)) {
    const attrs = kvMap(o.attributes)
    if (hasGenAiKeys(attrs)) return attrs
  }
  return null
}

export function detectOtel(v: unknown): boolean {
  if (!isObject(v)) return false
  if (isEnvelope(v) || isLogsEnvelope(v)) return true
  const attrs = singleSpanAttributes(v)
  // Langfuse's own OTel attribute maps are imported by the langfuse format.
  return attrs !== null && langfuseAttributes(attrs) === null
}

// ---------------------------------------------------------------------------------------------
// Which spans are LLM calls
// ---------------------------------------------------------------------------------------------

const LLM_OPERATIONS: Record<string, Api> = {chat: 'openai.chat', generate_content: 'openai.chat', text_completion: 'openai.completions', completion: 'openai.completions'}

function classify(a: Json): {api: Api} | {skip: string} {
  const op = str(a['gen_ai.operation.name'])?.toLowerCase()
  if (op) {
    if (LLM_OPERATIONS[op]) return {api: LLM_OPERATIONS[op]!}
    if (op === 'execute_tool') return {skip: 'tool execution span (gen_ai.operation.name execute_tool), not an LLM call'}
    if (op.includes('agent') || op.includes('workflow')) return {skip: `agent span (gen_ai.operation.name ${op}): skipped so the LLM calls inside it are not counted twice`}
    if (op.startsWith('embedding')) return {skip: 'embeddings span (gen_ai.operation.name embeddings), not a generation'}
    return {skip: `gen_ai.operation.name "${op}" is not a chat or text generation`}
  }
  const oi = str(a['openinference.span.kind'])?.toUpperCase()
  if (oi) {
    if (oi === 'LLM') return {api: 'openai.chat'}
    if (oi === 'CHAIN' || oi === 'AGENT') return {skip: `OpenInference ${oi} span: skipped so the LLM calls inside it are not counted twice`}
    return {skip: `OpenInference ${oi} span, not an LLM call`}
  }
  const reqType = str(a['llm.request.type'])?.toLowerCase()
  if (reqType) {
    if (reqType === 'chat') return {api: 'openai.chat'}
    if (reqType === 'completion') return {api: 'openai.completions'}
    return {skip: `OpenLLMetry llm.request.type "${reqType}" is not a chat or text generation`}
  }
  const tlKind = str(a['traceloop.span.kind'])
  if (tlKind) return {skip: `OpenLLMetry ${tlKind} span: skipped so the LLM calls inside it are not counted twice`}
  const keys = Object.keys(a)
  if ((a['gen_ai.system'] || a['gen_ai.provider.name']) && a['gen_ai.request.model']) return {api: 'openai.chat'}
  if (keys.some((k) => k.startsWith('llm.input_messages.') || k.startsWith('gen_ai.prompt') || k === 'gen_ai.input.messages')) return {api: 'openai.chat'}
  return {skip: 'not an LLM call: the span has no GenAI (gen_ai.*), OpenInference or OpenLLMetry attributes'}
}

// ---------------------------------------------------------------------------------------------
// Messages in the four conventions
// ---------------------------------------------------------------------------------------------

/** Dotted keys under a prefix → nested objects (`a.0.b` → `{0: {b}}`). */
function unflatten(a: Json, prefix: string): Json {
  const root: Json = {}
  for (const [k, v] of Object.entries(a)) {
    if (!k.startsWith(prefix)) continue
    const path = k.slice(prefix.length).split('.')
    let cur = root
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!
      if (!isObject(cur[seg])) cur[seg] = {}
      cur = cur[seg] as Json
    }
    cur[path[path.length - 1]!] = v
  }
  return root
}

/** `{0: …, 1: …}` → array in index order. */
function indexed(o: unknown): Json[] {
  return Object.entries(asObject(o))
    .filter(([k]) => /^\d+$/.test(k))
    .sort((x, y) => Number(x[0]) - Number(y[0]))
    .map(([, v]) => asObject(v))
}

/** OpenInference `llm.{input,output}_messages.N.message.*` → OpenAI-shaped messages. */
function openInferenceMessages(a: Json, which: 'input' | 'output'): Json[] {
  return indexed(unflatten(a, `llm.${which}_messages.`)).map((entry) => {
    const m = asObject(entry.message)
    const msg: Json = {role: str(m.role) ?? (which === 'output' ? 'assistant' : 'user')}
    const contents = indexed(m.contents).map((c) => {
      const mc = asObject(c.message_content)
      if (mc.type === 'image') return {type: 'image_url', image_url: {url: str(asObject(asObject(mc.image).image).url) ?? ''}}
      return {type: 'text', text: str(mc.text) ?? ''}
    })
    msg.content = contents.length ? contents : (m.content ?? null)
    const calls = indexed(m.tool_calls).map((t) => {
      const tc = asObject(t.tool_call)
      const fn = asObject(tc.function)
      return {id: str(tc.id) ?? '', type: 'function', function: {name: str(fn.name) ?? '', arguments: argString(fn.arguments)}}
    })
    if (calls.length) msg.tool_calls = calls
    if (str(m.tool_call_id)) msg.tool_call_id = m.tool_call_id
    if (str(m.name)) msg.name = m.name
    return msg
  })
}

/** OpenLLMetry `gen_ai.{prompt,completion}.N.*` → OpenAI-shaped messages (+ finish reasons). */
function openLlmetryMessages(a: Json, which: 'prompt' | 'completion'): Json[] {
  return indexed(unflatten(a, `gen_ai.${which}.`)).map((m) => {
    const msg: Json = {role: str(m.role) ?? (which === 'completion' ? 'assistant' : 'user'), content: decode(m.content) ?? null}
    const calls = indexed(m.tool_calls).map((t) => ({id: str(t.id) ?? '', type: 'function', function: {name: str(t.name) ?? '', arguments: argString(t.arguments)}}))
    if (calls.length) msg.tool_calls = calls
    if (str(m.tool_call_id)) msg.tool_call_id = m.tool_call_id
    if (str(m.finish_reason)) msg.finish_reason = m.finish_reason
    return msg
  })
}

const MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}

/** Span events of the events-based semconv (body as `content`/`gen_ai.event.content` attributes). */
function eventMessages(events: SpanEvent[]): {input: Json[]; output: unknown} {
  const input: Json[] = []
  let output: unknown = null
  for (const ev of events) {
    const body = decode(ev.attrs['gen_ai.event.content'] ?? ev.attrs.body)
    const fields = isObject(body) ? {...ev.attrs, ...body} : ev.attrs
    const role = MESSAGE_EVENTS[ev.name]
    if (role) {
      const m: Json = {role, content: decode(fields.content) ?? null}
      if (fields.tool_calls) m.tool_calls = decode(fields.tool_calls)
      if (role === 'tool') m.tool_call_id = str(fields.id) ?? str(fields.tool_call_id) ?? ''
      input.push(m)
    } else if (ev.name === 'gen_ai.choice' && output === null && (num(fields.index) ?? 0) === 0) {
      output = {...asObject(decode(fields.message)), finish_reason: fields.finish_reason}
    }
  }
  return {input, output}
}

function systemInstructions(v: unknown): string | null {
  const d = decode(v)
  if (typeof d === 'string') return d || null
  const texts = asArray(d)
    .map((p) => (typeof p === 'string' ? p : str(asObject(p).content) ?? str(asObject(p).text)))
    .filter((t): t is string => t !== null)
  return texts.length ? texts.join('\n') : null
}

interface Content {
  messages: Json[] | null
  output: OutputShape | null
  convention: string
}

/** Prompt and completion in whichever convention the span uses (first that has content wins). */
function content(a: Json, events: SpanEvent[]): Content {
  let convention = 'genai'
  let messages: Json[] | null = null
  let output: unknown = null
  if (a['gen_ai.input.messages'] !== undefined || a['gen_ai.output.messages'] !== undefined) {
    messages = toChatMessages(a['gen_ai.input.messages'])
    output = a['gen_ai.output.messages'] ?? null
  } else if (Object.keys(a).some((k) => k.startsWith('llm.input_messages.') || k.startsWith('llm.output_messages.'))) {
    convention = 'openinference'
    messages = toChatMessages(openInferenceMessages(a, 'input'))
    const outs = openInferenceMessages(a, 'output')
    output = outs.length ? outs[0] : null
  } else if (Object.keys(a).some((k) => k.startsWith('gen_ai.prompt.') || k.startsWith('gen_ai.completion.'))) {
    convention = 'openllmetry'
    messages = toChatMessages(openLlmetryMessages(a, 'prompt'))
    const outs = openLlmetryMessages(a, 'completion')
    output = outs.length ? outs[0] : null
  } else if (a['gen_ai.prompt'] !== undefined || a['gen_ai.completion'] !== undefined) {
    convention = 'genai-deprecated'
    messages = toChatMessages(a['gen_ai.prompt'])
    output = a['gen_ai.completion'] ?? null
  }
  if (messages === null && output === null && events.length) {
    const ev = eventMessages(events)
    if (ev.input.length || ev.output) convention = 'genai-events'
    messages = toChatMessages(ev.input)
    output = ev.output
  }
  // OpenInference also keeps the raw request/response text in input.value / output.value.
  if (messages === null && str(a['input.value'])) messages = toChatMessages(a['input.value'])
  if (output === null && a['output.value'] !== undefined) output = a['output.value']
  const system = systemInstructions(a['gen_ai.system_instructions'])
  if (system && messages && messages[0]?.role !== 'system') messages = [{role: 'system', content: system}, ...messages]
  return {messages, output: outputFrom(output), convention}
}

// ---------------------------------------------------------------------------------------------
// Attribute mapping
// ---------------------------------------------------------------------------------------------

const PROVIDERS: Record<string, Provider> = {
  openai: 'openai',
  'azure.ai.openai': 'azure_openai',
  'az.ai.openai': 'azure_openai',
  azure_openai: 'azure_openai',
  azure: 'azure_openai',
  anthropic: 'anthropic',
  'aws.bedrock': 'bedrock',
  bedrock: 'bedrock',
  'gcp.vertex_ai': 'vertex',
  vertex_ai: 'vertex',
  vertexai: 'vertex',
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  gemini: 'google',
  google: 'google',
  groq: 'groq',
}

function providerOf(a: Json): Provider | null {
  const raw = str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']) ?? str(a['llm.provider']) ?? str(a['llm.system'])
  if (!raw) return null
  const s = raw.toLowerCase()
  return PROVIDERS[s] ?? s
}

function first(a: Json, keys: string[]): number | null {
  for (const k of keys) {
    const n = num(a[k])
    if (n !== null) return n
  }
  return null
}

function usageOf(a: Json): Partial<Usage> {
  return {
    input_tokens: first(a, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens']),
    output_tokens: first(a, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens']),
    cached_input_tokens: first(a, ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt_details.cache_read']),
    cache_write_tokens: first(a, ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write']),
    reasoning_tokens: first(a, ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'llm.token_count.completion_details.reasoning']),
    total_tokens: first(a, ['llm.token_count.total', 'llm.usage.total_tokens', 'gen_ai.usage.total_tokens']),
  }
}

const PARAM_ATTRS: [string, string][] = [
  ['gen_ai.request.temperature', 'temperature'],
  ['gen_ai.request.top_p', 'top_p'],
  ['gen_ai.request.max_tokens', 'max_tokens'],
  ['gen_ai.request.stop_sequences', 'stop'],
  ['gen_ai.request.seed', 'seed'],
  ['gen_ai.request.frequency_penalty', 'frequency_penalty'],
  ['gen_ai.request.presence_penalty', 'presence_penalty'],
  ['gen_ai.request.choice.count', 'n'],
  ['llm.frequency_penalty', 'frequency_penalty'],
  ['llm.presence_penalty', 'presence_penalty'],
]

function paramsOf(a: Json): {params: Json; invocation: Json} {
  const params: Json = {}
  for (const [attr, key] of PARAM_ATTRS) {
    const v = decode(a[attr])
    if (v === undefined || v === null || v === '') continue
    if (key === 'n' && num(v) === 1) continue
    params[key] ??= v
  }
  // OpenInference records the actual request parameters as one JSON string: they take precedence.
  const invocation = asObject(decode(a['llm.invocation_parameters']))
  for (const [k, v] of Object.entries(invocation)) if (v !== null && k !== 'messages' && k !== 'tools') params[k] = v
  if (a['gen_ai.request.stream'] === true || a['llm.is_streaming'] === true) params.stream = true
  return {params, invocation}
}

function normTool(t: unknown): Json | null {
  const o = asObject(decode(t))
  if (o.type === 'function' && isObject(o.function)) return o
  const name = str(o.name)
  if (!name) return null
  const fn: Json = {name}
  if (str(o.description)) fn.description = o.description
  const params = decode(o.parameters ?? o.input_schema)
  if (params !== undefined && params !== null) fn.parameters = params
  return {type: 'function', function: fn}
}

function toolsOf(a: Json, invocation: Json): Json[] {
  const raw: unknown[] = [...asArray(decode(a['gen_ai.tool.definitions'])), ...asArray(invocation.tools)]
  for (const t of indexed(unflatten(a, 'llm.tools.'))) raw.push(asObject(t.tool).json_schema)
  for (const f of indexed(unflatten(a, 'llm.request.functions.'))) raw.push(f)
  return raw.map(normTool).filter((t): t is Json => t !== null)
}

function finishReasons(a: Json): string | null {
  const v = decode(a['gen_ai.response.finish_reasons'])
  if (Array.isArray(v)) return str(v[0])
  return str(v)?.split(',')[0]?.trim() ?? null
}

function spanOutcome(span: Span, locator: string, ctx: FormatContext): Outcome {
  const a: Json = {...span.attrs}
  // Older instrumentations put the content on span events (`gen_ai.content.prompt` etc.): fold it in.
  for (const ev of span.events) {
    for (const k of ['gen_ai.prompt', 'gen_ai.completion', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']) {
      if (a[k] === undefined && ev.attrs[k] !== undefined) a[k] = ev.attrs[k]
    }
  }
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
  const tools = toolsOf(a, invocation)
  const meta: Json = {otel_convention: c.convention}

  let body: Json | null = null
  if (c.messages && c.messages.length) {
    if (api === 'openai.completions') {
      const prompt = c.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')
      const b = synthBody(model, [], params)
      delete b.messages
      body = {...b, prompt}
    } else {
      body = synthBody(model, c.messages, params, tools.length ? {tools} : {})
    }
    meta.request_synthesized = true
  } else {
    meta.content_captured = false
  }

  const start = span.startMs
  const end = span.endMs
  const ttftS = first(a, ['gen_ai.response.time_to_first_chunk', 'gen_ai.server.time_to_first_token'])
  const draft: RecordDraft = {
    format: 'otel',
    locator,
    source_id: span.spanId ?? str(a['gen_ai.response.id']),
    timestamp: isoFromMs(start),
    provider: providerOf(a),
    api,
    model,
    response_model: responseModel,
    request: body ? requestFromBody(api, body) : null,
    usage: usageOf(a),
    latency_ms: span.durationMs ?? msBetween(start, end),
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

  const finish = finishReasons(a)
  if (c.output) {
    let out = c.output
    // A message's own finish_reason wins; else the span's list, else OpenInference's raw output.value.
    if (out.kind === 'message' && out.finish === null) out = {...out, finish: finish ?? str(asObject(decode(a['output.value'])).finish_reason)}
    const {parsed, synthesized} = responseFromOutput(out, {id: str(a['gen_ai.response.id']), model: responseModel})
    draft.response = parsed.response
    if (synthesized) meta.response_synthesized = true
  } else if (finish) {
    // Metrics-only, but the finish reason is still known.
    draft.response = {text: null, tool_calls: [], reasoning: null, finish_reason: normalizeFinishReason(finish), finish_reason_raw: finish, raw: null}
  }

  const exception = span.events.find((e) => e.name === 'exception')
  const errorType = str(a['error.type'])
  if (span.statusCode === 'error' || errorType) {
    draft.status = 'error'
    draft.error = {
      type: errorType ?? str(exception?.attrs['exception.type']) ?? 'span_error',
      code: draft.http_status !== null && draft.http_status !== undefined ? String(draft.http_status) : null,
      message: span.statusMessage ?? str(exception?.attrs['exception.message']),
    }
  }

  for (const [k, v] of [
    ['span_name', span.name],
    ['span_kind', span.kind],
    ['parent_span_id', span.parentSpanId],
    ['scope', span.scope],
    ['response_id', str(a['gen_ai.response.id'])],
    ['operation', str(a['gen_ai.operation.name'])],
  ] as const) {
    if (v !== null) meta[k] = v
  }
  const topK = num(a['gen_ai.request.top_k'] ?? a['llm.top_k'])
  if (topK !== null) meta.request_top_k = topK
  const oiMeta = decode(a.metadata)
  if (isObject(oiMeta) && Object.keys(oiMeta).length) meta.span_metadata = oiMeta
  const assoc = unflatten(a, 'traceloop.association.properties.')
  // User ids and e-mails are PII: only their hash is kept (user_id_hash below).
  const assocKept = Object.fromEntries(Object.entries(assoc).filter(([k]) => !/user|email|ip_address/i.test(k)))
  if (Object.keys(assocKept).length) meta.association_properties = assocKept
  draft.metadata = meta
  draft.tags = strings(a['tag.tags'])
  draft.event = {
    trace_id: span.traceId,
    session_id: str(a['gen_ai.conversation.id']) ?? str(a['session.id']) ?? str(assoc.session_id),
    user_id_hash: hashIdentifier(a['user.id'] ?? a['enduser.id'] ?? assoc.user_id),
    app: str(span.resource['service.name']),
    environment: str(span.resource['deployment.environment.name'] ?? span.resource['deployment.environment']),
  }
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const otelFormat: Format = {
  name: 'otel',
  title: 'OpenTelemetry GenAI spans: OTLP/JSON traces (JSON, JSONL) or flat span-attribute maps (GenAI, OpenInference, OpenLLMetry)',
  shapes: ['jsonl', 'json'],
  detect: (v: unknown) => detectOtel(v),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      const v = item.value
      if (!isObject(v)) {
        yield {kind: 'reject', reason: 'expected a JSON object (OTLP envelope or span attributes)', locator: item.locator}
        return
      }
      if (isEnvelope(v)) {
        let n = 0
        for (const span of envelopeSpans(v)) {
          n++
          yield spanOutcome(span, `${item.locator} span ${span.traceId ?? '?'}:${span.spanId ?? '?'}`, ctx)
        }
        if (n === 0) yield {kind: 'skip', reason: 'OTLP envelope holds no spans', locator: item.locator}
        return
      }
      if (isLogsEnvelope(v)) {
        yield {kind: 'skip', reason: 'OTLP logs (resourceLogs) are not imported: kt reads GenAI spans from traces (resourceSpans)', locator: item.locator}
        return
      }
      const attrs = singleSpanAttributes(v)
      if (!attrs) {
        yield {kind: 'reject', reason: 'not an OTLP envelope or a span-attribute map with gen_ai.*, llm.* or openinference.* keys', locator: item.locator}
        return
      }
      const span = attrs === v ? {...spanFrom({}, {}, null), attrs} : spanFrom(v, kvMap(asObject(v.resource).attributes), null)
      yield spanOutcome(span, item.locator, ctx)
    },
  }),
}
