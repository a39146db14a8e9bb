// OTLP/JSON decoding (docs/log-formats.md §10): envelopes (`resourceSpans`), single spans and flat attribute maps,
// with the variations exporters write: int64 as a string or a number, ids as hex, `0x…` or base64, enums as ints or
// names, camelCase or snake_case keys.
//
// Timing: OTLP nanos are 19-digit integers. Quoted ones go through BigInt exactly; unquoted ones have already
// lost precision in JSON.parse (a double is exact to ~256 ns at that size), which is far below the 1 µs
// resolution kt keeps, so converting the parsed number to ms is accurate enough.
import {nanosToMs, num} from '../../records/index.js'
import {asArray, asObject, isObject, type Json} from '../../wire/index.js'
import {epochMs, str} from '../common/values.js'
import {langfuseAttributes} from '../langfuse/shapes.js'

export interface SpanEvent {
  name: string
  attrs: Json
}

export interface Span {
  attrs: Json
  name: string | null
  traceId: string | null
  spanId: string | null
  parentSpanId: string | null
  /** The W3C tracestate the span carried, as written; null for none. */
  traceState: string | null
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
export function kvMap(list: unknown): Json {
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

export function spanFrom(sp: Json, resource: Json, scope: string | null): Span {
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
    traceState: str(sp.traceState ?? sp.trace_state ?? ctxObj.trace_state ?? ctxObj.traceState) || null,
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

export function* envelopeSpans(env: Json): Generator<Span> {
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

export function isEnvelope(o: Json): boolean {
  return 'resourceSpans' in o || 'resource_spans' in o
}

export function isLogsEnvelope(o: Json): boolean {
  return 'resourceLogs' in o || 'resource_logs' in o
}

const GENAI_KEY = /^(gen_ai\.|llm\.|traceloop\.)|^openinference\.span\.kind$/

function hasGenAiKeys(m: Json): boolean {
  return Object.keys(m).some((k) => GENAI_KEY.test(k))
}

/** A flat attribute map: the object itself, or the `attributes` (object or KV list) of a single span dump. */
export function singleSpanAttributes(o: Json): Json | null {
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
