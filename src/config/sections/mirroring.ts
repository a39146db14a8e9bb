// Copies of live traffic sent to a shadow: `traffic_mirror` (one primary -> one shadow, with a model mapping;
// at the top level or under `providers:`), `providers.mirroring` (every request to a list of shadow targets) and
// `silent_model` on a target (all of that target's requests to one more model, LiteLLM's shorthand).
import {z} from 'zod'
import {didYouMean, type PathSeg} from '../issues.js'
import {canonicalProvider} from '../names.js'
import {check, rate, str, strList} from '../schema.js'
import {PROVIDER_KINDS, type MirroringConfig, type ProviderKind, type SilentMirror, type TrafficMirrorConfig} from '../types.js'
import {src, targetRef, type Ctx} from './context.js'

const TrafficMirrorRaw = z.strictObject({
  enabled: z.boolean().optional(),
  primary: str().optional(),
  shadow: str().optional(),
  model_mapping: z.record(z.string(), str()).optional(),
  sample_rate: rate().optional(),
  async: z.boolean().optional(),
  log_shadow_response: z.boolean().optional(),
  compare_metrics: strList().optional(),
})

const MirroringRaw = z.strictObject({
  enabled: z.boolean().optional(),
  shadow_targets: strList().optional(),
  sample_rate: rate().optional(),
  log_shadow_responses: z.boolean().optional(),
})

export function trafficMirror(ctx: Ctx): TrafficMirrorConfig | null {
  const top = ctx.data.traffic_mirror
  const nested = ctx.providers.traffic_mirror
  if (top !== undefined && nested !== undefined) {
    const line = ctx.c.lineOf(['traffic_mirror'], true)
    ctx.c.error(['providers', 'traffic_mirror'], `also defined at the top level${line !== null ? ` (line ${line})` : ''}; keep one`, {atKey: true})
  }
  const raw = top ?? nested
  if (raw === undefined) return null
  const p: PathSeg[] = top !== undefined ? ['traffic_mirror'] : ['providers', 'traffic_mirror']
  const m = check(ctx.c, TrafficMirrorRaw, raw, p)
  if (!m) return null
  const enabled = m.enabled ?? true
  const primary = m.primary !== undefined ? mirrorEnd(ctx, [...p, 'primary'], m.primary) : undefined
  const shadow = m.shadow !== undefined ? mirrorEnd(ctx, [...p, 'shadow'], m.shadow) : undefined
  let ok = primary !== null && shadow !== null
  if (enabled && m.shadow === undefined) {
    ctx.c.error([...p, 'shadow'], 'is required when the mirror is enabled (a target id or a provider)')
    ok = false
  }
  if (!ok) return null
  return {
    enabled,
    ...(m.primary !== undefined ? {primary: m.primary} : {}),
    ...(primary?.target_id !== undefined ? {primary_target_id: primary.target_id} : {}),
    ...(primary ? {primary_kind: primary.kind} : {}),
    ...(m.shadow !== undefined ? {shadow: m.shadow} : {}),
    ...(shadow?.target_id !== undefined ? {shadow_target_id: shadow.target_id} : {}),
    ...(shadow ? {shadow_kind: shadow.kind} : {}),
    model_mapping: {...(m.model_mapping ?? {})},
    sample_rate: m.sample_rate ?? 1,
    async: m.async ?? true,
    log_shadow_response: m.log_shadow_response ?? false,
    compare_metrics: m.compare_metrics ?? [],
    source: src(ctx, p),
  }
}

export function mirroring(ctx: Ctx): MirroringConfig | null {
  const raw = ctx.providers.mirroring
  if (raw === undefined) return null
  const p: PathSeg[] = ['providers', 'mirroring']
  const m = check(ctx.c, MirroringRaw, raw, p)
  if (!m) return null
  const enabled = m.enabled ?? true
  let ok = true
  const shadows = m.shadow_targets ?? []
  shadows.forEach((id, i) => {
    if (!targetRef(ctx, [...p, 'shadow_targets', i], id)) ok = false
  })
  if (enabled && shadows.length === 0) {
    ctx.c.error([...p, 'shadow_targets'], 'must list at least one target id when mirroring is enabled')
    ok = false
  }
  if (!ok) return null
  return {
    enabled,
    shadow_targets: shadows,
    sample_rate: m.sample_rate ?? 1,
    log_shadow_responses: m.log_shadow_responses ?? false,
    source: src(ctx, p),
  }
}

/**
 * A mirror's primary or shadow: a target id, else a provider kind (the docs write `primary: openai`, the provider,
 * with or without a target of that id). Null when it is neither (reported); an invalid target is already reported.
 */
function mirrorEnd(ctx: Ctx, path: PathSeg[], name: string): {target_id?: string; kind: ProviderKind} | null {
  const target = ctx.targets.get(name)
  if (target) return {target_id: target.id, kind: target.provider}
  if (ctx.targetIds.has(name)) return null
  const kind = canonicalProvider(name)
  if (kind) return {kind}
  const known = [...ctx.targetIds.keys()]
  const hint = didYouMean(name, [...known, ...PROVIDER_KINDS])
  ctx.c.error(path, `no target or provider "${name}"${hint ? `; did you mean "${hint}"?` : `; targets: ${known.join(', ') || 'none'}; providers: ${PROVIDER_KINDS.join(', ')}`}`)
  return null
}

/**
 * `silent_model: X` on a target: X is another target's id (the copy goes there, asking for that target's model or,
 * without one, the request's), else a model the same target is asked for. Resolved after every target is known.
 */
export function silentMirrors(ctx: Ctx): SilentMirror[] {
  const out: SilentMirror[] = []
  for (const {target: id, value, path} of ctx.silentModels) {
    const primary = ctx.targets.get(id)!
    const base = {primary: id, silent_model: value, sample_rate: 1 as const, async: true as const, source: src(ctx, path)}
    if (value === id) {
      ctx.c.error(path, `names this target itself; the copy would repeat every call (name another target or a model)`)
      continue
    }
    const other = ctx.targets.get(value)
    if (other) {
      out.push({...base, shadow: other.id, ...(other.model !== undefined ? {model: other.model} : {})})
      continue
    }
    if (ctx.targetIds.has(value)) continue // an invalid target, already reported
    if (canonicalProvider(value) && value === canonicalProvider(value)) {
      ctx.c.error(path, `"${value}" is a provider, not a target or a model; name a target id, or a model for this target to call`)
      continue
    }
    if (value === primary.model) {
      ctx.c.error(path, `"${value}" is this target's own model; the copy would repeat every call`)
      continue
    }
    out.push({...base, shadow: id, model: value})
  }
  return out
}
