// The confidence interval of a mean (docs/scoring-and-gates.md §4.1.1): a studentized bootstrap, widened, for values
// known to lie in a range (scores, similarities and their paired differences), by a bound on what rare large
// values the sample may have missed.
//
// Why both. A percentile bootstrap of a mean where most values are 0 and a few are large (a truncation, a refusal)
// behaves like a Wald interval on a small proportion: far too narrow, and [0, 0] when no value differs. The
// studentized bootstrap (bootstrap-t; Hall 1988, Efron & Tibshirani 1993 ch. 12) corrects for skewness, and its
// critical values are never taken below Student's t. But no resampling method can see an event the sample does not
// hold: 30 identical pairs are compatible with 11% of requests losing the whole score. The rare-event bound covers
// that: beyond the bulk of the values (3 scaled MADs from the median), the share of units is bounded with an exact
// Clopper–Pearson bound, and each unit there is taken to lie as far out as the mean of what was seen plus one
// pseudo-observation at the end of the range. The interval reported is the union of the two.

import {quantileSorted} from './descriptive.js'
import {clopperPearsonUpper} from './proportions.js'
import {groupClusters, resolve, type BootstrapOptions} from './resample.js'
import {randomIndex} from './rng.js'
import {studentTQuantile} from './student.js'

export interface MeanOptions extends BootstrapOptions {
  /** The values are known to lie in [lo, hi] (a score in [0, 1], a difference of scores in [−1, 1]): enables the rare-event bound. */
  range?: readonly [number, number] | null
}

/** The rare-event bound: how far the mean could be from what the bulk of the sample shows, at the same level. */
export interface TailBound {
  low: number
  high: number
  /** Units (observations or clusters) below the bulk, and above it. */
  below: number
  above: number
}

export interface MeanInterval {
  estimate: number
  low: number
  high: number
  /** Resampled units: observations, or clusters. */
  units: number
  /** The studentized bootstrap interval; null when every unit has the same value (nothing to resample). */
  bootstrap: {low: number; high: number} | null
  /** The rare-event bound; null without a range. */
  tail: TailBound | null
  /** Which ends the rare-event bound moved beyond the bootstrap interval. */
  widened: {low: boolean; high: boolean}
}

/** 1.4826·MAD estimates a normal SD; 3 of them mark the bulk (Hampel's identifier; Leys et al. 2013). */
const BULK_MADS = 3 * 1.4826

interface Units {
  /** Sum of values per unit, centred on the overall mean. */
  sums: Float64Array
  /** Observations per unit. */
  sizes: Float64Array
  /** Every unit is one observation (no clusters). */
  single: boolean
}

function unitsOf(values: ReadonlyArray<number>, centre: number, clusters: ReadonlyArray<string | number> | undefined): Units {
  const n = values.length
  if (!clusters) return {sums: Float64Array.from(values, (v) => v - centre), sizes: new Float64Array(n).fill(1), single: true}
  const groups = groupClusters(clusters, n)
  const sums = new Float64Array(groups.length)
  const sizes = new Float64Array(groups.length)
  groups.forEach((members, j) => {
    for (const i of members) sums[j]! += values[i]! - centre
    sizes[j] = members.length
  })
  return {sums, sizes, single: false}
}

/** SE of the (ratio) mean Σs/Σw over G units, by linearisation: √(G/(G−1)·Σ(s − m·w)²)/Σw. */
function linearizedSe(ss: number, sw: number, ww: number, m: number, count: number, G: number): number {
  const residual = Math.max(0, ss - 2 * m * sw + m * m * ww)
  return Math.sqrt((G / (G - 1)) * residual) / count
}

/** Student's t critical values, memoised: simulations ask for the same few thousands of times. */
const STUDENT = new Map<string, number>()

function studentCritical(level: number, df: number): number {
  const key = `${level}|${df}`
  let t = STUDENT.get(key)
  if (t === undefined) {
    t = studentTQuantile((1 + level) / 2, df)
    if (STUDENT.size < 10_000) STUDENT.set(key, t)
  }
  return t
}

/** t* = (m* − m)/se* per replicate (the units' sums are centred on m); replicates with se* = 0 are left out. */
function studentizedReplicates(u: Units, se: number, B: number, next: () => number): Float64Array {
  const G = u.sums.length
  const sums = u.sums
  const t = new Float64Array(B)
  let kept = 0
  if (u.single) {
    // One observation per unit: the mean is over G draws and se*² = Σ(x − m*)²/(G(G − 1)).
    for (let r = 0; r < B; r++) {
      let s = 0
      let a = 0
      for (let k = 0; k < G; k++) {
        const x = sums[randomIndex(next, G)]!
        s += x
        a += x * x
      }
      const m = s / G
      const seStar = Math.sqrt(Math.max(0, a - s * m) / (G * (G - 1)))
      if (seStar > 1e-9 * se) t[kept++] = m / seStar
    }
    return t.subarray(0, kept)
  }
  const sizes = u.sizes
  for (let r = 0; r < B; r++) {
    let s = 0
    let c = 0
    let a = 0
    let b = 0
    let d = 0
    for (let k = 0; k < G; k++) {
      const j = randomIndex(next, G)
      const x = sums[j]!
      const w = sizes[j]!
      s += x
      c += w
      a += x * x
      b += x * w
      d += w * w
    }
    const m = s / c
    const seStar = linearizedSe(a, b, d, m, c, G)
    if (seStar > 1e-9 * se) t[kept++] = m / seStar
  }
  return t.subarray(0, kept)
}

/**
 * Studentized bootstrap over units: t* = (m* − m)/se*, bounds m − t*(1−a)·se and m − t*(a)·se, with the
 * critical values at least Student's t on G − 1 degrees of freedom. Replicates whose units are all equal
 * (se* = 0) carry no t and are dropped. Null when fewer than half of the replicates remain.
 */
function studentized(u: Units, se: number, B: number, level: number, next: () => number): {low: number; high: number} | null {
  const t = studentizedReplicates(u, se, B, next)
  if (t.length < B / 2) return null
  const sorted = t.sort()
  const student = studentCritical(level, u.sums.length - 1)
  const upperT = Math.max(student, quantileSorted(sorted, (1 + level) / 2))
  const lowerT = Math.min(-student, quantileSorted(sorted, (1 - level) / 2))
  return {low: -upperT * se, high: -lowerT * se}
}

/** The rare-event bound on the centred mean (units' means relative to the overall mean). */
function tailBound(u: Units, centre: number, count: number, level: number, range: readonly [number, number]): TailBound {
  const G = u.sums.length
  const means = Float64Array.from(u.sums, (s, j) => s / u.sizes[j]!)
  const sorted = Float64Array.from(means).sort()
  const median = quantileSorted(sorted, 0.5)
  const spread = BULK_MADS * quantileSorted(Float64Array.from(sorted, (x) => Math.abs(x - median)).sort(), 0.5)
  const alpha = (1 - level) / 2
  const side = (dir: 1 | -1): {bound: number; count: number} => {
    // dir −1: the low side. `cut` is where the bulk ends; beyond it a unit counts as a rare event of size `excess`.
    const cut = median + dir * spread
    let k = 0
    let excess = 0
    let clipped = 0
    for (let j = 0; j < G; j++) {
      const e = dir * (means[j]! - cut)
      if (e > 0) {
        k++
        excess += e
        clipped += cut * u.sizes[j]!
      } else clipped += u.sums[j]!
    }
    // The farthest a unit can lie beyond the cut, in the original units of the values.
    const room = Math.max(0, dir < 0 ? cut + centre - range[0] : range[1] - (cut + centre))
    const size = (excess + room) / (k + 1)
    return {bound: clipped / count + dir * clopperPearsonUpper(k, G, alpha) * size, count: k}
  }
  const lo = side(-1)
  const hi = side(1)
  return {low: lo.bound, high: hi.bound, below: lo.count, above: hi.count}
}

/**
 * Confidence interval for the mean of `values` (paired differences, or one arm's values). With `clusters`,
 * whole clusters are resampled and the mean is Σ values / count over the drawn clusters. With `range`, the
 * rare-event bound widens the interval where the sample is too thin to show rare large values, and the
 * interval is clipped to the range. Throws on empty input (the gate layer reports INSUFFICIENT first).
 */
export function meanInterval(values: ReadonlyArray<number>, opts: MeanOptions): MeanInterval {
  const n = values.length
  if (n === 0) throw new RangeError('meanInterval: no values')
  const {B, level, next} = resolve(opts)
  let total = 0
  for (let i = 0; i < n; i++) total += values[i]!
  const estimate = total / n
  const u = unitsOf(values, estimate, opts.clusters)
  const G = u.sums.length
  let ss = 0
  let sw = 0
  let ww = 0
  for (let j = 0; j < G; j++) {
    ss += u.sums[j]! * u.sums[j]!
    sw += u.sums[j]! * u.sizes[j]!
    ww += u.sizes[j]! * u.sizes[j]!
  }
  const se = G >= 2 ? linearizedSe(ss, sw, ww, 0, n, G) : 0
  const varies = se > 1e-12 * Math.max(1, Math.abs(estimate))
  const boot = varies ? studentized(u, se, B, level, next) : null
  const tail = opts.range ? tailBound(u, estimate, n, level, opts.range) : null
  let low = boot ? boot.low : varies ? -Infinity : 0
  let high = boot ? boot.high : varies ? Infinity : 0
  const widened = {low: tail !== null && tail.low < low, high: tail !== null && tail.high > high}
  if (tail) {
    low = Math.min(low, tail.low)
    high = Math.max(high, tail.high)
  }
  low += estimate
  high += estimate
  if (opts.range) {
    low = Math.max(opts.range[0], low)
    high = Math.min(opts.range[1], high)
  }
  const shift = (b: {low: number; high: number}) => ({low: b.low + estimate, high: b.high + estimate})
  return {
    estimate,
    low,
    high,
    units: G,
    bootstrap: boot ? shift(boot) : null,
    tail: tail ? {...tail, ...shift(tail)} : null,
    widened,
  }
}
