// Quality mean-difference gates keep their promise at the margin (issue 12, item 1; docs/scoring-and-gates.md §4.1.1).
// Seeded simulation through the real gate path (RunData → MetricEngine → evaluateGate):
//   • at the margin (true mean difference exactly −0.02), `quality.overall.mean_diff > -0.02` may PASS in at most 3%
//     of runs at every n from 30 to 500, for zero-inflated, skewed (rare large drops in small noise) and normal
//     differences. The percentile bootstrap kt used before PASSed 20% of zero-inflated runs at n = 30;
//   • A/A (true difference 0), `quality.overall.mean_diff > 0` may FAIL in at most 5% of runs, and identical
//     answers never give a zero-width [0, 0].
// Test budget: 200 runs per cell, B = 499 (fewer resamples make a studentized bootstrap slightly *less*
// conservative, so passing here with B = 499 speaks for B = 5000). Monte Carlo error at 200 runs is ±1.1 points
// around 2.5%, so each cell must stay at or below 6% (a cell that breaks down, as the old method did, shows 10–20%)
// and the pooled rate over all n at or below 3% (A/A: 7.5% and 5%). The precise figures (1000 runs per cell, one more
// family, B = 2000) come from bench/stats-margin.ts and are quoted in docs/scoring-and-gates.md §4.1.1.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {MetricEngine} from '../../src/analysis/index.js'
import type {PairedRequest} from '../../src/analysis/data.js'
import {evaluateGate, parseGate} from '../../src/gate/index.js'
import {rng} from '../../src/stats/index.js'
import {arm, runData} from '../support/run-data.js'
import {DIFFERENCES, type DiffGen} from '../support/differences.js'

const RUNS = 200
const B = 499
const NS = [30, 50, 100, 200, 500]
/** Scores sit at 0.6, so every simulated difference in [−0.6, 0.4] stays a valid score. */
const BASE = 0.6

function run(diffs: number[]): ReturnType<typeof runData> {
  const requests: PairedRequest[] = diffs.map((d, i) => ({
    event_id: `ev${i}`,
    timestamp: '2026-11-01T00:00:00.000Z',
    model: 'm',
    prompt: '',
    cluster: null,
    primary: arm({}, BASE),
    candidate: arm({}, BASE + d),
    primary_aa: null,
    similarity: null,
    noise: null,
  }))
  return runData(requests)
}

/** Decisions of `rule` over RUNS seeded runs of n differences drawn by `gen`. */
function tally(gen: DiffGen, n: number, rule: string, seed: number): Record<string, number> {
  const parsed = parseGate(rule)
  const u = rng(seed)
  const out: Record<string, number> = {}
  for (let r = 0; r < RUNS; r++) {
    const diffs = Array.from({length: n}, () => gen(u))
    const g = evaluateGate(new MetricEngine(run(diffs), {seed: r + 1, B, level: 0.95}), parsed, 'non-inferiority', 0.95)
    out[g.decision] = (out[g.decision] ?? 0) + 1
  }
  return out
}

describe('quality mean-difference gate at the margin', () => {
  for (const name of ['zero-inflated', 'rare drops in noise', 'normal'] as const) {
    test(`${name}: P(PASS) of "mean_diff > -0.02" at a true −0.02 is at most 3% (pooled) and never breaks down at one n`, (ctx) => {
      const gen = DIFFERENCES[name].margin
      const rates = NS.map((n, i) => (tally(gen, n, 'quality.overall.mean_diff > -0.02', 100 * i + 7).pass ?? 0) / RUNS)
      const pooled = rates.reduce((a, b) => a + b, 0) / rates.length
      ctx.diagnostic(`P(PASS) at n=${NS.join('/')}: ${rates.map((r) => `${(100 * r).toFixed(1)}%`).join(' / ')}; pooled ${(100 * pooled).toFixed(2)}%`)
      rates.forEach((r, i) => assert.ok(r <= 0.06, `n=${NS[i]}: P(PASS) ${r}`))
      assert.ok(pooled <= 0.03, `pooled P(PASS) ${pooled}`)
    })
  }

  for (const name of ['zero-inflated', 'rare drops in noise', 'normal'] as const) {
    test(`A/A, ${name}: "mean_diff > 0" FAILs at most 5% of identical models`, (ctx) => {
      const gen = DIFFERENCES[name].aa
      const rates = [30, 100, 300].map((n, i) => (tally(gen, n, 'quality.overall.mean_diff > 0', 31 * i + 5).fail ?? 0) / RUNS)
      const pooled = rates.reduce((a, b) => a + b, 0) / rates.length
      ctx.diagnostic(`A/A false-FAIL at n=30/100/300: ${rates.map((r) => `${(100 * r).toFixed(1)}%`).join(' / ')}; pooled ${(100 * pooled).toFixed(2)}%`)
      rates.forEach((r) => assert.ok(r <= 0.075, `A/A false-FAIL ${r}`))
      assert.ok(pooled <= 0.05, `pooled A/A false-FAIL ${pooled}`)
    })
  }

  test('identical answers never give [0, 0]: the interval says how large an unseen difference could be', () => {
    for (const n of [30, 200, 1000]) {
      const g = evaluateGate(new MetricEngine(run(new Array<number>(n).fill(0)), {seed: 1, B, level: 0.95}), parseGate('quality.coherence.mean_diff > 0'), 'non-inferiority', 0.95)
      assert.equal(g.decision, 'inconclusive', `n=${n}: ${g.reason}`)
      // Clopper–Pearson: 0 differing pairs in n, at most 1 − 0.025^(1/n) of them could differ, by the whole range.
      const bound = 1 - Math.pow(0.025, 1 / n)
      assert.ok(Math.abs(g.value.high! - bound) < 1e-9 && Math.abs(g.value.low! + bound) < 1e-9, `n=${n}: [${g.value.low}, ${g.value.high}] vs ±${bound}`)
      assert.match(g.value.method, /widened by the rare-event bound \(0 of \d+ pairs beyond the bulk\)/)
    }
    // Too few differing pairs never PASS: one pair of 30 worse by 0.4 leaves the −0.02 margin open.
    const one = evaluateGate(new MetricEngine(run([-0.4, ...new Array<number>(29).fill(0)]), {seed: 1, B, level: 0.95}), parseGate('quality.overall.mean_diff > -0.02'), 'non-inferiority', 0.95)
    assert.equal(one.decision, 'inconclusive')
  })
})
