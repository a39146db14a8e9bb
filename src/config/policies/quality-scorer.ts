// `quality-scorer`: what a good answer is (per-dimension weights and minimums, an overall minimum) and what
// happens to one that fails. `min_score` and `action` are the product docs' names for `overall_min_score` and
// `on_fail`.
import {z} from 'zod'
import {check, nonNeg, rate} from '../schema.js'
import {ON_FAIL_ACTIONS, QUALITY_DIMENSIONS, type DimensionThreshold, type QualityDimension, type QualityScorerPolicy} from '../types.js'
import {eitherOf, policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const DimensionRaw = z.strictObject({weight: nonNeg().optional(), min_score: rate().optional()})

const schema = z.strictObject({
  ...policyCommon,
  dimensions: z
    .strictObject(Object.fromEntries(QUALITY_DIMENSIONS.map((d) => [d, DimensionRaw.optional()])) as {
      relevance: z.ZodOptional<typeof DimensionRaw>
      coherence: z.ZodOptional<typeof DimensionRaw>
      completeness: z.ZodOptional<typeof DimensionRaw>
    })
    .optional(),
  overall_min_score: rate().optional(),
  min_score: rate().optional(),
  on_fail: z.enum(ON_FAIL_ACTIONS).optional(),
  action: z.enum(ON_FAIL_ACTIONS).optional(),
})

export const qualityScorer: PolicyNormaliser<QualityScorerPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const dimensions = {} as Record<QualityDimension, DimensionThreshold>
  for (const d of QUALITY_DIMENSIONS) {
    const raw = q.dimensions ? q.dimensions[d] : {}
    dimensions[d] = raw ? {weight: raw.weight ?? 1, min_score: raw.min_score ?? 0} : {weight: 0, min_score: 0}
  }
  if (QUALITY_DIMENSIONS.every((d) => dimensions[d].weight === 0)) {
    ctx.c.error([...p, 'dimensions'], 'weights sum to 0; at least one dimension needs a weight > 0')
    return null
  }
  const overall = eitherOf(ctx, p, ['overall_min_score', q.overall_min_score], ['min_score', q.min_score])
  const onFail = eitherOf(ctx, p, ['on_fail', q.on_fail], ['action', q.action])
  if (overall === null || onFail === null) return null
  return {
    ...policyBase(ctx, q, name, p),
    type: 'quality-scorer',
    dimensions,
    overall_min_score: overall ?? 0,
    on_fail: onFail ?? 'flag',
  }
}
