// The lines the audit-logger and log policies write, built on the side thread from the events just built for the
// store: the same data, with credentials already scrubbed (records/sanitize.ts), so a line never holds more than the
// event does. The caller's user key never appears: the user is its hash, and a request body's `user` (OpenAI) and
// `metadata.user_id` (Anthropic) are masked. `redact_fields` masks the value of every key so named, at any depth.
import type {AuditLoggerPolicy, LogPolicy} from '../config/index.js'
import {setOwn, type CanonicalRecord} from '../records/index.js'
import type {AccessRecord} from './exchange.js'
import {conditionsHold} from './route.js'

export const REDACTED_VALUE = '[redacted]'

/** The fields every request line carries (audit-logger's, and log's JSON lines). */
function requestFields(r: CanonicalRecord): Record<string, unknown> {
  const e = r.event
  const requested = r.metadata.requested_model
  return {
    timestamp: r.timestamp,
    event_id: r.id,
    trace_id: e.trace_id,
    response_id: r.source_id,
    route: e.route,
    api: r.api,
    user_hash: e.user_id_hash,
    requested_model: typeof requested === 'string' ? requested : null,
    model: r.model,
    model_group: e.model_group,
    target_id: e.target_id,
    provider: r.provider,
    decision: e.decision,
    policy_id: e.policy_id,
    decision_reason: e.decision_reason,
    policies_triggered: e.policies_triggered ?? [],
    status: r.status,
    http_status: r.http_status,
    latency_ms: r.latency_ms,
    ttft_ms: r.ttft_ms,
    tokens: {input: r.usage.input_tokens, output: r.usage.output_tokens, total: r.usage.total_tokens},
    cost_usd: r.cost_usd,
  }
}

function shadowFields(r: CanonicalRecord): Record<string, unknown> {
  return {
    event_id: r.id,
    target_id: r.event.target_id,
    provider: r.provider,
    model: r.model,
    status: r.status,
    http_status: r.http_status,
    latency_ms: r.latency_ms,
    tokens: {input: r.usage.input_tokens, output: r.usage.output_tokens, total: r.usage.total_tokens},
    cost_usd: r.cost_usd,
  }
}

/** The request body as stored (routed model, secrets scrubbed), the caller's user key masked. */
function requestBody(r: CanonicalRecord): Record<string, unknown> | null {
  const raw = r.request.raw
  if (!raw) return null
  const out: Record<string, unknown> = {...raw}
  if (typeof out.user === 'string') out.user = REDACTED_VALUE
  const meta = out.metadata
  if (meta && typeof meta === 'object' && !Array.isArray(meta) && 'user_id' in meta) out.metadata = {...(meta as Record<string, unknown>), user_id: REDACTED_VALUE}
  return out
}

function responseOf(r: CanonicalRecord): Record<string, unknown> | null {
  const res = r.response
  return res ? {text: res.text, tool_calls: res.tool_calls, finish_reason: res.finish_reason} : null
}

/** A copy of `value` with the value of every key in `names` (case-insensitive), at any depth, replaced. */
export function redactFields(value: unknown, names: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => redactFields(v, names))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, names.has(k.toLowerCase()) ? REDACTED_VALUE : redactFields(v, names))
  return out
}

function finish(p: AuditLoggerPolicy, line: Record<string, unknown>): string {
  if (p.retention_days !== undefined) line.retention_days = p.retention_days
  if (p.redact_fields.length === 0) return JSON.stringify(line)
  return JSON.stringify(redactFields(line, new Set(p.redact_fields.map((f) => f.toLowerCase()))))
}

/** audit-logger: one JSON line per request, its shadows summarised in it (their texts are never in the line). */
export function auditLine(p: AuditLoggerPolicy, primary: CanonicalRecord, shadows: readonly CanonicalRecord[]): string {
  const line: Record<string, unknown> = {kind: 'request', audit_policy: p.name, ...requestFields(primary)}
  if (shadows.length) line.shadows = shadows.map(shadowFields)
  if (p.include_request) line.request = requestBody(primary)
  if (p.include_response) line.response = responseOf(primary)
  return finish(p, line)
}

/** audit-logger with log_all_access: one JSON line per read of the trail. */
export function accessLine(p: AuditLoggerPolicy, a: AccessRecord): string {
  const {access, ...rest} = a
  return finish(p, {kind: access === 'read' ? 'access' : 'refused', audit_policy: p.name, ...rest})
}

/** The same read as a gateway log line (destination sqlite: the store has no place for reads). */
export function accessText(p: AuditLoggerPolicy, a: AccessRecord): string {
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries(a.query)) for (const x of Array.isArray(v) ? v : [v]) query.append(k, x)
  const q = query.toString()
  return `audit-logger "${p.name}": ${a.method} ${a.route}${q ? `?${q}` : ''} from ${a.remote_address ?? '?'}, token ${a.token_presented ? 'presented' : 'absent'}, ${a.authorized ? 'authorized' : 'refused'}: ${a.status}${a.access === 'read' ? `, ${a.events_returned} event(s) returned` : ''}`
}

/** Whether a log policy's conditions hold for the request (its routed or its requested model). */
export function logMatches(p: LogPolicy, r: CanonicalRecord): boolean {
  if (!p.conditions) return true
  const body = r.request.raw ?? {}
  const requested = r.metadata.requested_model
  const models = new Set([r.model, typeof requested === 'string' ? requested : null].filter((m): m is string => m !== null))
  if (models.size === 0) return conditionsHold(p.conditions, '', body)
  for (const m of models) if (conditionsHold(p.conditions, m, body)) return true
  return false
}

/** log to stdout or a file: one JSON line. */
export function logJsonLine(p: LogPolicy, r: CanonicalRecord): string {
  const line: Record<string, unknown> = {level: p.level, log_policy: p.name, ...requestFields(r)}
  if (p.include_request) line.request = requestBody(r)
  if (p.include_response) line.response = responseOf(r)
  return JSON.stringify(line)
}

/** log to stderr: a line in the gateway's own format (`INFO kt::gateway …`). */
export function logTextLine(p: LogPolicy, r: CanonicalRecord): string {
  const requested = typeof r.metadata.requested_model === 'string' ? r.metadata.requested_model : null
  const model = requested && requested !== r.model ? `${requested} → ${r.model ?? '?'}` : (r.model ?? '?')
  const target = r.event.target_id ? ` on ${r.event.target_id} (${r.provider})` : ''
  const tokens = r.usage.input_tokens !== null || r.usage.output_tokens !== null ? `, ${r.usage.input_tokens ?? '?'}+${r.usage.output_tokens ?? '?'} tokens` : ''
  const latency = r.latency_ms !== null ? `, ${Math.round(r.latency_ms)} ms` : ''
  const cost = r.cost_usd !== null ? `, $${r.cost_usd.toFixed(6)}` : ''
  let text = `${p.level.toUpperCase()} kt::gateway log "${p.name}": event ${r.id} ${r.event.route ?? ''} ${model}${target}: ${r.status} ${r.http_status ?? '-'}${latency}${tokens}${cost}`
  if (r.event.decision && r.event.decision !== 'allow') text += `, decision ${r.event.decision}${r.event.policy_id ? ` (${r.event.policy_id})` : ''}`
  if (p.include_request) text += ` request=${JSON.stringify(requestBody(r))}`
  if (p.include_response) text += ` response=${JSON.stringify(r.response?.text ?? null)}`
  return text
}
