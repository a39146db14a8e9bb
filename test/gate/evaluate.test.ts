// Gate outcomes from RunData built in the test: PASS, FAIL, INCONCLUSIVE and INSUFFICIENT for every
// family of metric, harm mode, levels, verdicts and exit codes.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {MetricEngine, metricRows} from '../../src/analysis/index.js'
import {decide, DEFAULT_GATES, evaluateGate, exitCodeOf, parseGate, verdictOf} from '../../src/gate/index.js'
import {buildReport} from '../../src/report/build.js'
import type {ArmData, PairedRequest, RunData} from '../../src/analysis/data.js'
import type {GateOutcome} from '../../src/analysis/model.js'
import {rng} from '../../src/stats/index.js'
import {arm, runData} from '../support/run-data.js'

// ------------------------------------------------------------------------- RunData builders

function errorArm(): ArmData {
  return arm({status: 'error', http_status: 529, error_message: 'overloaded', text: null, latency_ms: 30, output_tokens: null, cost_usd: null, finish_reason: 'error', flags: {}}, null)
}

function req(i: number, primary: ArmData | null, candidate: ArmData | null, extra: Partial<PairedRequest> = {}): PairedRequest {
  return {event_id: `ev${String(i).padStart(5, '0')}`, timestamp: '2026-11-01T00:00:00.000Z', model: 'gpt-4o-mini', prompt: `question ${i}`, cluster: null, primary, candidate, primary_aa: null, similarity: null, noise: null, ...extra}
}

/** n pairs; `f(i, u)` makes the pair from a seeded uniform u. */
function pairs(n: number, f: (i: number, u: () => number) => [ArmData | null, ArmData | null], extra?: (i: number) => Partial<PairedRequest>): RunData {
  const u = rng(42)
  return runData(Array.from({length: n}, (_, i) => {
    const [p, c] = f(i, u)
    return req(i, p, c, extra?.(i))
  }))
}

function gate(data: RunData, rule: string, mode: 'non-inferiority' | 'harm' = 'non-inferiority', B = 2000): GateOutcome {
  return evaluateGate(new MetricEngine(data, {seed: 1, B, level: 0.95}), parseGate(rule), mode, 0.95)
}

// ------------------------------------------------------------------------- tests

describe('decision rule', () => {
  test('non-inferiority: PASS inside, FAIL entirely beyond, INCONCLUSIVE straddling; harm: FAIL only entirely beyond', () => {
    // "> -0.02": good side is high.
    assert.equal(decide(-0.01, 0.01, '>', -0.02, 'non-inferiority'), 'pass')
    assert.equal(decide(-0.05, -0.03, '>', -0.02, 'non-inferiority'), 'fail')
    assert.equal(decide(-0.03, 0.01, '>', -0.02, 'non-inferiority'), 'inconclusive')
    assert.equal(decide(-0.03, 0.01, '>', -0.02, 'harm'), 'pass')
    assert.equal(decide(-0.05, -0.03, '>', -0.02, 'harm'), 'fail')
    // "<= 1.2x": good side is low; the bound equal to the threshold satisfies <=.
    assert.equal(decide(1.0, 1.2, '<=', 1.2, 'non-inferiority'), 'pass')
    assert.equal(decide(1.2, 1.5, '<=', 1.2, 'non-inferiority'), 'inconclusive')
    assert.equal(decide(1.21, 1.5, '<=', 1.2, 'non-inferiority'), 'fail')
    // Strict "<": an interval touching the threshold from above has no value that satisfies it.
    assert.equal(decide(1.2, 1.5, '<', 1.2, 'non-inferiority'), 'fail')
    assert.equal(decide(1, 1, '<', 1.2, 'non-inferiority'), 'pass')
    assert.equal(decide(-0.02, 0, '>=', -0.02, 'non-inferiority'), 'pass')
    assert.equal(decide(-0.05, -0.02, '>', -0.02, 'non-inferiority'), 'fail')
    assert.equal(decide(Number.NEGATIVE_INFINITY, 0, '>', -0.02, 'non-inferiority'), 'inconclusive')
    assert.equal(decide(1.3, Infinity, '<=', 1.2, 'non-inferiority'), 'fail')
  })

  test('verdict: fail beats insufficient beats inconclusive beats pass; exit codes 0/1/3, 0 when allowed', () => {
    const o = (decision: GateOutcome['decision']) => ({decision}) as GateOutcome
    assert.equal(verdictOf([]), 'none')
    assert.equal(verdictOf([o('pass'), o('pass')]), 'pass')
    assert.equal(verdictOf([o('pass'), o('inconclusive')]), 'inconclusive')
    assert.equal(verdictOf([o('inconclusive'), o('insufficient')]), 'insufficient')
    assert.equal(verdictOf([o('insufficient'), o('fail'), o('pass')]), 'fail')
    assert.deepEqual(
      (['pass', 'fail', 'inconclusive', 'insufficient', 'none'] as const).map((v) => [exitCodeOf(v), exitCodeOf(v, true)]),
      [[0, 0], [1, 1], [3, 0], [3, 0], [0, 0]],
    )
  })
})

describe('quality gates', () => {
  const base = (i: number, u: () => number) => 0.5 + 0.4 * u() + i * 0
  test('PASS when the candidate matches the primary, FAIL when it is 0.1 worse', () => {
    const same = pairs(200, (_, u) => {
      const p = base(0, u)
      return [arm({}, p), arm({}, Math.min(1, Math.max(0, p + (u() - 0.5) * 0.02)))]
    })
    const ok = gate(same, 'quality.overall.mean_diff > -0.02')
    assert.equal(ok.decision, 'pass', ok.reason)
    assert.equal(ok.kind, 'difference')
    assert.equal(ok.n, 200)
    assert.ok(ok.value.low! > -0.02 && ok.value.high! < 0.02)
    assert.match(ok.value.method, /studentized bootstrap \(B=2000\)/)
    const worse = pairs(200, (_, u) => {
      const p = base(0, u)
      return [arm({}, p), arm({}, p - 0.1 + (u() - 0.5) * 0.02)]
    })
    const bad = gate(worse, 'quality.overall.mean_diff > -0.02')
    assert.equal(bad.decision, 'fail', bad.reason)
    assert.ok(Math.abs(bad.value.estimate! + 0.1) < 0.005)
    // The rare-event bound widens both ends by about CP(0 of 200)·range ≈ 0.016–0.02.
    assert.match(bad.reason, /the whole 95% interval of the difference \[-0\.1[01]\d, -0\.0[89]\d\] is below -0\.02/)
    // The same data through the absolute and margin forms.
    assert.equal(gate(worse, 'quality.overall.mean >= primary-0.02').decision, 'fail')
    assert.equal(gate(worse, 'quality.overall.mean >= primary-0.15').decision, 'pass')
    assert.equal(gate(worse, 'quality.overall.mean >= 0.3').decision, 'pass')
    assert.equal(gate(worse, 'quality.overall.mean >= 0.9').decision, 'fail')
    assert.equal(gate(worse, 'quality.overall.mean >= 0.5x').decision, 'pass')
  })

  test('INCONCLUSIVE when the interval straddles the margin, with the MDE in the reason', () => {
    const data = pairs(60, (i) => [arm({}, 0.7), arm({}, i % 2 === 0 ? 0.8 : 0.56)])
    const g = gate(data, 'quality.overall.mean_diff > -0.02')
    assert.equal(g.decision, 'inconclusive', g.reason)
    assert.ok(g.value.low! < -0.02 && g.value.high! > -0.02)
    assert.match(g.reason, /straddles -0\.02.*at n=60 the smallest detectable change is 0\.\d+/)
    assert.equal(gate(data, 'quality.overall.mean_diff > -0.02', 'harm').decision, 'pass', 'harm mode passes what is not shown to be worse')
  })

  test('harm mode needs 30 pairs for every rule, rates and observed totals included', () => {
    const data = pairs(20, () => [arm(), arm()])
    for (const rule of ['error_rate <= primary+0.01', 'truncation_rate <= primary+0.02', 'cost.total <= 100']) {
      assert.equal(gate(data, rule, 'non-inferiority').decision === 'insufficient', false, rule)
      const g = gate(data, rule, 'harm')
      assert.equal(g.decision, 'insufficient', rule)
      assert.match(g.reason, /harm mode needs 30 pairs, have 20/)
    }
    assert.equal(gate(pairs(30, () => [arm(), arm()]), 'error_rate <= primary+0.01', 'harm').decision, 'pass')
  })

  test('the MDE: where the rule FAILs with 80% power, beyond the threshold on the bad side', () => {
    const data = pairs(400, (_, u) => [arm({}, 0.6), arm({}, 0.6 + (u() - 0.5) * 0.2)])
    const g = gate(data, 'quality.overall.mean_diff > -0.02')
    // SE ≈ 0.0577/√400 ≈ 0.0029: FAIL with 80% power 2.8 SE below the margin.
    assert.ok(g.mde! < -0.02 && g.mde! > -0.035, String(g.mde))
    const r = gate(data, 'latency.p50 <= 1.2x')
    assert.ok(r.mde! >= 1.2, String(r.mde))
    assert.equal(gate(pairs(10, () => [arm(), arm()]), 'quality.overall.mean_diff > -0.02').mde, null, 'no MDE without an interval')
  })

  test('INSUFFICIENT below 30 pairs, in both modes', () => {
    const data = pairs(20, () => [arm({}, 0.8), arm({}, 0.2)])
    for (const mode of ['non-inferiority', 'harm'] as const) {
      const g = gate(data, 'quality.overall.mean_diff > -0.02', mode)
      assert.equal(g.decision, 'insufficient')
      assert.match(g.reason, /need 30 scored pairs, have 20/)
      assert.ok(Math.abs(g.value.estimate! + 0.6) < 1e-9, 'the point estimate is still shown')
      assert.equal(g.value.low, null)
    }
  })

  test('response errors are excluded from score metrics and reported', () => {
    const data = pairs(300, (i) => [arm({}, 0.8), i < 10 ? errorArm() : arm({}, 0.8)])
    const g = gate(data, 'quality.overall.mean_diff > -0.02')
    assert.equal(g.n, 290)
    assert.equal(g.decision, 'pass')
    assert.match(g.reason, /excluded 10 requests: 10 with a response error/)
    // ...and counted where they belong.
    const e = gate(data, 'error_rate <= primary+0.01')
    assert.equal(e.n, 300)
    assert.equal(e.decision, 'fail')
    assert.ok(Math.abs(e.value.estimate! - 10 / 300) < 1e-12)
  })

  test('a null score is not computed, never 0', () => {
    // 4 in 10 candidate answers are tool calls (null scores); the rest equal the primary.
    const data = pairs(400, (i) => [arm({}, 0.8), i % 10 < 4 ? arm({}, null) : arm({}, 0.8)])
    const g = gate(data, 'quality.overall.mean_diff > -0.02')
    assert.equal(g.n, 240)
    assert.equal(g.value.estimate, 0)
    assert.equal(g.decision, 'pass', 'treating null as 0 would make this a FAIL at -0.32')
    assert.match(g.reason, /160 without a value/)
    assert.equal(gate(data, 'quality.overall.mean >= 0.7').n, 240)
  })
})

describe('rate gates', () => {
  test('error_rate <= primary+0.01 with no errors: PASS at n=1000, INCONCLUSIVE at n=300 (Newcombe upper bound 1.3%)', () => {
    const big = gate(pairs(1000, () => [arm(), arm()]), 'error_rate <= primary+0.01')
    assert.equal(big.decision, 'pass', big.reason)
    assert.match(big.value.method, /Newcombe/)
    const small = gate(pairs(300, () => [arm(), arm()]), 'error_rate <= primary+0.01')
    assert.equal(small.decision, 'inconclusive')
    assert.ok(small.value.high! > 0.01 && small.value.high! < 0.014, String(small.value.high))
  })

  test('a few events still give an answer (score intervals, no pair minimum)', () => {
    const five = gate(pairs(5, () => [arm(), arm()]), 'error_rate <= primary+0.01')
    assert.equal(five.decision, 'inconclusive')
    assert.equal(five.n, 5)
    const fails = gate(pairs(40, (i) => [arm(), i < 20 ? errorArm() : arm()]), 'error_rate <= primary+0.01')
    assert.equal(fails.decision, 'fail', fails.reason)
    assert.equal(gate(runData([]), 'error_rate <= primary+0.01').decision, 'insufficient')
  })

  test('absolute (Wilson), ratio and pass-rate forms; the report row carries McNemar', () => {
    const data = pairs(300, (i) => [arm(), i < 30 ? errorArm() : arm()])
    const abs = gate(data, 'error_rate <= 0.05')
    assert.equal(abs.decision, 'fail')
    assert.match(abs.value.method, /Wilson/)
    assert.equal(abs.kind, 'absolute')
    const ratio = gate(data, 'error_rate <= 1.5x')
    assert.equal(ratio.decision, 'insufficient')
    assert.match(ratio.reason, /primary rate is 0, so a ratio is undefined/)
    const row = metricRows(new MetricEngine(data, {seed: 1, B: 1000, level: 0.95})).find((r) => r.metric === 'error_rate')!
    assert.equal(row.p_test, 'exact McNemar')
    assert.ok(row.p_value! < 1e-8)
    assert.equal(row.primary, 0)
    assert.ok(Math.abs(row.candidate! - 0.1) < 1e-12)
    assert.ok(row.mde! > 0)
    // pass_rate: candidate fails the policy on 10% of requests.
    const pr = pairs(400, (i) => [arm({}, 0.8), arm({}, i % 10 === 0 ? 0.3 : 0.8)])
    assert.equal(gate(pr, 'pass_rate >= primary-0.02').decision, 'fail')
    assert.equal(gate(pr, 'pass_rate >= primary-0.2').decision, 'pass')
    const tr = pairs(300, (i) => [arm(), arm({finish_reason: i % 10 === 0 ? 'length' : 'stop', flags: {truncated: i % 10 === 0, refusal: false, empty: false}})])
    assert.equal(gate(tr, 'truncation_rate <= primary+0.01').decision, 'fail')
    assert.equal(gate(tr, 'refusal_rate <= primary+0.05').decision, 'pass')
  })
})

describe('latency, cost, tokens and similarity gates', () => {
  const lat = (u: () => number) => Math.round(300 + 2000 * u() * u())
  test('latency.p95 ratio: FAIL at 2x, PASS when equal, INSUFFICIENT under 200 pairs', () => {
    const slow = pairs(250, (_, u) => {
      const l = lat(u)
      return [arm({latency_ms: l}), arm({latency_ms: 2 * l})]
    })
    const g = gate(slow, 'latency.p95 <= 1.2x')
    assert.equal(g.decision, 'fail')
    assert.ok(Math.abs(g.value.estimate! - 2) < 1e-9)
    assert.equal(g.kind, 'ratio')
    const same = pairs(250, (_, u) => {
      const l = lat(u)
      return [arm({latency_ms: l}), arm({latency_ms: l})]
    })
    const p = gate(same, 'latency.p95 <= 1.2x')
    assert.equal(p.decision, 'pass')
    assert.deepEqual([p.value.low, p.value.high], [1, 1])
    const few = gate(pairs(150, (_, u) => [arm({latency_ms: lat(u)}), arm({latency_ms: lat(u)})]), 'latency.p95 <= 1.2x')
    assert.equal(few.decision, 'insufficient')
    assert.match(few.reason, /need 200 pairs, have 150/)
    assert.ok(few.value.estimate! > 0)
    assert.match(gate(same, 'latency.p99 <= 1.2x').reason, /need 1000 pairs, have 250/)
    assert.equal(gate(same, 'latency.p50 <= 1.2x').decision, 'pass')
    // Absolute milliseconds, with the candidate quantile's own interval.
    const abs = gate(slow, 'latency.p95 <= 10000')
    assert.equal(abs.decision, 'pass')
    assert.equal(abs.kind, 'absolute')
    assert.ok(abs.value.low! < abs.value.estimate! && abs.value.estimate! <= abs.value.high!)
    assert.equal(gate(slow, 'latency.p95 <= 500').decision, 'fail')
  })

  test('error latencies are left out of latency', () => {
    const data = pairs(250, (i, u) => {
      const l = lat(u)
      return [arm({latency_ms: l}), i < 20 ? {...errorArm(), latency_ms: 99999} : arm({latency_ms: l})]
    })
    const g = gate(data, 'latency.p95 <= 1.2x')
    assert.equal(g.n, 230)
    assert.equal(g.value.estimate, 1)
  })

  test('ttft needs streaming data', () => {
    const g = gate(pairs(250, () => [arm(), arm()]), 'ttft.p95 <= 1.2x')
    assert.equal(g.decision, 'insufficient')
    assert.match(g.reason, /no pairs/)
  })

  test('cost: ratio of sums, per-request difference, observed total', () => {
    const data = pairs(200, (_, u) => {
      const c = 0.001 + 0.002 * u()
      return [arm({cost_usd: c}), arm({cost_usd: c * 1.5})]
    })
    const r = gate(data, 'cost.total <= 1.2x')
    assert.equal(r.decision, 'fail')
    assert.ok(Math.abs(r.value.estimate! - 1.5) < 1e-9)
    assert.equal(gate(data, 'cost.total <= 1.6x').decision, 'pass')
    assert.equal(gate(data, 'cost.per_request <= primary+0.00001').decision, 'fail')
    assert.equal(gate(data, 'cost.per_request <= 1.6x').decision, 'pass')
    const total = gate(data, 'cost.total <= 100')
    assert.equal(total.decision, 'pass')
    assert.equal(total.value.low, total.value.high)
    assert.equal(total.value.method, 'observed total of this run (not an estimate)')
    assert.match(total.reason, /an observed total of this run, not an estimate/)
    assert.equal(total.mde, null)
    const diff = gate(data, 'cost.total <= primary+0.01')
    assert.ok(diff.value.estimate! > 0.18 && diff.value.estimate! < 0.22, `Σc − Σp ≈ 200 × 0.5 × 0.002: ${diff.value.estimate}`)
    assert.equal(diff.decision, 'fail')
    // No prices at all: nothing to compare.
    const unpriced = pairs(100, () => [arm({cost_usd: null}), arm({cost_usd: null})])
    assert.equal(gate(unpriced, 'cost.total <= 1.2x').decision, 'insufficient')
  })

  test('tokens.output.mean', () => {
    const data = pairs(100, (i) => [arm({output_tokens: 100 + i}), arm({output_tokens: 50 + i})])
    assert.equal(gate(data, 'tokens.output.mean <= primary+0').decision, 'pass')
    assert.equal(gate(data, 'tokens.output.mean >= 0.9x').decision, 'fail')
    assert.equal(gate(data, 'tokens.output.mean <= 80').decision, 'fail')
  })

  test('similarity mean and beyond-noise rate', () => {
    const sim = (v: number) => ({dice: v, rougeL: v - 0.1, jaccard: v - 0.2})
    const noAa = pairs(100, () => [arm(), arm()], (i) => ({similarity: sim(0.85 + (i % 10) / 100)}))
    assert.equal(gate(noAa, 'similarity.dice.mean >= 0.7').decision, 'pass')
    assert.equal(gate(noAa, 'similarity.jaccard.mean >= 0.8').decision, 'fail')
    const b = gate(noAa, 'similarity.dice.beyond_noise_rate <= 0.1')
    assert.equal(b.decision, 'insufficient')
    assert.match(b.reason, /no A\/A replay \(replay with --aa\)/)
    assert.match(gate(noAa, 'similarity.dice.mean >= primary-0.05').reason, /no A\/A replay/)
    // With an A/A arm: noise similarities 0.90..0.99; half the candidates drift to 0.5.
    const withAa = pairs(200, () => [arm(), arm()], (i) => ({similarity: sim(i % 2 === 0 ? 0.5 : 0.95), noise: sim(0.9 + (i % 10) / 100)}))
    const bn = gate(withAa, 'similarity.dice.beyond_noise_rate <= 0.1')
    assert.equal(bn.decision, 'fail')
    assert.equal(bn.value.estimate, 0.5)
    assert.match(bn.value.method, /below the 10th lowest of 200 A\/A similarities \(0\.900\)/)
    assert.equal(gate(withAa, 'similarity.dice.mean >= primary-0.05').decision, 'fail')
  })
})

describe('levels and defaults', () => {
  test('@99% is wider than @90% on the same data; the gate level overrides the report level', () => {
    const data = pairs(100, (_, u) => [arm({}, 0.7), arm({}, 0.7 + (u() - 0.5) * 0.2)])
    const engine = new MetricEngine(data, {seed: 1, B: 2000, level: 0.95})
    const w = (rule: string) => {
      const g = evaluateGate(engine, parseGate(rule), 'non-inferiority', 0.95)
      return g.value.high! - g.value.low!
    }
    assert.ok(w('quality.overall.mean_diff > -0.02 @99%') > w('quality.overall.mean_diff > -0.02') && w('quality.overall.mean_diff > -0.02') > w('quality.overall.mean_diff > -0.02 @90%'))
    assert.equal(evaluateGate(engine, parseGate('quality.overall.mean_diff > -0.02 @90%'), 'non-inferiority', 0.95).value.level, 0.9)
  })

  test('without gates the report uses the defaults; an empty list means no gates', () => {
    const data = pairs(50, () => [arm(), arm()])
    const r = buildReport(data, {B: 200})
    assert.deepEqual(r.gates.map((g) => g.rule), [...DEFAULT_GATES])
    // 50 identical pairs: nothing rules out a rare regression yet (quality, rates); p95 needs 200 pairs.
    assert.deepEqual(r.gates.map((g) => g.decision), ['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive', 'pass', 'insufficient', 'pass'])
    assert.equal(r.verdict, 'insufficient')
    assert.equal(r.exit_code, 3)
    assert.equal(buildReport(data, {B: 200, allowInconclusive: true}).exit_code, 0)
    const none = buildReport(data, {B: 200, gates: []})
    assert.equal(none.verdict, 'none')
    assert.equal(none.exit_code, 0)
    const harm = buildReport(data, {B: 200, decisionMode: 'harm', gates: ['quality.overall.mean_diff > -0.02', 'error_rate <= primary+0.01']})
    assert.equal(harm.verdict, 'pass')
    assert.equal(harm.decision_mode, 'harm')
    const failing = buildReport(pairs(50, (i) => [arm(), i < 25 ? errorArm() : arm()]), {B: 200, allowInconclusive: true})
    assert.equal(failing.verdict, 'fail')
    assert.equal(failing.exit_code, 1, '--allow-inconclusive never hides a FAIL')
  })
})
