// The caller's W3C Trace Context (level 1) on the request path: `traceparent` checked with one regular expression and
// a few comparisons, `tracestate` kept as sent when it looks valid. Nothing of OpenTelemetry's propagator machinery runs
// here: the answering thread only copies four strings onto the exchange; the side thread builds spans from them.
import type {IncomingHttpHeaders} from 'node:http'
import type {CallerTrace} from './exchange.js'

/** version-traceid-parentid-flags, lowercase hex; a later version may add fields after another `-`. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:$|-)/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
/** The length of a version 00 traceparent, which may carry nothing more. */
const V00_LENGTH = 55

/** tracestate's own limit: longer ones may be dropped whole, which is what kt does. */
const MAX_TRACESTATE = 512
// list-members `key=value` (key: lowercase, digits, _-*/ and an optional @system; value: printable ASCII without , or =,
// not ending in a space) separated by commas with optional spaces; empty members are allowed.
const KEY = '[a-z0-9][a-z0-9_*/-]{0,255}(?:@[a-z][a-z0-9_*/-]{0,13})?'
const VALUE = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]'
const TRACESTATE = new RegExp(`^[ \\t]*(?:${KEY}=${VALUE})?(?:[ \\t]*,[ \\t]*(?:${KEY}=${VALUE})?)*[ \\t]*$`)

/** A valid `traceparent` (and its `tracestate`, when that looks valid); null for none or an invalid one (a new trace). */
export function parseTraceContext(traceparent: unknown, tracestate: unknown): CallerTrace | null {
  if (typeof traceparent !== 'string') return null
  const m = TRACEPARENT.exec(traceparent)
  if (!m) return null
  const [, version, traceId, parentSpanId, flags] = m as unknown as [string, string, string, string, string]
  // ff is never a version; 00 is exactly four fields; a later version is read by its first four (the spec's rule).
  if (version === 'ff' || (version === '00' && traceparent.length !== V00_LENGTH)) return null
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return null
  const state = typeof tracestate === 'string' && tracestate.trim() !== '' && tracestate.length <= MAX_TRACESTATE && TRACESTATE.test(tracestate) ? tracestate : null
  return {traceId, parentSpanId, sampled: (parseInt(flags, 16) & 1) === 1, tracestate: state}
}

/**
 * The trace context an upstream call carries, so that the provider's own spans (or a model server's) join the
 * caller's trace: the same trace id and sampled flag, with the kt span of that call (primary or shadow) as parent.
 */
export function upstreamTraceHeaders(trace: CallerTrace, spanId: string): Record<string, string> {
  const headers: Record<string, string> = {traceparent: `00-${trace.traceId}-${spanId}-${trace.sampled ? '01' : '00'}`}
  if (trace.tracestate !== null) headers.tracestate = trace.tracestate
  return headers
}

/** The request's trace context from its headers (Node joins repeated headers with commas: a repeated traceparent is invalid). */
export function traceContextOf(headers: IncomingHttpHeaders): CallerTrace | null {
  const parent = headers.traceparent
  return parent === undefined ? null : parseTraceContext(parent, headers.tracestate)
}
