// buildReport: the ReportModel contract filled from RunData: arms, metric rows, noise floor,
// worst regressions, distributions, warnings, and byte-identical output for the same seed.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {buildReport} from '../../src/report/build.js'
import type {PairedRequest, RunData} from '../../src/analysis/data.js'
import {DEFAULT_QUALITY_POLICY} from '../../src/scoring/policy.js'
import {HEURISTIC_SCORER} from '../../src/scoring/index.js'
import {SIMILARITY_VERSION} from '../../src/scoring/similarity.js'
import {rng} from '../../src/stats/index.js'
import {KtError} from '../../src/util/errors.js'
import {arm, runData as testRunData} from '../support/run-data.js'

/** Both arms simulated (two results per request). */
function runData(requests: PairedRequest[], status = 'completed'): RunData {
  return testRunData(requests, {
    id: 'run_rb',
    name: null,
    status,
    primary: 'sim-primary (simulated:sim-faithful)',
    candidate: 'sim-candidate (simulated:sim-terse)',
    results_done: requests.length * 2,
    results_expected: requests.length * 2,
  })
}

/** 240 requests: latency, cost and scores vary; every 8th candidate is truncated; a few errors; an A/A arm on half. */
function fixture(withAa: boolean): RunData {
  const u = rng(7)
  const requests: PairedRequest[] = []
  for (let i = 0; i < 240; i++) {
    const s = 0.6 + 0.35 * u()
    const lat = Math.round(300 + 1500 * u() * u())
    const cost = 0.0005 + 0.001 * u()
    const truncated = i % 8 === 0
    const error = i % 60 === 59
    const primary = arm({latency_ms: lat, cost_usd: cost, text: `Primary answer ${i} that is complete and long enough.`}, s)
    const candidate = error
      ? arm({status: 'error', http_status: 529, error_message: 'overloaded', text: null, latency_ms: 20, cost_usd: null, output_tokens: null, finish_reason: 'error', flags: {}}, null)
      : arm(
          {
            latency_ms: Math.round(lat * 1.1),
            cost_usd: cost * 0.7,
            finish_reason: truncated ? 'length' : 'stop',
            flags: {empty: false, refusal: false, truncated, json_valid: null},
            on_fail: truncated ? [{dimension: 'completeness', action: 'flag'}] : [],
            text: truncated ? `Primary answer ${i} that` : `Candidate answer ${i}, complete.`,
          },
          truncated ? s - 0.3 : s + (u() - 0.5) * 0.02,
        )
    const aa = withAa && i % 2 === 0 ? arm({latency_ms: lat + 10, text: `Primary answer ${i} that is complete and long enough!`}, s + (u() - 0.5) * 0.01) : null
    const dice = error ? null : truncated ? 0.55 : 0.8 + 0.1 * u()
    requests.push({
      event_id: `ev${String(i).padStart(4, '0')}`,
      timestamp: '2026-11-01T00:00:00.000Z',
      model: 'gpt-4o-mini',
      prompt: `Question number ${i}?`,
      cluster: null,
      primary,
      candidate,
      primary_aa: aa,
      similarity: dice === null ? null : {dice, rougeL: dice - 0.1, jaccard: dice - 0.2},
      noise: aa ? {dice: 0.9 + 0.05 * u(), rougeL: 0.85, jaccard: 0.75} : null,
    })
  }
  return runData(requests)
}

describe('buildReport', () => {
  test('fills every part of the model', () => {
    const m = buildReport(fixture(false), {seed: 3, B: 1000})
    assert.equal(m.schema, 'kt.report/v1')
    assert.deepEqual(m.run, {id: 'run_rb', name: null, status: 'completed', created_at: '2026-11-01T00:00:00.000Z', primary: 'sim-primary (simulated:sim-faithful)', candidate: 'sim-candidate (simulated:sim-terse)', total: 240})
    assert.equal(m.seed, 3)
    assert.equal(m.bootstrap_B, 1000)
    assert.equal(m.decision_mode, 'non-inferiority')
    assert.equal(m.scorer, `${HEURISTIC_SCORER}, ${SIMILARITY_VERSION}`)
    assert.match(m.scorer, /heuristic.*@\d.*similarity@\d/)
    assert.deepEqual(m.policy, DEFAULT_QUALITY_POLICY)

    assert.deepEqual(m.arms.map((a) => a.arm), ['primary', 'candidate'])
    const cand = m.arms[1]!
    assert.equal(cand.n, 240)
    assert.equal(cand.ok, 236)
    assert.ok(Math.abs(cand.error_rate - 4 / 240) < 1e-12)
    assert.ok(Math.abs(cand.truncation_rate - 30 / 236) < 1e-12)
    assert.deepEqual(cand.finish_reasons, {error: 4, length: 30, stop: 206})
    assert.deepEqual(cand.on_fail, {flag: 30})
    assert.equal(cand.tokens.input_total, 240 * 100)
    assert.equal(cand.pass_rate !== null && cand.pass_rate < 1, true)
    assert.equal(m.arms[0]!.error_rate, 0)
    assert.ok(cand.latency_ms.p95! > m.arms[0]!.latency_ms.p95!)

    assert.deepEqual(
      m.metrics.map((r) => r.metric),
      [
        'quality.overall.mean', 'quality.relevance.mean', 'quality.coherence.mean', 'quality.completeness.mean',
        'pass_rate', 'error_rate', 'refusal_rate', 'truncation_rate', 'tool_call_rate', 'timeout_rate', 'retry_rate',
        'latency.p50', 'latency.p95', 'latency.p99', 'ttft.p95',
        'cost.total', 'cost.per_request', 'tokens.output.mean',
        'similarity.dice.mean', 'similarity.rougeL.mean', 'similarity.jaccard.mean',
      ],
    )
    const row = (name: string) => m.metrics.find((r) => r.metric === name)!
    const q = row('quality.overall.mean')
    assert.equal(q.n, 236)
    assert.equal(q.comparison!.kind, 'difference')
    assert.ok(q.comparison!.estimate! < -0.03 && q.comparison!.high! < 0)
    assert.match(q.p_test!, /Wilcoxon signed-rank/)
    assert.ok(q.p_value! < 0.001)
    assert.ok(q.mde! > 0 && q.mde! < 0.05)
    assert.equal(q.better, 'higher')
    const lat = row('latency.p95')
    assert.equal(lat.comparison!.kind, 'ratio')
    assert.ok(Math.abs(lat.comparison!.estimate! - 1.1) < 0.01)
    assert.equal(lat.p_value, null)
    assert.equal(row('latency.p99').comparison, null, 'a p99 needs 1000 pairs')
    assert.equal(row('ttft.p95').n, 0)
    const cost = row('cost.total')
    assert.ok(Math.abs(cost.comparison!.estimate! - 0.7) < 1e-9)
    assert.equal(row('truncation_rate').p_test, 'exact McNemar')
    assert.equal(row('similarity.dice.mean').comparison, null, 'no A/A arm, nothing to compare the similarity with')
    assert.equal(row('similarity.dice.mean').primary, null)

    assert.equal(m.noise, null)
    assert.equal(m.gates.length, 7)
    assert.equal(m.gates[0]!.decision, 'fail')
    assert.equal(m.gates[2]!.rule, 'truncation_rate <= primary+0.02')
    assert.equal(m.gates[2]!.decision, 'fail', 'every 8th candidate answer is truncated')
    assert.equal(m.verdict, 'fail')
    assert.equal(m.exit_code, 1)

    assert.equal(m.worst.length, 5)
    const deltas = m.worst.map((w) => w.delta!)
    assert.deepEqual(deltas, [...deltas].sort((a, b) => a - b))
    assert.ok(m.worst.every((w) => w.reasons.includes('candidate truncated')))
    assert.ok(m.worst[0]!.candidate_text!.endsWith('that'))
    assert.equal(m.distributions.latency_ms.primary.length, 240)
    assert.equal(m.distributions.latency_ms.candidate.length, 236)
    assert.equal(m.distributions.scores.overall.candidate.length, 236)
    assert.equal(m.distributions.similarity.noise.length, 0)

    assert.ok(m.warnings.some((w) => /quality metrics: excluded 4 requests: 4 with a response error/.test(w)), m.warnings.join('\n'))
    assert.ok(m.warnings.some((w) => /latency\.p99: 236 pairs, an interval needs 1000/.test(w)))
  })

  test('with an A/A arm: noise floor, beyond-noise rows and similarity against the noise', () => {
    const m = buildReport(fixture(true), {seed: 1, B: 1000, gates: ['similarity.dice.beyond_noise_rate <= 0.05', 'similarity.dice.mean >= primary-0.05']})
    assert.deepEqual(m.arms.map((a) => a.arm), ['primary', 'candidate', 'primary_aa'])
    assert.equal(m.arms[2]!.n, 120)
    assert.match(m.arms[2]!.label, /A\/A repeat/)
    const nf = m.noise!
    assert.ok(nf)
    assert.equal(nf.n, 120)
    assert.ok(nf.noise_dice_mean! > 0.9 && nf.candidate_dice_mean! < 0.85)
    assert.ok(nf.diff!.high! < 0)
    assert.ok(nf.beyond_noise_rate!.estimate! > 0.9, 'every candidate similarity is below the A/A 5th percentile')
    assert.ok(nf.aa_score_sd! > 0 && nf.aa_score_sd! < 0.01)
    assert.ok(m.metrics.some((r) => r.metric === 'similarity.rougeL.beyond_noise_rate'))
    const sim = m.metrics.find((r) => r.metric === 'similarity.dice.mean')!
    assert.equal(sim.comparison!.kind, 'difference')
    assert.equal(sim.n, 120)
    assert.deepEqual(m.gates.map((g) => g.decision), ['fail', 'fail'])
    assert.equal(m.distributions.similarity.noise.length, 120)
  })

  test('same data and seed give byte-identical JSON; another seed moves the intervals', () => {
    const a = JSON.stringify(buildReport(fixture(true), {seed: 11, B: 1000}))
    const b = JSON.stringify(buildReport(fixture(true), {seed: 11, B: 1000}))
    const c = JSON.stringify(buildReport(fixture(true), {seed: 12, B: 1000}))
    assert.equal(a, b)
    assert.notEqual(a, c)
    assert.doesNotMatch(a, /NaN|undefined/)
  })

  test('clusters, incomplete runs, levels and bad input', () => {
    const data = fixture(false)
    data.requests.forEach((r, i) => (r.cluster = `conv-${Math.floor(i / 4)}`))
    const m = buildReport(data, {B: 500, level: 90})
    const q = m.metrics.find((r) => r.metric === 'quality.overall.mean')!
    assert.match(q.comparison!.method, /^studentized cluster bootstrap \(B=500, 60 clusters\)/)
    assert.equal(q.comparison!.level, 0.9)
    assert.ok(m.warnings.some((w) => /clustering: 240 requests in 60 conversations/.test(w)))
    assert.deepEqual(JSON.stringify(buildReport(data, {B: 500, level: 90}).metrics), JSON.stringify(buildReport(data, {B: 500, level: 0.9}).metrics))

    const partial = runData(fixture(false).requests.slice(0, 50), 'interrupted')
    assert.ok(buildReport(partial, {B: 200}).warnings.some((w) => /is interrupted/.test(w)))
    assert.throws(() => buildReport(data, {gates: ['latency.p95 <= 1.2y']}), (e: unknown) => e instanceof KtError && e.exitCode === 2 && /unexpected "y"/.test(e.message))
    assert.throws(() => buildReport(data, {level: 120}), /out of range/)
    const empty = buildReport(runData([]), {B: 200})
    assert.equal(empty.verdict, 'insufficient')
    assert.equal(empty.worst.length, 0)
  })

  test('warns when a quality margin is below the A/A score noise and when a rule points the wrong way', () => {
    const m = buildReport(fixture(true), {B: 200, gates: ['quality.overall.mean_diff > -0.0001', 'error_rate >= primary+0.01']})
    assert.ok(m.warnings.some((w) => /margin 0\.0001 is below the A\/A score noise/.test(w)), m.warnings.join('\n'))
    assert.ok(m.warnings.some((w) => /"error_rate >= primary\+0\.01": asks for error_rate to be at least the threshold, but lower is better/.test(w)))
  })
})
