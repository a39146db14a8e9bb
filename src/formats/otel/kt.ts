// kt's own span attributes (`kt.*`, named in records/span-attributes.ts), which the kt gateway writes on the GenAI
// spans it exports: read back so an exported span imports as the event it came from, with its id, status, cost,
// target, model group, policies, routing decision and traffic_mirror block.
import {KT_MIRROR_PREFIX, KT_SPAN, num, type EventFields, type PolicyTrigger, type Status, type TrafficRole} from '../../records/index.js'
import {asArray, asObject, type Json} from '../../wire/index.js'
import {decode, str} from '../common/values.js'
import {unflatten} from './messages.js'

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
