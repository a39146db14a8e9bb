// kt's own span attributes (`kt.*`, named in records/span-attributes.ts), which the kt gateway writes on the GenAI
// spans it exports: read back so an exported span imports as the event it came from, with its id, status, cost,
// target, model group, policies, routing decision, traffic_mirror block and the caller's trace context it continued.
import {KT_MIRROR_PREFIX, KT_SPAN, ktTraceIdOf, num, type EventFields, type PolicyTrigger, type Status, type TraceContextMeta, type TrafficRole} from '../../records/index.js'
import {asArray, asObject, type Json} from '../../wire/index.js'
import {decode, str} from '../common/values.js'
import {unflatten} from './messages.js'
import type {Span} from './otlp.js'

export interface KtSpanFields {
  id: string | null
  status: Status | null
  cost: number | null
  event: Partial<EventFields>
  metadata: Json
}

const STATUSES: readonly Status[] = ['ok', 'error', 'blocked', 'timeout']
const ROLES: readonly TrafficRole[] = ['primary', 'shadow', 'comparison']

function policies(v: unknown): PolicyTrigger[] | null {
  const decoded = decode(v)
  if (!Array.isArray(decoded)) return null
  const list = asArray(decoded)
  const out: PolicyTrigger[] = []
  for (const item of list) {
    const o = asObject(item)
    const name = str(o.name)
    const type = str(o.type)
    const action = str(o.action)
    if (!name || !type || !action) continue
    out.push({name, type, action, ...(str(o.detail) ? {detail: str(o.detail)!} : {})})
  }
  return out
}

/** The `kt.*` fields of a span; null when it has none (a span kt did not write). */
export function ktSpanFields(a: Json): KtSpanFields | null {
  if (!Object.keys(a).some((k) => k.startsWith('kt.'))) return null
  const status = str(a[KT_SPAN.status]) as Status | null
  const role = str(a[KT_SPAN.trafficRole]) as TrafficRole | null
  const mirror = unflatten(a, KT_MIRROR_PREFIX)
  const event: Partial<EventFields> = {
    traffic_role: role && ROLES.includes(role) ? role : null,
    target_id: str(a[KT_SPAN.targetId]),
    model_group: str(a[KT_SPAN.modelGroup]),
    policies_triggered: policies(a[KT_SPAN.policiesTriggered]),
    decision: str(a[KT_SPAN.decision]),
    policy_id: str(a[KT_SPAN.policyId]),
    decision_reason: str(a[KT_SPAN.decisionReason]),
    route: str(a[KT_SPAN.route]),
    mirror_group_id: str(a[KT_SPAN.mirrorGroupId]),
    primary_event_id: str(a[KT_SPAN.primaryEventId]),
    shadow_event_id: str(a[KT_SPAN.shadowEventId]),
    traffic_mirror: Object.keys(mirror).length ? mirror : null,
  }
  const hash = str(a[KT_SPAN.userIdHash])
  if (hash) event.user_id_hash = hash
  const metadata: Json = {}
  if (str(a[KT_SPAN.requestedModel])) metadata.requested_model = a[KT_SPAN.requestedModel]
  if (str(a[KT_SPAN.abTag])) metadata.ab_tag = a[KT_SPAN.abTag]
  return {
    id: str(a[KT_SPAN.eventId]),
    status: status && STATUSES.includes(status) ? status : null,
    cost: num(a[KT_SPAN.cost]),
    event,
    metadata,
  }
}

/**
 * The caller's trace context a gateway span continued (the gateway event's metadata.trace_context), or null. kt's
 * primaries have no parent of their own, so a primary with one continued the caller's span; a shadow is a child of its
 * primary, in the caller's trace when that is not the one kt derives from the primary's id. Every exported span was
 * sampled: an unsampled caller's requests never leave the gateway.
 */
export function ktTraceContext(span: Span, event: Partial<EventFields>): TraceContextMeta | null {
  if (!span.traceId) return null
  const primaryId = event.primary_event_id
  if (primaryId) return span.traceId === ktTraceIdOf(primaryId) ? null : {parent_span_id: null, sampled: true, tracestate: span.traceState}
  return span.parentSpanId ? {parent_span_id: span.parentSpanId, sampled: true, tracestate: span.traceState} : null
}
