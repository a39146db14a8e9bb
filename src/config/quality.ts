import type {KtConfig, QualityPolicy, QualityScorerPolicy} from './types.js'

/**
 * The quality thresholds the scorer applies, from the (single) enabled quality-scorer policy, whichever shape it was
 * written in; null when none is configured. Copies, so callers may not mutate the config through it.
 */
export function qualityPolicyFrom(config: KtConfig): QualityPolicy | null {
  const policy = config.policies.find((p): p is QualityScorerPolicy => p.type === 'quality-scorer' && p.enabled)
  if (!policy) return null
  return {
    dimensions: {
      relevance: {...policy.dimensions.relevance},
      coherence: {...policy.dimensions.coherence},
      completeness: {...policy.dimensions.completeness},
    },
    overall_min_score: policy.overall_min_score,
    on_fail: policy.on_fail,
  }
}
