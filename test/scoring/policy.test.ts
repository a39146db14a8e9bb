import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {applyPolicy, DEFAULT_QUALITY_POLICY, type QualityPolicy} from '../../src/scoring/policy.js'

const dims = (r: number | null, c: number | null, k: number | null) => ({
  relevance: {score: r},
  coherence: {score: c},
  completeness: {score: k},
})

describe('applyPolicy', () => {
  test('default policy: weights 0.4/0.3/0.3, min 0.5 each, overall 0.6, flag', () => {
    assert.deepEqual(DEFAULT_QUALITY_POLICY.dimensions.relevance, {weight: 0.4, min_score: 0.5})
    assert.equal(DEFAULT_QUALITY_POLICY.overall_min_score, 0.6)
    assert.equal(DEFAULT_QUALITY_POLICY.on_fail, 'flag')
    const v = applyPolicy(dims(1, 0.8, 0.5))
    assert.equal(v.overall, 0.79)
    assert.equal(v.pass, true)
    assert.deepEqual(v.failed, [])
    assert.deepEqual(v.on_fail, [])
  })
  test('a dimension below its minimum fails the request even when the overall passes', () => {
    const v = applyPolicy(dims(1, 1, 0.3))
    assert.equal(v.overall, 0.79)
    assert.equal(v.pass, false)
    assert.deepEqual(v.failed, ['completeness'])
    assert.deepEqual(v.on_fail, [{dimension: 'completeness', action: 'flag'}])
  })
  test('overall below its minimum is reported as "overall"', () => {
    const v = applyPolicy(dims(0.5, 0.55, 0.6))
    assert.equal(v.overall, 0.545)
    assert.deepEqual(v.failed, ['overall'])
    assert.equal(v.pass, false)
  })
  test('null scores are left out of the weighted mean; all null → null verdict', () => {
    const v = applyPolicy(dims(null, 1, 0.5))
    assert.equal(v.overall, 0.75) // (0.3·1 + 0.3·0.5) / 0.6
    assert.equal(v.pass, true)
    assert.deepEqual(applyPolicy(dims(null, null, null)), {overall: null, pass: null, failed: [], on_fail: []})
    assert.equal(applyPolicy({coherence: {score: 0.9}}).overall, 0.9)
  })
  test('per-dimension on_fail overrides the policy action; weights change the mean', () => {
    const policy: QualityPolicy = {
      dimensions: {
        relevance: {weight: 1, min_score: 0.7, on_fail: 'block'},
        coherence: {weight: 0, min_score: 0.2},
        completeness: {weight: 3, min_score: 0.4},
      },
      overall_min_score: 0.5,
      on_fail: 'escalate',
    }
    const v = applyPolicy(dims(0.6, 0.1, 0.3), policy)
    assert.equal(v.overall, 0.375) // (0.6 + 3·0.3) / 4; coherence has weight 0
    assert.deepEqual(v.failed, ['relevance', 'coherence', 'completeness', 'overall'])
    assert.deepEqual(
      v.on_fail.map((x) => x.action),
      ['block', 'escalate', 'escalate', 'escalate'],
    )
  })
})
