// One Langfuse observation (any of the shapes, already decoded to observation field names) → a record: the request
// synthesised from `input` and `modelParameters`, the response from `output`, timing recomputed from timestamps.
import {num} from '../../records/index.js'
import type {Api} from '../../records/index.js'
import {asArray, isObject, looksAnthropicMessages, type Json} from '../../wire/index.js'
import {asObject} from '../../wire/index.js'
import {buildRecord, requestFromBody, type RecordDraft} from '../../wire/index.js'
import {coerceParams, synthBody} from '../common/body.js'
import {toChatMessages} from '../common/messages.js'
import {outputFrom, responseFromOutput} from '../common/output.js'
import {decode, epochMs, hashIdentifier, isoFromMs, msBetween, putKnown, str, strings} from '../common/values.js'
import type {FormatContext, Outcome} from '../types.js'
import type {TraceInfo} from './shapes.js'
import {observationCost, observationUsage} from './usage.js'

export interface ObservationOptions {
  format?: string
  /** OTel span ids when the observation came from a span. */
  spanMeta?: Json
  provider?: string | null
}

/**
 * The request body from `input` (a message list, `{messages, tools, …}` or a string) and the model parameters.
 * Anthropic-shaped input (content blocks, top-level system) stays Anthropic; judged on structure only (no model
 * argument): plain-text messages to a Claude model logged via LiteLLM are OpenAI-format calls.
 */
function observationRequest(o: Json, model: string | null, params: Json, meta: Json): {api: Api; body: Json | null} {
  const input = decode(o.input)
  const inputObj = isObject(input) && Array.isArray(input.messages) ? input : null
  // Tools, tool_choice, response_format… logged next to the messages belong in the body too.
  const inputParams: Json = {}
  if (inputObj) for (const [k, v] of Object.entries(inputObj)) if (k !== 'messages' && k !== 'model' && v !== null) inputParams[k] = v
  const rawMessages = inputObj ? asArray(inputObj.messages) : Array.isArray(input) ? input : null
  let api: Api = 'openai.chat'
  let body: Json | null = null
  if (rawMessages && rawMessages.length && looksAnthropicMessages({messages: rawMessages, ...inputParams}) && !rawMessages.some((m) => Array.isArray(asObject(m).parts))) {
    api = 'anthropic.messages'
    body = synthBody(model, rawMessages as Json[], params, inputParams)
  } else {
    const messages = toChatMessages(input)
    if (messages) body = synthBody(model, messages, params, inputParams)
  }
  if (body) meta.request_synthesized = true
  else if (input !== null && input !== undefined && input !== '') meta.input_not_replayable = 'input is not a list of chat messages'
  return {api, body}
}

/** `level == ERROR` makes the record an error with `statusMessage`; other levels are kept in metadata. */
function applyLevel(draft: RecordDraft, o: Json, meta: Json): void {
  const level = str(o.level)?.toUpperCase() ?? null
  if (level === 'ERROR') {
    draft.status = 'error'
    draft.error = {type: 'langfuse_level_error', code: null, message: str(o.statusMessage)}
    if (draft.response) draft.response = {...draft.response, finish_reason: draft.response.finish_reason ?? 'error'}
  } else {
    if (level && level !== 'DEFAULT') meta.level = level
    if (str(o.statusMessage)) meta.status_message = str(o.statusMessage)
  }
}

const META_FIELDS = [
  ['name', 'name'], ['parentObservationId', 'parent_observation_id'], ['promptName', 'prompt_name'], ['promptVersion', 'prompt_version'],
  ['version', 'version'], ['modelId', 'model_id'], ['internalModelId', 'internal_model_id'], ['traceName', 'trace_name'],
] as const

/** The observation's user metadata, ids and trace details worth keeping; the provider from LangChain's `ls_provider`. */
function observationMeta(draft: RecordDraft, o: Json, trace: TraceInfo | null, opts: ObservationOptions, meta: Json): void {
  const userMeta = decode(o.metadata)
  if (isObject(userMeta) && Object.keys(userMeta).length) meta.langfuse_metadata = userMeta
  // LangChain integrations record the provider in metadata; otherwise it is guessed from the model name.
  const lsProvider = isObject(userMeta) ? str(userMeta.ls_provider)?.toLowerCase() : null
  if (!draft.provider && lsProvider) draft.provider = lsProvider === 'azure' ? 'azure_openai' : lsProvider
  putKnown(meta, META_FIELDS.map(([k, name]) => [name, str(o[k])] as const))
  if (trace?.name) meta.trace_name = trace.name
  if (trace?.release) meta.release = trace.release
  const cd = asObject(decode(o.costDetails))
  if (Object.keys(cd).length > 1) meta.cost_details = cd
  Object.assign(meta, opts.spanMeta ?? {})
  // Langfuse's `latency`/`timeToFirstToken` change units between versions (§8): recomputed, not trusted.
  if (draft.latency_ms === null && num(o.latency) !== null) meta.reported_latency = num(o.latency)
}

export function observationOutcome(o: Json, trace: TraceInfo | null, locator: string, ctx: FormatContext, opts: ObservationOptions = {}): Outcome {
  const type = (str(o.type) ?? (str(o.model) ? 'GENERATION' : 'untyped')).toUpperCase()
  if (type !== 'GENERATION') {
    return {kind: 'skip', reason: `Langfuse ${type} observation: only GENERATION observations are LLM calls`, locator}
  }
  const meta: Json = {}
  const start = epochMs(o.startTime)
  const model = str(o.model) ?? str(o.providedModelName)
  const params = coerceParams(o.modelParameters)
  const {api, body} = observationRequest(o, model, params, meta)
  const draft: RecordDraft = {
    format: opts.format ?? 'langfuse',
    locator,
    source_id: str(o.id),
    timestamp: isoFromMs(start) ?? trace?.timestamp ?? null,
    api,
    model,
    provider: opts.provider ?? null,
    request: body ? requestFromBody(api, body) : null,
    latency_ms: msBetween(start, epochMs(o.endTime)),
    ttft_ms: msBetween(start, epochMs(decode(o.completionStartTime))),
    usage: observationUsage(o),
    cost_usd: observationCost(o),
    cost_source: 'reported',
    replayable: body !== null,
  }
  if (draft.request && params.stream === true) draft.request.stream = true
  const out = outputFrom(o.output)
  if (out) {
    const {parsed, synthesized} = responseFromOutput(out, {})
    draft.response = parsed.response
    draft.response_model = out.kind === 'body' ? parsed.model : null
    if (synthesized) meta.response_synthesized = true
  }
  applyLevel(draft, o, meta)
  observationMeta(draft, o, trace, opts, meta)
  draft.tags = trace?.tags.length ? trace.tags : strings(o.traceTags ?? o.tags)
  draft.metadata = meta
  draft.event = {
    trace_id: str(o.traceId) ?? trace?.id ?? null,
    session_id: trace?.sessionId ?? str(o.sessionId),
    user_id_hash: hashIdentifier(trace?.userId ?? o.userId),
    environment: str(o.environment) ?? trace?.environment ?? null,
  }
  return {kind: 'record', record: buildRecord(draft, ctx)}
}
