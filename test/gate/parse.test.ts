// The gate language: every form of §5.3, and errors that name the rule, the column and a fix.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {editDistance, METRICS, suggestMetrics} from '../../src/analysis/index.js'
import {parseGate, parseGates, GateSyntaxError} from '../../src/gate/index.js'
import {KtError} from '../../src/util/errors.js'

function parseError(rule: string): GateSyntaxError {
  try {
    parseGate(rule)
  } catch (error) {
    assert.ok(error instanceof GateSyntaxError, `expected a GateSyntaxError for ${rule}, got ${String(error)}`)
    return error
  }
  assert.fail(`"${rule}" should not parse`)
}

describe('gate grammar', () => {
  test('the examples of docs/scoring-and-gates.md §5.3 parse to metric, op, kind, threshold and level', () => {
    const cases: [string, string, string, string, number, number | null][] = [
      ['quality.overall.mean_diff > -0.02 @95%', 'quality.overall.mean_diff', '>', 'difference', -0.02, 0.95],
      ['error_rate <= primary+0.01', 'error_rate', '<=', 'difference', 0.01, null],
      ['latency.p95 <= 1.2x', 'latency.p95', '<=', 'ratio', 1.2, null],
      ['cost.total <= 0.8x', 'cost.total', '<=', 'ratio', 0.8, null],
      ['similarity.dice.mean >= 0.7', 'similarity.dice.mean', '>=', 'absolute', 0.7, null],
      ['pass_rate >= primary-0.02', 'pass_rate', '>=', 'difference', -0.02, null],
      ['quality.overall.mean >= 0.6', 'quality.overall.mean', '>=', 'absolute', 0.6, null],
      ['quality.coherence.mean >= primary - 0.05 @ 90 %', 'quality.coherence.mean', '>=', 'difference', -0.05, 0.9],
      ['ttft.p95 < 800 @0.99', 'ttft.p95', '<', 'absolute', 800, 0.99],
      ['refusal_rate <= primary+1%', 'refusal_rate', '<=', 'difference', 0.01, null],
      ['similarity.rougel.beyond_noise_rate <= 0.1', 'similarity.rougeL.beyond_noise_rate', '<=', 'absolute', 0.1, null],
      ['tokens.output.mean <= 1.5 x', 'tokens.output.mean', '<=', 'ratio', 1.5, null],
      ['error_rate <= primary', 'error_rate', '<=', 'difference', 0, null],
      ['cost.per_request<=primary+0.0001@99', 'cost.per_request', '<=', 'difference', 0.0001, 0.99],
      // Similarity against the run's own A/A noise floor.
      ['similarity.dice.mean >= aa-0.05', 'similarity.dice.mean', '>=', 'difference', -0.05, null],
      ['similarity.rougeL.mean >= AA - 5%', 'similarity.rougeL.mean', '>=', 'difference', -0.05, null],
      ['timeout_rate <= primary+0.01', 'timeout_rate', '<=', 'difference', 0.01, null],
      ['retry_rate <= 0.05', 'retry_rate', '<=', 'absolute', 0.05, null],
    ]
    for (const [text, metric, op, kind, threshold, level] of cases) {
      const r = parseGate(text)
      assert.deepEqual({metric: r.metric, op: r.op, kind: r.kind, threshold: r.threshold, level: r.level}, {metric, op, kind, threshold, level}, text)
      assert.equal(r.text, text.trim())
    }
  })

  test('every metric of the registry is accepted with each right-hand side it allows', () => {
    for (const m of METRICS) {
      for (const kind of m.kinds) {
        const rhs = kind === 'ratio' ? '1.1x' : kind === 'difference' ? (m.family === 'score_diff' ? '-0.02' : 'primary+0.01') : '0.5'
        const r = parseGate(`${m.name} <= ${rhs}`)
        assert.equal(r.kind, kind, m.name)
      }
    }
  })

  test('"aa" is the A/A noise floor of similarity metrics only', () => {
    assert.match(parseError('error_rate <= aa+0.01').detail, /"aa" \(the A\/A noise floor\) applies to similarity\.<metric>\.mean only/)
    assert.match(parseError('similarity.dice.beyond_noise_rate <= aa').detail, /"aa" \(the A\/A noise floor\) applies to similarity/)
    assert.match(parseError('similarity.dice.mean >= aa 0.05').detail, /expected "\+" or "-" between "aa" and the margin \(aa\+0\.01\)/)
  })

  test('unknown metrics get a "did you mean" from the registry', () => {
    const e = parseError('quality.overal.mean_dif > -0.02')
    assert.match(e.detail, /unknown metric "quality\.overal\.mean_dif"; did you mean "quality\.overall\.mean_diff"\?/)
    assert.equal(e.pos, 0)
    assert.match(parseError('latency.p90 <= 1.2x').detail, /did you mean "latency\.p95"|did you mean "latency\.p50"/)
    assert.match(parseError('eror_rate <= primary+0.01').detail, /did you mean "error_rate"/)
    assert.match(parseError('latency <= 1.2x').detail, /did you mean "latency\.p50" or "latency\.p95" or "latency\.p99"/)
    assert.match(parseError('judge.overall.mean_diff > -0.02').detail, /judge metrics need LLM-judge scores/)
    assert.match(parseError('banana > 1').detail, /unknown metric "banana"; see kt gate --help/)
    assert.deepEqual(suggestMetrics('cost.totl'), ['cost.total'])
  })

  test('syntax errors name the position with a caret', () => {
    const cases: [string, number, RegExp][] = [
      ['latency.p95 <== 1.2x', 12, /unknown comparison "<=="/],
      ['latency.p95 => 1.2x', 12, /did you mean ">="/],
      ['error_rate == primary', 11, /cannot be shown with an interval; use >= or <=/],
      ['error_rate <= primery+0.01', 14, /got "primery" \(did you mean "primary"\?\)/],
      ['error_rate <= primary 0.01', 22, /expected "\+" or "-" between "primary" and the margin/],
      ['error_rate <= primary+', 22, /expected a number after "primary\+", got the end of the rule/],
      ['latency.p95 <=', 14, /expected a number, primary±margin or a ratio like 1\.2x, got the end of the rule/],
      ['latency.p95 1.2x', 12, /expected a comparison \(>, >=, <, <=\) after latency\.p95, got "1\.2"/],
      ['latency.p95 <= 1.2x extra', 20, /unexpected "extra"; a rule ends after the threshold and an optional @level/],
      ['latency.p95 <= 1.2x @', 21, /expected a confidence level after "@"/],
      ['latency.p95 <= 1.2x @150%', 21, /confidence level 150 is out of range/],
      ['latency.p95 <= -1.2x', 16, /a ratio must be positive/],
      ['latency.p95 <= 1.2x; cost.total <= 2x', 19, /unexpected character ";"/],
      ['latency.p95 <= primary+100', 15, /latency\.p95 cannot be compared with a margin over the primary.*latency\.p95 <= 1\.2x/],
      ['quality.overall.mean_diff > primary-0.02', 28, /already candidate − primary.*quality\.overall\.mean >= primary-0\.02/],
      ['quality.overall.mean_diff > 0.9x', 28, /cannot be compared with a ratio/],
      ['similarity.dice.beyond_noise_rate <= 1.2x', 37, /is a share of requests/],
      ['latency.p95 <= 20%', 17, /"%" only applies to rates, scores and similarities/],
      ['', 0, /empty rule/],
    ]
    for (const [rule, pos, detail] of cases) {
      const e = parseError(rule)
      assert.match(e.detail, detail, rule)
      assert.equal(e.pos, pos, `${rule}: ${e.detail}`)
      const text = e.format('--gate')
      const lines = text.split('\n')
      assert.equal(lines[0], `--gate "${rule}": ${e.detail} (column ${pos + 1})`)
      assert.equal(lines[2]!.indexOf('^') - 4, pos, 'caret under the column')
    }
  })

  test('parseGates reports every bad rule at once, named by flag or by config file and line', () => {
    assert.throws(
      () =>
        parseGates([
          {rule: 'latency.p95 <= 1.2x', source: {file: '/etc/kt/policy-config.yaml', line: 61, key: 'gates[0]'}},
          {rule: 'latncy.p95 <= 1.2x', source: {file: '/etc/kt/policy-config.yaml', line: 62, key: 'gates[1]'}},
          'error_rate << primary',
        ]),
      (e: unknown) => {
        assert.ok(e instanceof KtError)
        assert.equal(e.exitCode, 2)
        assert.match(e.message, /^2 gate rules have problems:/)
        assert.match(e.message, /\/etc\/kt\/policy-config\.yaml:62: gates\[1\] "latncy\.p95 <= 1\.2x": unknown metric "latncy\.p95"; did you mean "latency\.p95"\? \(column 1\)/)
        assert.match(e.message, /--gate "error_rate << primary": unknown comparison "<<"; did you mean "<"\?/)
        assert.doesNotMatch(e.message, /:61:/)
        return true
      },
    )
    assert.equal(parseGates(['latency.p95 <= 1.2x', 'cost.total <= 1.2x']).length, 2)
  })

  test('edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3)
    assert.equal(editDistance('', 'abc'), 3)
    assert.equal(editDistance('same', 'same'), 0)
    assert.equal(editDistance('error_rate', 'eror_rate'), 1)
  })
})
