// Rates: exact McNemar, Wilson score interval, Newcombe's paired-difference interval.

import {binomialCdf, binomialPmf, zCritical} from './distributions.js'

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
}

/**
 * Exact McNemar test: two-sided binomial test of b successes out of b + c discordant pairs at
 * p = ½, p = min(1, 2·P(X ≤ min(b, c))). No discordant pairs → 1.
 * b = primary-only passes, c = candidate-only passes (the order does not change p).
 */
export function mcnemarExact(b: number, c: number): number {
  checkCount('mcnemarExact: b', b)
  checkCount('mcnemarExact: c', c)
  const n = b + c
  if (n === 0) return 1
  return Math.min(1, 2 * binomialCdf(Math.min(b, c), n, 0.5))
}

/**
 * Clopper–Pearson (1934) exact upper bound on a share: the largest p with P(Bin(n, p) ≤ k) ≥ alpha, so that
 * P(bound < true share) ≤ alpha whatever the share. 0 events in n give 1 − alpha^(1/n) (≈ 3.69/n at 2.5%).
 */
export function clopperPearsonUpper(k: number, n: number, alpha: number): number {
  checkCount('clopperPearsonUpper: k', k)
  checkCount('clopperPearsonUpper: n', n)
  if (k > n) throw new RangeError(`clopperPearsonUpper: k (${k}) exceeds n (${n})`)
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`clopperPearsonUpper: alpha must be in (0, 1), got ${alpha}`)
  if (k === n) return 1
  if (k === 0) return 1 - Math.pow(alpha, 1 / n)
  // P(X ≤ k) falls as p grows (d/dp = −n·P(Y = k), Y ~ Bin(n − 1, p)): Newton's method kept inside a bracket.
  let lo = k / n
  let hi = 1
  let p = Math.min(1 - 1e-12, (k + 1) / n)
  for (let i = 0; i < 200; i++) {
    const f = binomialCdf(k, n, p) - alpha
    if (Math.abs(f) < 1e-15 * Math.max(alpha, 1e-300)) return p
    if (f > 0) lo = p
    else hi = p
    const step = p + f / (n * binomialPmf(k, n - 1, p))
    p = step > lo && step < hi ? step : (lo + hi) / 2
    if (hi - lo < 1e-14) break
  }
  return p
}

export interface Bounds {
  low: number
  high: number
}

/** Wilson score interval for k successes in n trials. n = 0 → [0, 1] (nothing is known). */
export function wilson(k: number, n: number, level = 0.95): Bounds {
  checkCount('wilson: k', k)
  checkCount('wilson: n', n)
  if (k > n) throw new RangeError(`wilson: k (${k}) exceeds n (${n})`)
  if (n === 0) return {low: 0, high: 1}
  const z = zCritical(level)
  const z2 = z * z
  const p = k / n
  const denom = 1 + z2 / n
  const center = (p + z2 / (2 * n)) / denom
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom
  // Exact endpoints at the boundaries (the formula gives them up to rounding).
  return {low: k === 0 ? 0 : Math.max(0, center - half), high: k === n ? 1 : Math.min(1, center + half)}
}

/**
 * Paired 2×2 counts, one per request. Cell convention (Newcombe 1998, first = primary, second =
 * candidate): a = both pass, b = primary passes and candidate fails, c = primary fails and
 * candidate passes, d = both fail. McNemar's discordant cells are b and c.
 */
export interface PairedCounts {
  a: number
  b: number
  c: number
  d: number
}

export interface DiffInterval {
  estimate: number
  low: number
  high: number
}

/**
 * Newcombe (1998, Stat Med 17:2635) method 10: square-and-add of Wilson intervals with the
 * correlation φ, for candidate rate − primary rate = (c − b)/n. φ is corrected as in the paper
 * (ad − bc replaced by ad − bc − n/2 when ad − bc > n/2, by 0 when 0 ≤ ad − bc ≤ n/2) and set to 0
 * when a margin is empty. Throws when n = 0.
 */
export function newcombePairedDiff(counts: PairedCounts, level = 0.95): DiffInterval {
  const {a, b, c, d} = counts
  checkCount('newcombePairedDiff: a', a)
  checkCount('newcombePairedDiff: b', b)
  checkCount('newcombePairedDiff: c', c)
  checkCount('newcombePairedDiff: d', d)
  const n = a + b + c + d
  if (n === 0) throw new RangeError('newcombePairedDiff: no pairs')
  // Newcombe's orientation: D = p1 − p2 with p1 = primary rate, p2 = candidate rate.
  const p1 = (a + b) / n
  const p2 = (a + c) / n
  const w1 = wilson(a + b, n, level)
  const w2 = wilson(a + c, n, level)
  const e = a + b
  const f = c + d
  const g = a + c
  const h = b + d
  let phi = 0
  if (e > 0 && f > 0 && g > 0 && h > 0) {
    const A = a * d - b * c
    const corrected = A > n / 2 ? A - n / 2 : A >= 0 ? 0 : A
    phi = corrected / Math.sqrt(e * f * g * h)
  }
  const dl1 = p1 - w1.low
  const du1 = w1.high - p1
  const dl2 = p2 - w2.low
  const du2 = w2.high - p2
  const delta = Math.sqrt(Math.max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2))
  const epsilon = Math.sqrt(Math.max(0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2))
  const D = p1 - p2
  const lowN = Math.max(-1, D - delta)
  const highN = Math.min(1, D + epsilon)
  // Flip to candidate − primary.
  return {estimate: (c - b) / n, low: -highN, high: -lowN}
}
