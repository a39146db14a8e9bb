// Self-check of the default gates (docs/scoring-and-gates.md §4.6: "an A/A gate run must PASS, which doubles as a self-test
// of the gate engine"; issue 12, item 5), with the real scorers on kt's simulated provider and on a realistically
// noisy model (A/A Dice ≈ 0.5, overall-score SD of the paired difference ≈ 0.16):
//   • A/A runs: the defaults FAIL at most 5% of them (no FAIL is allowed in these seeds);
//   • a candidate that truncates 10% of its answers: the defaults FAIL at least 90% of runs. On the noisy model the
//     mean quality difference (−0.02 margin, SE ≈ 0.01) rarely sees it; truncation_rate does.
// Small scale for npm test (runs of 300 requests); bench/stats-power.ts runs 100 seeds at n = 500 and prints the
// per-rule rates quoted in the design.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {MetricEngine} from '../../src/analysis/index.js'
import type {RunData} from '../../src/analysis/data.js'
import {DEFAULT_GATES, evaluateGates, parseGates, verdictOf} from '../../src/gate/index.js'
import {rng} from '../../src/stats/index.js'
import {noisyAnswer, type NoisyBehaviour} from '../support/noisy-model.js'
import {samplePrompts} from '../support/prompts.js'
import {scoredRun} from '../support/scored-run.js'
import {simulatedRun} from '../support/simulated-run.js'

const B = 1000
const rules = parseGates(DEFAULT_GATES)

function noisyRun(n: number, seed: number, candidate: NoisyBehaviour = {}): RunData {
  const prompts = samplePrompts(n, seed)
  const u = rng(seed * 7 + 1)
  return scoredRun({id: `noisy-${seed}`, prompts, primary: prompts.map((p) => noisyAnswer(p, u)), candidate: prompts.map((p) => noisyAnswer(p, u, candidate)), similarity: false})
}

interface Tally {
  verdicts: Record<string, number>
  byRule: Record<string, Record<string, number>>
}

async function tally(runs: number, make: (seed: number) => RunData | Promise<RunData>): Promise<Tally> {
  const t: Tally = {verdicts: {}, byRule: Object.fromEntries(rules.map((r) => [r.text, {}]))}
  for (let seed = 1; seed <= runs; seed++) {
    const outcomes = evaluateGates(new MetricEngine(await make(seed), {seed: 1, B, level: 0.95}), rules, 'non-inferiority', 0.95)
    const verdict = verdictOf(outcomes)
    t.verdicts[verdict] = (t.verdicts[verdict] ?? 0) + 1
    for (const o of outcomes) t.byRule[o.rule]![o.decision] = (t.byRule[o.rule]![o.decision] ?? 0) + 1
  }
  return t
}

describe('default gates: self-check', () => {
  test('A/A on the simulated provider: 10 runs × 300 requests, no FAIL', async (ctx) => {
    const t = await tally(10, (seed) => simulatedRun(300, seed))
    ctx.diagnostic(`verdicts ${JSON.stringify(t.verdicts)}; per rule ${JSON.stringify(t.byRule)}`)
    assert.equal(t.verdicts.fail ?? 0, 0)
    assert.equal(t.byRule['quality.overall.mean_diff > -0.02']!.pass, 10, 'an identical model passes the quality gate at n = 300')
  })

  test('A/A on a noisy model: 15 runs × 300 requests, no FAIL', async (ctx) => {
    const t = await tally(15, (seed) => noisyRun(300, seed))
    ctx.diagnostic(`verdicts ${JSON.stringify(t.verdicts)}; per rule ${JSON.stringify(t.byRule)}`)
    assert.equal(t.verdicts.fail ?? 0, 0)
  })

  test('10% truncated answers on a noisy candidate: 15 runs × 300 requests, the defaults FAIL at least 14', async (ctx) => {
    const t = await tally(15, (seed) => noisyRun(300, 100 + seed, {truncate: 0.1}))
    ctx.diagnostic(`verdicts ${JSON.stringify(t.verdicts)}; per rule ${JSON.stringify(t.byRule)}`)
    assert.ok((t.verdicts.fail ?? 0) >= 14, JSON.stringify(t.verdicts))
    assert.ok((t.byRule['truncation_rate <= primary+0.02']!.fail ?? 0) >= 14, 'the truncation rate catches it')
    assert.ok((t.byRule['quality.overall.mean_diff > -0.02']!.fail ?? 0) <= 10, 'the mean quality difference alone would not')
  })

  test('10% truncated answers on the simulated provider: 5 runs × 500 requests, the defaults FAIL every one', async (ctx) => {
    const t = await tally(5, (seed) => simulatedRun(500, seed, {truncate_rate: 0.1}))
    ctx.diagnostic(`verdicts ${JSON.stringify(t.verdicts)}; per rule ${JSON.stringify(t.byRule)}`)
    assert.equal(t.verdicts.fail, 5)
  })
})
