// What the request path hands to the side path once a request is over: plain, structured-cloneable data (bytes as
// the wire carried them, timings, the routing decision), so that parsing, scoring, event building and the SQLite
// writes happen on the side thread and never in front of an answer.
import type {AuditLoggerPolicy, LogPolicy} from '../config/index.js'
import type {PolicyTrigger} from '../records/index.js'

export type CallerApi = 'openai.chat' | 'anthropic.messages' | 'openai.responses'

export interface TargetRef {
  id: string
  /** Provider name as events show it (`openai`, `anthropic`, `azure_openai`…). */
  provider: string
  /** Wire API the target speaks: the shape of the bytes it answered with. */
  api: CallerApi
}

/** Transport-level outcome of a shadow call; the side path refines `success` (an error event in a stream is an error). */
export type ShadowStatus = 'success' | 'error' | 'timeout' | 'dropped' | 'skipped'

export interface ShadowRecord {
  id: string
  source: 'traffic_mirror' | 'mirroring' | 'silent_model'
  target: TargetRef
  model: string
  /** The body sent (JSON text, the shadow target's API); null when never sent. */
  request: string | null
  stream: boolean
  status: ShadowStatus
  httpStatus: number | null
  error: string | null
  /** Answer bytes (capped) and marks: pairs of (byte offset where a chunk ended, ms since the request was sent). */
  bytes: Uint8Array | null
  marks: number[]
  latencyMs: number | null
  ttfbMs: number | null
  logResponse: boolean
  compare: string[]
}

/** A shadow the request path picked (sampled, model mapped); the side thread sends it. */
export interface ShadowOrder {
  id: string
  source: ShadowRecord['source']
  targetId: string
  model: string
  logResponse: boolean
  compare: string[]
}

/** One request's shadows, handed to the side thread as the request starts (so they run beside the primary). */
export interface ShadowStart {
  exchangeId: string
  callerApi: CallerApi
  stream: boolean
  /** The body the shadows are made from: the caller's, or as a content filter redacted it. */
  body: Uint8Array
  orders: ShadowOrder[]
  /** The caller's trace context: each shadow call carries it on to its upstream. */
  trace: CallerTrace | null
}

/** The caller's W3C trace context (a valid `traceparent`, its `tracestate` if that looked valid): the request's spans continue it. */
export interface CallerTrace {
  traceId: string
  /** The caller's span: the parent of the request's primary span. */
  parentSpanId: string
  /** The traceparent's sampled flag: false means no span is exported for the request (OpenTelemetry's parent-based rule). */
  sampled: boolean
  /** As the caller sent it; null when absent, over 512 characters or not a tracestate list. */
  tracestate: string | null
}

export interface Exchange {
  id: string
  /** ISO time the request arrived. */
  ts: string
  route: string
  callerApi: CallerApi
  /** The caller's trace context; null for none or an invalid one (the request starts its own trace). */
  trace: CallerTrace | null
  stream: boolean
  /** The body as the caller sent it; null when it could not be read (too large, not JSON). */
  request: Uint8Array | null
  requestedModel: string | null
  /** The model sent upstream (after groups, splits, redirects). */
  model: string | null
  target: TargetRef | null
  group: string | null
  decision: string
  policyId: string | null
  reason: string | null
  policies: PolicyTrigger[]
  abTag: string | null
  /** The caller's user key (`user`, metadata.user_id or x-kt-user); only its hash is ever stored. */
  userKey: string | null
  /** Fields dropped or approximated translating the request to the target's API. */
  losses: string[]
  /** Status the caller got. */
  httpStatus: number
  outcome: 'ok' | 'error' | 'blocked' | 'timeout'
  error: {type: string; code: string | null; message: string} | null
  /** Upstream answer bytes (the target's API, before any translation), capped; null when none. */
  bytes: Uint8Array | null
  /** The answer was longer than the cap: `bytes` holds its start only. */
  truncated: boolean
  marks: number[]
  /** Request handed to the upstream socket → last byte. */
  latencyMs: number | null
  ttfbMs: number | null
  /** Request fully read → answer fully written. */
  gatewayMs: number
  /** Filled on the side thread once the shadows ShadowStart asked for are done. */
  shadows: ShadowRecord[]
}

/** Settings the side path needs from the config (sent at start and on every reload). */
export interface SideConfig {
  pricing: Record<string, {input_per_mtok: number; output_per_mtok: number; cached_input_per_mtok?: number}>
  quality: {
    name: string
    policy: {dimensions: Record<'relevance' | 'coherence' | 'completeness', {weight: number; min_score: number}>; overall_min_score: number; on_fail: 'escalate' | 'block' | 'flag'}
  } | null
  /** Score every answer (a highest_quality group needs the scores) even without a quality-scorer policy. */
  scoreAll: boolean
  /** A cost_limit policy has a day or month budget: keep the spend totals (spend.ts). */
  trackSpend: boolean
  /** content_filter policies that flag answers: the side thread checks each primary answer against them. */
  answerFlags: ContentRule[]
  /** content_filter policies that block or redact answers: a shadow's stored answer is redacted by them. */
  answerHeld: ContentRule[]
  /** The enabled audit-logger and log policies, in chain order (policy-lines.ts, line-sinks.ts). */
  linePolicies: LinePolicy[]
}

/** An audit-logger or log policy as the side thread writes it: a relative `path` made absolute (config-view.ts). */
export type LinePolicy = AuditLoggerPolicy | LogPolicy

/**
 * A read of the audit trail through the gateway (GET /v1/events, for audit-logger's `log_all_access`), or an LLM call
 * refused for a missing or wrong gateway token (no event is written for it: every audit-logger records it).
 */
export interface AccessRecord {
  /** `read`: of the trail (/v1/events); `refused`: an LLM call without a valid token. */
  access: 'read' | 'refused'
  timestamp: string
  method: string
  route: string
  /** The caller's address as the socket saw it. */
  remote_address: string | null
  /** Whether a token was sent (never the token itself). */
  token_presented: boolean
  authorized: boolean
  /** The query parameters (a repeated one as a list); secret-looking names and the gateway's tokens masked. */
  query: Record<string, string | string[]>
  status: number
  events_returned: number
}

/** A content_filter policy as answers are checked against it (answer-filter.ts), as plain data for either thread. */
export interface ContentRule {
  name: string
  action: 'block' | 'redact' | 'flag'
  terms: string[]
  /** Regular expression sources (they compiled at load). */
  patterns: string[]
  /** `redact_pii`: the PII detector (records/pii.ts) runs too. */
  pii: boolean
}
