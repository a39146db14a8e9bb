import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {createRequire} from 'node:module'
import {
  rng,
  mean,
  sd,
  quantile,
  median,
  normalCdf,
  normalQuantile,
  binomialCdf,
  binomialPmf,
  logGamma,
  pairedBootstrapRatio,
  mcnemarExact,
  wilson,
  newcombePairedDiff,
  holm,
  mde,
  cohensDz,
  wilcoxonSignedRank,
  asymptoticConfidenceSequence,
  msprt,
  zCritical,
} from '../../src/stats/index.js'

// jstat ships no types and is a UMD bundle; createRequire loads it the same way under ESM
// (the default export is the jStat function, which also carries `.jStat`). Minimal surface used here:
interface JStatSubset {
  mean(values: number[]): number
  stdev(values: number[], sample: boolean): number
  quantiles(values: number[], ps: number[], alphap: number, betap: number): number[]
  normal: {cdf(x: number, mu: number, sigma: number): number; inv(p: number, mu: number, sigma: number): number}
  binomial: {cdf(k: number, n: number, p: number): number; pdf(k: number, n: number, p: number): number}
  gammaln(x: number): number
}
const require = createRequire(import.meta.url)
const {jStat} = require('jstat') as {jStat: JStatSubset}

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what} expected ${expected}, got ${actual} (|diff| ${Math.abs(actual - expected)} > ${tol})`,
  )
}
function relClose(actual: number, expected: number, rel: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected),
    `${what} expected ${expected}, got ${actual} (rel diff ${Math.abs(actual - expected) / Math.abs(expected)})`,
  )
}

/** Simple normal sample from our own generator (Box–Muller), for simulation tests. */
function normalSample(n: number, mu: number, sigma: number, seed: number): number[] {
  const next = rng(seed)
  const out: number[] = []
  while (out.length < n) {
    const u1 = next() || 1e-12
    const u2 = next()
    out.push(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2))
  }
  return out
}

describe('rng', () => {
  test('same seed gives the same stream, different seeds differ', () => {
    const a = rng(42)
    const b = rng(42)
    const c = rng(43)
    const sa = Array.from({length: 5}, () => a())
    const sb = Array.from({length: 5}, () => b())
    const sc = Array.from({length: 5}, () => c())
    assert.deepEqual(sa, sb)
    assert.notDeepEqual(sa, sc)
  })
  test('golden mulberry32 values (a change here changes every recorded interval)', () => {
    const g = rng(1)
    const first = [g(), g(), g()].map((x) => Math.round(x * 4294967296))
    assert.deepEqual(first, [2693262067, 11749833, 2265367787])
  })
  test('uniform on [0, 1): mean ≈ 0.5, variance ≈ 1/12', () => {
    const g = rng(7)
    const xs = Array.from({length: 100_000}, () => g())
    assert.ok(xs.every((x) => x >= 0 && x < 1))
    close(mean(xs), 0.5, 0.005)
    close(sd(xs) ** 2, 1 / 12, 0.002)
  })
  test('rejects a non-finite seed', () => {
    assert.throws(() => rng(NaN), RangeError)
  })
})

describe('descriptive', () => {
  const data = [3.2, 1.5, 9.9, 4.4, 4.4, 0.1, 7.25, 2.0, 5.5, 6.75, 8.0]
  test('mean and sample sd agree with jStat', () => {
    close(mean(data), jStat.mean(data), 1e-12)
    close(sd(data), jStat.stdev(data, true), 1e-12)
    assert.ok(Number.isNaN(mean([])))
    assert.ok(Number.isNaN(sd([1])))
  })
  test('type-7 quantile: 1..20 at 0.95 is 19.05 and matches jStat.quantiles(alphap=1, betap=1)', () => {
    const oneToTwenty = Array.from({length: 20}, (_, i) => 20 - i) // unsorted on purpose
    const before = [...oneToTwenty]
    close(quantile(oneToTwenty, 0.95), 19.05, 1e-12)
    assert.deepEqual(oneToTwenty, before, 'input must not be sorted in place')
    for (const p of [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
      close(quantile(data, p), jStat.quantiles(data, [p], 1, 1)[0]!, 1e-12, `p=${p}`)
    }
    close(median([5, 1, 3, 2]), 2.5, 0)
    assert.throws(() => quantile(data, 1.5), RangeError)
    assert.ok(Number.isNaN(quantile([], 0.5)))
  })
})

describe('distributions', () => {
  test('normalCdf matches jStat on [-6, 6] and reference tail values to 1e-12 relative', () => {
    for (let i = -600; i <= 600; i += 7) {
      const x = i / 100
      close(normalCdf(x), jStat.normal.cdf(x, 0, 1), 1e-14, `x=${x}`)
    }
    // Reference values (scipy.stats.norm.cdf; erfc-based, double precision).
    relClose(normalCdf(-1), 0.15865525393145707, 1e-13)
    relClose(normalCdf(-3), 0.0013498980316300933, 1e-12)
    relClose(normalCdf(-5), 2.866515718791933e-7, 1e-12)
    relClose(normalCdf(-8), 6.22096057427174e-16, 1e-12)
    relClose(normalCdf(-12), 1.776482112077653e-33, 1e-12)
    close(normalCdf(1.959963984540054), 0.975, 1e-15)
    assert.equal(normalCdf(0), 0.5)
  })
  test('normalQuantile (AS241) matches jStat, known critical values, and inverts normalCdf', () => {
    for (let i = 1; i < 1000; i += 3) {
      const p = i / 1000
      close(normalQuantile(p), jStat.normal.inv(p, 0, 1), 1e-12, `p=${p}`)
    }
    close(normalQuantile(0.975), 1.959963984540054, 1e-14)
    close(normalQuantile(0.8), 0.8416212335729143, 1e-14)
    close(normalQuantile(0.001), -3.090232306167813, 1e-13)
    relClose(normalQuantile(1e-10), -6.361340902404056, 1e-14)
    for (const p of [1e-300, 1e-15, 1e-6, 0.02, 0.4, 0.6, 0.999999]) {
      relClose(normalCdf(normalQuantile(p)), p, 1e-12, `p=${p}`)
    }
    assert.equal(normalQuantile(0), -Infinity)
    assert.equal(normalQuantile(1), Infinity)
    assert.throws(() => normalQuantile(1.2), RangeError)
    close(zCritical(0.9), 1.6448536269514722, 1e-14)
  })
  test('logGamma matches jStat.gammaln and exact factorials', () => {
    for (const x of [0.1, 0.5, 2.5, 10, 57.3, 1000]) relClose(logGamma(x), jStat.gammaln(x), 1e-12, `x=${x}`)
    close(logGamma(1), 0, 1e-14)
    close(logGamma(2), 0, 1e-14)
    close(logGamma(11), Math.log(3628800), 1e-12)
  })
  test('binomialCdf matches jStat (which rounds to 10 decimals) and exact rational values at p = ½', () => {
    for (const n of [1, 5, 20, 57, 200, 1000]) {
      for (let k = 0; k <= n; k += n > 100 ? 7 : 1) {
        for (const p of [0.01, 0.3, 0.5, 0.77]) {
          close(binomialCdf(k, n, p), jStat.binomial.cdf(k, n, p), 2e-10, `n=${n} k=${k} p=${p}`)
        }
      }
    }
    // Exact: P(X ≤ k) = Σ C(n, j) / 2^n with BigInt, relative error must stay tiny even deep in the tail.
    for (const n of [15, 60, 200]) {
      let cum = 0n
      let choose = 1n
      for (let k = 0; k <= n; k++) {
        if (k > 0) choose = (choose * BigInt(n - k + 1)) / BigInt(k)
        cum += choose
        const exact = Number(cum) / 2 ** n
        if (exact > 1e-280) relClose(binomialCdf(k, n, 0.5), exact, 1e-10, `n=${n} k=${k}`)
      }
    }
    close(binomialPmf(3, 15, 0.5), 455 / 32768, 1e-15)
    assert.equal(binomialCdf(-1, 10, 0.3), 0)
    assert.equal(binomialCdf(10, 10, 0.3), 1)
    assert.equal(binomialCdf(0, 10, 0), 1)
  })
})

describe('McNemar, Wilson, Newcombe', () => {
  test('exact McNemar: b=3, c=12 gives 2·576/32768 ≈ 0.035, same as a binomial test in jStat', () => {
    close(mcnemarExact(3, 12), 0.03515625, 1e-15)
    close(mcnemarExact(12, 3), 0.03515625, 1e-15)
    for (const [b, c] of [
      [0, 5],
      [4, 9],
      [10, 30],
      [45, 60],
    ] as const) {
      close(mcnemarExact(b, c), Math.min(1, 2 * jStat.binomial.cdf(Math.min(b, c), b + c, 0.5)), 2e-10, `${b},${c}`)
    }
    assert.equal(mcnemarExact(0, 0), 1)
    assert.equal(mcnemarExact(7, 7), 1)
    close(mcnemarExact(0, 5), 0.0625, 1e-15)
  })
  test('Wilson matches the textbook examples (Newcombe 1998, Stat Med 17:857, Table I)', () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ]
    for (const [k, n, lo, hi] of cases) {
      const w = wilson(k, n)
      close(w.low, lo, 5e-5, `${k}/${n} low`)
      close(w.high, hi, 5e-5, `${k}/${n} high`)
    }
    // 0 events in 300 → 95% upper ≈ 1.26% (docs/scoring-and-gates.md §4.1).
    close(wilson(0, 300).high, 0.012643, 1e-6)
    assert.deepEqual(wilson(0, 0), {low: 0, high: 1})
    assert.equal(wilson(20, 20).high, 1)
    assert.ok(wilson(50, 100, 0.99).high > wilson(50, 100, 0.95).high)
  })
  test('Newcombe method 10 for paired rates: hand-computed values and invariants', () => {
    // Cavo et al. (2012) table as used by Fagerland, Lydersen & Laake: both pass 59, primary-only 6,
    // candidate-only 16, neither 80. Hand computation (z = 1.959964):
    //   p1 = 65/161 = .403727, Wilson [.331037, .480904]; p2 = 75/161 = .465839, Wilson [.390481, .542789]
    //   ad − bc = 4624 > n/2, so φ = (4624 − 80.5)/√(65·96·75·86) = .716174
    //   δ = √(.072690² − 2φ·.072690·.076950 + .076950²) = .056509
    //   ε = √(.077177² − 2φ·.077177·.075358 + .075358²) = .057487
    //   p1 − p2 = −.062112 → [−.118621, −.004625]; flipped to candidate − primary: [.004625, .118621]
    const r = newcombePairedDiff({a: 59, b: 6, c: 16, d: 80})
    close(r.estimate, 10 / 161, 1e-12)
    close(r.low, 0.004625, 5e-6)
    close(r.high, 0.118621, 5e-6)
    // Swapping the discordant cells mirrors the interval.
    const m = newcombePairedDiff({a: 59, b: 16, c: 6, d: 80})
    close(m.low, -r.high, 1e-12)
    close(m.high, -r.low, 1e-12)
    // Bentur et al. (2009) (small n, a = 1, b = 1, c = 7, d = 12): ours = candidate − primary.
    const s = newcombePairedDiff({a: 1, b: 1, c: 7, d: 12})
    close(s.estimate, 6 / 21, 1e-12)
    close(s.low, 0.025559, 5e-6)
    close(s.high, 0.506920, 5e-6)
    // No discordant pairs: estimate 0, interval straddles 0 and stays inside [-1, 1].
    const z = newcombePairedDiff({a: 40, b: 0, c: 0, d: 60})
    assert.equal(z.estimate, 0)
    assert.ok(z.low < 0 && z.high > 0 && z.low >= -1 && z.high <= 1)
    // Paired intervals are narrower than the unpaired square-and-add when the arms agree a lot.
    const unpairedHalf = Math.hypot(0.5 - wilson(50, 100).low, wilson(55, 100).high - 0.55)
    const paired = newcombePairedDiff({a: 48, b: 2, c: 7, d: 43})
    assert.ok(paired.high - paired.estimate < unpairedHalf)
    assert.throws(() => newcombePairedDiff({a: 0, b: 0, c: 0, d: 0}), RangeError)
  })
})

describe('bootstrap', () => {
  test('ratio: exact 2× candidate gives [2, 2]; p95 estimate is the ratio of type-7 quantiles', () => {
    const p = normalSample(300, 800, 150, 21).map((x) => Math.max(1, x))
    const c2 = p.map((x) => 2 * x)
    assert.deepEqual(pairedBootstrapRatio(p, c2, 'p95', {seed: 1, B: 300}), {estimate: 2, low: 2, high: 2, dropped: 0, censored: {primary: false, candidate: false}})
    const c = p.map((x, i) => x * (1.1 + 0.1 * Math.sin(i)))
    const r = pairedBootstrapRatio(p, c, 'p95', {seed: 1, B: 500})
    close(r.estimate!, quantile(c, 0.95) / quantile(p, 0.95), 1e-12)
    assert.ok(r.low! < r.estimate! && r.estimate! < r.high!)
    assert.deepEqual(pairedBootstrapRatio(p, c, 'p95', {seed: 1, B: 500}), r)
    const sumRatio = pairedBootstrapRatio(p, c, 'sum', {seed: 2, B: 500})
    close(sumRatio.estimate!, c.reduce((x, y) => x + y, 0) / p.reduce((x, y) => x + y, 0), 1e-12)
    const meanRatio = pairedBootstrapRatio(p, c, 'mean', {seed: 2, B: 500})
    close(meanRatio.low!, sumRatio.low!, 1e-12)
  })
  test('ratio: zero denominators are null (full sample) or +Infinity / dropped (replicates)', () => {
    assert.deepEqual(pairedBootstrapRatio([0, 0, 0], [1, 2, 3], 'sum', {seed: 1, B: 50}), {
      estimate: null,
      low: null,
      high: null,
      dropped: 0,
      censored: {primary: false, candidate: false},
    })
    // One non-zero primary cost among many zeros: some replicates miss it entirely.
    const primary = [5, 0, 0, 0, 0]
    const candidate = [5, 1, 0, 0, 0]
    const r = pairedBootstrapRatio(primary, candidate, 'sum', {seed: 3, B: 400})
    close(r.estimate!, 1.2, 1e-12)
    assert.equal(r.high, Infinity)
    const both0 = pairedBootstrapRatio([4, 0, 0, 0, 0], [4, 0, 0, 0, 0], 'sum', {seed: 3, B: 400})
    assert.ok(both0.dropped > 0 && both0.low === 1 && both0.high === 1)
    assert.throws(() => pairedBootstrapRatio([1], [1, 2], 'sum', {seed: 1}), RangeError)
  })
})

describe('multiplicity, power, effect size, Wilcoxon', () => {
  test('Holm on [0.01, 0.04, 0.03, 0.2] gives [0.04, 0.09, 0.09, 0.2]', () => {
    const adj = holm([0.01, 0.04, 0.03, 0.2])
    ;[0.04, 0.09, 0.09, 0.2].forEach((v, i) => close(adj[i]!, v, 1e-15))
    assert.deepEqual(holm([0.5, 0.9]), [1, 1])
    assert.deepEqual(holm([0.9, 0.02]), [0.9, 0.04])
    assert.deepEqual(holm([]), [])
  })
  test('MDE = (z_.975 + z_.8)·SE; squared factor 7.85 as in the sample-size table of docs/scoring-and-gates.md §4.3', () => {
    close(mde(1), 2.8015852179, 1e-9)
    close(mde(1) ** 2, 7.849, 1e-3)
    close(mde(0.01, 0.9, 0.9), (1.6448536269514722 + 1.2815515655446004) * 0.01, 1e-12)
  })
  test("Cohen's d_z", () => {
    close(cohensDz([1, 2, 3, 4])!, 2.5 / Math.sqrt(5 / 3), 1e-12)
    assert.equal(cohensDz([0.2, 0.2, 0.2]), null)
    assert.equal(cohensDz([1]), null)
  })
  test('Wilcoxon signed-rank matches scipy 1.17 reference values', () => {
    // scipy.stats.wilcoxon docs example: two-sided exact p = 0.041259765625 (W− = 24).
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
    const exact = wilcoxonSignedRank(d)
    assert.equal(exact.method, 'exact')
    assert.equal(exact.wMinus, 24)
    assert.equal(exact.statistic, 96)
    close(exact.p, 0.041259765625, 1e-15)
    const approx = wilcoxonSignedRank(d, {exactBelow: 0})
    close(approx.p, 0.04088813291185591, 1e-13)
    // Ties and zeros, Pratt: scipy wilcoxon(zero_method='pratt', method='approx') → 0.03915199312099414.
    const tied = [0, 0, 1, -1, 2, 2, -2, 3, 0.5, 1, 1, -1, 4, 5, 0, 2]
    const t = wilcoxonSignedRank(tied, {exactBelow: 0})
    assert.equal(t.zeros, 3)
    close(t.p, 0.03915199312099414, 1e-12)
    // Exact conditional distribution with the tied ranks: brute force over 2^13 sign flips gives 0.04296875.
    close(wilcoxonSignedRank(tied).p, 0.04296875, 1e-15)
    assert.equal(wilcoxonSignedRank([0, 0, 0]).p, 1)
  })
})

describe('sequential', () => {
  test('asymptotic CS is ~1.55× the fixed-n 95% CI at the planned n (docs/scoring-and-gates.md §4.5)', () => {
    const cs = asymptoticConfidenceSequence({mean: 0, sd: 1, n: 1000}, {plannedN: 1000})
    close((cs.halfWidth * Math.sqrt(1000)) / 1.959964, 1.5486, 1e-3)
    const quarter = asymptoticConfidenceSequence({mean: 0, sd: 1, n: 250}, {plannedN: 1000})
    const ratio = (quarter.halfWidth * Math.sqrt(250)) / 1.959964
    assert.ok(ratio > 1.55 && ratio < 1.75, `ratio at n*/4 ${ratio}`)
  })
  test('mSPRT p-value: running minimum, small for a real effect, 1 for none', () => {
    const none = msprt({mean: 0, sd: 1, n: 50}, {tau: 0.1})
    assert.equal(none.p, 1)
    const strong = msprt({mean: 0.3, sd: 1, n: 500}, {tau: 0.1})
    assert.ok(strong.p < 1e-4)
    assert.equal(msprt({mean: 0, sd: 1, n: 50}, {tau: 0.1, previousP: 0.2}).p, 0.2)
    // Log form avoids overflow at large n.
    assert.equal(msprt({mean: 0.5, sd: 1, n: 1e6}, {tau: 0.1}).p, 0)
  })
})
