// Diffy-style A/A noise floor (docs/scoring-and-gates.md §4.6).

import {quantile} from './descriptive.js'
import {wilson} from './proportions.js'

export interface BeyondNoise {
  /** The `quantile` (default 5th percentile) of primary-vs-primary' similarity. */
  threshold: number
  /** Requests whose candidate similarity is below the threshold. */
  k: number
  n: number
  rate: number
  low: number
  high: number
}

/**
 * Share of requests where sim(primary, candidate) is below the 5th percentile of the A/A
 * similarities sim(primary, primary'), with a Wilson interval. Both arrays are per request and
 * may differ in length (A/A can run on a sample). Throws when either is empty.
 */
export function beyondNoiseRate(
  candidateSims: ReadonlyArray<number>,
  noiseSims: ReadonlyArray<number>,
  opts: {level?: number; quantile?: number} = {},
): BeyondNoise {
  if (candidateSims.length === 0 || noiseSims.length === 0) {
    throw new RangeError('beyondNoiseRate: needs candidate and A/A similarities')
  }
  const threshold = quantile(noiseSims, opts.quantile ?? 0.05)
  let k = 0
  for (const s of candidateSims) if (s < threshold) k++
  const n = candidateSims.length
  return {threshold, k, n, rate: k / n, ...wilson(k, n, opts.level ?? 0.95)}
}
