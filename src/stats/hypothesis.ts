// Tests and effect sizes reported next to the gates: Holm adjustment, MDE, Cohen's d_z,
// Wilcoxon signed-rank (robustness check only, never gated; docs/scoring-and-gates.md §4.1).

import {mean, sd} from './descriptive.js'
import {normalCdf, normalQuantile, zCritical} from './distributions.js'

/**
 * Holm step-down adjusted p-values, returned in input order: sort ascending, p_(i)·(m − i + 1)
 * (i from 1), running maximum, capped at 1. Ties keep input order.
 */
export function holm(pvalues: ReadonlyArray<number>): number[] {
  const m = pvalues.length
  for (const p of pvalues) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-values must be in [0, 1], got ${p}`)
  }
  const order = pvalues.map((p, i) => ({p, i})).sort((x, y) => x.p - y.p || x.i - y.i)
  const adjusted = new Array<number>(m)
  let running = 0
  order.forEach(({p, i}, rank) => {
    running = Math.max(running, Math.min(1, p * (m - rank)))
    adjusted[i] = running
  })
  return adjusted
}

/**
 * Minimum detectable effect for a two-sided test at `level` with the given power:
 * (z_{1−α/2} + z_power)·SE. With SE = sd(d)/√n this is "the smallest drop this run could see".
 */
export function mde(se: number, level = 0.95, power = 0.8): number {
  if (!(power > 0 && power < 1)) throw new RangeError(`mde: power must be in (0, 1), got ${power}`)
  return (zCritical(level) + normalQuantile(power)) * se
}

/** Cohen's d_z = mean(d)/sd(d) for paired differences; null when n < 2 or sd = 0 (undefined). */
export function cohensDz(diffs: ReadonlyArray<number>): number | null {
  if (diffs.length < 2) return null
  // All-equal input has sd 0 mathematically; rounding in the mean can make it 1e-17 instead.
  if (diffs.every((d) => d === diffs[0])) return null
  const s = sd(diffs)
  if (!(s > 0)) return null
  return mean(diffs) / s
}

export interface WilcoxonResult {
  /** W+ = sum of the ranks of the positive differences. */
  statistic: number
  wPlus: number
  wMinus: number
  /** Number of non-zero differences. */
  n: number
  zeros: number
  /** Normal-approximation z (null for the exact method or when every difference is 0). */
  z: number | null
  /** Two-sided p-value. */
  p: number
  method: 'exact' | 'normal'
}

export interface WilcoxonOptions {
  /** Use the exact permutation distribution when there are fewer non-zero differences than this (default 25). */
  exactBelow?: number
  /** Continuity correction for the normal approximation (default false, like scipy). */
  correction?: boolean
}

/**
 * Wilcoxon signed-rank test with Pratt's zero handling: zeros are ranked with the rest and then
 * dropped, which keeps the test consistent when many scores tie at 0 or 1. Tied |d| get average
 * ranks. The null moments are the permutation moments given the ranks (E = Σr/2, Var = Σr²/4),
 * which is the usual tie correction. Exact distribution (sign flips over the observed ranks,
 * ties included, by dynamic programming on doubled ranks) for small n.
 */
export function wilcoxonSignedRank(diffs: ReadonlyArray<number>, opts: WilcoxonOptions = {}): WilcoxonResult {
  const exactBelow = opts.exactBelow ?? 25
  const N = diffs.length
  const items = diffs.map((d) => ({abs: Math.abs(d), sign: Math.sign(d)})).sort((x, y) => x.abs - y.abs)
  const ranks = new Float64Array(N)
  for (let i = 0; i < N; ) {
    let j = i
    while (j + 1 < N && items[j + 1]!.abs === items[i]!.abs) j++
    const avg = (i + j + 2) / 2
    for (let k = i; k <= j; k++) ranks[k] = avg
    i = j + 1
  }
  let wPlus = 0
  let wMinus = 0
  let total = 0
  let totalSq = 0
  let n = 0
  const nonzeroRanks: number[] = []
  for (let k = 0; k < N; k++) {
    const s = items[k]!.sign
    if (s === 0) continue
    const r = ranks[k]!
    n++
    nonzeroRanks.push(r)
    total += r
    totalSq += r * r
    if (s > 0) wPlus += r
    else wMinus += r
  }
  const zeros = N - n
  if (n === 0) return {statistic: 0, wPlus: 0, wMinus: 0, n, zeros, z: null, p: 1, method: 'exact'}

  // Doubled ranks are integers (average ranks are multiples of ½).
  const doubledTotal = Math.round(2 * total)
  if (n < exactBelow && doubledTotal <= 2_000_000) {
    const counts = new Float64Array(doubledTotal + 1)
    counts[0] = 1
    let reach = 0
    for (const r of nonzeroRanks) {
      const w = Math.round(2 * r)
      for (let s = reach; s >= 0; s--) if (counts[s]! !== 0) counts[s + w]! += counts[s]!
      reach += w
    }
    const observed = Math.round(2 * wPlus)
    let le = 0
    let ge = 0
    for (let s = 0; s <= doubledTotal; s++) {
      if (s <= observed) le += counts[s]!
      if (s >= observed) ge += counts[s]!
    }
    const all = 2 ** n
    const p = Math.min(1, (2 * Math.min(le, ge)) / all)
    return {statistic: wPlus, wPlus, wMinus, n, zeros, z: null, p, method: 'exact'}
  }

  const expected = total / 2
  const variance = totalSq / 4
  let diff = wPlus - expected
  if (opts.correction && diff !== 0) diff -= 0.5 * Math.sign(diff)
  const z = diff / Math.sqrt(variance)
  const p = Math.min(1, 2 * normalCdf(-Math.abs(z)))
  return {statistic: wPlus, wPlus, wMinus, n, zeros, z, p, method: 'normal'}
}
