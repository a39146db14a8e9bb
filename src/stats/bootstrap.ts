// Seeded percentile bootstrap for paired data (docs/scoring-and-gates.md §4.1). Requests are resampled as units:
// the same index (or the same cluster of indices) is drawn for both arms, so the pairing that
// makes replay powerful is preserved.

import {quantileSorted} from './descriptive.js'
import {randomIndex, rng} from './rng.js'

export interface BootstrapOptions {
  /** Number of bootstrap replicates (default 5000). */
  B?: number
  /** PRNG seed; record it in the report so the interval can be reproduced. */
  seed: number
  /** Two-sided confidence level (default 0.95). */
  level?: number
  /**
   * Optional cluster id per observation (conversation, user). When given, whole clusters are
   * resampled, because requests from one conversation are not independent.
   */
  clusters?: ReadonlyArray<string | number>
}

export interface Interval {
  estimate: number
  low: number
  high: number
}

export interface RatioInterval {
  /** stat(candidate) / stat(primary); null when the full-sample denominator is 0 (undefined ratio). */
  estimate: number | null
  low: number | null
  high: number | null
  /** Replicates dropped because both numerator and denominator were 0 (ratio 0/0). */
  dropped: number
}

export type RatioStat = 'p50' | 'p95' | 'p99' | 'sum' | 'mean'

interface Resolved {
  B: number
  level: number
  next: () => number
}

function resolve(opts: BootstrapOptions): Resolved {
  const B = opts.B ?? 5000
  const level = opts.level ?? 0.95
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`bootstrap: B must be a positive integer, got ${B}`)
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`)
  return {B, level, next: rng(opts.seed)}
}

/** Groups observation indices by cluster id in order of first appearance (deterministic). */
function groupClusters(clusters: ReadonlyArray<string | number>, n: number): number[][] {
  if (clusters.length !== n) {
    throw new RangeError(`bootstrap: clusters has ${clusters.length} entries for ${n} observations`)
  }
  const byId = new Map<string | number, number[]>()
  for (let i = 0; i < n; i++) {
    const id = clusters[i]!
    let members = byId.get(id)
    if (!members) byId.set(id, (members = []))
    members.push(i)
  }
  return [...byId.values()]
}

function percentileInterval(stats: Float64Array, level: number): {low: number; high: number} {
  stats.sort()
  return {low: quantileSorted(stats, (1 - level) / 2), high: quantileSorted(stats, (1 + level) / 2)}
}

/**
 * Percentile bootstrap CI for the mean of paired differences d_i = candidate_i − primary_i.
 * estimate = mean(d). With `clusters`, each replicate draws clusters with replacement and the
 * statistic is Σd / count over the drawn clusters. Throws on empty input (the gate layer
 * reports INSUFFICIENT before it gets here).
 */
export function pairedBootstrapMean(diffs: ReadonlyArray<number>, opts: BootstrapOptions): Interval {
  const n = diffs.length
  if (n === 0) throw new RangeError('pairedBootstrapMean: no differences to resample')
  const {B, level, next} = resolve(opts)
  let total = 0
  for (let i = 0; i < n; i++) total += diffs[i]!
  const estimate = total / n
  const stats = new Float64Array(B)
  if (opts.clusters) {
    const groups = groupClusters(opts.clusters, n)
    const g = groups.length
    const sums = new Float64Array(g)
    const counts = new Float64Array(g)
    groups.forEach((members, j) => {
      for (const i of members) sums[j]! += diffs[i]!
      counts[j] = members.length
    })
    for (let r = 0; r < B; r++) {
      let s = 0
      let c = 0
      for (let k = 0; k < g; k++) {
        const j = randomIndex(next, g)
        s += sums[j]!
        c += counts[j]!
      }
      stats[r] = s / c
    }
  } else {
    for (let r = 0; r < B; r++) {
      let s = 0
      for (let k = 0; k < n; k++) s += diffs[randomIndex(next, n)]!
      stats[r] = s / n
    }
  }
  return {estimate, ...percentileInterval(stats, level)}
}

const QUANTILE_OF: Record<'p50' | 'p95' | 'p99', number> = {p50: 0.5, p95: 0.95, p99: 0.99}

function statOf(values: Float64Array, length: number, stat: RatioStat): number {
  if (stat === 'sum' || stat === 'mean') {
    let s = 0
    for (let i = 0; i < length; i++) s += values[i]!
    return stat === 'sum' ? s : s / length
  }
  const view = values.subarray(0, length).sort()
  return quantileSorted(view, QUANTILE_OF[stat])
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
 */
export function pairedBootstrapRatio(
  primary: ReadonlyArray<number>,
  candidate: ReadonlyArray<number>,
  stat: RatioStat,
  opts: BootstrapOptions,
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
  const denom = statOf(Float64Array.from(p), n, stat)
  const numer = statOf(Float64Array.from(c), n, stat)
  if (denom === 0) return {estimate: null, low: null, high: null, dropped: 0}
  const estimate = numer / denom

  const groups = opts.clusters ? groupClusters(opts.clusters, n) : null
  // A resample of clusters can hold more than n observations; size the buffers for the worst case.
  const maxLen = maxClusterDraw(groups, n)
  const bp = new Float64Array(maxLen)
  const bc = new Float64Array(maxLen)
  const ratios = new Float64Array(B)
  let kept = 0
  let dropped = 0
  for (let r = 0; r < B; r++) {
    let len = 0
    if (groups) {
      for (let k = 0; k < groups.length; k++) {
        for (const i of groups[randomIndex(next, groups.length)]!) {
          bp[len] = p[i]!
          bc[len] = c[i]!
          len++
        }
      }
    } else {
      for (let k = 0; k < n; k++) {
        const i = randomIndex(next, n)
        bp[k] = p[i]!
        bc[k] = c[i]!
      }
      len = n
    }
    const sp = statOf(bp, len, stat)
    const sc = statOf(bc, len, stat)
    if (sp === 0) {
      if (sc === 0) {
        dropped++
        continue
      }
      ratios[kept++] = Infinity
    } else {
      ratios[kept++] = sc / sp
    }
  }
  if (kept === 0) return {estimate, low: null, high: null, dropped}
  return {estimate, ...percentileInterval(ratios.subarray(0, kept), level), dropped}
}

/** Largest possible resample size: every draw picks the biggest cluster. */
function maxClusterDraw(groups: number[][] | null, n: number): number {
  if (!groups) return n
  let biggest = 0
  for (const members of groups) biggest = Math.max(biggest, members.length)
  return biggest * groups.length
}
