// LiteLLM's StandardLoggingPayload (docs/log-formats.md §7), the object every LiteLLM callback receives, as the
// S3/GCS/blob/generic-API loggers write it (JSON or JSONL).
import {num} from '../../records/index.js'
import {asObject, isObject, type Json} from '../../wire/index.js'
import {buildRecord} from '../../wire/index.js'
import {decode, epochMs, hashIdentifier, putKnown, str, strings} from '../common/values.js'
import type {Format, FormatContext, Item, Outcome} from '../types.js'
import {draftFrom} from './draft.js'
import {apiOf, isRedacted, isSilentExperiment, nonEmpty, providerFromLitellm, sessionOf, synthesise} from './request.js'
import {cacheHit, litellmMeta, litellmUsage} from './response.js'

function isStandardLoggingPayload(v: unknown): boolean {
  if (!isObject(v)) return false
  return 'call_type' in v && 'startTime' in v && ('hidden_params' in v || 'model_map_information' in v || 'response_cost' in v) && !('request_id' in v && 'spend' in v)
}

function slpOutcome(o: Json, locator: string, ctx: FormatContext): Outcome {
  const callType = str(o.call_type)
  const api = apiOf(callType)
  if (typeof api !== 'string') return {kind: 'skip', reason: api.skip, locator}
  const model = str(o.model)
  const stream = o.stream === true
  const messages = decode(o.messages)
  const redacted = isRedacted(messages)
  const params = asObject(decode(o.model_parameters))
  const body = redacted ? null : synthesise(api, model, messages, params, stream)
  const hidden = asObject(o.hidden_params)
  const slpMeta = asObject(decode(o.metadata))
  const response = asObject(decode(o.response))
  const meta: Json = {}
  putKnown(meta, [
    ['litellm_call_id', str(o.id)],
    ['model_group', str(o.model_group)],
    ['model_id', str(o.model_id) ?? str(hidden.model_id)],
    ['api_base', str(o.api_base) ?? str(hidden.api_base)],
    ['litellm_model_name', str(hidden.litellm_model_name)],
    ['cache_hit', cacheHit(o.cache_hit)],
    ['saved_cache_cost', num(o.saved_cache_cost) || null],
    ['response_time_s', num(o.response_time)],
  ])
  if (nonEmpty(o.cost_breakdown)) meta.cost_breakdown = o.cost_breakdown
  if (nonEmpty(o.status_fields)) meta.status_fields = o.status_fields
  litellmMeta(slpMeta, meta)
  const user = str(o.end_user) ?? str(slpMeta.user_api_key_end_user_id) ?? str(slpMeta.user_api_key_user_id)
  const modelInfo = asObject(asObject(o.model_map_information).model_map_value)
  const draft = draftFrom({
    format: 'litellm',
    locator,
    api,
    callType,
    model,
    start: epochMs(o.startTime),
    end: epochMs(o.endTime),
    firstToken: epochMs(o.completionStartTime),
    streamed: stream,
    status: str(o.status),
    errorInfo: asObject(o.error_information),
    errorStr: str(o.error_str),
    body,
    synthesized: body !== null,
    redacted,
    response,
    usage: litellmUsage(nonEmpty(response.usage) ? response.usage : slpMeta.usage_object, o),
    cost: num(o.response_cost),
    provider: providerFromLitellm(o.custom_llm_provider) ?? providerFromLitellm(modelInfo.litellm_provider),
    tags: strings(o.request_tags),
    meta,
    event: {
      // Retries and fallbacks of one request share trace_id (§7, §13): kept for dedupe.
      trace_id: str(o.trace_id) ?? str(slpMeta.litellm_trace_id),
      session_id: sessionOf(o, slpMeta),
      user_id_hash: hashIdentifier(user),
      // A silent experiment is a shadow call LiteLLM made beside the real one: never production traffic.
      traffic_role: isSilentExperiment(slpMeta) ? 'shadow' : null,
    },
  })
  draft.source_id = str(o.id) ?? draft.source_id ?? null
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const litellmFormat: Format = {
  name: 'litellm',
  title: 'LiteLLM StandardLoggingPayload (callback / bucket logger output: JSON, JSONL)',
  shapes: ['jsonl', 'json'],
  detect: (v: unknown) => isStandardLoggingPayload(v),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isStandardLoggingPayload(item.value)) {
        yield {kind: 'reject', reason: 'not a LiteLLM StandardLoggingPayload (needs call_type, startTime and hidden_params/response_cost)', locator: item.locator}
        return
      }
      yield slpOutcome(item.value as Json, item.locator, ctx)
    },
  }),
}
