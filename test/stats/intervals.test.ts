// The intervals behind the gates (docs/scoring-and-gates.md §4.1): Student's t and Clopper–Pearson against jstat, the mean
// interval (studentized bootstrap with the rare-event bound), censored quantile ratios, and the conformal
// beyond-noise rate, whose A/A expectation is exactly its nominal rate.
import assert from 'node:assert/strict'
import {createRequire} from 'node:module'
import {describe, test} from 'node:test'
import {
  beyondNoiseRate,
  clopperPearsonUpper,
  meanInterval,
  pairedBootstrapRatio,
  quantile,
  regularizedBeta,
  rng,
  studentTCdf,
  studentTQuantile,
} from '../../src/stats/index.js'

interface JStatSubset {
  studentt: {cdf(x: number, df: number): number; inv(p: number, df: number): number}
  beta: {inv(p: number, a: number, b: number): number}
  ibeta(x: number, a: number, b: number): number
}
const jStat = (createRequire(import.meta.url)('jstat') as {jStat: JStatSubset}).jStat

function normals(n: number, mu: number, sigma: number, seed: number): number[] {
  const u = rng(seed)
  return Array.from({length: n}, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()))
}

describe("Student's t and Clopper–Pearson", () => {
  test('regularized incomplete beta, t CDF and t quantiles agree with jstat', () => {
    // Reference values from scipy 1.17.1 (scipy.special.betainc, scipy.stats.t.ppf); jstat's continued fraction
    // stops at ~1e-8, so it is the oracle only to that precision.
    const betas = [[0.3, 2, 5, 0.5798250000000003], [0.9, 14.5, 0.5, 0.08307466551442916], [0.01, 0.5, 0.5, 0.06376856085851985], [0.999, 100, 3, 0.9998405621680042]] as const
    for (const [x, a, b, ref] of betas) {
      assert.ok(Math.abs(regularizedBeta(x, a, b) - ref) < 1e-14, `I_${x}(${a}, ${b})`)
      assert.ok(Math.abs(regularizedBeta(x, a, b) - jStat.ibeta(x, a, b)) < 1e-7, `I_${x}(${a}, ${b}) vs jstat`)
    }
    for (const [p, df, ref] of [[0.975, 29, 2.045229642132703], [0.975, 1, 12.706204736174694], [0.995, 5, 4.032142983555228]] as const) {
      assert.ok(Math.abs(studentTQuantile(p, df) - ref) < 1e-9 * ref, `t(${p}; ${df})`)
    }
    for (const df of [1, 2, 5, 29, 199, 5000]) {
      for (const t of [-4, -1.3, 0.2, 2.05]) assert.ok(Math.abs(studentTCdf(t, df) - jStat.studentt.cdf(t, df)) < 1e-7, `cdf(${t}, ${df})`)
      for (const p of [0.9, 0.975, 0.995]) {
        const q = studentTQuantile(p, df)
        assert.ok(Math.abs(q - jStat.studentt.inv(p, df)) < 1e-6 * Math.abs(q), `inv(${p}, ${df})`)
        assert.ok(Math.abs(studentTCdf(q, df) - p) < 1e-12)
      }
    }
  })

  test('Clopper–Pearson upper bound is the beta quantile; 0 events in n give 1 − α^(1/n) (≈ 3.69/n at 2.5%)', () => {
    for (const [k, n] of [[0, 30], [1, 30], [3, 200], [25, 500], [199, 200]] as const) {
      const ours = clopperPearsonUpper(k, n, 0.025)
      assert.ok(Math.abs(ours - jStat.beta.inv(0.975, k + 1, n - k)) < 1e-9, `CP(${k}, ${n})`)
    }
    assert.ok(Math.abs(clopperPearsonUpper(0, 300, 0.025) - (1 - Math.pow(0.025, 1 / 300))) < 1e-15)
    assert.equal(clopperPearsonUpper(10, 10, 0.025), 1)
  })
})

describe('mean interval', () => {
  test('deterministic for a seed; close to the t-interval for normal data (the rare-event bound does not bind at n = 2000)', () => {
    const d = normals(2000, -0.01, 0.15, 11)
    const a = meanInterval(d, {seed: 1, B: 2000, range: [-1, 1]})
    assert.deepEqual(meanInterval(d, {seed: 1, B: 2000, range: [-1, 1]}), a)
    assert.notDeepEqual(meanInterval(d, {seed: 2, B: 2000, range: [-1, 1]}), a)
    const m = d.reduce((x, y) => x + y, 0) / d.length
    const s = Math.sqrt(d.reduce((x, y) => x + (y - m) ** 2, 0) / (d.length - 1) / d.length)
    assert.ok(Math.abs(a.high - a.low - 2 * 1.961 * s) < 0.06 * 2 * 1.961 * s, `width ${a.high - a.low} vs ${2 * 1.961 * s}`)
    assert.deepEqual(a.widened, {low: false, high: false})
  })

  test('identical values: no bootstrap, the rare-event bound gives ±CP(0 of n)·range; without a range, [m, m]', () => {
    const zeros = new Array<number>(100).fill(0)
    const ci = meanInterval(zeros, {seed: 1, B: 500, range: [-1, 1]})
    const cp = clopperPearsonUpper(0, 100, 0.025)
    assert.equal(ci.bootstrap, null)
    assert.ok(Math.abs(ci.low + cp) < 1e-12 && Math.abs(ci.high - cp) < 1e-12, `[${ci.low}, ${ci.high}]`)
    assert.deepEqual(ci.widened, {low: true, high: true})
    const scores = meanInterval(new Array<number>(100).fill(1), {seed: 1, B: 500, range: [0, 1]})
    assert.equal(scores.high, 1, 'nothing lies above the top of the range')
    assert.ok(Math.abs(scores.low - (1 - cp)) < 1e-12)
    assert.deepEqual(meanInterval([3, 3, 3], {seed: 1, B: 100}), {estimate: 3, low: 3, high: 3, units: 3, bootstrap: null, tail: null, widened: {low: false, high: false}})
    assert.throws(() => meanInterval([], {seed: 1}), RangeError)
  })

  test('zero-inflated: a few large drops widen the low end far beyond what the bootstrap shows', () => {
    const d = Array.from({length: 200}, (_, i) => (i % 50 === 0 ? -0.4 : 0))
    const ci = meanInterval(d, {seed: 3, B: 1000, range: [-1, 1]})
    assert.ok(ci.bootstrap !== null)
    assert.ok(ci.widened.low, JSON.stringify(ci))
    assert.equal(ci.tail!.below, 4)
    // 4 of 200 drops of 0.4: at most CP(4, 200) ≈ 5.0% of requests drop, each by (4·0.4 + 1)/5 on average.
    const bound = -clopperPearsonUpper(4, 200, 0.025) * ((4 * 0.4 + 1) / 5)
    assert.ok(Math.abs(ci.low - bound) < 1e-12, `${ci.low} vs ${bound}`)
    assert.ok(ci.low < ci.bootstrap.low)
  })

  test('clusters: internally identical conversations widen the interval; ids must match the values', () => {
    const base = normals(40, 0, 0.3, 3)
    const d: number[] = []
    const clusters: string[] = []
    base.forEach((v, i) => {
      for (let k = 0; k < 10; k++) {
        d.push(v)
        clusters.push(`conv-${i}`)
      }
    })
    const iid = meanInterval(d, {seed: 1, B: 1000})
    const clustered = meanInterval(d, {seed: 1, B: 1000, clusters})
    assert.equal(clustered.units, 40)
    assert.ok(clustered.high - clustered.low > 2.5 * (iid.high - iid.low))
    assert.throws(() => meanInterval(d, {seed: 1, clusters: ['x']}), RangeError)
  })
})

describe('censored quantile ratios', () => {
  test('a candidate p95 resting on timed-out requests is a lower bound: the ratio is open above', () => {
    const p = normals(400, 800, 100, 5).map((x) => Math.max(1, x))
    const c = p.map((x) => 2.5 * x)
    // A 2300 ms timeout: the candidate's slowest ~11% never answered and are recorded at the timeout.
    const censoredC = c.map((x) => x > 2300)
    const cc = c.map((x) => Math.min(x, 2300))
    const r = pairedBootstrapRatio(p, cc, 'p95', {seed: 1, B: 500, censored: {candidate: censoredC}})
    assert.equal(r.high, Infinity)
    assert.deepEqual(r.censored, {primary: false, candidate: true})
    assert.ok(r.low! > 2.2, `the lower end still shows a slowdown: ${r.low}`)
    // The p50 does not reach the censored values: an ordinary interval.
    const p50 = pairedBootstrapRatio(p, cc, 'p50', {seed: 1, B: 500, censored: {candidate: censoredC}})
    assert.ok(Number.isFinite(p50.high!) && Math.abs(p50.estimate! - quantile(cc, 0.5) / quantile(p, 0.5)) < 1e-12)
    assert.deepEqual(p50.censored, {primary: false, candidate: false})
  })
})

describe('beyond-noise rate', () => {
  test('A/A expectation is exactly the nominal rate: averaged over which request is the candidate, q exactly', () => {
    // m + 1 exchangeable similarities; each in turn is the candidate and the others are the A/A sample.
    for (const m of [20, 60, 89, 90, 133]) {
      const values = normals(m + 1, 0.6, 0.1, m)
      let total = 0
      for (let i = 0; i <= m; i++) {
        const items = values.map((v, j) => ({sim: j === i ? v : null, noise: j === i ? null : v}))
        total += beyondNoiseRate(items, {seed: 1, B: 1}).rate
      }
      assert.ok(Math.abs(total / (m + 1) - 0.05) < 1e-12, `m=${m}: ${total / (m + 1)}`)
    }
  })

  test("a request's own A/A similarity is left out of its comparison; ties count in part", () => {
    // Noise 0.90..0.99 on 200 requests; half the candidates drift to 0.5.
    const items = Array.from({length: 200}, (_, i) => ({sim: i % 2 === 0 ? 0.5 : 0.95, noise: 0.9 + (i % 10) / 100}))
    const r = beyondNoiseRate(items, {seed: 1, B: 200})
    assert.equal(r.rate, 0.5)
    assert.equal(r.m, 200)
    assert.equal(r.threshold, 0.9, 'the 10th lowest of 200')
    assert.ok(r.low < 0.5 && r.high > 0.5)
    assert.throws(() => beyondNoiseRate([{sim: 0.5, noise: null}], {seed: 1}), RangeError)
  })
})
