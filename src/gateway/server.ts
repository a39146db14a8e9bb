// The HTTP surface: which path does what, and who may call it. LLM endpoints (and /v1/models) are open on a
// loopback gateway without a token, and need the token (`Authorization: Bearer T` or `x-api-key: T`) when one is
// set; /v1/events always needs the token (and every read of it, refused or not, is handed to the audit-logger
// policies with log_all_access); /admin/reload takes the token or the admin token from the state file; /healthz and
// /metrics are open.
import {timingSafeEqual} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {isSecretName, maskKnown, REDACTED} from '../records/index.js'
import {sendError, sendJson} from './errors.js'
import type {EventsApi} from './events-api.js'
import type {AccessRecord, CallerApi} from './exchange.js'
import type {Metrics} from './metrics.js'
import type {Plan} from './plan.js'
import {handleLlm, type ProxyContext} from './proxy.js'

export interface ReloadOutcome {
  ok: boolean
  file: string | null
  /** What the new config does (weights, mirrors), or why it was refused. */
  lines: string[]
  errors: string[]
  warnings: string[]
}

export interface ServerContext extends ProxyContext {
  authToken: string | null
  adminToken: string
  events: EventsApi
  /** A read of /v1/events happened (audit-logger's log_all_access). */
  accessed(a: AccessRecord): void
  metrics: Metrics
  reload(): ReloadOutcome
  health(): Record<string, unknown>
}

const LLM: Record<string, CallerApi> = {'/v1/chat/completions': 'openai.chat', '/chat/completions': 'openai.chat', '/v1/messages': 'anthropic.messages', '/v1/responses': 'openai.responses', '/responses': 'openai.responses'}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The token the caller presented (`Authorization: Bearer T` or `x-api-key: T`). */
function presented(req: IncomingMessage): string | null {
  const auth = req.headers.authorization
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim())
    if (m) return m[1]!.trim()
  }
  const key = req.headers['x-api-key']
  return typeof key === 'string' ? key.trim() : null
}

function allowed(req: IncomingMessage, tokens: (string | null)[]): boolean {
  const t = presented(req)
  return t !== null && tokens.some((k) => k !== null && same(t, k))
}

function modelsList(plan: Plan, anthropic: boolean): Record<string, unknown> {
  const ids = new Set<string>()
  for (const g of plan.groups.keys()) ids.add(g)
  for (const t of plan.targets.values()) if (t.model) ids.add(t.model)
  for (const g of plan.groups.values()) for (const m of g.strategy === 'weighted' ? g.targets : g.models) ids.add(m.model)
  const created = 1735689600
  if (anthropic) {
    const data = [...ids].map((id) => ({type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString()}))
    return {data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null}
  }
  return {object: 'list', data: [...ids].map((id) => ({id, object: 'model', created, owned_by: plan.groups.has(id) ? 'kt-gateway (model group)' : 'kt-gateway'}))}
}

/** The query of a read as the audit line records it: secret-looking names and the gateway's own tokens masked. */
function auditedQuery(params: URLSearchParams, tokens: (string | null)[]): AccessRecord['query'] {
  const known = tokens.filter((t): t is string => t !== null)
  const out: AccessRecord['query'] = {}
  for (const k of new Set(params.keys())) {
    const values = params.getAll(k).map((v) => (isSecretName(k) ? REDACTED : maskKnown(v, known)))
    out[maskKnown(k, known)] = values.length === 1 ? values[0]! : values
  }
  return out
}

/** GET /v1/events: answered (or refused), then handed to the audit trail's own audit. */
function readEvents(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void {
  const authorized = ctx.authToken !== null && allowed(req, [ctx.authToken])
  let r = {status: 500, events: 0}
  try {
    if (req.method !== 'GET') {
      r.status = 405
      return sendError(res, 'openai.chat', 405, '/v1/events takes GET', 'method_not_allowed', {allow: 'GET'})
    }
    if (!authorized) {
      r.status = 401
      if (ctx.authToken === null) return sendError(res, 'openai.chat', 401, 'the events API needs a token: start the gateway with --auth-token TOKEN (or KT_GATEWAY_TOKEN) and send Authorization: Bearer TOKEN', 'invalid_api_key')
      return sendError(res, 'openai.chat', 401, 'missing or wrong token: send Authorization: Bearer TOKEN', 'invalid_api_key')
    }
    r = ctx.events.handle(params, res)
  } finally {
    ctx.accessed({
      access: 'read',
      timestamp: new Date().toISOString(),
      method: req.method ?? 'GET',
      route: '/v1/events',
      remote_address: req.socket.remoteAddress ?? null,
      token_presented: presented(req) !== null,
      authorized,
      query: auditedQuery(params, [ctx.authToken, ctx.adminToken]),
      status: r.status,
      events_returned: r.events,
    })
  }
}

export function dispatch(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  const q = req.url?.indexOf('?') ?? -1
  const path = q < 0 ? req.url ?? '/' : req.url!.slice(0, q)
  const api = LLM[path]
  if (api) {
    if (req.method !== 'POST') return sendError(res, api, 405, `${path} takes POST`, 'method_not_allowed', {allow: 'POST'})
    if (ctx.authToken !== null && !allowed(req, [ctx.authToken])) {
      req.resume()
      ctx.metrics.inc('kt_gateway_requests_total', {target: '-', code: '401'})
      ctx.accessed({access: 'refused', timestamp: new Date().toISOString(), method: 'POST', route: path, remote_address: req.socket.remoteAddress ?? null, token_presented: presented(req) !== null, authorized: false, query: {}, status: 401, events_returned: 0})
      return sendError(res, api, 401, 'missing or wrong gateway token: send Authorization: Bearer TOKEN (or x-api-key: TOKEN)', 'invalid_api_key')
    }
    return handleLlm(ctx, req, res, api, path)
  }
  const params = new URLSearchParams(q < 0 ? '' : req.url!.slice(q + 1))
  switch (path) {
    case '/healthz':
    case '/health':
      return sendJson(res, 200, ctx.health())
    case '/metrics': {
      const text = ctx.metrics.render()
      res.writeHead(200, {'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text)})
      return void res.end(text)
    }
    case '/v1/models':
      if (ctx.authToken !== null && !allowed(req, [ctx.authToken])) return sendError(res, 'openai.chat', 401, 'missing or wrong gateway token', 'invalid_api_key')
      return sendJson(res, 200, modelsList(ctx.plan(), req.headers['anthropic-version'] !== undefined))
    case '/v1/events':
      return readEvents(ctx, req, res, params)
    case '/admin/reload': {
      if (req.method !== 'POST') return sendError(res, 'openai.chat', 405, '/admin/reload takes POST', 'method_not_allowed', {allow: 'POST'})
      req.resume()
      if (!allowed(req, [ctx.adminToken, ctx.authToken])) return sendError(res, 'openai.chat', 401, 'missing or wrong admin token', 'invalid_api_key')
      const r = ctx.reload()
      return sendJson(res, r.ok ? 200 : 422, r)
    }
    default:
      req.resume()
      return sendError(res, 'openai.chat', 404, `no route ${req.method} ${path}; the gateway serves POST /v1/chat/completions, POST /v1/messages, POST /v1/responses, GET /v1/models, GET /v1/events, GET /healthz, GET /metrics`, 'not_found')
  }
}
