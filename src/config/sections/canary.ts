// `canary:`: send a small share of live traffic to a candidate target before switching over
// (`traffic_percentage` 10, then 25, 50, 100 as the product docs' rollout does).
import {z} from 'zod'
import type {PathSeg} from '../issues.js'
import {check, num, str} from '../schema.js'
import type {CanaryConfig} from '../types.js'
import {src, targetRef, type Ctx} from './context.js'

const CanaryRaw = z.strictObject({
  enabled: z.boolean().optional(),
  target: str(),
  traffic_percentage: num({min: 0, max: 100}),
  description: z.string().optional(),
})

export function canary(ctx: Ctx): CanaryConfig | null {
  if (ctx.data.canary === undefined) return null
  const p: PathSeg[] = ['canary']
  const q = check(ctx.c, CanaryRaw, ctx.data.canary, p)
  if (!q || !targetRef(ctx, [...p, 'target'], q.target)) return null
  return {
    enabled: q.enabled ?? true,
    target: q.target,
    traffic_percentage: q.traffic_percentage,
    share: q.traffic_percentage / 100,
    source: src(ctx, p),
  }
}
