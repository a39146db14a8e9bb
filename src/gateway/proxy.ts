// One LLM request, start to end: read the body (bounded), route it, order its shadows from the side thread, send it
// upstream (as the caller sent it when only the model changes nothing else, translated when the target speaks the
// other API), relay the answer, then hand the exchange to the side thread. Every request that gets an answer,
// including the ones the gateway refuses, leaves exactly one exchange.
import type {IncomingMessage, ServerResponse} from 'node:http'
import {anthropicToOpenAIChat, openaiChatToAnthropic, type Json} from '../wire/index.js'
import {ownBytes} from './capture.js'
import {eventId} from './ids.js'
import {sendError} from './errors.js'
import type {CallerApi, CallerTrace, Exchange, ShadowStart} from './exchange.js'
import type {Metrics} from './metrics.js'
import {pickShadows} from './mirror.js'
import type {Plan, PlanTarget} from './plan.js'
import {relayAnswer, type RelayResult} from './relay.js'
import {routeRequest, type Route} from './route.js'
import type {Observations} from './routing.js'
import {traceContextOf, upstreamTraceHeaders} from './trace-context.js'
import {sendUpstream, type UpstreamPools} from './upstream.js'
import {ktSpanIdOf, maskKnown} from '../records/index.js'

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

export interface ProxyContext {
  plan(): Plan
  obs: Observations
  metrics: Metrics
  pools: UpstreamPools
  /** Hands a request's shadows to the side path as the request starts. */
  startShadows(s: ShadowStart): void
  /** Hands a finished exchange to the side path (events). */
  submit(ex: Exchange): void
  maxBodyBytes: number
  captureBytes?: number
  draining(): boolean
  /** +1 when a request starts, -1 once its exchange is handed over (drain waits for 0). */
  track(delta: 1 | -1): void
}

type BodyRead = {ok: true; body: Buffer} | {ok: false; reason: 'too_large' | 'aborted'}

function readBody(req: IncomingMessage, limit: number, cb: (r: BodyRead) => void): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return cb({ok: false, reason: 'too_large'})
  const chunks: Buffer[] = []
  let size = 0
  let done = false
  req.on('data', (c: Buffer) => {
    if (done) return
    size += c.length
    if (size > limit) {
      done = true
      return cb({ok: false, reason: 'too_large'})
    }
    chunks.push(c)
  })
  req.on('end', () => {
    if (done) return
    done = true
    cb({ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)})
  })
  req.on('aborted', () => {
    if (done) return
    done = true
    cb({ok: false, reason: 'aborted'})
  })
}

function newExchange(id: string, route: string, api: CallerApi, trace: CallerTrace | null): Exchange {
  return {
    id,
    ts: new Date().toISOString(),
    route,
    callerApi: api,
    trace,
    stream: false,
    request: null,
    requestedModel: null,
    model: null,
    target: null,
    group: null,
    decision: 'allow',
    policyId: null,
    reason: null,
    policies: [],
    abTag: null,
    userKey: null,
    losses: [],
    httpStatus: 0,
    outcome: 'ok',
    error: null,
    bytes: null,
    truncated: false,
    marks: [],
    latencyMs: null,
    ttfbMs: null,
    gatewayMs: 0,
    shadows: [],
  }
}

function userKeyOf(req: IncomingMessage, api: CallerApi, body: Json): string | null {
  const h = req.headers['x-kt-user']
  if (typeof h === 'string' && h.trim()) return h.trim()
  if (api !== 'anthropic.messages' && typeof body.user === 'string' && body.user) return body.user
  const md = body.metadata
  if (md && typeof md === 'object' && typeof (md as Json).user_id === 'string') return (md as Json).user_id as string
  return null
}

/** The bytes the target gets: the caller's own bytes when nothing changes, else the body re-serialised or translated. */
function upstreamBody(api: CallerApi, raw: Buffer, body: Json, route: Route, target: PlanTarget): {bytes: Buffer; losses: string[]} {
  const source = route.body ?? body
  if (target.api === api) {
    if (!route.body && body.model === route.model) return {bytes: raw, losses: []}
    return {bytes: Buffer.from(JSON.stringify({...source, model: route.model})), losses: []}
  }
  const withModel = {...source, model: route.model}
  const t = api === 'openai.chat' ? openaiChatToAnthropic(withModel) : anthropicToOpenAIChat(withModel, {maxTokensField: target.kind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens'})
  return {bytes: Buffer.from(JSON.stringify(t.body)), losses: t.losses}
}

/**
 * The target as called for this API (a Responses API request goes to the target's /responses route, never
 * translated: kt has no Responses ↔ Messages translation) and the bytes it gets; an error message when it cannot.
 */
function prepare(api: CallerApi, raw: Buffer, body: Json, route: Route): {target: PlanTarget; out: {bytes: Buffer; losses: string[]}} | {error: string} {
  const target = api === 'openai.responses' ? route.target.responses : route.target
  if (!target) return {error: `target ${route.target.id} (${route.target.provider}) cannot serve the Responses API: kt sends /v1/responses only to openai, openai-compatible and simulated targets`}
  try {
    return {target, out: upstreamBody(api, raw, body, route, target)}
  } catch (err) {
    return {error: `cannot translate the request for target ${target.id}: ${(err as Error).message}`}
  }
}

export function handleLlm(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, api: CallerApi, path: string): void {
  const t0 = performance.now()
  const ex = newExchange(eventId(), path, api, traceContextOf(req.headers))
  // Headers go with writeHead (cheaper than setHeader); every answer below carries x-kt-event-id.
  if (ctx.draining()) res.setHeader('connection', 'close')
  ctx.track(1)
  let submitted = false
  const finish = () => {
    if (submitted) return
    submitted = true
    ex.gatewayMs = performance.now() - t0
    ctx.submit(ex)
    ctx.track(-1)
  }
  const refuse = (status: number, message: string, code: string, outcome: Exchange['outcome'] = 'error', headers: Record<string, string> = {}) => {
    // No target answered: the header still says so.
    sendError(res, api, status, message, code, {'x-kt-target': 'none', 'x-kt-event-id': ex.id, ...headers})
    ex.httpStatus = status
    ex.outcome = outcome
    ex.error = {type: code, code, message}
    ctx.metrics.inc('kt_gateway_requests_total', {target: '-', code: String(status)})
    ctx.metrics.inc('kt_gateway_errors_total', {target: '-', type: code})
    finish()
  }
  readBody(req, ctx.maxBodyBytes, (r) => {
    if (!r.ok) {
      if (r.reason === 'aborted') {
        ex.httpStatus = 499
        ex.outcome = 'error'
        ex.error = {type: 'client_closed', code: null, message: 'the caller closed the connection while sending the request'}
        return finish()
      }
      return refuse(413, `request body larger than ${ctx.maxBodyBytes} bytes`, 'request_too_large', 'error', {connection: 'close'})
    }
    let body: Json
    try {
      const parsed: unknown = JSON.parse(r.body.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
      body = parsed as Json
    } catch {
      return refuse(400, 'the request body is not a JSON object', 'invalid_request_error')
    }
    ex.request = ownBytes([r.body])
    ex.stream = body.stream === true
    ex.userKey = userKeyOf(req, api, body)
    ex.requestedModel = typeof body.model === 'string' ? body.model : null
    const routed = routeRequest(ctx.plan(), body, ex.userKey, ctx.obs)
    ex.policies = routed.ok ? routed.route.policies : routed.policies
    if (!routed.ok) {
      // 403: a policy refused the request; 429: a cost_limit budget is spent.
      const denied = routed.status === 403 || routed.status === 429
      ex.decision = denied ? 'deny' : 'allow'
      ex.policyId = routed.policyId
      ex.reason = routed.message
      if (routed.body) ex.request = ownBytes([Buffer.from(JSON.stringify(routed.body))])
      return refuse(routed.status, routed.message, routed.code, denied ? 'blocked' : 'error')
    }
    forward(ctx, req, res, api, body, r.body, routed.route, ex, finish)
  })
}

/** An answer's content_filter triggers join the request's; a blocked answer is the request's decision. */
function answerPolicies(ex: Exchange, r: RelayResult): void {
  ex.policies = [...ex.policies, ...r.policies!]
  if (r.outcome !== 'blocked') return
  ex.decision = 'deny'
  ex.policyId = r.policies!.find((p) => p.action === 'block')?.name ?? null
  ex.reason = r.error?.message ?? null
}

function forward(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, api: CallerApi, body: Json, raw: Buffer, route: Route, ex: Exchange, finish: () => void): void {
  Object.assign(ex, {model: route.model, target: {id: route.target.id, provider: route.target.provider, api: route.target.api}, group: route.group, decision: route.decision, policyId: route.policyId, reason: route.reason, abTag: route.abTag})
  if (route.body) ex.request = ownBytes([Buffer.from(JSON.stringify(route.body))])
  const prepared = prepare(api, raw, body, route)
  if ('error' in prepared) {
    sendError(res, api, 400, prepared.error, null, {'x-kt-target': route.target.id, 'x-kt-event-id': ex.id})
    ex.httpStatus = 400
    ex.outcome = 'error'
    ex.error = {type: 'invalid_request_error', code: null, message: prepared.error}
    return finish()
  }
  const {target, out} = prepared
  ex.target = {id: target.id, provider: target.provider, api: target.api}
  ex.losses = out.losses
  // A request that is itself a shadow (of another kt gateway) is never mirrored again.
  const orders = req.headers['x-kt-shadow'] === undefined ? pickShadows(ctx.plan(), route) : []
  if (orders.length) ctx.startShadows({exchangeId: ex.id, callerApi: api, stream: ex.stream, body: ex.request!, orders, trace: ex.trace})
  const includeUsage = api === 'openai.chat' && (body.stream_options as Json | undefined)?.include_usage === true
  let clientGone = false
  let timedOut = false
  let answered = false
  let completed = false
  const complete = (r: RelayResult | null, error: Exchange['error'], httpStatus: number) => {
    if (completed) return
    completed = true
    clearTimeout(timer)
    ex.httpStatus = r?.httpStatus ?? httpStatus
    ex.outcome = clientGone ? 'error' : timedOut ? 'timeout' : r ? r.outcome : 'error'
    ex.error = clientGone ? {type: 'client_closed', code: null, message: 'the caller closed the connection before the answer was complete'} : timedOut ? {type: 'timeout', code: null, message: `no complete answer within ${target.timeoutMs} ms`} : r ? r.error : error
    if (clientGone) ex.httpStatus = 499
    if (r?.policies?.length) answerPolicies(ex, r)
    if (r) {
      ex.bytes = r.capture.bytes()
      ex.marks = r.capture.marks
      ex.truncated = r.capture.truncated
      ex.ttfbMs = r.capture.firstAt
    }
    ex.latencyMs = performance.now() - call.sentAt
    ctx.metrics.inc('kt_gateway_requests_total', {target: target.id, code: String(ex.httpStatus)})
    if (ex.outcome !== 'ok') ctx.metrics.inc('kt_gateway_errors_total', {target: target.id, type: ex.error?.type ?? ex.outcome})
    ctx.metrics.observe(target.id, ex.latencyMs / 1000)
    if (ex.outcome === 'ok') ctx.obs.observeLatency(`${target.id}|${route.model}`, ex.latencyMs)
    finish()
  }
  const call = sendUpstream({
    target,
    model: route.model,
    body: out.bytes,
    stream: ex.stream,
    callerHeaders: req.headers,
    trace: ex.trace ? upstreamTraceHeaders(ex.trace, ktSpanIdOf(ex.id)) : undefined,
    pool: ctx.pools.primary,
    onResponse: (up) => {
      answered = true
      // Answer filters rewrite Chat Completions and Messages shapes only: a Responses API answer passes unfiltered (flags still apply).
      relayAnswer({res, upstream: up, callerApi: api, target, stream: ex.stream, includeUsage, headers: {'x-kt-target': target.id, 'x-kt-event-id': ex.id}, sentAt: call.sentAt, captureBytes: ctx.captureBytes, matcher: api === 'openai.responses' ? null : ctx.plan().answerFilter, onDone: (r) => complete(r, null, r.httpStatus)})
    },
    onError: (err) => {
      if (answered) return
      const status = timedOut ? 504 : 502
      const message = maskKnown(timedOut ? `upstream ${target.id}: no answer within ${target.timeoutMs} ms` : `upstream ${target.id} unreachable: ${err.message}`, target.secrets)
      sendError(res, api, status, message, timedOut ? 'timeout' : 'upstream_unreachable', {'x-kt-target': target.id, 'x-kt-event-id': ex.id})
      complete(null, {type: timedOut ? 'timeout' : 'upstream_unreachable', code: (err as NodeJS.ErrnoException).code ?? null, message}, status)
    },
  })
  const timer = setTimeout(() => {
    timedOut = true
    call.abort(new Error('timeout'))
  }, target.timeoutMs)
  res.on('close', () => {
    if (res.writableFinished) return
    clientGone = true
    call.abort()
  })
}
