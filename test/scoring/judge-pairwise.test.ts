// Pairwise judging (MT-Bench style): each request is compared in both orders, a verdict counts only
// when both orders agree (otherwise an inconsistent tie), and the candidate's win rate is (W + ½T)/n.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import type {TargetSpec} from '../../src/providers/index.js'
import {combineOrders} from '../../src/scoring/judge-items.js'
import {judgeSummary} from '../../src/scoring/judge-summary.js'
import type {JudgeRecord} from '../../src/scoring/judge-types.js'
import {scoreRun} from '../../src/app/score-run.js'
import {judgeRows as storeJudgeRows} from '../../src/store/index.js'
import type {DB} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {between, gradeByArm, judgeKind, judgeUserText, obj, PRIMARY_MARK, seededRun, type Json} from '../support/judge-fixture.js'

const KEY_ENV = 'KT_TEST_JUDGE_KEY'

let up: FakeUpstream
let verdict: (aIsPrimary: boolean, body: Json) => string = () => 'C'

function judge(provider: 'openai' | 'anthropic' = 'openai'): TargetSpec {
  return provider === 'openai'
    ? {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${up.url}/v1`, api_key_env: KEY_ENV}
    : {id: 'judge-a', provider: 'anthropic', model: 'claude-judge', base_url: up.url, api_key_env: KEY_ENV}
}

function answer(body: Json): string | undefined {
  if (judgeKind(body) === 'pointwise') return gradeByArm(body)
  const user = judgeUserText(body)
  return verdict(between(user, '<response_a>', '</response_a>').includes(PRIMARY_MARK), body)
}

function records(db: DB, runId: string): Map<string, JudgeRecord> {
  const rows = db.prepare('SELECT event_id, arm, judge_json FROM scores WHERE run_id = ?').all(runId) as {event_id: string; arm: string; judge_json: string}[]
  return new Map(rows.map((r) => [`${r.event_id}/${r.arm}`, JSON.parse(r.judge_json) as JudgeRecord]))
}

describe('LLM judge, pairwise in both orders', () => {
  before(async () => {
    process.env[KEY_ENV] = 'sk-judge-test-secret-pairwise'
    up = await startFakeUpstream({answer: (body) => answer(body)})
  })
  after(async () => {
    delete process.env[KEY_ENV]
    await up.close()
  })

  test('combineOrders: agreement gives the winner, disagreement an inconsistent tie', () => {
    assert.deepEqual(combineOrders('A', 'B'), {verdict: 'primary', consistent: true})
    assert.deepEqual(combineOrders('B', 'A'), {verdict: 'candidate', consistent: true})
    assert.deepEqual(combineOrders('C', 'C'), {verdict: 'tie', consistent: true})
    assert.deepEqual(combineOrders('A', 'A'), {verdict: 'tie', consistent: false})
    assert.deepEqual(combineOrders('B', 'C'), {verdict: 'tie', consistent: false})
  })

  test('both orders are asked (A/B swapped); agreeing verdicts decide, win rate (W + ½T)/n', async () => {
    up.reset()
    // A consistent judge that prefers the candidate, structured: {"reasoning", "verdict"}.
    verdict = (aIsPrimary) => JSON.stringify({reasoning: 'The other one is more complete.', verdict: aIsPrimary ? 'B' : 'A'})
    const n = 4
    const {db, runId} = await seededRun(tempDir(), n)
    const out = await scoreRun(db, runId, {judge: {target: judge(), pairwise: true}})
    assert.equal(out.judge?.calls, 2 * n + 2 * n, 'one pointwise call per answer, two pairwise calls per request')

    const pair = up.calls.filter((c) => c.body && judgeKind(c.body) === 'pairwise')
    assert.equal(pair.length, 2 * n)
    const rf = obj(pair[0]!.body!.response_format)
    assert.equal(obj(rf.json_schema).name, 'record_verdict')
    assert.equal(obj(rf.json_schema).strict, true)
    // Per request: one call with the primary as Assistant A, one with the candidate as A, and the same two texts swapped.
    const byQuestion = new Map<string, {a: string; b: string}[]>()
    for (const c of pair) {
      const user = judgeUserText(c.body!)
      const q = /How do I reset password number (\d+)\?/.exec(user)![1]!
      const list = byQuestion.get(q) ?? []
      list.push({a: between(user, '<response_a>', '</response_a>'), b: between(user, '<response_b>', '</response_b>')})
      byQuestion.set(q, list)
    }
    assert.equal(byQuestion.size, n)
    for (const [, orders] of byQuestion) {
      assert.equal(orders.length, 2)
      const [x, y] = orders as [{a: string; b: string}, {a: string; b: string}]
      assert.equal(x.a, y.b)
      assert.equal(x.b, y.a)
      assert.notEqual(x.a, x.b)
      assert.equal([x, y].filter((o) => o.a.includes(PRIMARY_MARK)).length, 1)
    }
    const user = judgeUserText(pair[0]!.body!)
    assert.doesNotMatch(user, /primary|candidate|gpt-4o-mini|simulated/i, 'the two assistants are anonymous')

    const recs = records(db, runId)
    const cands = [...recs.entries()].filter(([k]) => k.endsWith('/candidate')).map(([, r]) => r)
    const prims = [...recs.entries()].filter(([k]) => k.endsWith('/primary')).map(([, r]) => r)
    assert.equal(cands.length, n)
    for (const r of cands) assert.deepEqual({...r.pairwise, reason: null}, {verdict: 'candidate', g1: 'B', g2: 'A', consistent: true, status: 'ok', reason: null, cached: false})
    assert.ok(prims.every((r) => r.pairwise === undefined), 'the pairwise verdict sits on the candidate record only')
    const sum = judgeSummary(storeJudgeRows(db, runId))
    assert.deepEqual(sum.pairwise, {n, candidate_wins: n, primary_wins: 0, ties: 0, inconsistent: 0, errors: 0, error_rate: 0, win_rate: 1})
    db.close()
  })

  test('position bias: a judge that always says A is inconsistent → ties, win rate 0.5', async () => {
    up.reset()
    verdict = () => 'Both are fine, but the first one reads better.\n[[A]]'
    const {db, runId} = await seededRun(tempDir(), 3)
    const out = await scoreRun(db, runId, {judge: {target: judge(), pairwise: true}})
    const pw = out.judge?.pairwise
    assert.deepEqual(pw, {n: 3, candidate_wins: 0, primary_wins: 0, ties: 3, inconsistent: 3, errors: 0, error_rate: 0, win_rate: 0.5})
    const cand = [...records(db, runId).entries()].find(([k]) => k.endsWith('/candidate'))![1]
    assert.equal(cand.pairwise?.g1, 'A')
    assert.equal(cand.pairwise?.g2, 'A')
    assert.equal(cand.pairwise?.verdict, 'tie')
    assert.equal(cand.pairwise?.consistent, false)
    db.close()
  })

  test('mixed verdicts: one primary win, one agreed tie, one inconsistent → (0 + ½·2)/3', async () => {
    up.reset()
    verdict = (aIsPrimary, body) => {
      const q = Number(/How do I reset password number (\d+)\?/.exec(judgeUserText(body))![1])
      if (q === 0) return JSON.stringify({reasoning: 'primary is better', verdict: aIsPrimary ? 'A' : 'B'})
      if (q === 1) return JSON.stringify({reasoning: 'equal', verdict: 'C'})
      return JSON.stringify({reasoning: 'second', verdict: 'B'})
    }
    const {db, runId} = await seededRun(tempDir(), 3)
    const out = await scoreRun(db, runId, {judge: {target: judge(), pairwise: true}})
    assert.deepEqual(out.judge?.pairwise, {n: 3, candidate_wins: 0, primary_wins: 1, ties: 2, inconsistent: 1, errors: 0, error_rate: 0, win_rate: 0.333333})
    db.close()
  })

  test('a failed order makes the pairwise verdict a judge error, excluded from the win rate', async () => {
    up.reset()
    verdict = (aIsPrimary) => (aIsPrimary ? JSON.stringify({reasoning: 'x', verdict: 'A'}) : 'no verdict here')
    const {db, runId} = await seededRun(tempDir(), 2)
    const out = await scoreRun(db, runId, {judge: {target: judge(), pairwise: true}})
    assert.deepEqual(out.judge?.pairwise, {n: 0, candidate_wins: 0, primary_wins: 0, ties: 0, inconsistent: 0, errors: 2, error_rate: 1, win_rate: null})
    const cand = [...records(db, runId).entries()].find(([k]) => k.endsWith('/candidate'))![1]
    assert.equal(cand.pairwise?.status, 'judge_error')
    assert.equal(cand.pairwise?.g1, 'A')
    assert.equal(cand.pairwise?.g2, null)
    assert.match(cand.pairwise?.reason ?? '', /^A=candidate: malformed judge answer after 3 attempts/)
    // Pointwise scores of the same run are unaffected.
    assert.equal(out.judge?.arms.candidate?.error_rate, 0)
    db.close()
  })

  test('Anthropic: pairwise through the forced tool record_verdict', async () => {
    up.reset()
    verdict = (aIsPrimary) => JSON.stringify({reasoning: 'the primary is more specific', verdict: aIsPrimary ? 'A' : 'B'})
    const {db, runId} = await seededRun(tempDir(), 2)
    const out = await scoreRun(db, runId, {judge: {target: judge('anthropic'), pairwise: true}})
    const pair = up.calls.filter((c) => c.path === '/v1/messages' && obj(c.body?.tool_choice).name === 'record_verdict')
    assert.equal(pair.length, 4)
    assert.deepEqual(pair[0]!.body!.tool_choice, {type: 'tool', name: 'record_verdict'})
    assert.equal(out.judge?.pairwise?.primary_wins, 2)
    assert.equal(out.judge?.pairwise?.win_rate, 0)
    db.close()
  })
})
