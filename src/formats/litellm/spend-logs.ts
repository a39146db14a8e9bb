// Rows of LiteLLM's LiteLLM_SpendLogs table (docs/log-formats.md §7): the SQL/CSV export or the /spend/logs API, as
// JSON, JSONL or CSV. Prompts are there only with `store_prompts_in_spend_logs: true`.
import {num} from '../../records/index.js'
import {asObject, isObject, type Json} from '../../wire/index.js'
import {buildRecord} from '../../wire/index.js'
import {decode, epochMs, hashIdentifier, putKnown, str, strings} from '../common/values.js'
import type {Format, FormatContext, Item, Outcome, Shape} from '../types.js'
import {draftFrom} from './draft.js'
import {apiOf, isRedacted, isSilentExperiment, nonEmpty, providerFromLitellm, sessionOf, synthesise} from './request.js'
import {cacheHit, litellmMeta, litellmUsage} from './response.js'

function isSpendLog(v: unknown, shape?: Shape): boolean {
  if (!isObject(v)) return false
  const base = 'request_id' in v && 'call_type' in v && 'spend' in v
  return shape === 'csv' ? base && 'startTime' in v : base
}

/** The client's original body from `proxy_server_request`, minus the proxy's own bookkeeping. */
function originalBody(v: unknown): Json | null {
  const body = asObject(decode(v))
  if (!nonEmpty(body.messages) && !nonEmpty(body.input) && !nonEmpty(body.prompt)) return null
  const out: Json = {}
  for (const [k, val] of Object.entries(body)) {
    if (k === 'litellm_metadata' || k === 'proxy_server_request' || k === 'headers') continue
    // The proxy's `metadata` carries request headers and key info, not the OpenAI `metadata` param.
    if (k === 'metadata' && isObject(val) && Object.keys(val).some((mk) => mk === 'headers' || mk.startsWith('user_api_key') || mk.startsWith('requester'))) continue
    out[k] = val
  }
  return out
}

function spendOutcome(o: Json, locator: string, ctx: FormatContext): Outcome {
  const callType = str(o.call_type)
  const api = apiOf(callType)
  if (typeof api !== 'string') return {kind: 'skip', reason: api.skip, locator}
  const rowMeta = asObject(decode(o.metadata))
  const model = str(o.model)
  const original = originalBody(o.proxy_server_request)
  const messages = decode(o.messages)
  const redacted = isRedacted(original ? (original.messages ?? original.input ?? original.prompt) : messages)
  let body: Json | null = null
  let synthesized = false
  if (!redacted && original) {
    body = original
  } else if (!redacted && nonEmpty(messages)) {
    body = synthesise(api, model, messages, {}, false)
    synthesized = body !== null
  }
  const response = asObject(decode(o.response))
  const start = epochMs(o.startTime)
  const end = epochMs(o.endTime)
  const firstToken = epochMs(o.completionStartTime)
  // SpendLogs have no stream flag: a first-chunk time before the end means the call was streamed.
  const streamed = body?.stream === true || (firstToken !== null && end !== null && firstToken < end)
  const meta: Json = {}
  putKnown(meta, [
    ['model_group', str(o.model_group)],
    ['model_id', str(o.model_id)],
    ['api_base', str(o.api_base)],
    ['cache_hit', cacheHit(o.cache_hit)],
    ['cache_key', str(o.cache_key) === 'Cache OFF' ? null : str(o.cache_key)],
    ['api_key_hash', hashIdentifier(o.api_key)],
    ['team_id_hash', hashIdentifier(o.team_id)],
    ['organization_id_hash', hashIdentifier(o.organization_id)],
    ['mcp_namespaced_tool_name', str(o.mcp_namespaced_tool_name)],
    ['agent_id', str(o.agent_id)],
    ['request_duration_ms', num(o.request_duration_ms)],
  ])
  litellmMeta(rowMeta, meta)
  const user = str(o.end_user) ?? str(o.user) ?? str(rowMeta.user_api_key_end_user_id) ?? str(rowMeta.user_api_key_user_id)
  const draft = draftFrom({
    format: 'litellm-spend-logs',
    locator,
    api,
    callType,
    model,
    start,
    end,
    firstToken,
    streamed,
    status: str(o.status) ?? str(rowMeta.status),
    errorInfo: asObject(rowMeta.error_information),
    errorStr: null,
    body,
    synthesized,
    redacted,
    response,
    usage: litellmUsage(nonEmpty(response.usage) ? response.usage : rowMeta.usage_object, o),
    cost: num(o.spend),
    provider: providerFromLitellm(o.custom_llm_provider),
    tags: strings(o.request_tags),
    meta,
    event: {
      session_id: sessionOf(o, rowMeta),
      user_id_hash: hashIdentifier(user),
      trace_id: str(rowMeta.trace_id) ?? str(rowMeta.litellm_trace_id),
      traffic_role: isSilentExperiment(rowMeta) ? 'shadow' : null,
    },
  })
  if (draft.latency_ms === null) draft.latency_ms = num(o.request_duration_ms)
  draft.source_id = str(o.request_id) ?? draft.source_id ?? null
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const litellmSpendLogsFormat: Format = {
  name: 'litellm-spend-logs',
  title: 'LiteLLM_SpendLogs rows (SQL/CSV export or /spend/logs API: JSON, JSONL, CSV)',
  shapes: ['jsonl', 'json', 'csv'],
  detect: (v: unknown, shape: Shape) => isSpendLog(v, shape),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isSpendLog(item.value)) {
        yield {kind: 'reject', reason: 'not a LiteLLM SpendLogs row (needs request_id, call_type and spend)', locator: item.locator}
        return
      }
      yield spendOutcome(item.value as Json, item.locator, ctx)
    },
  }),
}
