// Distribution functions written in-house (cross-checked against jstat in test/stats/core.test.ts).

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). Reflection for x < 0.5. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i)
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

function checkBinomial(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial: n must be a non-negative integer, got ${n}`)
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`)
}

function logBinomialPmf(k: number, n: number, p: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p)
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  checkBinomial(n, p)
  if (!Number.isInteger(k) || k < 0 || k > n) return 0
  if (p === 0) return k === 0 ? 1 : 0
  if (p === 1) return k === n ? 1 : 0
  return Math.exp(logBinomialPmf(k, n, p))
}

/**
 * P(X ≤ k) for X ~ Binomial(n, p). Sums the pmf outward from k over the smaller tail with the
 * ratio recurrence (one log-gamma evaluation, then multiplications), so tiny tail probabilities
 * keep their relative accuracy and the cost is O(terms that matter), not O(n).
 */
export function binomialCdf(k: number, n: number, p: number): number {
  checkBinomial(n, p)
  const kk = Math.floor(k)
  if (kk < 0) return 0
  if (kk >= n) return 1
  if (p === 0) return 1
  if (p === 1) return 0
  const q = 1 - p
  if (kk <= n * p) {
    // Lower tail: terms decrease going down from k (k is at or below the mean).
    let term = Math.exp(logBinomialPmf(kk, n, p))
    let total = term
    for (let j = kk; j > 0 && term > total * 1e-17; j--) {
      term *= (j / (n - j + 1)) * (q / p)
      total += term
    }
    return Math.min(1, total)
  }
  // Upper tail from k + 1 (above the mean: terms decrease going up), then complement.
  let term = Math.exp(logBinomialPmf(kk + 1, n, p))
  let total = term
  for (let j = kk + 1; j < n && term > total * 1e-17; j++) {
    term *= ((n - j) / (j + 1)) * (p / q)
    total += term
  }
  return Math.max(0, 1 - total)
}

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI)

/**
 * Q(1/2, t) = erfc(√t), the regularized upper incomplete gamma function at a = 1/2: series for
 * small t, Lentz continued fraction otherwise (Numerical Recipes §6.2). Keeps full relative
 * precision in the far tail, where p-values live.
 */
function upperGammaHalf(t: number): number {
  if (t <= 0) return 1
  const prefactor = Math.exp(-t) * Math.sqrt(t) * INV_SQRT_PI
  const a = 0.5
  if (t < a + 1) {
    let ap = a
    let del = 1 / a
    let total = del
    for (let n = 1; n < 500; n++) {
      ap += 1
      del *= t / ap
      total += del
      if (Math.abs(del) < Math.abs(total) * 1e-17) break
    }
    return 1 - total * prefactor
  }
  const tiny = 1e-300
  let b = t + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-16) break
  }
  return prefactor * h
}

/** Standard normal CDF Φ(x) via erfc (incomplete gamma); relative error ~1e-14 even at x = −30. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x === Infinity) return 1
  if (x === -Infinity) return 0
  const tail = 0.5 * upperGammaHalf((x * x) / 2)
  return x < 0 ? tail : 1 - tail
}

/**
 * Standard normal quantile Φ⁻¹(p), Wichura (1988) AS241 PPND16 (relative accuracy ~1e-16). Longer than 80 lines
 * because it is the published algorithm's three rational approximations, coefficients inline, kept as printed.
 * p = 0 → −Infinity, p = 1 → +Infinity; outside [0, 1] throws.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`)
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  const q = p - 0.5
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q
    return (
      (q *
        (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r +
          4.5921953931549871457e4) *
          r +
          1.3731693765509461125e4) *
          r +
          1.9715909503065514427e3) *
          r +
          1.3314166789178437745e2) *
          r +
          3.387132872796366608)) /
      (((((((5.226495278852854561e3 * r + 2.8729085735721942674e4) * r + 3.930789580009271061e4) * r +
        2.1213794301586595867e4) *
        r +
        5.3941960214247511077e3) *
        r +
        6.871870074920579083e2) *
        r +
        4.2313330701600911252e1) *
        r +
        1)
    )
  }
  let r = q < 0 ? p : 1 - p
  r = Math.sqrt(-Math.log(r))
  let val: number
  if (r <= 5) {
    r -= 1.6
    val =
      (((((((7.7454501427834140764e-4 * r + 2.27238449892691845833e-2) * r + 2.4178072517745061177e-1) * r +
        1.27045825245236838258) *
        r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 1.51986665636164571966e-2) * r +
        1.4810397642748007459e-1) *
        r +
        6.8976733498510000455e-1) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1)
  } else {
    r -= 5
    val =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.2426609473880784386e-3) * r +
        2.6532189526576123093e-2) *
        r +
        2.9656057182850489123e-1) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) *
        r +
        1.4875361290850614852e-2) *
        r +
        1.3692988092273580531e-1) *
        r +
        5.9983220655588793769e-1) *
        r +
        1)
  }
  return q < 0 ? -val : val
}

/** Two-sided critical value z_{1−(1−level)/2} for a confidence level such as 0.95. */
export function zCritical(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`)
  return normalQuantile(1 - (1 - level) / 2)
}
