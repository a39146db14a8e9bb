// Quality policy: how the per-dimension scores combine into an overall score and a per-request
// pass/fail, and what happens to a request that fails (docs/scoring-and-gates.md §2, `on_fail`).

import type {Dimension} from './heuristics.js'

export type OnFailAction = 'escalate' | 'block' | 'flag'

export interface DimensionPolicy {
  /** Relative weight in the overall score (≥ 0). */
  weight: number
  /** A score below this fails the request. */
  min_score: number
  /** Overrides the policy-wide action for this dimension. */
  on_fail?: OnFailAction
}

export interface QualityPolicy {
  dimensions: Record<Dimension, DimensionPolicy>
  overall_min_score: number
  on_fail: OnFailAction
}

/**
 * Defaults. Relevance weighs most (0.4): an off-topic, refused or wrong-language answer is the
 * failure users notice first; coherence and completeness share the rest. min_score 0.5 per
 * dimension is where a single strong signal fails a request under the @1 formulas (truncation
 * takes completeness to ≤ 0.3, recall of under a quarter of the prompt's terms takes relevance
 * below 0.5, a loop or truncation plus broken fences takes coherence below 0.5), while one mild
 * signal (broken fences alone: 0.7, truncation alone on coherence: 0.6) does not. Overall 0.6
 * catches several moderate problems together. on_fail 'flag': heuristics are regression
 * detectors, so by default they only report; teams opt into escalate/block.
 */
export const DEFAULT_QUALITY_POLICY: QualityPolicy = {
  dimensions: {
    relevance: {weight: 0.4, min_score: 0.5},
    coherence: {weight: 0.3, min_score: 0.5},
    completeness: {weight: 0.3, min_score: 0.5},
  },
  overall_min_score: 0.6,
  on_fail: 'flag',
}

export interface PolicyVerdict {
  /** Σ w·s / Σ w over the non-null scores with positive weight; null when there are none. */
  overall: number | null
  /** null when every score is null (nothing to judge: an error or a tool-call turn). */
  pass: boolean | null
  /** Failed dimensions in a fixed order, then 'overall' if the overall score is below its minimum. */
  failed: string[]
  on_fail: {dimension: string; action: OnFailAction}[]
}

const ORDER: readonly Dimension[] = ['relevance', 'coherence', 'completeness']

/**
 * Applies a policy to one response's dimension scores. A null score neither passes nor fails
 * (it was not computed) and is left out of the weighted mean.
 */
export function applyPolicy(
  dims: Partial<Record<Dimension, {score: number | null}>>,
  policy: QualityPolicy = DEFAULT_QUALITY_POLICY,
): PolicyVerdict {
  let weighted = 0
  let weights = 0
  let scored = 0
  const failed: string[] = []
  const onFail: {dimension: string; action: OnFailAction}[] = []
  for (const d of ORDER) {
    const s = dims[d]?.score
    const rule = policy.dimensions[d]
    if (s === null || s === undefined || !Number.isFinite(s)) continue
    scored++
    if (rule.weight > 0) {
      weighted += rule.weight * s
      weights += rule.weight
    }
    if (s < rule.min_score) {
      failed.push(d)
      onFail.push({dimension: d, action: rule.on_fail ?? policy.on_fail})
    }
  }
  if (scored === 0) return {overall: null, pass: null, failed: [], on_fail: []}
  // Rounded so the stored overall is byte-stable across platforms.
  const overall = weights > 0 ? Math.round((weighted / weights) * 1e6) / 1e6 : null
  if (overall !== null && overall < policy.overall_min_score) {
    failed.push('overall')
    onFail.push({dimension: 'overall', action: policy.on_fail})
  }
  return {overall, pass: failed.length === 0, failed, on_fail: onFail}
}
