// The gateway's runtime view of a validated config: each target with its upstream URL and auth headers (keys read
// from the environment variable `secret_key_ref.env` names, once), the model groups, the enabled policies, and every
// mirror rule resolved to shadow targets. Built at start and again on each reload; a problem is one KtError naming
// the YAML path, so a bad reload keeps the old plan serving.
import type {KtConfig, ModelGroup, Policy, ProviderKind, QualityPolicy, TargetConfig} from '../config/index.js'
import {percent, qualityPolicyFrom, targetFromConfig} from '../config/index.js'
import {createClient, keyEnvFor, type ProviderClient} from '../providers/index.js'
import {KtError} from '../util/index.js'
import {answerRules, ContentMatcher} from './answer-filter.js'
import {linePolicies, mirrorSpecs} from './config-view.js'
import type {LinePolicy} from './exchange.js'
import type {CallerApi} from './exchange.js'

export interface PlanTarget {
  id: string
  kind: ProviderKind
  /** The provider name events and answers carry (`openai`, `anthropic`, `azure_openai`…). */
  provider: string
  /** The wire API the target speaks. */
  api: CallerApi
  /** Fixed model; undefined serves whatever model the request (or group, or mapping) names. */
  model?: string
  /** Upstream URL, or a function of the model (Azure puts the deployment in the path). */
  url: (model: string) => URL
  /** Auth and static headers (never logged). */
  headers: Record<string, string>
  /** Key and header values: scrubbed from anything an upstream sends back. */
  secrets: string[]
  timeoutMs: number
  /** YAML path, for messages. */
  path: string
  /** provider: simulated: answered in-process by this offline client (simulated.ts), never over the network. */
  simulated?: ProviderClient
  /** The same target called through the Responses API (`POST …/responses`), for targets that offer it. */
  responses?: PlanTarget
}

export interface ShadowRule {
  source: 'traffic_mirror' | 'mirroring' | 'silent_model'
  /** Only requests served by this target id or provider kind (traffic_mirror.primary, the target carrying
   *  silent_model); null: all. */
  primary: string | null
  shadow: PlanTarget
  /** Model for the shadow: mapping by routed model, else this fixed model, else the routed model. */
  mapping: Record<string, string>
  model: string | null
  sampleRate: number
  logResponse: boolean
  compare: string[]
}

export interface Plan {
  config: KtConfig
  file: string | null
  targets: Map<string, PlanTarget>
  groups: Map<string, ModelGroup>
  /** Targets with a fixed model, by that model (first wins). */
  byModel: Map<string, PlanTarget>
  /** Model-less targets by API family: the fallback for a model no target names. */
  openTargets: {openai: PlanTarget[]; anthropic: PlanTarget[]}
  policies: Policy[]
  shadows: ShadowRule[]
  quality: QualityPolicy | null
  /** Some group routes on quality: every answer is scored even without a quality-scorer policy. */
  scoreAll: boolean
  /** content_filter rules that block or redact answers; null (none) keeps the relay's plain path, bytes as they come. */
  answerFilter: ContentMatcher | null
  generation: number
  /** Start-up warnings (targets left out, settings read differently). */
  warnings: string[]
}

const DEFAULT_TIMEOUT_MS = 600_000

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

function eventProvider(kind: ProviderKind): string {
  return kind === 'azure-openai' ? 'azure_openai' : kind
}

/** A simulated target speaks Chat Completions (Anthropic-format callers are translated, as for any OpenAI target). */
function simulatedTarget(t: TargetConfig, path: string): PlanTarget {
  const spec = targetFromConfig(t)
  // The gateway waits the drawn latency itself (simulated.ts), so the client only draws it.
  const client = createClient({...spec, simulation: {...spec.simulation, sleep: false}})
  const url = new URL(`simulated://${encodeURIComponent(t.id)}/v1/chat/completions`)
  const target: PlanTarget = {id: t.id, kind: t.provider, provider: 'simulated', api: 'openai.chat', url: () => url, headers: {}, secrets: [], timeoutMs: t.timeout_ms ?? DEFAULT_TIMEOUT_MS, path, simulated: client}
  if (t.model !== undefined) target.model = t.model
  target.responses = {...target, api: 'openai.responses'}
  return target
}

function buildTarget(t: TargetConfig, index: number, env: NodeJS.ProcessEnv): PlanTarget {
  const path = `providers.targets[${index}]`
  if (t.provider === 'simulated') return simulatedTarget(t, path)
  const spec = targetFromConfig(t)
  const keyEnv = keyEnvFor(spec)
  let key: string | null = null
  if (keyEnv !== null) {
    key = env[keyEnv]?.trim() || null
    if (!key) throw new KtError(`${path}.secret_key_ref.env: environment variable ${keyEnv} is not set (target "${t.id}"); export it before starting the gateway`, 2)
  }
  const headers: Record<string, string> = {...t.headers}
  const secrets = [...Object.values(t.headers)].filter((s) => s.length >= 6)
  if (key) secrets.push(key)
  let url: (model: string) => URL
  let responsesUrl: ((model: string) => URL) | null = null
  let api: CallerApi = 'openai.chat'
  const fixed = (u: string) => {
    const parsed = new URL(u)
    return () => parsed
  }
  switch (t.provider) {
    case 'anthropic': {
      const base = stripSlash(t.base_url ?? env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com').replace(/\/v1$/, '')
      url = fixed(`${base}/v1/messages`)
      api = 'anthropic.messages'
      if (key) headers['x-api-key'] = key
      break
    }
    case 'azure-openai': {
      const endpoint = t.base_url ?? env.AZURE_OPENAI_ENDPOINT
      const version = t.api_version ?? env.OPENAI_API_VERSION
      if (!endpoint) throw new KtError(`${path}.base_url: azure-openai needs the resource endpoint (or AZURE_OPENAI_ENDPOINT)`, 2)
      if (!version) throw new KtError(`${path}.api_version: azure-openai needs an API version (or OPENAI_API_VERSION)`, 2)
      const root = stripSlash(endpoint).replace(/\/openai$/, '')
      url = (model) => new URL(`${root}/openai/deployments/${encodeURIComponent(t.deployment ?? model)}/chat/completions?api-version=${encodeURIComponent(version)}`)
      if (key) headers['api-key'] = key
      break
    }
    default: {
      const base = t.base_url ?? env.OPENAI_BASE_URL ?? (t.provider === 'openai' ? 'https://api.openai.com/v1' : undefined)
      if (!base) throw new KtError(`${path}.base_url: ${t.provider} targets need base_url`, 2)
      url = fixed(`${stripSlash(base)}/chat/completions`)
      responsesUrl = fixed(`${stripSlash(base)}/responses`)
      if (key) headers.authorization = `Bearer ${key}`
    }
  }
  const target: PlanTarget = {id: t.id, kind: t.provider, provider: eventProvider(t.provider), api, url, headers, secrets, timeoutMs: t.timeout_ms ?? DEFAULT_TIMEOUT_MS, path}
  if (t.model !== undefined) target.model = t.model
  // Azure names the deployment differently on its Responses route; kt sends /v1/responses only where the path is
  // the same as OpenAI's.
  if (responsesUrl) target.responses = {...target, api: 'openai.responses', url: responsesUrl}
  return target
}

/** The API family a model name belongs to (what a model-less target must speak to serve it). */
export function familyOf(model: string): 'openai' | 'anthropic' {
  return /^(anthropic[/.]|claude)/i.test(model) ? 'anthropic' : 'openai'
}

/** Builds the runtime plan. Throws KtError (exit 2) naming the YAML path of the first problem. */
export function buildPlan(config: KtConfig, env: NodeJS.ProcessEnv = process.env, generation = 1): Plan {
  const targets = new Map<string, PlanTarget>()
  const byModel = new Map<string, PlanTarget>()
  const openTargets: Plan['openTargets'] = {openai: [], anthropic: []}
  const warnings: string[] = []
  config.targets.forEach((t, i) => targets.set(t.id, buildTarget(t, i, env)))
  // A model's name finds a real target before a simulated one: a config shared with replays (where simulated
  // targets are candidates) must not send live traffic to a simulation unless it is named (id, group, mirror).
  const ordered = [...targets.values()].sort((a, b) => Number(a.simulated !== undefined) - Number(b.simulated !== undefined))
  for (const target of ordered) {
    if (target.model !== undefined) {
      if (!byModel.has(target.model)) byModel.set(target.model, target)
    } else openTargets[target.api === 'anthropic.messages' ? 'anthropic' : 'openai'].push(target)
  }
  const groups = new Map<string, ModelGroup>()
  for (const g of config.model_groups) groups.set(g.name, g)
  const plan: Plan = {
    config,
    file: config.file,
    targets,
    groups,
    byModel,
    openTargets,
    policies: config.policies.filter((p) => p.enabled),
    shadows: [],
    quality: qualityPolicyFrom(config),
    scoreAll: config.model_groups.some((g) => g.strategy === 'highest_quality'),
    answerFilter: null,
    generation,
    warnings,
  }
  plan.shadows = shadowRules(config, plan)
  const held = answerRules(plan.policies).filter((r) => r.action !== 'flag')
  plan.answerFilter = held.length ? new ContentMatcher(held) : null
  plan.warnings.push(...planWarnings(plan))
  return plan
}

/** A mirror rule's shadow: a target id, else the first target of that provider kind. */
function shadowTarget(plan: Plan, name: string): PlanTarget | null {
  return plan.targets.get(name) ?? [...plan.targets.values()].find((t) => t.kind === name) ?? null
}

function shadowRules(config: KtConfig, plan: Plan): ShadowRule[] {
  const rules: ShadowRule[] = []
  for (const spec of mirrorSpecs(config)) {
    const shadow = shadowTarget(plan, spec.shadow)
    const model = spec.model
    if (!shadow) throw new KtError(`${spec.path}: "${spec.shadow}" is not a target id or provider kind of providers.targets`, 2)
    rules.push({source: spec.source, primary: spec.primary, shadow, mapping: spec.mapping, model, sampleRate: spec.sampleRate, logResponse: spec.logResponse, compare: spec.compare})
  }
  return rules
}

/**
 * A model name (not a group) to the target that serves it: a target id, a target whose model it is, else the first
 * model-less target of its API family (or of the other family, translated). Null when nothing can serve it.
 */
export function resolveModelName(plan: Plan, name: string): {target: PlanTarget; model: string} | null {
  const byId = plan.targets.get(name)
  if (byId) {
    if (byId.model !== undefined) return {target: byId, model: byId.model}
    return null
  }
  const exact = plan.byModel.get(name)
  if (exact) return {target: exact, model: name}
  const family = familyOf(name)
  const open = plan.openTargets[family][0]
  if (open) return {target: open, model: name}
  return null
}

/** The lines `kt gateway run` prints on start and `kt config reload` after a reload (weights, mirrors, mappings). */
export function planLines(plan: Plan): string[] {
  const c = plan.config
  const lines: string[] = []
  const parts = [`${plan.targets.size} provider(s)`]
  if (c.model_groups.length) parts.push(`${c.model_groups.length} model group(s)`)
  parts.push(`${plan.policies.length} policy(ies)`)
  lines.push(`Loaded ${parts.join(', ')}`)
  for (const g of c.model_groups) {
    if (g.strategy === 'weighted') lines.push(`Model group "${g.name}": ${g.targets.map((t) => `${t.model} (${percent(t.share)})`).join(' / ')}`)
    else lines.push(`Model group "${g.name}": ${g.strategy} over ${g.models.map((m) => m.model).join(' / ')}`)
  }
  for (const r of plan.shadows) {
    if (r.source === 'traffic_mirror') {
      lines.push(`Traffic mirror: primary=${r.primary ?? '(any)'}, shadow=${r.shadow.id}, sample_rate=${percent(r.sampleRate)}`)
      const mapping = Object.entries(r.mapping)
      if (mapping.length) lines.push(`Model mapping: ${mapping.map(([a, b]) => `${a}→${b}`).join(', ')}`)
    } else if (r.source === 'mirroring') lines.push(`Mirroring: shadow=${r.shadow.id}, sample_rate=${percent(r.sampleRate)}`)
    else lines.push(`Silent model: ${r.primary} → ${r.model ?? '(request model)'} on ${r.shadow.id}`)
  }
  for (const p of plan.policies) {
    if (p.type === 'traffic_split') lines.push(`Traffic split "${p.name}": ${p.variants.map((v) => `${v.model}${v.tag ? ` [${v.tag}]` : ''} (${percent(v.share)})`).join(' / ')}`)
  }
  for (const p of linePolicies(plan.policies, plan.file)) lines.push(linePolicyLine(p))
  return lines
}

/** Where an audit-logger or log policy writes, and what (its path resolved as the side thread opens it). */
function linePolicyLine(p: LinePolicy): string {
  const to = p.destination === 'file' ? `${p.path!} (append-only)` : p.destination
  if (p.type === 'log') {
    const c = p.conditions
    const when = [c?.model ? `model ${c.model.join(' or ')}` : '', c?.max_tokens_gt !== undefined ? `max_tokens > ${c.max_tokens_gt}` : '', c?.max_tokens_lte !== undefined ? `max_tokens <= ${c.max_tokens_lte}` : ''].filter(Boolean)
    return `Log "${p.name}": ${p.level} line to ${to} for ${when.length ? `requests with ${when.join(', ')}` : 'every request'}`
  }
  if (p.destination === 'sqlite') return `Audit logger "${p.name}": the events in the store are the audit trail (nothing else written)${p.log_all_access ? '; reads of /v1/events logged here' : ''}`
  const extra = [p.log_all_access ? 'reads of /v1/events logged' : '', p.retention_days !== undefined ? `retention_days ${p.retention_days} recorded in each line, not enforced` : ''].filter(Boolean)
  return `Audit logger "${p.name}": one JSON line per request to ${to}${extra.length ? `; ${extra.join('; ')}` : ''}`
}

/** Warnings worth a start-up line: settings the gateway reads differently than one might expect. */
function planWarnings(plan: Plan): string[] {
  const out: string[] = []
  const m = plan.config.traffic_mirror
  if (m && m.enabled && !m.async) out.push('traffic_mirror.async: false is ignored: kt never makes a caller wait for a shadow')
  for (const g of plan.config.model_groups) {
    if (g.strategy === 'weighted') {
      for (const t of g.targets) if (!t.target_id && !targetForMember(plan, t.provider_kind, t.model)) out.push(`model group "${g.name}": no target serves ${t.provider}/${t.model}`)
    } else {
      for (const mm of g.models) if (!(mm.target_id ? plan.targets.get(mm.target_id) : targetForMember(plan, mm.provider_kind, mm.model))) out.push(`model group "${g.name}": no target serves ${mm.model}`)
    }
  }
  return out
}

/** The target for a group member named by provider kind (not target id) and model. */
export function targetForMember(plan: Plan, kind: ProviderKind | undefined, model: string): PlanTarget | null {
  if (kind === undefined) return resolveModelName(plan, model)?.target ?? null
  const exact = plan.byModel.get(model)
  if (exact && exact.kind === kind) return exact
  for (const t of plan.targets.values()) if (t.kind === kind && t.model === undefined) return t
  for (const t of plan.targets.values()) if (t.kind === kind) return t
  return null
}
