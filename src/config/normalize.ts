// YAML text -> one validated, normalised KtConfig, collecting every problem (with its YAML path and line)
// instead of stopping at the first one.
import {LineCounter, parseDocument} from 'yaml'
import {didYouMean, formatPath, IssueCollector, ROOT_PATH, type PathSeg} from './issues.js'
import {
  check,
  describeValue,
  GatesRaw,
  GroupRaw,
  MirroringRaw,
  PackRaw,
  PolicySchemas,
  PricingRaw,
  ProviderRoutingRaw,
  TargetRaw,
  TrafficMirrorRaw,
  unknownKeyMessage,
  type GroupRawT,
  type TargetRawT,
} from './schema.js'
import {
  POLICY_TYPES,
  PROVIDER_KINDS,
  QUALITY_DIMENSIONS,
  ROUTING_STRATEGIES,
  type ConfigIssue,
  type DimensionThreshold,
  type GroupStrategy,
  type KtConfig,
  type MirroringConfig,
  type ModelFilterPolicy,
  type ModelGroup,
  type ModelPricing,
  type Policy,
  type PolicyType,
  type ProviderKind,
  type QualityDimension,
  type RoutedMember,
  type SourceRef,
  type TargetConfig,
  type TrafficMirrorConfig,
  type WeightedMember,
} from './types.js'

/** The configuration kt runs with when there is no file: nothing configured, nothing to warn about. */
export function emptyConfig(): KtConfig {
  return {
    file: null,
    version: '1',
    targets: [],
    model_groups: [],
    traffic_mirror: null,
    mirroring: null,
    policies: [],
    pricing: {},
    gates: [],
    gate_sources: [],
    warnings: [],
  }
}

type Obj = Record<string, unknown>
/** A group member resolved to a provider kind (and a target when `provider` is a target id). */
type MemberRef = RoutedMember & {provider: string; provider_kind: ProviderKind}

export interface ParseResult {
  /** Null when there is at least one error. */
  config: KtConfig | null
  /** Errors and warnings, in file order. */
  issues: ConfigIssue[]
}

const TOP_KEYS = [
  'pack',
  'version',
  'providers',
  'model_groups',
  'provider_routing',
  'traffic_mirror',
  'policies',
  'policy',
  'pricing',
  'gates',
] as const
const PROVIDERS_KEYS = ['targets', 'model_groups', 'traffic_mirror', 'mirroring'] as const
const GROUP_STRATEGIES: readonly GroupStrategy[] = ['weighted', ...ROUTING_STRATEGIES]

const PROVIDER_ALIASES: Record<string, ProviderKind> = {
  azure: 'azure-openai',
  azure_openai: 'azure-openai',
  azureopenai: 'azure-openai',
  openai_compatible: 'openai-compatible',
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Provider kind for a name as written (exact, case-insensitive or a known alias), or null. */
export function canonicalProvider(name: string): ProviderKind | null {
  const lower = name.trim().toLowerCase()
  if ((PROVIDER_KINDS as readonly string[]).includes(lower)) return lower as ProviderKind
  return PROVIDER_ALIASES[lower] ?? null
}

/** Policy type for a name as written; `-` and `_` are interchangeable (users mix them). */
export function canonicalPolicyType(name: string): PolicyType | null {
  const key = name.trim().toLowerCase().replace(/[-_]/g, '')
  return POLICY_TYPES.find((t) => t.replace(/[-_]/g, '') === key) ?? null
}

/**
 * YAML `key:` with nothing after it means "not set": drop it so defaults apply and "is required" reads right.
 * Under the top-level `policy:` map an empty entry means "this policy with its defaults".
 */
function stripNulls(value: unknown, path: readonly PathSeg[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => stripNulls(v, [...path, i]))
  if (!isObj(value)) return value
  const out: Obj = {}
  const inPolicyMap = path.length === 1 && path[0] === 'policy'
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      if (inPolicyMap) out[k] = {}
      continue
    }
    out[k] = stripNulls(v, [...path, k])
  }
  return out
}

function refHint(name: string, known: readonly string[], what: string): string {
  const hint = didYouMean(name, known)
  if (hint) return `; did you mean "${hint}"?`
  return known.length ? `; ${what}: ${known.join(', ')}` : `; no ${what} are configured`
}

class Normaliser {
  readonly c: IssueCollector
  private readonly data: Obj
  private providers: Obj = {}
  /** Ids of every target written with a string id, valid or not: references to a broken target are not "unknown". */
  private readonly targetIds = new Map<string, number | null>()
  private readonly targets = new Map<string, TargetConfig>()

  constructor(c: IssueCollector, data: Obj) {
    this.c = c
    this.data = data
  }

  src(path: readonly PathSeg[]): SourceRef {
    return {path: formatPath(path), line: this.c.lineOf(path)}
  }

  run(file: string | null): KtConfig {
    const d = this.data
    for (const key of Object.keys(d)) {
      if ((TOP_KEYS as readonly string[]).includes(key)) continue
      if ((PROVIDERS_KEYS as readonly string[]).includes(key) && key !== 'model_groups' && key !== 'traffic_mirror') {
        this.c.warn([key], `unknown key at the top level (did you mean providers.${key}?)`, {atKey: true})
      } else this.c.warn([key], unknownKeyMessage(key, TOP_KEYS), {atKey: true})
    }
    if (d.providers !== undefined) {
      if (isObj(d.providers)) {
        this.providers = d.providers
        for (const key of Object.keys(d.providers)) {
          if (!(PROVIDERS_KEYS as readonly string[]).includes(key)) {
            this.c.warn(['providers', key], unknownKeyMessage(key, PROVIDERS_KEYS), {atKey: true})
          }
        }
      } else this.c.error(['providers'], `must be a mapping with targets:, got ${describeValue(d.providers)}`)
    }

    const config: KtConfig = {...emptyConfig(), file, version: this.version(), targets: this.targetList()}
    const pack = this.pack()
    if (pack) config.pack = pack
    const routing = this.providerRouting()
    if (routing) config.provider_routing = {strategy: routing}
    config.model_groups = this.groups(routing)
    config.traffic_mirror = this.trafficMirror()
    config.mirroring = this.mirroring()
    config.policies = this.policies()
    config.pricing = this.pricing()
    const gates = this.gates()
    config.gates = gates.map((g) => g.rule)
    config.gate_sources = gates.map((g) => g.source)
    return config
  }

  // --- header -------------------------------------------------------------------------------------------------

  private version(): '1' {
    const v = this.data.version
    if (v === undefined) return '1'
    if (v === 1 || (typeof v === 'string' && /^1(\.0)?$/.test(v.trim()))) return '1'
    this.c.error(['version'], `unsupported config version ${describeValue(v)} (this kt reads version '1')`)
    return '1'
  }

  private pack(): KtConfig['pack'] {
    if (this.data.pack === undefined) return undefined
    const p = check(this.c, PackRaw, this.data.pack, ['pack'])
    if (!p) return undefined
    return {
      name: p.name,
      ...(p.version !== undefined ? {version: String(p.version)} : {}),
      enabled: p.enabled ?? true,
      ...(p.description !== undefined ? {description: p.description} : {}),
    }
  }

  // --- targets ------------------------------------------------------------------------------------------------

  private targetList(): TargetConfig[] {
    const raw = this.providers.targets
    const out: TargetConfig[] = []
    if (raw === undefined) return out
    if (!Array.isArray(raw)) {
      this.c.error(['providers', 'targets'], `must be a list of targets, got ${describeValue(raw)}`)
      return out
    }
    raw.forEach((t, i) => {
      const p: PathSeg[] = ['providers', 'targets', i]
      if (isObj(t) && typeof t.id === 'string' && t.id !== '') {
        const first = this.targetIds.get(t.id)
        if (first !== undefined) {
          this.c.error([...p, 'id'], `duplicate target id "${t.id}"${first !== null ? ` (first defined at line ${first})` : ''}`)
        } else this.targetIds.set(t.id, this.c.lineOf([...p, 'id']))
      }
      const parsed = check(this.c, TargetRaw, t, p)
      if (!parsed) return
      const target = this.target(parsed, p)
      if (target && !this.targets.has(target.id)) {
        this.targets.set(target.id, target)
        out.push(target)
      }
    })
    return out
  }

  private target(t: TargetRawT, p: PathSeg[]): TargetConfig | null {
    const c = this.c
    let kind: ProviderKind | null
    const written = t.provider?.trim() ?? ''
    if (written === '') {
      kind = canonicalProvider(t.id)
      if (!kind) {
        c.error([...p, 'provider'], `is required (one of ${PROVIDER_KINDS.join(', ')})`)
        return null
      }
      c.warn([...p, 'provider'], `missing; using "${kind}" from the target id`)
    } else {
      kind = canonicalProvider(written)
      if (!kind) {
        const hint = didYouMean(written, PROVIDER_KINDS)
        c.error([...p, 'provider'], `unknown provider "${written}"; use one of ${PROVIDER_KINDS.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
        return null
      }
      if (kind !== written) c.warn([...p, 'provider'], `"${written}" is read as "${kind}"; write "${kind}"`)
    }

    let ok = true
    // Without a model a target serves the model each request names (or the model a model group or
    // model_mapping picks); a simulated target answers as its id, an Azure one as its deployment.
    let model = t.model
    if (!model) {
      if (kind === 'simulated') model = t.id
      else if (kind === 'azure-openai' && t.deployment) model = t.deployment
    }
    if (t.base_url !== undefined) {
      let valid = false
      try {
        const u = new URL(t.base_url)
        valid = u.protocol === 'http:' || u.protocol === 'https:'
      } catch {
        valid = false
      }
      if (!valid) {
        c.error([...p, 'base_url'], `must be an http(s) URL, got ${describeValue(t.base_url)}`)
        ok = false
      }
    } else if (kind === 'azure-openai' || kind === 'openai-compatible') {
      c.error([...p, 'base_url'], `is required for ${kind} targets`)
      ok = false
    }
    if (kind === 'azure-openai') {
      if (t.api_version === undefined) {
        c.error([...p, 'api_version'], 'is required for azure-openai targets (e.g. 2024-10-21)')
        ok = false
      }
    } else {
      if (t.api_version !== undefined) c.warn([...p, 'api_version'], 'only used by azure-openai targets; ignored', {atKey: true})
      if (t.deployment !== undefined) c.warn([...p, 'deployment'], 'only used by azure-openai targets; ignored', {atKey: true})
    }
    if (kind !== 'simulated' && t.simulation !== undefined) {
      c.warn([...p, 'simulation'], 'only used by simulated targets; ignored', {atKey: true})
    }

    let simulation: TargetConfig['simulation']
    if (kind === 'simulated') {
      const s = t.simulation ?? {}
      let latency: {p50: number; p95: number} | undefined
      if (typeof s.latency_ms === 'number') latency = {p50: s.latency_ms, p95: s.latency_ms}
      else if (s.latency_ms) {
        latency = {p50: s.latency_ms.p50, p95: s.latency_ms.p95}
        if (latency.p95 < latency.p50) {
          c.error([...p, 'simulation', 'latency_ms', 'p95'], `must be >= p50 (${latency.p50})`)
          ok = false
        }
      }
      simulation = {
        style: s.style ?? 'faithful',
        ...(s.seed !== undefined ? {seed: s.seed} : {}),
        ...(latency ? {latency_ms: latency} : {}),
        error_rate: s.error_rate ?? 0,
        truncate_rate: s.truncate_rate ?? 0,
      }
    }
    if (!ok) return null

    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(t.headers ?? {})) headers[k] = String(v)
    const out: TargetConfig = {id: t.id, provider: kind, ...(model ? {model} : {}), headers, source: this.src(p)}
    if (t.base_url !== undefined) out.base_url = t.base_url
    if (t.secret_key_ref) out.secret_key_ref = {env: t.secret_key_ref.env}
    if (t.timeout_ms !== undefined) out.timeout_ms = t.timeout_ms
    if (t.max_concurrency !== undefined) out.max_concurrency = t.max_concurrency
    if (t.rpm !== undefined) out.rpm = t.rpm
    if (t.tpm !== undefined) out.tpm = t.tpm
    if (kind === 'azure-openai') {
      if (t.api_version !== undefined) out.api_version = t.api_version
      if (t.deployment !== undefined) out.deployment = t.deployment
    }
    if (simulation) out.simulation = simulation
    if (t.silent_model !== undefined) out.silent_model = t.silent_model
    return out
  }

  /** Checks a reference to a target id; reports `no target "x"` at `path`. */
  private targetRef(path: PathSeg[], id: string): boolean {
    if (this.targetIds.has(id)) return true
    this.c.error(path, `no target "${id}"${refHint(id, [...this.targetIds.keys()], 'targets')}`)
    return false
  }

  // --- model groups -------------------------------------------------------------------------------------------

  private providerRouting(): GroupStrategy | undefined {
    if (this.data.provider_routing === undefined) return undefined
    const r = check(this.c, ProviderRoutingRaw, this.data.provider_routing, ['provider_routing'])
    if (!r) return undefined
    const s = this.strategyName(r.strategy, ['provider_routing', 'strategy'])
    return s ?? undefined
  }

  private strategyName(value: string, path: PathSeg[]): GroupStrategy | null {
    const v = value.trim().toLowerCase().replace(/-/g, '_')
    if ((GROUP_STRATEGIES as readonly string[]).includes(v)) return v as GroupStrategy
    const hint = didYouMean(value, GROUP_STRATEGIES)
    this.c.error(path, `must be one of ${GROUP_STRATEGIES.join(', ')}, got "${value}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
    return null
  }

  private groups(defaultStrategy: GroupStrategy | undefined): ModelGroup[] {
    const out: ModelGroup[] = []
    const seen = new Map<string, number | null>()
    const sources: {raw: unknown; base: PathSeg[]}[] = []
    if (this.data.model_groups !== undefined) sources.push({raw: this.data.model_groups, base: ['model_groups']})
    if (this.providers.model_groups !== undefined) {
      sources.push({raw: this.providers.model_groups, base: ['providers', 'model_groups']})
    }
    for (const {raw, base} of sources) {
      if (!Array.isArray(raw)) {
        this.c.error(base, `must be a list of groups, got ${describeValue(raw)}`)
        continue
      }
      raw.forEach((g, i) => {
        const p = [...base, i]
        if (isObj(g) && typeof g.name === 'string') {
          const first = seen.get(g.name)
          if (first !== undefined) {
            this.c.error([...p, 'name'], `duplicate model group "${g.name}"${first !== null ? ` (first defined at line ${first})` : ''}`)
          } else seen.set(g.name, this.c.lineOf([...p, 'name']))
        }
        const parsed = check(this.c, GroupRaw, g, p)
        if (!parsed) return
        const group = this.group(parsed, p, defaultStrategy)
        if (group) out.push(group)
      })
    }
    return out
  }

  private group(g: GroupRawT, p: PathSeg[], defaultStrategy: GroupStrategy | undefined): ModelGroup | null {
    const c = this.c
    let strategy: GroupStrategy | null | undefined
    if (g.strategy !== undefined) strategy = this.strategyName(g.strategy, [...p, 'strategy'])
    if (g.routing !== undefined) {
      const routing = this.strategyName(g.routing, [...p, 'routing'])
      if (strategy && routing && strategy !== routing) {
        c.error([...p, 'routing'], `conflicts with strategy "${strategy}"; set only one`)
        return null
      }
      strategy = strategy ?? routing
    }
    if (strategy === null) return null
    strategy = strategy ?? defaultStrategy ?? (g.targets ? 'weighted' : undefined)
    if (!strategy) {
      c.error(p, `needs strategy: weighted (with targets) or routing: ${ROUTING_STRATEGIES.join('|')} (with models)`)
      return null
    }
    const base = {name: g.name, ...(g.description !== undefined ? {description: g.description} : {}), source: this.src(p)}

    if (strategy === 'weighted') {
      if (g.models !== undefined) c.warn([...p, 'models'], 'ignored by strategy weighted (list targets with weights)', {atKey: true})
      if (!g.targets || g.targets.length === 0) {
        c.error(g.targets ? [...p, 'targets'] : p, 'a weighted group needs targets: [{provider, model, weight}]')
        return null
      }
      const members: WeightedMember[] = []
      let ok = true
      g.targets.forEach((t, j) => {
        const tp = [...p, 'targets', j]
        const ref = this.memberRef(t.provider, t.model, tp)
        if (t.weight === undefined) {
          c.error([...tp, 'weight'], 'is required in a weighted group')
          ok = false
        }
        if (!ref || t.weight === undefined) {
          ok = false
          return
        }
        members.push({...ref, weight: t.weight, share: 0})
      })
      const total = g.targets.reduce((s, t) => s + (t.weight ?? 0), 0)
      if (total === 0 && g.targets.every((t) => t.weight !== undefined)) {
        c.error([...p, 'targets'], 'weights sum to 0; at least one weight must be > 0')
        return null
      }
      if (!ok) return null
      for (const m of members) m.share = m.weight / total
      return {...base, strategy: 'weighted', targets: members}
    }

    // Routing strategies pick among models at request time; weights mean nothing there.
    const models: RoutedMember[] = []
    let ok = true
    if (g.models && g.models.length > 0) {
      g.models.forEach((m, j) => {
        const mp = [...p, 'models', j]
        if (typeof m === 'string') {
          const target = this.targets.get(m)
          if (target && !target.model) {
            c.error(mp, `target "${m}" has no model; write {provider: ${m}, model: NAME}`)
            ok = false
          } else if (target) models.push({provider: m, model: target.model!, target_id: m, provider_kind: target.provider})
          else if (this.targetIds.has(m)) ok = false // the target itself is invalid and already reported
          else models.push({model: m})
          return
        }
        if (m.provider === undefined) {
          models.push({model: m.model})
          return
        }
        const ref = this.memberRef(m.provider, m.model, mp)
        if (ref) models.push(ref)
        else ok = false
      })
    } else if (g.targets && g.targets.length > 0) {
      if (g.targets.some((t) => t.weight !== undefined)) {
        c.warn([...p, 'targets'], `weights are ignored by routing ${strategy}; use models: [...]`, {atKey: true})
      }
      g.targets.forEach((t, j) => {
        const ref = this.memberRef(t.provider, t.model, [...p, 'targets', j])
        if (ref) models.push(ref)
        else ok = false
      })
    } else {
      c.error(g.models ? [...p, 'models'] : p, `routing ${strategy} needs models: [model names or {provider, model}]`)
      return null
    }
    if (!ok) return null
    return {...base, strategy, models}
  }

  /** `provider` in a group is a target id or a provider kind; a target id also supplies the model. */
  private memberRef(provider: string, model: string | undefined, path: PathSeg[]): MemberRef | null {
    const target = this.targets.get(provider)
    if (target) {
      const m = model ?? target.model
      if (m === undefined) {
        this.c.error([...path, 'model'], `is required: target "${provider}" has no model of its own`)
        return null
      }
      return {provider, model: m, target_id: target.id, provider_kind: target.provider}
    }
    if (this.targetIds.has(provider)) return null // invalid target, already reported
    const kind = canonicalProvider(provider)
    if (!kind) {
      const known = [...this.targetIds.keys(), ...PROVIDER_KINDS]
      const hint = didYouMean(provider, known)
      this.c.error(
        [...path, 'provider'],
        `no target or provider "${provider}"` +
          (hint ? `; did you mean "${hint}"?` : `; targets: ${[...this.targetIds.keys()].join(', ') || 'none'}; providers: ${PROVIDER_KINDS.join(', ')}`),
      )
      return null
    }
    if (!model) {
      this.c.error([...path, 'model'], 'is required')
      return null
    }
    return {provider, model, provider_kind: kind}
  }

  // --- mirroring ----------------------------------------------------------------------------------------------

  private trafficMirror(): TrafficMirrorConfig | null {
    const top = this.data.traffic_mirror
    const nested = this.providers.traffic_mirror
    if (top !== undefined && nested !== undefined) {
      const line = this.c.lineOf(['traffic_mirror'], true)
      this.c.error(['providers', 'traffic_mirror'], `also defined at the top level${line !== null ? ` (line ${line})` : ''}; keep one`, {atKey: true})
    }
    const raw = top ?? nested
    if (raw === undefined) return null
    const p: PathSeg[] = top !== undefined ? ['traffic_mirror'] : ['providers', 'traffic_mirror']
    const m = check(this.c, TrafficMirrorRaw, raw, p)
    if (!m) return null
    const enabled = m.enabled ?? true
    let ok = true
    if (m.primary !== undefined && !this.targetRef([...p, 'primary'], m.primary)) ok = false
    if (m.shadow !== undefined && !this.targetRef([...p, 'shadow'], m.shadow)) ok = false
    if (enabled && m.shadow === undefined) {
      this.c.error([...p, 'shadow'], 'is required when the mirror is enabled (a target id)')
      ok = false
    }
    if (!ok) return null
    return {
      enabled,
      ...(m.primary !== undefined ? {primary: m.primary} : {}),
      ...(m.shadow !== undefined ? {shadow: m.shadow} : {}),
      model_mapping: {...(m.model_mapping ?? {})},
      sample_rate: m.sample_rate ?? 1,
      async: m.async ?? true,
      log_shadow_response: m.log_shadow_response ?? false,
      compare_metrics: m.compare_metrics ?? [],
      source: this.src(p),
    }
  }

  private mirroring(): MirroringConfig | null {
    const raw = this.providers.mirroring
    if (raw === undefined) return null
    const p: PathSeg[] = ['providers', 'mirroring']
    const m = check(this.c, MirroringRaw, raw, p)
    if (!m) return null
    const enabled = m.enabled ?? true
    let ok = true
    const shadows = m.shadow_targets ?? []
    shadows.forEach((id, i) => {
      if (!this.targetRef([...p, 'shadow_targets', i], id)) ok = false
    })
    if (enabled && shadows.length === 0) {
      this.c.error([...p, 'shadow_targets'], 'must list at least one target id when mirroring is enabled')
      ok = false
    }
    if (!ok) return null
    return {
      enabled,
      shadow_targets: shadows,
      sample_rate: m.sample_rate ?? 1,
      log_shadow_responses: m.log_shadow_responses ?? false,
      source: this.src(p),
    }
  }

  // --- policies -----------------------------------------------------------------------------------------------

  private policies(): Policy[] {
    const pol = this.data.policies
    const map = this.data.policy
    const out: Policy[] = []
    if (map !== undefined && !isObj(map)) {
      this.c.error(['policy'], `must be a mapping of policy name -> settings, got ${describeValue(map)}`)
    }
    const policyMap: Obj | undefined = isObj(map) ? map : undefined

    if (Array.isArray(pol)) {
      // A list may also name policies (strings), like a chain: their settings are under `policy:`.
      const named = new Set(pol.filter((e): e is string => typeof e === 'string'))
      if (policyMap) {
        if (named.size === 0) this.c.warn(['policy'], 'ignored: policies is a list of {name, type, ...} (policy: goes with policies: {chain: [...]})', {atKey: true})
        for (const key of Object.keys(policyMap)) {
          if (named.size > 0 && !named.has(key)) this.c.warn(['policy', key], 'not listed in policies; not applied', {atKey: true})
        }
      }
      pol.forEach((entry, i) => {
        const p: PathSeg[] = ['policies', i]
        if (typeof entry === 'string' && entry !== '') {
          const policy = this.chainEntry(entry, policyMap, p)
          if (policy) out.push(policy)
          return
        }
        if (!isObj(entry)) {
          this.c.error(p, `must be a mapping {name, type, ...}, got ${describeValue(entry)}`)
          return
        }
        let ok = true
        if (entry.name === undefined) {
          this.c.error([...p, 'name'], 'is required')
          ok = false
        }
        if (entry.type === undefined) {
          this.c.error([...p, 'type'], `is required (one of ${POLICY_TYPES.join(', ')})`)
          return
        }
        const policy = this.policy(entry, p, typeof entry.name === 'string' ? entry.name : '', entry.type, [...p, 'type'])
        if (policy && ok) out.push(policy)
      })
    } else if (isObj(pol)) {
      for (const key of Object.keys(pol)) {
        if (key !== 'chain') this.c.warn(['policies', key], unknownKeyMessage(key, ['chain']), {atKey: true})
      }
      const chain = pol.chain
      if (chain === undefined) {
        this.c.error(['policies', 'chain'], 'is required (or write policies as a list of {name, type, ...})')
      } else if (!Array.isArray(chain)) {
        this.c.error(['policies', 'chain'], `must be a list of policy names, got ${describeValue(chain)}`)
      } else {
        const inChain = new Set<string>()
        chain.forEach((name, j) => {
          const cp: PathSeg[] = ['policies', 'chain', j]
          if (typeof name !== 'string' || name === '') {
            this.c.error(cp, `must be a policy name, got ${describeValue(name)}`)
            return
          }
          if (inChain.has(name)) {
            this.c.error(cp, `"${name}" is listed twice`)
            return
          }
          inChain.add(name)
          const policy = this.chainEntry(name, policyMap, cp)
          if (policy) out.push(policy)
        })
        for (const key of Object.keys(policyMap ?? {})) {
          if (inChain.has(key)) continue
          this.c.warn(['policy', key], 'not listed in policies.chain; not applied', {atKey: true})
          this.chainEntry(key, policyMap, ['policy', key]) // still validated: a typo here is worth knowing
        }
      }
    } else if (pol === undefined) {
      // Only a `policy:` map: apply its entries in file order.
      for (const key of Object.keys(policyMap ?? {})) {
        const policy = this.chainEntry(key, policyMap, ['policy', key])
        if (policy) out.push(policy)
      }
    } else {
      this.c.error(['policies'], `must be a list of policies or {chain: [names]}, got ${describeValue(pol)}`)
    }

    // Names must be unique, and only one quality scorer may decide what "pass" means.
    const names = new Map<string, Policy>()
    let scorer: Policy | undefined
    for (const policy of out) {
      const {path, line} = policy.source
      const first = names.get(policy.name)
      if (first) this.c.addAt('error', path, line, `duplicate policy name "${policy.name}" (first at line ${first.source.line ?? '?'})`)
      else names.set(policy.name, policy)
      if (policy.type === 'quality-scorer' && policy.enabled) {
        if (scorer) {
          const firstAt = `first: "${scorer.name}", line ${scorer.source.line ?? '?'}`
          this.c.addAt('error', path, line, `a second enabled quality-scorer ("${policy.name}"); only one may be enabled (${firstAt})`)
        } else scorer = policy
      }
    }
    return out
  }

  private chainEntry(name: string, policyMap: Obj | undefined, refPath: PathSeg[]): Policy | null {
    const entry = policyMap?.[name]
    if (entry !== undefined) {
      const p: PathSeg[] = ['policy', name]
      if (!isObj(entry)) {
        this.c.error(p, `must be a mapping of settings, got ${describeValue(entry)}`)
        return null
      }
      if (typeof entry.name === 'string' && entry.name !== name) {
        this.c.warn([...p, 'name'], `ignored: the key "${name}" names this policy`)
      }
      if (entry.type !== undefined) return this.policy(entry, p, name, entry.type, [...p, 'type'])
      if (!canonicalPolicyType(name)) {
        this.c.error([...p, 'type'], `is required: "${name}" is not a policy type (one of ${POLICY_TYPES.join(', ')})`)
        return null
      }
      return this.policy(entry, p, name, name, p)
    }
    // A chain may name a policy type that needs no settings, e.g. `chain: [audit-logger]`.
    if (canonicalPolicyType(name)) return this.policy({}, refPath, name, name, refPath)
    const hint = didYouMean(name, [...Object.keys(policyMap ?? {}), ...POLICY_TYPES])
    this.c.error(refPath, `no policy "${name}": not a key under policy: and not a policy type${hint ? ` (did you mean "${hint}"?)` : ''}`)
    return null
  }

  private policy(entry: Obj, p: PathSeg[], name: string, typeRaw: unknown, typePath: PathSeg[]): Policy | null {
    const c = this.c
    if (typeof typeRaw !== 'string') {
      c.error(typePath, `must be a policy type (one of ${POLICY_TYPES.join(', ')}), got ${describeValue(typeRaw)}`)
      return null
    }
    const type = canonicalPolicyType(typeRaw)
    if (!type) {
      const hint = didYouMean(typeRaw, POLICY_TYPES)
      c.error(typePath, `unknown policy type "${typeRaw}"; use one of ${POLICY_TYPES.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
      return null
    }
    const common = (q: {enabled?: boolean | undefined; description?: string | undefined}) => ({
      name,
      enabled: q.enabled ?? true,
      ...(q.description !== undefined ? {description: q.description} : {}),
      source: this.src(p),
    })
    switch (type) {
      case 'quality-scorer': {
        const q = check(c, PolicySchemas['quality-scorer'], entry, p)
        if (!q) return null
        const dimensions = {} as Record<QualityDimension, DimensionThreshold>
        for (const d of QUALITY_DIMENSIONS) {
          const raw = q.dimensions ? q.dimensions[d] : {}
          dimensions[d] = raw ? {weight: raw.weight ?? 1, min_score: raw.min_score ?? 0} : {weight: 0, min_score: 0}
        }
        if (QUALITY_DIMENSIONS.every((d) => dimensions[d].weight === 0)) {
          c.error([...p, 'dimensions'], 'weights sum to 0; at least one dimension needs a weight > 0')
          return null
        }
        return {...common(q), type, dimensions, overall_min_score: q.overall_min_score ?? 0, on_fail: q.on_fail ?? 'flag'}
      }
      case 'audit-logger': {
        const q = check(c, PolicySchemas['audit-logger'], entry, p)
        if (!q) return null
        const destination = q.destination ?? (q.path !== undefined ? 'file' : 'stdout')
        if (destination === 'file' && q.path === undefined) {
          c.error([...p, 'path'], 'is required when destination is file')
          return null
        }
        return {
          ...common(q),
          type,
          destination,
          ...(q.path !== undefined ? {path: q.path} : {}),
          include_request: q.include_request ?? false,
          include_response: q.include_response ?? false,
          redact_fields: q.redact_fields ?? [],
          ...(q.retention_days !== undefined ? {retention_days: q.retention_days} : {}),
        }
      }
      case 'content_filter': {
        const q = check(c, PolicySchemas.content_filter, entry, p)
        if (!q) return null
        let ok = true
        ;(q.blocked_patterns ?? []).forEach((pattern, k) => {
          try {
            new RegExp(pattern)
          } catch (error) {
            ok = false
            c.error([...p, 'blocked_patterns', k], `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`)
          }
        })
        if (!ok) return null
        if (!q.blocked_terms?.length && !q.blocked_patterns?.length && !q.redact_pii) {
          c.warn(p, 'filters nothing: set blocked_terms, blocked_patterns or redact_pii')
        }
        return {
          ...common(q),
          type,
          blocked_terms: q.blocked_terms ?? [],
          blocked_patterns: q.blocked_patterns ?? [],
          redact_pii: q.redact_pii ?? false,
          action: q.action ?? 'block',
          apply_to: q.apply_to ?? 'both',
        }
      }
      case 'model_filter': {
        const q = check(c, PolicySchemas.model_filter, entry, p)
        if (!q) return null
        const allowed = q.allowed_models ?? []
        const blocked = q.blocked_models ?? []
        if (q.preferred_model !== undefined && blocked.includes(q.preferred_model)) {
          c.error([...p, 'preferred_model'], `"${q.preferred_model}" is also in blocked_models`)
          return null
        }
        if (q.preferred_model !== undefined && allowed.length > 0 && !allowed.includes(q.preferred_model)) {
          c.warn([...p, 'preferred_model'], `"${q.preferred_model}" is not in allowed_models`)
        }
        for (const m of blocked.filter((b) => allowed.includes(b))) {
          c.warn([...p, 'blocked_models'], `"${m}" is both allowed and blocked`, {atKey: true})
        }
        const cond = q.conditions
        if (cond?.max_tokens_gt !== undefined && cond.max_tokens_lte !== undefined && cond.max_tokens_gt >= cond.max_tokens_lte) {
          c.error([...p, 'conditions'], `max_tokens_gt (${cond.max_tokens_gt}) >= max_tokens_lte (${cond.max_tokens_lte}): the condition can never match`)
          return null
        }
        if (!allowed.length && !blocked.length && q.preferred_model === undefined) {
          c.warn(p, 'does nothing: set allowed_models, blocked_models or preferred_model')
        }
        const conditions: NonNullable<ModelFilterPolicy['conditions']> = {}
        if (cond?.max_tokens_gt !== undefined) conditions.max_tokens_gt = cond.max_tokens_gt
        if (cond?.max_tokens_lte !== undefined) conditions.max_tokens_lte = cond.max_tokens_lte
        if (cond?.model !== undefined) conditions.model = typeof cond.model === 'string' ? [cond.model] : cond.model
        return {
          ...common(q),
          type,
          allowed_models: allowed,
          blocked_models: blocked,
          ...(q.preferred_model !== undefined ? {preferred_model: q.preferred_model} : {}),
          ...(cond ? {conditions} : {}),
        }
      }
      case 'traffic_split': {
        const q = check(c, PolicySchemas.traffic_split, entry, p)
        if (!q) return null
        const total = q.variants.reduce((s, v) => s + v.weight, 0)
        if (total === 0) {
          c.error([...p, 'variants'], 'weights sum to 0; at least one weight must be > 0')
          return null
        }
        return {
          ...common(q),
          type,
          variants: q.variants.map((v) => ({
            model: v.model,
            weight: v.weight,
            share: v.weight / total,
            ...(v.tag !== undefined ? {tag: v.tag} : {}),
            ...(v.provider !== undefined ? {provider: v.provider} : {}),
          })),
        }
      }
      case 'log': {
        const q = check(c, PolicySchemas.log, entry, p)
        if (!q) return null
        const destination = q.destination ?? (q.path !== undefined ? 'file' : 'stderr')
        if (destination === 'file' && q.path === undefined) {
          c.error([...p, 'path'], 'is required when destination is file')
          return null
        }
        return {
          ...common(q),
          type,
          level: q.level ?? 'info',
          destination,
          ...(q.path !== undefined ? {path: q.path} : {}),
          include_request: q.include_request ?? false,
          include_response: q.include_response ?? false,
        }
      }
      case 'cost_limit': {
        const q = check(c, PolicySchemas.cost_limit, entry, p)
        if (!q) return null
        const action = q.action ?? 'block'
        if (action === 'downgrade' && q.fallback_model === undefined) {
          c.error([...p, 'fallback_model'], 'is required when action is downgrade')
          return null
        }
        const limits = {
          ...(q.max_usd_per_request !== undefined ? {max_usd_per_request: q.max_usd_per_request} : {}),
          ...(q.max_usd_per_day !== undefined ? {max_usd_per_day: q.max_usd_per_day} : {}),
          ...(q.max_usd_per_month !== undefined ? {max_usd_per_month: q.max_usd_per_month} : {}),
          ...(q.max_tokens_per_request !== undefined ? {max_tokens_per_request: q.max_tokens_per_request} : {}),
        }
        if (Object.keys(limits).length === 0) {
          c.warn(p, 'sets no limit: add max_usd_per_request, max_usd_per_day, max_usd_per_month or max_tokens_per_request')
        }
        return {
          ...common(q),
          type,
          ...limits,
          action,
          ...(q.fallback_model !== undefined ? {fallback_model: q.fallback_model} : {}),
        }
      }
    }
  }

  // --- pricing, gates -----------------------------------------------------------------------------------------

  private pricing(): Record<string, ModelPricing> {
    if (this.data.pricing === undefined) return {}
    const p = check(this.c, PricingRaw, this.data.pricing, ['pricing'])
    if (!p) return {}
    const out: Record<string, ModelPricing> = {}
    for (const [model, price] of Object.entries(p)) {
      out[model] = {
        input_per_mtok: price.input_per_mtok,
        output_per_mtok: price.output_per_mtok,
        ...(price.cached_input_per_mtok !== undefined ? {cached_input_per_mtok: price.cached_input_per_mtok} : {}),
      }
    }
    return out
  }

  private gates(): {rule: string; source: SourceRef}[] {
    if (this.data.gates === undefined) return []
    const g = check(this.c, GatesRaw, this.data.gates, ['gates'])
    if (!g) return []
    return g.map((rule, i) => ({rule: rule.trim(), source: this.src(['gates', i])}))
  }
}

/**
 * Parses and validates config text. Never throws for bad input: every problem is in `issues`
 * (`config` is null if any is an error). `file` is only recorded in the result.
 */
export function parseConfigText(text: string, file: string | null = null): ParseResult {
  if (text.trim() === '') {
    const c = new IssueCollector(null, null)
    c.addAt('error', ROOT_PATH, 1, 'the file is empty')
    return {config: null, issues: c.issues}
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const c = new IssueCollector(doc, lineCounter)
  const lineAt = (pos: number): number => lineCounter.linePos(pos).line
  for (const e of doc.errors) c.addAt('error', ROOT_PATH, lineAt(e.pos[0]), `YAML syntax error: ${yamlErrorText(e.code, e.message, text, e.pos[0])}`)
  for (const w of doc.warnings) c.addAt('warning', ROOT_PATH, lineAt(w.pos[0]), `YAML: ${w.message}`)
  if (doc.errors.length > 0) return {config: null, issues: sortIssues(c.issues)}
  if (doc.contents === null) {
    c.addAt('error', ROOT_PATH, 1, 'the file is empty (only comments)')
    return {config: null, issues: c.issues}
  }
  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: 1000})
  } catch (error) {
    c.addAt('error', ROOT_PATH, 1, `YAML error: ${error instanceof Error ? error.message : String(error)}`)
    return {config: null, issues: c.issues}
  }
  if (!isObj(data)) {
    c.error([], `must be a mapping of sections (providers:, policies:, ...), got ${describeValue(data)}`)
    return {config: null, issues: c.issues}
  }
  const config = new Normaliser(c, stripNulls(data) as Obj).run(file)
  const issues = sortIssues(c.issues)
  if (c.errorCount > 0) return {config: null, issues}
  config.warnings = issues.filter((i) => i.severity === 'warning')
  return {config, issues}
}

/** The yaml library's wording, made about the user's file rather than the library's API. */
function yamlErrorText(code: string, message: string, text: string, pos: number): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (---); kt reads exactly one'
  if (code === 'DUPLICATE_KEY') {
    const key = /^\s*([^:\n,{}]+?)\s*:/.exec(text.slice(pos))?.[1]
    return key ? `duplicate key "${key.replace(/^["']|["']$/g, '')}" (keys must be unique within a mapping)` : message
  }
  return message
}

/** File order; issues without a line go last. Stable, so problems on one line keep their discovery order. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({issue, index}))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map((x) => x.issue)
}
