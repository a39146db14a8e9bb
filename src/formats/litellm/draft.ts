// The record draft both LiteLLM shapes (StandardLoggingPayload, SpendLogs rows) end in, from the fields they share.
import {num, type Api, type CanonicalResponse, type Provider, type Usage} from '../../records/index.js'
import {asObject, type Json} from '../../wire/index.js'
import {requestFromBody, type RecordDraft} from '../../wire/index.js'
import {isoFromMs, msBetween, str} from '../common/values.js'
import {LITELLM_REDACTED, nonEmpty} from './request.js'
import {parseResponse} from './response.js'


export interface Common {
  format: string
  locator: string
  api: Api
  callType: string | null
  model: string | null
  start: number | null
  end: number | null
  firstToken: number | null
  streamed: boolean
  status: string | null
  errorInfo: Json
  errorStr: string | null
  body: Json | null
  synthesized: boolean
  redacted: boolean
  response: Json | null
  usage: Partial<Usage>
  cost: number | null
  provider: Provider | null
  tags: string[]
  meta: Json
  event: RecordDraft['event']
}

export function draftFrom(c: Common): RecordDraft {
  const meta: Json = {...c.meta}
  if (c.callType) meta.call_type = c.callType
  if (c.synthesized) meta.request_synthesized = true
  if (c.redacted) meta.content_redacted = true
  if (!c.body && !c.redacted) meta.content_not_logged = true
  const request = c.body ? requestFromBody(c.api, c.body) : null
  if (request) request.stream = request.stream || c.streamed
  const draft: RecordDraft = {
    format: c.format,
    locator: c.locator,
    timestamp: isoFromMs(c.start),
    provider: c.provider,
    api: c.api,
    model: c.model,
    request,
    usage: c.usage,
    latency_ms: msBetween(c.start, c.end),
    // For non-streamed calls LiteLLM sets completionStartTime = endTime: not a first-token time.
    ttft_ms: c.streamed ? msBetween(c.start, c.firstToken) : null,
    cost_usd: c.cost,
    cost_source: 'reported',
    tags: c.tags,
    replayable: c.body !== null && !c.redacted && c.api !== 'openai.completions',
    event: c.event,
    metadata: meta,
  }
  if (c.response && nonEmpty(c.response)) {
    const parsed = parseResponse(c.api, c.response)
    if (parsed) {
      let response: CanonicalResponse = parsed.response
      if (c.redacted || response.text === LITELLM_REDACTED) response = {...response, text: null, reasoning: null, raw: null}
      draft.response = response
      draft.response_model = parsed.model
      draft.source_id = parsed.id
      if (!draft.timestamp && parsed.created) draft.timestamp = isoFromMs(parsed.created * 1000)
      // Fill what the flat columns lack from the body's usage (it carries the cache details).
      const u = draft.usage ?? {}
      if (u.input_tokens === null || u.input_tokens === undefined) draft.usage = {...parsed.usage, ...Object.fromEntries(Object.entries(u).filter(([, v]) => v !== null))}
    }
  }
  if (c.status === 'failure' || (c.status === null && c.errorStr)) {
    draft.status = 'error'
    const code = str(c.errorInfo.error_code)
    const http = num(code)
    draft.error = {
      type: str(c.errorInfo.error_class) ?? 'litellm_failure',
      code,
      message: str(c.errorInfo.error_message) ?? c.errorStr,
    }
    if (http !== null && http >= 100 && http < 600) draft.http_status = http
    if (draft.response) draft.response = {...draft.response, finish_reason: 'error'}
  }
  const guard = str(asObject(meta.status_fields).guardrail_status)
  if (guard === 'guardrail_intervened') draft.status = 'blocked'
  return draft
}
