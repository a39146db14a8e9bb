// Copies of live traffic sent to a shadow: `traffic_mirror` (one primary -> one shadow, with a model mapping;
// at the top level or under `providers:`) and `providers.mirroring` (every request to a list of shadow targets).
import {z} from 'zod'
import type {PathSeg} from '../issues.js'
import {check, rate, str, strList} from '../schema.js'
import type {MirroringConfig, TrafficMirrorConfig} from '../types.js'
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
  let ok = true
  if (m.primary !== undefined && !targetRef(ctx, [...p, 'primary'], m.primary)) ok = false
  if (m.shadow !== undefined && !targetRef(ctx, [...p, 'shadow'], m.shadow)) ok = false
  if (enabled && m.shadow === undefined) {
    ctx.c.error([...p, 'shadow'], 'is required when the mirror is enabled (a target id)')
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
