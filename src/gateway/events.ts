// Exchange → events, on the side path. One primary event per request (dataset `gateway`, kind `request`, role
// `primary`, the caller's body with the routed model as request_json so `kt replay --dataset gateway` can send it
// again), one `shadow` event per shadow that was sent, the `traffic_mirror` block of seed 002 on the primary, priced
// costs (never null), quality-scorer verdicts with their on_fail on both primary and shadow answers, and on both the
// caller's trace context when it sent one (trace_id, metadata.trace_context: what the OTLP spans continue).
import {estimateCost, estimateRequestTokens, type PriceOverrides} from '../providers/index.js'
import type {CanonicalRecord, CanonicalRequest, PolicyTrigger, Status, TraceContextMeta, Usage} from '../records/index.js'
import {sha256, TRACE_CONTEXT_KEY} from '../records/index.js'
import {applyPolicy, buildIdf, DEFAULT_QUALITY_POLICY, HEURISTIC_SCORER, promptFromRequest, responseLength, scoreResponse, similarity} from '../scoring/index.js'
import {buildRecord, requestFromBody, requestHash, responseFromBody, type Json} from '../wire/index.js'
import {inCallerApi, parseAnswer, type Answer} from './answer.js'
import {flagTriggers, redactStored} from './answer-filter.js'
import type {CallerApi, CallerTrace, Exchange, ShadowRecord, SideConfig} from './exchange.js'

/**
 * The request as a record needs it. The events table keeps the raw body and the stream flag only, so the canonical
 * parse (messages, tools, params) is skipped: scoring parses the request itself when it needs to.
 */
function storedRequest(body: Json | null): CanonicalRequest | null {
  return body ? {system: null, messages: [], tools: [], params: {}, stream: body.stream === true, raw: body} : null
}

/** Every prompt term weighs the same: scores depend on the request and answer alone (offline, deterministic). */
const NEUTRAL_IDF = buildIdf([])

export interface BuiltEvents {
  /** Shadows first, the primary last (so the newest event of a request is its primary). */
  records: {record: CanonicalRecord; requestHash: string | null}[]
  /** Quality scores observed per `target|model` (for highest_quality groups). */
  quality: {key: string; overall: number}[]
  /** Lines for the log: quality-scorer escalations. */
  escalations: string[]
}

interface Verdict {
  metadata: Record<string, unknown>
  trigger: PolicyTrigger | null
  overall: number | null
}

function parseJson(bytes: Uint8Array | string | null): Json | null {
  if (bytes === null) return null
  try {
    const v: unknown = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null
  } catch {
    return null
  }
}

/** Usage the answer reported, else estimated from the request and the answer's length (and said so). */
function usageOf(answer: Answer, request: Json | null): {usage: Partial<Usage>; estimated: boolean} {
  const u = answer.usage
  if (u.input_tokens !== null && u.output_tokens !== null) return {usage: u, estimated: false}
  const input = u.input_tokens ?? (request ? estimateRequestTokens(request) : 0)
  const text = (answer.response?.text ?? '') + (answer.response?.tool_calls ?? []).map((t) => t.arguments).join('')
  const output = u.output_tokens ?? Math.ceil(text.length / 4)
  return {usage: {...u, input_tokens: input, output_tokens: output}, estimated: true}
}

function costOf(model: string | null, responseModel: string | null, usage: Partial<Usage>, pricing: PriceOverrides): {usd: number; priced: boolean} {
  const full: Usage = {input_tokens: null, output_tokens: null, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: null, ...usage}
  const usd = estimateCost(model, full, pricing) ?? estimateCost(responseModel, full, pricing)
  return usd === null ? {usd: 0, priced: false} : {usd, priced: true}
}

function score(cfg: SideConfig, api: CallerApi, request: Json | null, answer: Answer, otherLength: number | null): Verdict | null {
  if (!cfg.quality && !cfg.scoreAll) return null
  if (!request || !answer.response || answer.streamError) return null
  const scores = scoreResponse(
    {
      prompt: promptFromRequest(requestFromBody(api, request)),
      response: {text: answer.response.text, finish_reason: answer.response.finish_reason, status: 'ok', tool_calls: answer.response.tool_calls.length},
      otherLength,
    },
    {idf: NEUTRAL_IDF},
  )
  const policy = cfg.quality?.policy ?? DEFAULT_QUALITY_POLICY
  const v = applyPolicy(scores.dimensions, policy)
  const action = v.pass === false && cfg.quality ? cfg.quality.policy.on_fail : null
  const metadata = {
    policy: cfg.quality?.name ?? null,
    scorer: HEURISTIC_SCORER,
    overall: v.overall,
    dimensions: {relevance: scores.dimensions.relevance.score, coherence: scores.dimensions.coherence.score, completeness: scores.dimensions.completeness.score},
    pass: v.pass,
    failed: v.failed,
    on_fail: action,
  }
  const trigger = action ? {name: cfg.quality!.name, type: 'quality-scorer', action, detail: `below min_score: ${v.failed.join(', ')}`} : null
  return {metadata, trigger, overall: v.overall}
}

/** A continued caller trace on an event: its trace id goes in trace_id, the rest here (the primary's parent is the caller's span). */
function traceContextMeta(t: CallerTrace, primary: boolean): TraceContextMeta {
  return {parent_span_id: primary ? t.parentSpanId : null, sampled: t.sampled, tracestate: t.tracestate}
}

function statusOf(outcome: string): Status {
  return outcome === 'ok' ? 'ok' : outcome === 'blocked' ? 'blocked' : outcome === 'timeout' ? 'timeout' : 'error'
}

interface Side {
  provider: string
  model: string | null
  latency_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  status: string
  response?: string | null
}

function round(v: number | null | undefined, digits = 0): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null
  const f = 10 ** digits
  return Math.round(v * f) / f
}

/** seed 002's block: `{primary, shadow, comparison}` with the comparison metrics the config asks for (all by default). */
function mirrorBlock(primary: Side, primaryText: string | null, shadow: Side, shadowText: string | null, compare: readonly string[]): Record<string, unknown> {
  const wants = (m: string) => compare.length === 0 || compare.includes(m)
  const both = primary.status === 'success' && shadow.status === 'success'
  const comparison: Record<string, number | null> = {}
  if (wants('latency')) comparison.latency_diff_ms = both && primary.latency_ms !== null && shadow.latency_ms !== null ? shadow.latency_ms - primary.latency_ms : null
  if (wants('token_count')) comparison.token_count_diff = both && primary.output_tokens !== null && shadow.output_tokens !== null ? shadow.output_tokens - primary.output_tokens : null
  if (wants('content_similarity')) comparison.content_similarity = both ? round(similarity(primaryText, shadowText).dice, 3) : null
  return {primary, shadow, comparison}
}

function shadowStatus(s: ShadowRecord, answer: Answer | null): string {
  if (s.status !== 'success') return s.status
  return answer?.streamError ? 'error' : 'success'
}

/** A shadow's answer with what block and redact rules match replaced, as the primary's stored answer is. */
function storedShadowAnswer(cfg: SideConfig, api: CallerApi, a: Answer): Answer {
  const r = redactStored(cfg.answerHeld, api, a.body)
  return r ? {...a, body: r.body, response: responseFromBody(api, r.body).response, redactions: r.triggers} : a
}

export function buildEvents(ex: Exchange, cfg: SideConfig): BuiltEvents {
  const out: BuiltEvents = {records: [], quality: [], escalations: []}
  const requestBody = parseJson(ex.request)
  if (requestBody && ex.model) requestBody.model = ex.model
  const targetApi = ex.target?.api ?? ex.callerApi
  // A content_filter that blocked an answer keeps it (matches redacted, or the part of a stream sent before the block).
  const answered = ex.outcome === 'ok' || (ex.outcome === 'blocked' && ex.bytes !== null)
  const answer = answered && ex.target ? parseAnswer(targetApi, ex.bytes, ex.marks, ex.ttfbMs) : null
  const primaryText = answer?.response?.text ?? null
  const shadowAnswers = ex.shadows.map((s) => (s.status === 'success' ? storedShadowAnswer(cfg, s.target.api, parseAnswer(s.target.api, s.bytes, s.marks, s.ttfbMs)) : null))
  const firstOk = shadowAnswers.find((a) => a?.response)
  const primaryVerdict = answer && ex.outcome === 'ok' ? score(cfg, ex.callerApi, requestBody, answer, firstOk ? responseLength(firstOk.response!.text) : null) : null
  const primaryUsage = answer ? usageOf(answer, requestBody) : null
  const primarySide: Side = {
    provider: ex.target?.provider ?? 'unknown',
    model: ex.model,
    latency_ms: round(ex.latencyMs),
    input_tokens: primaryUsage?.usage.input_tokens ?? null,
    output_tokens: primaryUsage?.usage.output_tokens ?? null,
    status: ex.outcome === 'ok' && !answer?.streamError ? 'success' : ex.outcome === 'timeout' ? 'timeout' : 'error',
  }
  let mirror: Record<string, unknown> | null = null
  ex.shadows.forEach((s, i) => {
    const a = shadowAnswers[i] ?? null
    const status = shadowStatus(s, a)
    const usage = a ? usageOf(a, parseJson(s.request)) : null
    const side: Side = {provider: s.target.provider, model: s.model, latency_ms: round(s.latencyMs), input_tokens: usage?.usage.input_tokens ?? null, output_tokens: usage?.usage.output_tokens ?? null, status}
    if (s.logResponse) side.response = a?.response?.text ?? null
    mirror ??= mirrorBlock(primarySide, primaryText, side, a?.response?.text ?? null, s.compare)
    if (s.status === 'dropped' || s.status === 'skipped') return
    out.records.push(shadowEvent(ex, s, a, status, cfg, primaryText, out))
  })
  out.records.push(primaryEvent(ex, cfg, requestBody, answer, primaryVerdict, primaryUsage, mirror, out))
  return out
}

function primaryEvent(ex: Exchange, cfg: SideConfig, requestBody: Json | null, answer: Answer | null, verdict: Verdict | null, usage: ReturnType<typeof usageOf> | null, mirror: Record<string, unknown> | null, out: BuiltEvents): BuiltEvents['records'][number] {
  const policies = [...ex.policies, ...flagTriggers(cfg.answerFlags, answer?.response?.text ?? null, answer?.response?.tool_calls.map((t) => t.arguments) ?? [])]
  let decision = ex.decision
  let policyId = ex.policyId
  let reason = ex.reason
  const metadata: Record<string, unknown> = {requested_model: ex.requestedModel, gateway_ms: round(ex.gatewayMs, 2)}
  if (ex.abTag) metadata.ab_tag = ex.abTag
  if (ex.trace) metadata[TRACE_CONTEXT_KEY] = traceContextMeta(ex.trace, true)
  if (ex.losses.length) metadata.translation_losses = ex.losses
  if (ex.truncated) metadata.answer_truncated = true
  const blocked = ex.outcome === 'blocked'
  if (answer?.streamError && !blocked) metadata.stream_error = answer.streamError
  if (usage?.estimated) metadata.usage_estimated = true
  if (verdict) {
    metadata.quality_scorer = verdict.metadata
    if (verdict.overall !== null && ex.target) out.quality.push({key: `${ex.target.id}|${ex.model}`, overall: verdict.overall})
    if (verdict.trigger) {
      policies.push(verdict.trigger)
      decision = verdict.trigger.action
      policyId = 'quality_scorer'
      reason = `quality-scorer "${verdict.trigger.name}": ${verdict.trigger.detail}`
      if (verdict.trigger.action === 'escalate') out.escalations.push(`quality-scorer escalation: event ${ex.id} (${ex.model ?? '?'}) scored ${verdict.overall ?? '?'}, ${verdict.trigger.detail}`)
    }
  }
  const api = ex.callerApi
  const responseBody = answer ? inCallerApi(api, ex.target?.api ?? api, answer.body) : null
  const status: Status = answer?.streamError && !blocked ? 'error' : statusOf(ex.outcome)
  const cost = usage ? costOf(ex.model, answer?.responseModel ?? null, usage.usage, cfg.pricing) : {usd: 0, priced: true}
  const first = ex.shadows.find((s) => s.status !== 'dropped' && s.status !== 'skipped')
  const record = buildRecord(
    {
      format: 'kt-gateway',
      locator: ex.route,
      id: ex.id,
      source_id: answer?.sourceId ?? null,
      timestamp: ex.ts,
      provider: ex.target?.provider ?? 'unknown',
      api,
      model: ex.model ?? ex.requestedModel,
      response_model: answer?.responseModel ?? null,
      request: storedRequest(requestBody),
      response: responseBody ? {...(answer!.response as NonNullable<Answer['response']>), raw: responseBody} : null,
      usage: usage?.usage ?? null,
      latency_ms: round(ex.latencyMs, 2),
      ttft_ms: round(answer?.ttftMs ?? null, 2),
      status,
      http_status: ex.httpStatus || null,
      error: ex.error ?? (answer?.streamError ? {type: 'stream_error', code: null, message: answer.streamError} : null),
      cost_usd: cost.usd,
      metadata,
      replayable: requestBody !== null && ex.target !== null,
      event: {
        traffic_role: 'primary',
        trace_id: ex.trace?.traceId ?? null,
        user_id_hash: ex.userKey ? sha256(ex.userKey).slice(0, 32) : null,
        route: ex.route,
        decision,
        policy_id: policyId,
        decision_reason: reason,
        target_id: ex.target?.id ?? null,
        model_group: ex.group,
        policies_triggered: policies,
        traffic_mirror: mirror,
        mirror_group_id: ex.shadows.length ? ex.id : null,
        shadow_event_id: first?.id ?? null,
      },
    },
    {file: '', fileMtime: ex.ts},
  )
  record.source.file = null
  record.cost_source = cost.priced ? 'estimated' : null
  if (!cost.priced) record.metadata.cost_note = 'model not in the price table: cost 0 (add it under pricing:)'
  const raw = record.request.raw
  return {record, requestHash: raw ? requestHash(api, record.model, raw) : null}
}

function shadowEvent(ex: Exchange, s: ShadowRecord, answer: Answer | null, status: string, cfg: SideConfig, primaryText: string | null, out: BuiltEvents): BuiltEvents['records'][number] {
  const request = parseJson(s.request)
  const verdict = answer && !answer.streamError ? score(cfg, s.target.api, request, answer, primaryText !== null ? responseLength(primaryText) : null) : null
  const usage = answer ? usageOf(answer, request) : null
  const metadata: Record<string, unknown> = {role: 'shadow', mirror_source: s.source, requested_model: ex.requestedModel}
  if (s.source === 'silent_model') metadata.is_silent_experiment = true
  if (ex.trace) metadata[TRACE_CONTEXT_KEY] = traceContextMeta(ex.trace, false)
  if (usage?.estimated) metadata.usage_estimated = true
  if (answer?.streamError) metadata.stream_error = answer.streamError
  let decision: string | null = null
  let policyId: string | null = null
  let reason: string | null = null
  // A shadow's answer is never shown to a caller: content_filter rules redact what is stored and flag it.
  const policies: PolicyTrigger[] = [...(answer?.redactions ?? []), ...flagTriggers(cfg.answerFlags, answer?.response?.text ?? null, answer?.response?.tool_calls.map((t) => t.arguments) ?? [])]
  if (verdict) {
    metadata.quality_scorer = verdict.metadata
    if (verdict.overall !== null) out.quality.push({key: `${s.target.id}|${s.model}`, overall: verdict.overall})
    if (verdict.trigger) {
      policies.push(verdict.trigger)
      decision = verdict.trigger.action
      policyId = 'quality_scorer'
      reason = `quality-scorer "${verdict.trigger.name}": ${verdict.trigger.detail}`
      if (verdict.trigger.action === 'escalate') out.escalations.push(`quality-scorer escalation: shadow event ${s.id} (${s.model}) scored ${verdict.overall ?? '?'}, ${verdict.trigger.detail}`)
    }
  }
  const cost = usage ? costOf(s.model, answer?.responseModel ?? null, usage.usage, cfg.pricing) : {usd: 0, priced: true}
  const keep = s.logResponse && answer?.response
  const record = buildRecord(
    {
      format: 'kt-gateway',
      locator: ex.route,
      id: s.id,
      source_id: answer?.sourceId ?? null,
      timestamp: ex.ts,
      provider: s.target.provider,
      api: s.target.api,
      model: s.model,
      response_model: answer?.responseModel ?? null,
      request: storedRequest(request),
      response: keep ? answer!.response : null,
      usage: usage?.usage ?? null,
      latency_ms: round(s.latencyMs, 2),
      ttft_ms: round(answer?.ttftMs ?? null, 2),
      status: status === 'success' ? 'ok' : status === 'timeout' ? 'timeout' : 'error',
      http_status: s.httpStatus,
      error: status === 'success' ? null : {type: status === 'timeout' ? 'timeout' : 'shadow_error', code: null, message: answer?.streamError ?? s.error ?? status},
      cost_usd: cost.usd,
      metadata,
      replayable: false,
      event: {
        traffic_role: 'shadow',
        trace_id: ex.trace?.traceId ?? null,
        route: ex.route,
        decision,
        policy_id: policyId,
        decision_reason: reason,
        target_id: s.target.id,
        model_group: null,
        policies_triggered: policies,
        mirror_group_id: ex.id,
        primary_event_id: ex.id,
        user_id_hash: ex.userKey ? sha256(ex.userKey).slice(0, 32) : null,
      },
    },
    {file: '', fileMtime: ex.ts},
  )
  record.source.file = null
  record.cost_source = cost.priced ? 'estimated' : null
  return {record, requestHash: null}
}
