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

/** The smoothed conformal indicator: 1 below the q-tail, a fraction at it, 0 above (see the file comment). */
function beyond(q: number, m: number, below: number, ties: number): number {
  return Math.min(1, Math.max(0, (q * (m + 1) - below) / (ties + 1)))
}

/**
 * Where every item sits against the sorted A/A similarities, once: a bootstrap replicate then only counts how often
 * each A/A value was drawn (prefix sums), instead of sorting and searching again.
 */
interface Ranked {
  sorted: Float64Array
  /** Per item: its A/A value's index in `sorted` (−1: none). */
  own: Int32Array
  /** Per item with a candidate similarity: A/A values below it, and at most equal to it. */
  lt: Int32Array
  le: Int32Array
}

function rank(items: ReadonlyArray<NoisePair>): Ranked {
  const withNoise = items.map((it, i) => ({i, v: it.noise})).filter((x): x is {i: number; v: number} => x.v !== null)
  withNoise.sort((a, b) => a.v - b.v || a.i - b.i)
  const sorted = Float64Array.from(withNoise, (x) => x.v)
  const own = new Int32Array(items.length).fill(-1)
  withNoise.forEach((x, j) => (own[x.i] = j))
  const lt = new Int32Array(items.length)
  const le = new Int32Array(items.length)
  items.forEach((it, i) => {
    if (it.sim === null) return
    lt[i] = countBelow(sorted, it.sim, false)
    le[i] = countBelow(sorted, it.sim, true)
  })
  return {sorted, own, lt, le}
}

/**
 * Σ of the indicator over the drawn items (`times[i]` copies of item i), each compared with the drawn A/A values
 * less one copy of its own: {sum, n: candidates drawn, m: A/A values drawn}.
 */
function beyondSum(items: ReadonlyArray<NoisePair>, r: Ranked, times: ArrayLike<number>, q: number): {sum: number; n: number; m: number} {
  const m = r.sorted.length
  const prefix = new Float64Array(m + 1)
  for (let i = 0; i < items.length; i++) if (r.own[i]! >= 0) prefix[r.own[i]! + 1] += times[i]!
  for (let j = 0; j < m; j++) prefix[j + 1]! += prefix[j]!
  const drawnNoise = prefix[m]!
  let sum = 0
  let n = 0
  for (let i = 0; i < items.length; i++) {
    const k = times[i]!
    const sim = items[i]!.sim
    if (k === 0 || sim === null) continue
    let below = prefix[r.lt[i]!]!
    let ties = prefix[r.le[i]!]! - below
    let mm = drawnNoise
    const noise = items[i]!.noise
    if (noise !== null) {
      // Leave the request's own A/A similarity out: it is not exchangeable with its candidate similarity.
      mm--
      if (noise < sim) below--
      else if (noise === sim) ties--
    }
    sum += k * beyond(q, mm, below, ties)
    n += k
  }
  return {sum, n, m: drawnNoise}
}

/**
 * Share of requests whose candidate similarity is beyond the A/A noise, with a percentile bootstrap over
 * requests (or clusters) that resamples the A/A similarities together with the candidates. Throws when there is
 * no candidate or no A/A similarity.
 */
export function beyondNoiseRate(items: ReadonlyArray<NoisePair>, opts: BootstrapOptions & {quantile?: number}): BeyondNoise {
  const q = opts.quantile ?? 0.05
  const ranked = rank(items)
  const all = beyondSum(items, ranked, new Int32Array(items.length).fill(1), q)
  if (all.n === 0 || all.m === 0) throw new RangeError('beyondNoiseRate: needs candidate and A/A similarities')
  const {B, level, next} = resolve(opts)
  const groups = opts.clusters ? groupClusters(opts.clusters, items.length) : items.map((_, i) => [i])
  const rates = new Float64Array(B)
  const times = new Int32Array(items.length)
  let kept = 0
  for (let r = 0; r < B; r++) {
    times.fill(0)
    for (let k = 0; k < groups.length; k++) for (const i of groups[randomIndex(next, groups.length)]!) times[i]!++
    const s = beyondSum(items, ranked, times, q)
    if (s.n > 0 && s.m > 0) rates[kept++] = s.sum / s.n
  }
  const sorted = rates.subarray(0, kept).sort()
  const rate = all.sum / all.n
  const at = Math.max(1, Math.floor(q * (all.m + 1)))
  return {
    threshold: ranked.sorted[Math.min(at, all.m) - 1]!,
    k: all.sum,
    n: all.n,
    m: all.m,
    rate,
    low: kept ? Math.min(rate, quantileSorted(sorted, (1 - level) / 2)) : 0,
    high: kept ? Math.max(rate, quantileSorted(sorted, (1 + level) / 2)) : 1,
  }
}
