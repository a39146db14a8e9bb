// What `kt policy lint` says about a valid config: first the product docs' lines (`Providers: 2 (openai,
// anthropic)`, `Model groups: 1 (quality-ab-test)`, `Policies: 1 (basic-filter)`), then one line per detail.
import {plural} from './issues.js'
import type {GroupStrategy, KtConfig, Policy, TargetConfig} from './types.js'
import {percent} from './weights.js'

export interface ConfigSummary {
  pack: {name: string; version: string | null; enabled: boolean} | null
  providers: {id: string; provider: string; model: string | null}[]
  model_groups: {
    name: string
    strategy: GroupStrategy
    members: {provider: string | null; model: string; weight: number | null; percent: number | null}[]
  }[]
  traffic_mirror: {enabled: boolean; primary: string | null; shadow: string | null; sample_rate: number} | null
  mirroring: {enabled: boolean; shadow_targets: string[]; sample_rate: number} | null
  silent_mirrors: {primary: string; shadow: string; model: string | null}[]
  canary: {enabled: boolean; target: string; traffic_percentage: number} | null
  policies: {name: string; type: string; enabled: boolean}[]
  pricing_models: string[]
  gates: string[]
  /** `telemetry.otlp`: header names and the variables they are read from, never their values. */
  otlp: {enabled: boolean; endpoint: string; protocol: string; sample_rate: number; headers: {name: string; env: string}[]} | null
  /** One line per target, group and policy, and each optional section, as `formatLintText` prints them. */
  details: string[]
}

export function summarizeConfig(config: KtConfig): ConfigSummary {
  const m = config.traffic_mirror
  return {
    pack: config.pack ? {name: config.pack.name, version: config.pack.version ?? null, enabled: config.pack.enabled} : null,
    providers: config.targets.map((t) => ({id: t.id, provider: t.provider, model: t.model ?? null})),
    model_groups: config.model_groups.map((g) => ({
      name: g.name,
      strategy: g.strategy,
      members:
        g.strategy === 'weighted'
          ? g.targets.map((t) => ({provider: t.provider, model: t.model, weight: t.weight, percent: Math.round(t.share * 1000) / 10}))
          : g.models.map((x) => ({provider: x.provider ?? null, model: x.model, weight: null, percent: null})),
    })),
    traffic_mirror: m ? {enabled: m.enabled, primary: m.primary ?? null, shadow: m.shadow ?? null, sample_rate: m.sample_rate} : null,
    mirroring: config.mirroring
      ? {enabled: config.mirroring.enabled, shadow_targets: config.mirroring.shadow_targets, sample_rate: config.mirroring.sample_rate}
      : null,
    silent_mirrors: config.silent_mirrors.map((s) => ({primary: s.primary, shadow: s.shadow, model: s.model ?? null})),
    canary: config.canary ? {enabled: config.canary.enabled, target: config.canary.target, traffic_percentage: config.canary.traffic_percentage} : null,
    policies: config.policies.map((p) => ({name: p.name, type: p.type, enabled: p.enabled})),
    pricing_models: Object.keys(config.pricing),
    gates: config.gates,
    otlp: otlpSummary(config),
    details: detailLines(config),
  }
}

function otlpSummary(config: KtConfig): ConfigSummary['otlp'] {
  const o = config.telemetry.otlp
  return o ? {enabled: o.enabled, endpoint: o.endpoint, protocol: o.protocol, sample_rate: o.sample_rate, headers: o.headers.map((h) => ({name: h.name, env: h.env}))} : null
}

/** The headline: one line per section the docs show, names only (details follow on their own lines). */
export function summaryLines(s: ConfigSummary): string[] {
  const names = (list: string[]): string => (list.length ? ` (${list.join(', ')})` : '')
  return [
    `Providers: ${s.providers.length}${names(s.providers.map((t) => t.id))}`,
    `Model groups: ${s.model_groups.length}${names(s.model_groups.map((g) => g.name))}`,
    `Policies: ${s.policies.length}${names(s.policies.map((p) => (p.enabled ? p.name : `${p.name} (disabled)`)))}`,
    ...s.details,
  ]
}

function targetLine(t: TargetConfig): string {
  const parts: string[] = [t.provider]
  if (t.provider === 'simulated') parts.push(`${t.model ?? t.id} (${t.simulation?.style ?? 'faithful'})`)
  else parts.push(t.model ?? 'the model each request names')
  if (t.base_url) parts.push(t.base_url)
  if (t.provider === 'azure-openai') {
    if (!t.base_url) parts.push('endpoint from $AZURE_OPENAI_ENDPOINT')
    if (!t.api_version) parts.push('API version from $OPENAI_API_VERSION')
  }
  return `Provider ${t.id}: ${parts.join(', ')}`
}

function policyLine(p: Policy): string {
  const extra: string[] = []
  if (p.type === 'content_filter' && p.categories.length) extra.push(`categories ${p.categories.join(', ')} at ${p.threshold ?? 'medium'}`)
  if (p.type === 'content_filter' || p.type === 'cost_limit') extra.push(p.action)
  if (p.type === 'quality-scorer') extra.push(`overall >= ${p.overall_min_score}, on fail ${p.on_fail}`)
  if (p.type === 'log') extra.push(p.conditions?.model ? `${p.level} on ${p.conditions.model.join(', ')}` : p.level, p.destination === 'file' ? `file ${p.path!}` : p.destination)
  if (p.type === 'audit-logger') {
    extra.push(p.destination === 'file' ? `file ${p.path!}` : p.destination === 'sqlite' ? 'sqlite (the events are the trail)' : 'stdout')
    if (p.log_all_access) extra.push('reads of the trail logged')
  }
  if (p.type === 'traffic_split') extra.push(p.variants.map((v) => `${v.model} ${percent(v.share)}`).join(', '))
  return `Policy ${p.name}: ${p.type}${extra.length ? `, ${extra.join(', ')}` : ''}${p.enabled ? '' : ' (disabled)'}`
}

function detailLines(config: KtConfig): string[] {
  const lines: string[] = []
  const pk = config.pack
  if (pk) lines.push(`Pack: ${pk.name}${pk.version ? ` v${pk.version}` : ''}${pk.enabled ? '' : ' (disabled)'}`)
  for (const t of config.targets) lines.push(targetLine(t))
  for (const g of config.model_groups) {
    const members =
      g.strategy === 'weighted'
        ? g.targets.map((t) => `${t.provider}/${t.model} ${percent(t.share)}`).join(', ')
        : g.models.map((x) => (x.provider ? `${x.provider}/${x.model}` : x.model)).join(', ')
    lines.push(`Model group ${g.name}: ${g.strategy === 'weighted' ? `weighted, ${members}` : `${g.strategy} over ${members}`}`)
  }
  const m = config.traffic_mirror
  if (m) lines.push(m.enabled ? `Traffic mirror: enabled, primary ${m.primary ?? '(any)'} → shadow ${m.shadow ?? '?'}, ${percent(m.sample_rate)} sampled` : 'Traffic mirror: disabled')
  const mr = config.mirroring
  if (mr) lines.push(mr.enabled ? `Mirroring: enabled, shadow targets ${mr.shadow_targets.join(', ')}, ${percent(mr.sample_rate)} sampled` : 'Mirroring: disabled')
  for (const s of config.silent_mirrors) {
    const to = s.shadow === s.primary ? `model ${s.model}` : `target ${s.shadow}${s.model ? ` (${s.model})` : ''}`
    lines.push(`Silent model: every request to ${s.primary} is also sent to ${to} in the background; callers never wait for it and only the log sees its answer`)
  }
  const cn = config.canary
  if (cn) lines.push(cn.enabled ? `Canary: ${percent(cn.traffic_percentage / 100)} of live traffic to ${cn.target}` : 'Canary: disabled')
  for (const p of config.policies) lines.push(policyLine(p))
  const prices = Object.keys(config.pricing)
  if (prices.length) lines.push(`Pricing: ${plural(prices.length, 'model')} (${prices.join(', ')})`)
  if (config.gates.length) lines.push(`Gates: ${config.gates.length} (${config.gates.join('; ')})`)
  const o = config.telemetry.otlp
  if (o) {
    const headers = o.headers.length ? `, headers ${o.headers.map((h) => `${h.name} (from $${h.env})`).join(', ')}` : ''
    lines.push(o.enabled ? `Telemetry: OTLP/HTTP traces (${o.protocol === 'http/protobuf' ? 'protobuf' : 'JSON'}) to ${o.endpoint}, ${percent(o.sample_rate)} sampled${headers}` : 'Telemetry: OTLP disabled')
  }
  return lines
}
