// `traffic_split`: requests shared among model variants by weight, each tagged for later comparison.
import {z} from 'zod'
import {check, nonNeg, str} from '../schema.js'
import type {TrafficSplitPolicy} from '../types.js'
import {checkWeightTotal} from '../weights.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const schema = z.strictObject({
  ...policyCommon,
  variants: z
    .array(z.strictObject({model: str(), weight: nonNeg(), tag: str().optional(), provider: str().optional()}))
    .min(1, {error: 'must list at least one variant'}),
})

export const trafficSplit: PolicyNormaliser<TrafficSplitPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const total = q.variants.reduce((s, v) => s + v.weight, 0)
  if (total === 0) {
    ctx.c.error([...p, 'variants'], 'weights sum to 0; at least one weight must be > 0')
    return null
  }
  checkWeightTotal(ctx.c, [...p, 'variants'], q.variants.map((v) => ({label: v.tag ? `${v.model} (${v.tag})` : v.model, weight: v.weight})))
  return {
    ...policyBase(ctx, q, name, p),
    type: 'traffic_split',
    variants: q.variants.map((v) => ({
      model: v.model,
      weight: v.weight,
      share: v.weight / total,
      ...(v.tag !== undefined ? {tag: v.tag} : {}),
      ...(v.provider !== undefined ? {provider: v.provider} : {}),
    })),
  }
}
