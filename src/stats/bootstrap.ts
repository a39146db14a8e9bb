// Seeded percentile bootstrap of a ratio of paired statistics (docs/scoring-and-gates.md §4.1): latency quantiles, cost
// sums. Requests are resampled as units: the same index (or the same cluster of indices) is drawn for both arms, so
// the pairing that makes replay powerful is preserved. Means of differences use meanInterval (mean-interval.ts).

import {quantileIndex, quantileSorted} from './descriptive.js'
import {groupClusters, resolve, type BootstrapOptions} from './resample.js'
import {randomIndex} from './rng.js'

export interface RatioInterval {
  /** stat(candidate) / stat(primary); null when the full-sample denominator is 0 (undefined ratio). */
  estimate: number | null
  low: number | null
  high: number | null
  /** Replicates dropped because both numerator and denominator were 0 (ratio 0/0). */
  dropped: number
  /** The full-sample quantile of that arm rests on a censored value, so it is only a lower bound. */
  censored: {primary: boolean; candidate: boolean}
}

export type RatioStat = 'p50' | 'p95' | 'p99' | 'sum' | 'mean'

/**
 * Censored observations (a request that timed out: its latency is at least the value given). A quantile that
 * reaches a censored value is a lower bound; a ratio built on one is open on that side.
 */
export interface RatioCensoring {
  primary?: ReadonlyArray<boolean>
  candidate?: ReadonlyArray<boolean>
}

const QUANTILE_OF: Record<'p50' | 'p95' | 'p99', number> = {p50: 0.5, p95: 0.95, p99: 0.99}

/** The statistic of values[0..length) (sorted in place for quantiles), and whether it is only a lower bound. */
function statOf(values: Float64Array, length: number, stat: RatioStat, lowestCensored: number): {value: number; censored: boolean} {
  if (stat === 'sum' || stat === 'mean') {
    let s = 0
    for (let i = 0; i < length; i++) s += values[i]!
    return {value: stat === 'sum' ? s : s / length, censored: lowestCensored < Infinity}
  }
  const view = values.subarray(0, length).sort()
  const at = quantileIndex(length, QUANTILE_OF[stat])
  // Censored values are lower bounds: if one sorts at or below the order statistic the quantile uses, the
  // true quantile may be higher.
  return {value: quantileSorted(view, QUANTILE_OF[stat]), censored: lowestCensored <= view[at.last]!}
}

/**
 * The type-7 p-quantile of values some of which are censored (lower bounds: requests that timed out), and whether it
 * is only a lower bound itself: a censored value sorts at or below the order statistic it rests on.
 */
export function censoredQuantile(values: ReadonlyArray<number>, censored: ReadonlyArray<boolean> | undefined, p: number): {value: number; censored: boolean} {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`censoredQuantile: p must be in [0, 1], got ${p}`)
  const v = Float64Array.from(values)
  if (v.length === 0) return {value: NaN, censored: false}
  const low = lowestCensored(v, censored)
  v.sort()
  return {value: quantileSorted(v, p), censored: low <= v[quantileIndex(v.length, p).last]!}
}

function lowestCensored(values: Float64Array, flags: ReadonlyArray<boolean> | undefined): number {
  let low = Infinity
  if (flags) for (let i = 0; i < values.length; i++) if (flags[i] && values[i]! < low) low = values[i]!
  return low
}

/**
 * Paired percentile bootstrap CI for stat(candidate) / stat(primary) (latency p95 ratio, cost
 * ratio of sums, ...). Values are expected to be ≥ 0. Request indices (or clusters) are drawn
 * jointly for both arms. Quantiles are type 7. For 'mean' and 'sum' the ratio is the same.
 *
 * Zero denominators: if stat(primary) = 0 on the full sample the ratio is undefined and
 * estimate/low/high are all null (report it, do not gate on it). Inside the bootstrap a replicate
 * with stat(primary) = 0 counts as +Infinity when stat(candidate) > 0 (so `high` can be
 * Infinity, which fails any "≤ k×" gate, as it should) and is dropped when both are 0 (0/0,
 * counted in `dropped`); if every replicate is dropped the interval is null.
 *
 * Censoring: a replicate whose candidate statistic is a lower bound counts as +Infinity for the upper end
 * (the true ratio is at least what it shows); one whose primary statistic is, as 0 for the lower end.
 */
export function pairedBootstrapRatio(
  primary: ReadonlyArray<number>,
  candidate: ReadonlyArray<number>,
  stat: RatioStat,
  opts: BootstrapOptions & {censored?: RatioCensoring},
): RatioInterval {
  const n = primary.length
  if (candidate.length !== n) {
    throw new RangeError(`pairedBootstrapRatio: ${n} primary values but ${candidate.length} candidate values`)
  }
  if (n === 0) throw new RangeError('pairedBootstrapRatio: no pairs to resample')
  if (!(stat in QUANTILE_OF) && stat !== 'sum' && stat !== 'mean') {
    throw new RangeError(`pairedBootstrapRatio: unknown statistic ${String(stat)}`)
  }
  const {B, level, next} = resolve(opts)
  const p = Float64Array.from(primary)
  const c = Float64Array.from(candidate)
  const cp = opts.censored?.primary
  const cc = opts.censored?.candidate
  const denom = statOf(Float64Array.from(p), n, stat, lowestCensored(p, cp))
  const numer = statOf(Float64Array.from(c), n, stat, lowestCensored(c, cc))
  const censored = {primary: denom.censored, candidate: numer.censored}
  if (denom.value === 0) return {estimate: null, low: null, high: null, dropped: 0, censored}
  const estimate = numer.value / denom.value

  const groups = opts.clusters ? groupClusters(opts.clusters, n) : null
  // A resample of clusters can hold more than n observations; size the buffers for the worst case.
  const maxLen = maxClusterDraw(groups, n)
  const bp = new Float64Array(maxLen)
  const bc = new Float64Array(maxLen)
  const lows = new Float64Array(B)
  const highs = new Float64Array(B)
  let kept = 0
  let dropped = 0
  for (let r = 0; r < B; r++) {
    let len = 0
    let lowP = Infinity
    let lowC = Infinity
    const take = (i: number) => {
      bp[len] = p[i]!
      bc[len] = c[i]!
      if (cp?.[i] && p[i]! < lowP) lowP = p[i]!
      if (cc?.[i] && c[i]! < lowC) lowC = c[i]!
      len++
    }
    if (groups) {
      for (let k = 0; k < groups.length; k++) for (const i of groups[randomIndex(next, groups.length)]!) take(i)
    } else {
      for (let k = 0; k < n; k++) take(randomIndex(next, n))
    }
    const sp = statOf(bp, len, stat, lowP)
    const sc = statOf(bc, len, stat, lowC)
    let ratio: number
    if (sp.value === 0) {
      if (sc.value === 0) {
        dropped++
        continue
      }
      ratio = Infinity
    } else ratio = sc.value / sp.value
    lows[kept] = sp.censored ? 0 : ratio
    highs[kept] = sc.censored ? Infinity : ratio
    kept++
  }
  if (kept === 0) return {estimate, low: null, high: null, dropped, censored}
  const lo = lows.subarray(0, kept).sort()
  const hi = highs.subarray(0, kept).sort()
  return {estimate, low: quantileSorted(lo, (1 - level) / 2), high: quantileSorted(hi, (1 + level) / 2), dropped, censored}
}

/** Largest possible resample size: every draw picks the biggest cluster. */
function maxClusterDraw(groups: number[][] | null, n: number): number {
  if (!groups) return n
  let biggest = 0
  for (const members of groups) biggest = Math.max(biggest, members.length)
  return biggest * groups.length
}
