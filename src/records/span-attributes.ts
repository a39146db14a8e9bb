// The span attributes of kt's event fields, the span and trace ids derived from event ids, and where an event keeps
// the caller's trace context: the gateway writes them on the OpenTelemetry GenAI spans it exports and the OTel
// importer reads them back, so an exported span imports as the event it came from. Kept here, below both, so neither
// has to import the other. The GenAI names are the OpenTelemetry semantic conventions' (gen_ai.*).
import {sha256} from './hash.js'

/** kt's own fields, on top of the GenAI conventions. */
export const KT_SPAN = {
  /** The event id: an imported span keeps it, so importing it next to the gateway's own event is a duplicate. */
  eventId: 'kt.event_id',
  /** ok, error, blocked or timeout (a span's status only knows ok and error). */
  status: 'kt.status',
  trafficRole: 'kt.traffic_role',
  targetId: 'kt.target_id',
  modelGroup: 'kt.model_group',
  /** USD, as the gateway priced it. */
  cost: 'kt.cost',
  /** JSON text of the `policies_triggered` list. */
  policiesTriggered: 'kt.policies_triggered',
  decision: 'kt.decision',
  policyId: 'kt.policy_id',
  decisionReason: 'kt.decision_reason',
  route: 'kt.route',
  /** The hash the event stores; the user key itself never leaves the gateway. */
  userIdHash: 'kt.user_id_hash',
  mirrorGroupId: 'kt.mirror_group_id',
  primaryEventId: 'kt.primary_event_id',
  shadowEventId: 'kt.shadow_event_id',
  abTag: 'kt.ab_tag',
  requestedModel: 'kt.requested_model',
} as const

/**
 * The `traffic_mirror` block flattened: `kt.traffic_mirror.primary.model`, `kt.traffic_mirror.comparison.
 * content_similarity`… (null values are left out: an attribute cannot be null).
 */
export const KT_MIRROR_PREFIX = 'kt.traffic_mirror.'

/** The GenAI semantic conventions' names the exporter writes (the importer reads these and older spellings). */
export const GENAI_SPAN = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  /** Deprecated in favour of gen_ai.provider.name; still what many backends group by. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  toolDefinitions: 'gen_ai.tool.definitions',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  stream: 'gen_ai.request.stream',
} as const

/** Request parameters and their GenAI attribute (the body's key → the span's). */
export const GENAI_REQUEST_PARAMS: readonly (readonly [string, string])[] = [
  ['temperature', 'gen_ai.request.temperature'],
  ['top_p', 'gen_ai.request.top_p'],
  ['top_k', 'gen_ai.request.top_k'],
  ['max_tokens', 'gen_ai.request.max_tokens'],
  ['max_completion_tokens', 'gen_ai.request.max_tokens'],
  ['stop', 'gen_ai.request.stop_sequences'],
  ['stop_sequences', 'gen_ai.request.stop_sequences'],
  ['seed', 'gen_ai.request.seed'],
  ['frequency_penalty', 'gen_ai.request.frequency_penalty'],
  ['presence_penalty', 'gen_ai.request.presence_penalty'],
  ['n', 'gen_ai.request.choice.count'],
]

/** The trace of a request that did not continue a caller's: derived from its (primary) event id, the same on every export. */
export const ktTraceIdOf = (requestId: string): string => sha256(`kt trace\n${requestId}`).slice(0, 32)
/** An event's span id, derived from its event id. */
export const ktSpanIdOf = (eventId: string): string => sha256(`kt span\n${eventId}`).slice(0, 16)

/**
 * The metadata key of the caller's W3C trace context a gateway request continued (its trace id is the event's
 * `trace_id`): on the primary and on each shadow, so every export of an event gives the same span.
 */
export const TRACE_CONTEXT_KEY = 'trace_context'

export interface TraceContextMeta {
  /** The caller's span, the primary span's parent; null on a shadow (its parent is its primary's span). */
  parent_span_id: string | null
  /** The caller's sampled flag: an unsampled request's spans are never exported. */
  sampled: boolean
  /** The caller's tracestate as sent, carried on the spans; null for none. */
  tracestate: string | null
}
