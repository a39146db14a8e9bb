// The README's example rules (section "4. Score, report and gate") pass an A/A run (issue 12, item 3): read from README.md
// itself, evaluated on replays of a realistically noisy model against itself (A/A Dice ≈ 0.5, with an A/A arm on
// 30% of 1,000 requests, a third of them offering tools), with kt's real scorers and similarity. Before, the README's
// `similarity.dice.mean >= 0.7` failed every A/A run of such a model and `cost.total <= 0.8x` could never pass one.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {buildReport} from '../../src/report/index.js'
import {rng} from '../../src/stats/index.js'
import {ROOT} from '../support/cli.js'
import {noisyAnswer} from '../support/noisy-model.js'
import {samplePrompts} from '../support/prompts.js'
import {scoredRun, type Answer} from '../support/scored-run.js'

/** The rules in the fenced block after "evaluates rules such as:", comments stripped. */
function readmeRules(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const block = /evaluates rules such as:\s*```\n([\s\S]*?)```/.exec(readme)
  assert.ok(block, 'the README lists example rules')
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
}

/** A/A: the same noisy model three times (primary, candidate, and the primary again on 30%). */
function aaRun(n: number, seed: number) {
  const prompts = samplePrompts(n, seed)
  const u = rng(seed)
  // Whether a request offers tools, and whether the model answers it with a tool call, depends on the request;
  // a model still changes its mind on 3% of them from run to run.
  const offers = prompts.map(() => u() < 0.33)
  const calls = prompts.map(() => u() < 0.5)
  const answer = (i: number): Answer => {
    const a = noisyAnswer(prompts[i]!, u)
    if (!offers[i]) return a
    const call = u() < 0.03 ? !calls[i] : calls[i]
    return {...a, tool_calls: call ? 1 : 0}
  }
  const primary = prompts.map((_, i) => answer(i))
  const candidate = prompts.map((_, i) => answer(i))
  const aa = prompts.map((_, i) => (u() < 0.3 ? answer(i) : null))
  return scoredRun({id: `aa-${seed}`, prompts, primary, candidate, primary_aa: aa})
}

describe("the README's example rules", () => {
  test('pass A/A runs of a noisy model (2 seeds × 1,000 requests)', (ctx) => {
    const rules = readmeRules()
    assert.ok(rules.length >= 6 && rules.some((r) => r.startsWith('similarity.dice.mean')), rules.join('\n'))
    for (const seed of [1, 2]) {
      const m = buildReport(aaRun(1000, seed), {B: 1000, gates: rules})
      ctx.diagnostic(`seed ${seed}: ${m.gates.map((g) => `${g.rule} → ${g.decision} ${JSON.stringify([g.value.low, g.value.high])}`).join('; ')}`)
      for (const g of m.gates) assert.equal(g.decision, 'pass', `seed ${seed}: ${g.rule}: ${g.reason}`)
      assert.ok(!m.warnings.some((w) => /gate "similarity/.test(w)), 'no warning about a similarity threshold above the noise floor')
    }
  })

  test('an absolute similarity threshold above the A/A value FAILs an identical model, and says why', () => {
    const m = buildReport(aaRun(400, 9), {B: 500, gates: ['similarity.dice.mean >= 0.7']})
    assert.equal(m.gates[0]!.decision, 'fail')
    assert.ok(m.warnings.some((w) => /gate "similarity\.dice\.mean >= 0\.7": the primary reaches only 0\.\d{3} against itself \(A\/A\), so an identical model fails this threshold; use similarity\.dice\.mean >= aa-0\.05/.test(w)), m.warnings.join('\n'))
  })
})
