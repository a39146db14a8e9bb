// One request's route through the plan: policies that change the model (a model_filter's conditional redirect, a
// traffic_split's variant, a cost_limit downgrade) in chain order, then the name resolved (model group, target id,
// model), then the model_filter and content_filter checks that may refuse it. Pure apart from the draw, the clock
// and the observations it reads (latency, quality, spend): the same request, user key and plan give the same route.
import type {ContentFilterPolicy, CostLimitPolicy, ModelFilterPolicy, RequestConditions, TrafficSplitPolicy} from '../config/index.js'
import {estimateCost, estimateRequestTokens} from '../providers/index.js'
import {piiKinds, redactPii, type PolicyTrigger} from '../records/index.js'
import type {Json} from '../wire/index.js'
import {familyOf, resolveModelName, targetForMember, type Plan, type PlanTarget} from './plan.js'
import {drawFor, Observations, pickByShare, pickCostOptimized, pickHighestQuality, pickLowestLatency, type Candidate} from './routing.js'
import type {SpendTotals} from './spend.js'

export interface Route {
  requestedModel: string
  model: string
  target: PlanTarget
  group: string | null
  /** `allow` (served as named) or `route` (a group, split or redirect chose the model). */
  decision: 'allow' | 'route'
  reason: string | null
  policyId: string | null
  policies: PolicyTrigger[]
  abTag: string | null
  /** The body had to change beyond `model` (a content filter redacted it). */
  body: Json | null
}

export type RouteResult =
  | {ok: true; route: Route}
  | {ok: false; status: 400 | 403 | 404 | 429; message: string; code: string; policyId: string | null; policies: PolicyTrigger[]; requestedModel: string | null; body?: Json}

function maxTokensOf(body: Json): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens
  return typeof v === 'number' ? v : undefined
}

/**
 * Whether a policy's conditions hold for a request asking for `model` (absent conditions always hold; an unknown
 * max_tokens matches neither bound). model_filter here, and the `log` policy on the side thread (policy-lines.ts).
 */
export function conditionsHold(c: RequestConditions | undefined, model: string, body: Json): boolean {
  if (!c) return true
  const max = maxTokensOf(body)
  if (c.max_tokens_gt !== undefined && !(max !== undefined && max > c.max_tokens_gt)) return false
  if (c.max_tokens_lte !== undefined && !(max !== undefined && max <= c.max_tokens_lte)) return false
  if (c.model !== undefined && !c.model.includes(model)) return false
  return true
}

function refused(p: ModelFilterPolicy, model: string, requested: string): string | null {
  if (p.blocked_models.includes(model) || p.blocked_models.includes(requested)) return 'blocked'
  if (p.allowed_models.length > 0 && !p.allowed_models.includes(model) && !p.allowed_models.includes(requested)) return 'not in allowed_models'
  return null
}

/** Text of every message, the system prompt and the Responses API's instructions and input (what a content filter reads). */
function requestText(body: Json): string {
  const out: string[] = []
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v)
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') {
      const o = v as Json
      if (typeof o.text === 'string') out.push(o.text)
      if (o.content !== undefined) walk(o.content)
    }
  }
  walk(body.system)
  walk(body.messages)
  // The Responses API's prompt.
  walk(body.instructions)
  walk(body.input)
  return out.join('\n')
}

/** What a content filter found: the terms, `/pattern/` sources and `pii:<kind>` labels (never the text itself). */
function contentMatches(p: ContentFilterPolicy, text: string): string[] {
  const lower = text.toLowerCase()
  const hits = p.blocked_terms.filter((t) => lower.includes(t.toLowerCase()))
  for (const src of p.blocked_patterns) if (new RegExp(src, 'i').test(text)) hits.push(`/${src}/`)
  if (p.redact_pii) for (const kind of piiKinds(text)) hits.push(`pii:${kind}`)
  return hits
}

function redact(p: ContentFilterPolicy, body: Json): Json {
  const patterns = [...p.blocked_terms.map((t) => new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')), ...p.blocked_patterns.map((s) => new RegExp(s, 'gi'))]
  // PII first, on the text as sent: a term replaced inside an address would leave the rest of it unrecognisable.
  const clean = (s: string) => patterns.reduce((acc, re) => acc.replace(re, '[redacted]'), p.redact_pii ? redactPii(s) : s)
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') {
      const o = {...(v as Json)}
      if (typeof o.text === 'string') o.text = clean(o.text)
      if (o.content !== undefined) o.content = walk(o.content)
      return o
    }
    return v
  }
  const out: Json = {...body}
  for (const k of ['system', 'messages', 'instructions', 'input']) if (body[k] !== undefined) out[k] = walk(body[k])
  return out
}

interface Ctx {
  plan: Plan
  body: Json
  userKey: string | null
  obs: Observations
  random: () => number
  /** Milliseconds since the epoch (which UTC day and month the spend totals must be for). */
  now: () => number
  policies: PolicyTrigger[]
  reason: string | null
  policyId: string | null
  abTag: string | null
  decision: 'allow' | 'route'
  /** A traffic_split variant's provider pins the target kind. */
  provider: string | null
}

function split(ctx: Ctx, p: TrafficSplitPolicy): string {
  const {u, sticky} = drawFor(p.name, ctx.userKey, ctx.random)
  const v = pickByShare(p.variants, u)
  ctx.abTag = v.tag ?? ctx.abTag
  ctx.provider = v.provider ?? null
  ctx.decision = 'route'
  ctx.policyId = p.name
  ctx.reason = `traffic_split "${p.name}": ${v.model}${v.tag ? ` [${v.tag}]` : ''} (${Math.round(v.share * 100)}%, ${sticky ? 'sticky user hash' : 'random draw'})`
  ctx.policies.push({name: p.name, type: p.type, action: 'route', detail: v.tag ?? v.model})
  return v.model
}

/**
 * A day or month budget already spent: the spend totals the side thread last posted (spend.ts: approximate, they
 * trail the answers by the time it takes to price and write them), if they are for the current UTC day or month.
 */
function budgetOver(p: CostLimitPolicy, spend: SpendTotals | null, now: number): string | null {
  if (!spend || (p.max_usd_per_day === undefined && p.max_usd_per_month === undefined)) return null
  const day = new Date(now).toISOString().slice(0, 10)
  if (p.max_usd_per_day !== undefined && spend.day === day && spend.dayUsd >= p.max_usd_per_day) return `spent $${spend.dayUsd.toFixed(4)} today (UTC), budget $${p.max_usd_per_day}`
  if (p.max_usd_per_month !== undefined && spend.month === day.slice(0, 7) && spend.monthUsd >= p.max_usd_per_month) return `spent $${spend.monthUsd.toFixed(4)} this month (UTC), budget $${p.max_usd_per_month}`
  return null
}

/** A limit a request would pass: its max_tokens, its estimated cost. */
function requestOver(ctx: Ctx, p: CostLimitPolicy, model: string): string | null {
  const max = maxTokensOf(ctx.body)
  if (p.max_tokens_per_request !== undefined && max !== undefined && max > p.max_tokens_per_request) return `max_tokens ${max} > ${p.max_tokens_per_request}`
  if (p.max_usd_per_request !== undefined) {
    const input = estimateRequestTokens(ctx.body)
    const usd = estimateCost(model, {input_tokens: input, output_tokens: max ?? 1024, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: null}, ctx.plan.config.pricing)
    if (usd !== null && usd > p.max_usd_per_request) return `estimated $${usd.toFixed(4)} > $${p.max_usd_per_request}`
  }
  return null
}

/** A refusal: a spent budget is 429 (the caller may try again later), a request over a per-request limit 403. */
type CostRefusal = {refuse: string; status: 403 | 429; code: string}

function costLimit(ctx: Ctx, p: CostLimitPolicy, model: string): {model: string} | CostRefusal {
  const perRequest = requestOver(ctx, p, model)
  const over = perRequest ?? budgetOver(p, ctx.obs.spend, ctx.now())
  if (!over) return {model}
  if (p.action === 'downgrade' && p.fallback_model) {
    ctx.policies.push({name: p.name, type: p.type, action: 'downgrade', detail: `${over}: ${model} → ${p.fallback_model}`})
    ctx.decision = 'route'
    ctx.policyId = p.name
    ctx.reason = `cost_limit "${p.name}": ${over}; downgraded to ${p.fallback_model}`
    return {model: p.fallback_model}
  }
  if (p.action === 'warn') {
    ctx.policies.push({name: p.name, type: p.type, action: 'warn', detail: over})
    return {model}
  }
  ctx.policies.push({name: p.name, type: p.type, action: 'block', detail: over})
  const refuse = `request refused by policy "${p.name}" (cost_limit): ${over}`
  return perRequest ? {refuse, status: 403, code: 'policy_blocked'} : {refuse, status: 429, code: 'budget_exceeded'}
}

/** A model group member (or a routed group's pick) → target and model. */
function resolveGroup(ctx: Ctx, name: string, body: Json): {target: PlanTarget; model: string} | null {
  const g = ctx.plan.groups.get(name)!
  ctx.decision = 'route'
  if (g.strategy === 'weighted') {
    const live = g.targets.map((t) => ({t, target: t.target_id ? ctx.plan.targets.get(t.target_id) ?? null : targetForMember(ctx.plan, t.provider_kind, t.model)}))
    const served = live.filter((x) => x.target !== null)
    if (served.length === 0) return null
    const total = served.reduce((s, x) => s + x.t.weight, 0)
    const members = served.map((x) => ({...x, share: x.t.weight / total}))
    const {u, sticky} = drawFor(g.name, ctx.userKey, ctx.random)
    const m = pickByShare(members, u)
    ctx.reason = `weighted group "${g.name}": ${m.t.model} (${Math.round(m.share * 1000) / 10}%, ${sticky ? 'sticky user hash' : 'random draw'})`
    return {target: m.target!, model: m.t.model}
  }
  const members: (Candidate & {target: PlanTarget})[] = []
  for (const mm of g.models) {
    const target = mm.target_id ? ctx.plan.targets.get(mm.target_id) : targetForMember(ctx.plan, mm.provider_kind, mm.model)
    if (target) members.push({key: `${target.id}|${mm.model}`, model: mm.model, target})
  }
  if (members.length === 0) return null
  const pick =
    g.strategy === 'lowest_latency'
      ? pickLowestLatency(g.name, members, ctx.obs)
      : g.strategy === 'highest_quality'
        ? pickHighestQuality(g.name, members, ctx.obs)
        : pickCostOptimized(members, estimateRequestTokens(body), maxTokensOf(body) ?? 500, ctx.plan.config.pricing)
  ctx.reason = `group "${g.name}" ${pick.rule}`
  return {target: pick.member.target, model: pick.member.model}
}

function resolveName(ctx: Ctx, name: string): {target: PlanTarget; model: string} | null {
  if (ctx.provider) {
    const kind = ctx.provider
    const byId = ctx.plan.targets.get(kind)
    if (byId) return {target: byId, model: byId.model ?? name}
    const t = targetForMember(ctx.plan, kind as PlanTarget['kind'], name)
    if (t) return {target: t, model: t.model ?? name}
  }
  return resolveModelName(ctx.plan, name)
}

function unknownModel(ctx: Ctx, requested: string, name: string): RouteResult {
  const known = [...ctx.plan.groups.keys(), ...ctx.plan.targets.keys(), ...ctx.plan.byModel.keys()]
  const family = familyOf(name)
  return {
    ok: false,
    status: 404,
    code: 'model_not_found',
    message: `model "${name}" is not served by this gateway: no model group, target id or target serves it${family === 'anthropic' ? ' (no Anthropic target without a fixed model)' : ''}; known: ${[...new Set(known)].join(', ') || 'none'}`,
    policyId: null,
    policies: ctx.policies,
    requestedModel: requested,
  }
}

/** Routes one parsed request. `random` is the draw for requests without a user key; `now` the clock budgets read. */
export function routeRequest(plan: Plan, body: Json, userKey: string | null, obs: Observations, random: () => number = Math.random, now: () => number = Date.now): RouteResult {
  const requested = typeof body.model === 'string' && body.model.trim() !== '' ? body.model : null
  if (requested === null) return {ok: false, status: 400, code: 'invalid_request_error', message: 'model: a string naming a model, model group or target is required', policyId: null, policies: [], requestedModel: null}
  const ctx: Ctx = {plan, body, userKey, obs, random, now, policies: [], reason: null, policyId: null, abTag: null, decision: 'allow', provider: null}
  let current = requested
  let outBody: Json | null = null
  for (const p of plan.policies) {
    if (p.type === 'model_filter' && p.preferred_model !== undefined && p.conditions && conditionsHold(p.conditions, current, body) && current !== p.preferred_model) {
      ctx.policies.push({name: p.name, type: p.type, action: 'redirect', detail: `${current} → ${p.preferred_model}`})
      ctx.reason = `model_filter "${p.name}": conditions hold; ${current} → ${p.preferred_model}`
      ctx.policyId = p.name
      ctx.decision = 'route'
      current = p.preferred_model
    } else if (p.type === 'traffic_split') current = split(ctx, p)
    else if (p.type === 'cost_limit') {
      const r = costLimit(ctx, p, current)
      if ('refuse' in r) return {ok: false, status: r.status, code: r.code, message: r.refuse, policyId: p.name, policies: ctx.policies, requestedModel: requested}
      current = r.model
    } else if (p.type === 'content_filter' && p.apply_to !== 'response') {
      const hits = contentMatches(p, requestText(outBody ?? body))
      if (hits.length === 0) continue
      if (p.action === 'block') {
        ctx.policies.push({name: p.name, type: p.type, action: 'block', detail: hits.join(', ')})
        // The event keeps the refused request with its matches redacted, as a blocked answer is kept (relay-filtered.ts).
        const kept = redact(p, outBody ?? body)
        return {ok: false, status: 403, code: 'content_blocked', message: `request blocked by policy "${p.name}" (content_filter): matched ${hits.join(', ')}`, policyId: p.name, policies: ctx.policies, requestedModel: requested, body: kept}
      }
      ctx.policies.push({name: p.name, type: p.type, action: p.action, detail: hits.join(', ')})
      if (p.action === 'redact') outBody = redact(p, outBody ?? body)
    }
  }
  let resolved = plan.groups.has(current) ? resolveGroup(ctx, current, body) : resolveName(ctx, current)
  if (!resolved) return unknownModel(ctx, requested, current)
  for (const p of plan.policies) {
    if (p.type !== 'model_filter' || !conditionsHold(p.conditions, resolved.model, body)) continue
    const why = refused(p, resolved.model, requested)
    if (!why) continue
    if (p.preferred_model !== undefined && p.preferred_model !== resolved.model) {
      ctx.policies.push({name: p.name, type: p.type, action: 'redirect', detail: `${resolved.model} (${why}) → ${p.preferred_model}`})
      ctx.reason = `model_filter "${p.name}": ${resolved.model} is ${why}; redirected to ${p.preferred_model}`
      ctx.policyId = p.name
      ctx.decision = 'route'
      resolved = resolveName(ctx, p.preferred_model)
      if (!resolved) return unknownModel(ctx, requested, p.preferred_model)
      continue
    }
    ctx.policies.push({name: p.name, type: p.type, action: 'block', detail: `${resolved.model}: ${why}`})
    return {ok: false, status: 403, code: 'model_blocked', message: `model "${resolved.model}" is ${why === 'blocked' ? 'blocked' : 'not allowed'} by policy "${p.name}" (model_filter)`, policyId: p.name, policies: ctx.policies, requestedModel: requested}
  }
  const group = plan.groups.has(current) ? current : null
  return {
    ok: true,
    route: {requestedModel: requested, model: resolved.model, target: resolved.target, group, decision: ctx.decision, reason: ctx.reason, policyId: ctx.policyId, policies: ctx.policies, abTag: ctx.abTag, body: outBody},
  }
}
