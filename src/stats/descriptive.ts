// Descriptive statistics. Empty input gives NaN (not a throw) so callers can decide what
// "no data" means for them; gate code checks sample sizes before it gets here.

export function sum(values: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i]!
  return s
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN
  return sum(values) / values.length
}

/** Sample standard deviation (n − 1 denominator); NaN when fewer than two values. Two-pass for accuracy. */
export function sd(values: ArrayLike<number>): number {
  const n = values.length
  if (n < 2) return NaN
  const m = mean(values)
  let ss = 0
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m
    ss += d * d
  }
  return Math.sqrt(ss / (n - 1))
}

function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`)
}

/**
 * Where the type-7 p-quantile of n sorted values sits: between indices lo and hi, `frac` of the way. The
 * quantile depends on sorted[lo] alone when frac = 0, else on sorted[lo] and sorted[hi] (a censored value at or
 * below sorted[last] makes the quantile a lower bound).
 */
export function quantileIndex(n: number, p: number): {lo: number; hi: number; frac: number; last: number} {
  const h = (n - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, n - 1)
  const frac = h - lo
  return {lo, hi, frac, last: frac === 0 ? lo : hi}
}

/**
 * Type-7 (linear interpolation, R's default, numpy 'linear') quantile of already sorted values.
 * h = (n − 1)·p; interpolate between the order statistics around h.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  checkP(p)
  const n = sorted.length
  if (n === 0) return NaN
  const {lo, hi, frac} = quantileIndex(n, p)
  const a = sorted[lo]!
  const b = sorted[hi]!
  // a === b also covers Infinity endpoints (Infinity − Infinity would give NaN).
  return frac === 0 || a === b ? a : a + frac * (b - a)
}

/** Sorted Float64Array copy (numeric order; the input is not modified). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>).sort()
}

/** Type-7 quantile of unsorted values (sorts a copy). Values must be finite. */
export function quantile(values: ArrayLike<number>, p: number): number {
  checkP(p)
  return quantileSorted(sortedCopy(values), p)
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5)
}
