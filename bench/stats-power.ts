// Power of the default rules (issue 12, item 5; quoted in docs/scoring-and-gates.md §5.3): what `kt gate RUN` with no
// --gate decides on replays of a realistically noisy model (test/support/noisy-model.ts: A/A Dice ≈ 0.5), scored
// with kt's real heuristics, at n = 500:
//   • A/A: how often the defaults FAIL an identical model (required ≤ 5%);
//   • a candidate truncating 10% of its answers: how often they FAIL it (required ≥ 90%);
//   • a candidate 1.3× slower;
// with the rate per rule, and the same for the four rules that were the defaults before, for comparison.
//
//   node dist/bench/stats-power.js                          100 seeds per scenario
//   KT_BENCH_POWER_SEEDS=20 node dist/bench/stats-power.js  quick look
import {pathToFileURL} from 'node:url'
import {MetricEngine} from '../src/analysis/index.js'
import type {RunData} from '../src/analysis/index.js'
import {DEFAULT_GATES, evaluateGates, parseGates, verdictOf, type GateRule} from '../src/gate/index.js'
import {clopperPearsonUpper, rng} from '../src/stats/index.js'
import {noisyAnswer, type NoisyBehaviour} from '../test/support/noisy-model.js'
import {samplePrompts} from '../test/support/prompts.js'
import {scoredRun} from '../test/support/scored-run.js'

const SEEDS = Number(process.env.KT_BENCH_POWER_SEEDS ?? 100)
const N = Number(process.env.KT_BENCH_POWER_N ?? 500)
const OLD_DEFAULTS = ['quality.overall.mean_diff > -0.02', 'error_rate <= primary+0.01', 'latency.p95 <= 1.2x', 'cost.total <= 1.2x']

function noisyRun(seed: number, candidate: NoisyBehaviour): RunData {
  const prompts = samplePrompts(N, seed)
  const u = rng(seed * 7 + 1)
  return scoredRun({id: `noisy-${seed}`, prompts, primary: prompts.map((p) => noisyAnswer(p, u)), candidate: prompts.map((p) => noisyAnswer(p, u, candidate)), similarity: false})
}

interface Tally {
  fail: number
  byRule: Map<string, number>
}

function tally(rules: GateRule[], runs: RunData[]): Tally {
  const t: Tally = {fail: 0, byRule: new Map(rules.map((r) => [r.text, 0]))}
  for (const data of runs) {
    const outcomes = evaluateGates(new MetricEngine(data, {seed: 1, B: 2000, level: 0.95}), rules, 'non-inferiority', 0.95)
    if (verdictOf(outcomes) === 'fail') t.fail++
    for (const o of outcomes) if (o.decision === 'fail') t.byRule.set(o.rule, t.byRule.get(o.rule)! + 1)
  }
  return t
}

function pct(k: number, n: number, bound: 'upper' | 'lower'): string {
  const b = bound === 'upper' ? clopperPearsonUpper(k, n, 0.025) : 1 - clopperPearsonUpper(n - k, n, 0.025)
  return `${((100 * k) / n).toFixed(1)}% (${bound === 'upper' ? '≤' : '≥'}${(100 * b).toFixed(1)})`
}

export async function run(): Promise<void> {
  const now = parseGates(DEFAULT_GATES)
  const before = parseGates(OLD_DEFAULTS)
  console.log(`stats-power: ${SEEDS} seeds × ${N} requests per scenario, noisy model; FAIL rates with a 95% Monte Carlo bound`)
  const scenarios: [string, NoisyBehaviour, number, 'upper' | 'lower'][] = [
    ['A/A (required ≤ 5%)', {}, 1, 'upper'],
    ['10% truncated (required ≥ 90%)', {truncate: 0.1}, 1001, 'lower'],
    ['1.3× slower', {slower: 1.3}, 2001, 'lower'],
  ]
  for (const [name, behaviour, base, bound] of scenarios) {
    const runs = Array.from({length: SEEDS}, (_, i) => noisyRun(base + i, behaviour))
    for (const [label, rules] of [['defaults now', now], ['defaults before', before]] as const) {
      const t = tally(rules, runs)
      console.log(`  ${name.padEnd(32)} ${label.padEnd(16)} FAIL ${pct(t.fail, SEEDS, bound)}`)
      console.log(`    ${[...t.byRule].map(([rule, k]) => `${rule}: ${((100 * k) / SEEDS).toFixed(0)}%`).join('; ')}`)
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
