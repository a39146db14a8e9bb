// Model groups (at the top level or under `providers:`) and the default `provider_routing.strategy`:
// several models behind one name, split by weight or picked per request by a routing strategy.
import {z} from 'zod'
import {didYouMean, type PathSeg} from '../issues.js'
import {canonicalProvider, GROUP_STRATEGIES} from '../names.js'
import {check, describeValue, nonNeg, str} from '../schema.js'
import {PROVIDER_KINDS, ROUTING_STRATEGIES, type GroupStrategy, type ModelGroup, type ProviderKind, type RoutedMember, type RoutingStrategy, type WeightedMember} from '../types.js'
import {checkWeightTotal} from '../weights.js'
import {isObj, src, type Ctx} from './context.js'

const GroupRaw = z.strictObject({
  name: str(),
  description: z.string().optional(),
  strategy: z.string().optional(),
  routing: z.string().optional(),
  targets: z.array(z.strictObject({provider: str(), model: str().optional(), weight: nonNeg().optional()})).optional(),
  models: z
    .array(z.union([str(), z.strictObject({provider: str().optional(), model: str()})], {
      error: 'must be a model name or a mapping {provider, model}',
    }))
    .optional(),
})
type GroupRawT = z.infer<typeof GroupRaw>

const ProviderRoutingRaw = z.strictObject({strategy: z.string()})

/** A group member resolved to a provider kind (and a target when `provider` is a target id). */
type MemberRef = RoutedMember & {provider: string; provider_kind: ProviderKind}

export function providerRouting(ctx: Ctx): GroupStrategy | undefined {
  if (ctx.data.provider_routing === undefined) return undefined
  const r = check(ctx.c, ProviderRoutingRaw, ctx.data.provider_routing, ['provider_routing'])
  if (!r) return undefined
  return strategyName(ctx, r.strategy, ['provider_routing', 'strategy']) ?? undefined
}

function strategyName(ctx: Ctx, value: string, path: PathSeg[]): GroupStrategy | null {
  const v = value.trim().toLowerCase().replace(/-/g, '_')
  if ((GROUP_STRATEGIES as readonly string[]).includes(v)) return v as GroupStrategy
  const hint = didYouMean(value, GROUP_STRATEGIES)
  ctx.c.error(path, `must be one of ${GROUP_STRATEGIES.join(', ')}, got "${value}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
  return null
}

/** Groups from `model_groups:` then `providers.model_groups:`; names are unique across both. */
export function groups(ctx: Ctx, defaultStrategy: GroupStrategy | undefined): ModelGroup[] {
  const out: ModelGroup[] = []
  const seen = new Map<string, number | null>()
  const sources: {raw: unknown; base: PathSeg[]}[] = []
  if (ctx.data.model_groups !== undefined) sources.push({raw: ctx.data.model_groups, base: ['model_groups']})
  if (ctx.providers.model_groups !== undefined) sources.push({raw: ctx.providers.model_groups, base: ['providers', 'model_groups']})
  for (const {raw, base} of sources) {
    if (!Array.isArray(raw)) {
      ctx.c.error(base, `must be a list of groups, got ${describeValue(raw)}`)
      continue
    }
    raw.forEach((g, i) => {
      const p = [...base, i]
      if (isObj(g) && typeof g.name === 'string') {
        const first = seen.get(g.name)
        if (first !== undefined) {
          ctx.c.error([...p, 'name'], `duplicate model group "${g.name}"${first !== null ? ` (first defined at line ${first})` : ''}`)
        } else seen.set(g.name, ctx.c.lineOf([...p, 'name']))
      }
      const parsed = check(ctx.c, GroupRaw, g, p)
      if (!parsed) return
      const group = groupOf(ctx, parsed, p, defaultStrategy)
      if (group) out.push(group)
    })
  }
  return out
}

/** `strategy:` or `routing:` (they must agree), else the default, else weighted when there are targets. */
function groupStrategy(ctx: Ctx, g: GroupRawT, p: PathSeg[], defaultStrategy: GroupStrategy | undefined): GroupStrategy | null {
  let strategy: GroupStrategy | null | undefined
  if (g.strategy !== undefined) strategy = strategyName(ctx, g.strategy, [...p, 'strategy'])
  if (g.routing !== undefined) {
    const routing = strategyName(ctx, g.routing, [...p, 'routing'])
    if (strategy && routing && strategy !== routing) {
      ctx.c.error([...p, 'routing'], `conflicts with strategy "${strategy}"; set only one`)
      return null
    }
    strategy = strategy ?? routing
  }
  if (strategy === null) return null
  strategy = strategy ?? defaultStrategy ?? (g.targets ? 'weighted' : undefined)
  if (!strategy) {
    ctx.c.error(p, `needs strategy: weighted (with targets) or routing: ${ROUTING_STRATEGIES.join('|')} (with models)`)
    return null
  }
  return strategy
}

function groupOf(ctx: Ctx, g: GroupRawT, p: PathSeg[], defaultStrategy: GroupStrategy | undefined): ModelGroup | null {
  const strategy = groupStrategy(ctx, g, p, defaultStrategy)
  if (!strategy) return null
  const base = {name: g.name, ...(g.description !== undefined ? {description: g.description} : {}), source: src(ctx, p)}
  if (strategy === 'weighted') {
    const targets = weightedMembers(ctx, g, p)
    return targets ? {...base, strategy, targets} : null
  }
  const models = routedMembers(ctx, g, p, strategy)
  return models ? {...base, strategy, models} : null
}

function weightedMembers(ctx: Ctx, g: GroupRawT, p: PathSeg[]): WeightedMember[] | null {
  const c = ctx.c
  if (g.models !== undefined) c.warn([...p, 'models'], 'ignored by strategy weighted (list targets with weights)', {atKey: true})
  if (!g.targets || g.targets.length === 0) {
    c.error(g.targets ? [...p, 'targets'] : p, 'a weighted group needs targets: [{provider, model, weight}]')
    return null
  }
  const members: WeightedMember[] = []
  let ok = true
  g.targets.forEach((t, j) => {
    const tp = [...p, 'targets', j]
    const ref = memberRef(ctx, t.provider, t.model, tp)
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
  checkWeightTotal(ctx.c, [...p, 'targets'], members.map((m) => ({label: `${m.provider}/${m.model}`, weight: m.weight})))
  return members
}

// Routing strategies pick among models at request time; weights mean nothing there.
function routedMembers(ctx: Ctx, g: GroupRawT, p: PathSeg[], strategy: RoutingStrategy): RoutedMember[] | null {
  const c = ctx.c
  const models: RoutedMember[] = []
  let ok = true
  if (g.models && g.models.length > 0) {
    g.models.forEach((m, j) => {
      const mp = [...p, 'models', j]
      if (typeof m === 'string') {
        const target = ctx.targets.get(m)
        if (target && !target.model) {
          c.error(mp, `target "${m}" has no model; write {provider: ${m}, model: NAME}`)
          ok = false
        } else if (target) models.push({provider: m, model: target.model!, target_id: m, provider_kind: target.provider})
        else if (ctx.targetIds.has(m)) ok = false // the target itself is invalid and already reported
        else models.push({model: m})
        return
      }
      if (m.provider === undefined) {
        models.push({model: m.model})
        return
      }
      const ref = memberRef(ctx, m.provider, m.model, mp)
      if (ref) models.push(ref)
      else ok = false
    })
  } else if (g.targets && g.targets.length > 0) {
    if (g.targets.some((t) => t.weight !== undefined)) {
      c.warn([...p, 'targets'], `weights are ignored by routing ${strategy}; use models: [...]`, {atKey: true})
    }
    g.targets.forEach((t, j) => {
      const ref = memberRef(ctx, t.provider, t.model, [...p, 'targets', j])
      if (ref) models.push(ref)
      else ok = false
    })
  } else {
    c.error(g.models ? [...p, 'models'] : p, `routing ${strategy} needs models: [model names or {provider, model}]`)
    return null
  }
  return ok ? models : null
}

/** `provider` in a group is a target id or a provider kind; a target id also supplies the model. */
function memberRef(ctx: Ctx, provider: string, model: string | undefined, path: PathSeg[]): MemberRef | null {
  const target = ctx.targets.get(provider)
  if (target) {
    const m = model ?? target.model
    if (m === undefined) {
      ctx.c.error([...path, 'model'], `is required: target "${provider}" has no model of its own`)
      return null
    }
    return {provider, model: m, target_id: target.id, provider_kind: target.provider}
  }
  if (ctx.targetIds.has(provider)) return null // invalid target, already reported
  const kind = canonicalProvider(provider)
  if (!kind) {
    const known = [...ctx.targetIds.keys(), ...PROVIDER_KINDS]
    const hint = didYouMean(provider, known)
    ctx.c.error(
      [...path, 'provider'],
      `no target or provider "${provider}"` +
        (hint ? `; did you mean "${hint}"?` : `; targets: ${[...ctx.targetIds.keys()].join(', ') || 'none'}; providers: ${PROVIDER_KINDS.join(', ')}`),
    )
    return null
  }
  if (!model) {
    ctx.c.error([...path, 'model'], 'is required')
    return null
  }
  return {provider, model, provider_kind: kind}
}
