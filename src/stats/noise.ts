// Diffy-style A/A noise floor (docs/scoring-and-gates.md §4.6): the share of requests whose candidate similarity lies below
// the low tail of the similarities two runs of the primary show.
//
// The threshold is itself estimated from the A/A sample (often ~90 pairs), so two things are done about it:
//   • the count is a conformal rank: a candidate similarity is compared with the A/A similarities (its own request's
//     left out, which keeps the comparison exchangeable under A/A), and counts 1 below the ⌊q(m+1)⌋-th lowest, a
//     fraction between it and the next, 0 above; under A/A its expectation is then exactly q (Vovk et al. 2005,
//     smoothed conformal p-values), where a type-7 quantile makes it about 6% at m = 90;
//   • the interval resamples requests, so the A/A sample (and with it the threshold) varies with the candidates.

import {quantileSorted} from './descriptive.js'
import {groupClusters, resolve, type BootstrapOptions} from './resample.js'
import {randomIndex} from './rng.js'

/** One request: its candidate similarity (null: no candidate answer to compare) and its A/A similarity (null: not replayed twice). */
export interface NoisePair {
  sim: number | null
  noise: number | null
}

export interface BeyondNoise {
  /** The ⌊q(m+1)⌋-th lowest A/A similarity: below it a request counts fully (between it and the next, in part). */
  threshold: number
  /** Expected count of candidate similarities beyond the noise (fractional at the threshold). */
  k: number
  /** Candidate similarities compared. */
  n: number
  /** A/A similarities behind the threshold. */
  m: number
  rate: number
  low: number
  high: number
}

function countBelow(sorted: Float64Array, x: number, orEqual: boolean): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < x || (orEqual && sorted[mid]! === x)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Σ over candidates of the smoothed conformal indicator "below the q-tail of the A/A similarities". */
function beyondSum(items: ReadonlyArray<NoisePair>, q: number): {sum: number; n: number; m: number; sorted: Float64Array} {
  const sorted = Float64Array.from(items.filter((it) => it.noise !== null), (it) => it.noise!).sort()
  let sum = 0
  let n = 0
  for (const it of items) {
    if (it.sim === null) continue
    n++
    let below = countBelow(sorted, it.sim, false)
    let ties = countBelow(sorted, it.sim, true) - below
    let m = sorted.length
    if (it.noise !== null) {
      // Leave the request's own A/A similarity out: it is not exchangeable with its candidate similarity.
      m--
      if (it.noise < it.sim) below--
      else if (it.noise === it.sim) ties--
    }
    sum += Math.min(1, Math.max(0, (q * (m + 1) - below) / (ties + 1)))
  }
  return {sum, n, m: sorted.length, sorted}
}

/**
 * Share of requests whose candidate similarity is beyond the A/A noise, with a percentile bootstrap over
 * requests (or clusters) that resamples the A/A similarities together with the candidates. Throws when there is
 * no candidate or no A/A similarity.
 */
export function beyondNoiseRate(items: ReadonlyArray<NoisePair>, opts: BootstrapOptions & {quantile?: number}): BeyondNoise {
  const q = opts.quantile ?? 0.05
  const all = beyondSum(items, q)
  if (all.n === 0 || all.m === 0) throw new RangeError('beyondNoiseRate: needs candidate and A/A similarities')
  const {B, level, next} = resolve(opts)
  const groups = opts.clusters ? groupClusters(opts.clusters, items.length) : items.map((_, i) => [i])
  const rates = new Float64Array(B)
  let kept = 0
  const draw: NoisePair[] = []
  for (let r = 0; r < B; r++) {
    draw.length = 0
    for (let k = 0; k < groups.length; k++) for (const i of groups[randomIndex(next, groups.length)]!) draw.push(items[i]!)
    const s = beyondSum(draw, q)
    if (s.n > 0 && s.m > 0) rates[kept++] = s.sum / s.n
  }
  const sorted = rates.subarray(0, kept).sort()
  const rate = all.sum / all.n
  const at = Math.max(1, Math.floor(q * (all.m + 1)))
  return {
    threshold: all.sorted[Math.min(at, all.m) - 1]!,
    k: all.sum,
    n: all.n,
    m: all.m,
    rate,
    low: kept ? Math.min(rate, quantileSorted(sorted, (1 - level) / 2)) : 0,
    high: kept ? Math.max(rate, quantileSorted(sorted, (1 + level) / 2)) : 1,
  }
}
