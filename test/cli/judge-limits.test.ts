// What holds a judge pass back. A budget (JudgeOptions.maxCost; `kt replay --max-cost` gives the judge what the
// replay left): a call goes out only while its estimate fits, answers left over get no record and a later pass
// judges them. And the judge target's own rpm / tpm, as replay honours them.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import type {TargetSpec} from '../../src/providers/index.js'
import {formatJudgeSummary, runIsJudged, judgeModelName} from '../../src/scoring/index.js'
import {scoreRun} from '../../src/app/score-run.js'
import {judgeRowsOfResults} from '../../src/store/index.js'
import type {DB} from '../../src/store/db.js'
import {ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {gradeByArm, judgeKind, seededRun} from '../support/judge-fixture.js'

const KEY_ENV = 'KT_TEST_JUDGE_BUDGET_KEY'
const KEY = 'sk-judge-budget-secret-81c3'
/** $1 per thousand output tokens: a call reserves $1.024 (1,024 tokens) until its real usage is known. */
const PRICING = {'gpt-judge': {input_per_mtok: 0, output_per_mtok: 1000}}

let up: FakeUpstream

function judgeTarget(): TargetSpec {
  return {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${up.url}/v1`, api_key_env: KEY_ENV}
}

function judgeRecords(db: DB, runId: string): number {
  return (db.prepare('SELECT count(*) FROM scores WHERE run_id = ? AND judge_json IS NOT NULL').pluck().get(runId) as number)
}

function judgeCalls(): number {
  return up.calls.filter((c) => c.body && judgeKind(c.body) !== null).length
}

describe('LLM judge with a budget', () => {
  before(async () => {
    process.env[KEY_ENV] = KEY
    up = await startFakeUpstream({answer: (body) => (judgeKind(body) ? gradeByArm(body) : undefined)})
  })
  after(async () => {
    delete process.env[KEY_ENV]
    await up.close()
  })

  test('stops asking before the budget is passed; the next pass judges the rest, the first verdicts from the cache', async () => {
    up.reset()
    const {db, runId} = await seededRun(tempDir(), 6)
    const budget = 1.3
    const first = await scoreRun(db, runId, {judge: {target: judgeTarget(), maxCost: budget, pricing: PRICING}})
    const j = first.judge!
    assert.ok(j.calls >= 1 && j.calls < 12, `some calls, not all 12: ${j.calls}`)
    assert.equal(judgeCalls(), j.calls)
    assert.equal(j.over_budget, 12 - j.calls, 'every answer not asked is counted')
    assert.ok(j.spent_usd > 0 && j.spent_usd <= budget, `spent ${j.spent_usd} within ${budget}`)
    assert.equal(j.max_cost, budget)
    assert.equal(judgeRecords(db, runId), j.calls, 'answers left over have no judge record')
    assert.equal(runIsJudged(judgeRowsOfResults(db, runId), judgeModelName(judgeTarget()), false), false)
    assert.match(formatJudgeSummary(j).join('\n'), new RegExp(`budget: \\$${j.spent_usd.toFixed(4)} of \\$1\\.3000 spent; ${j.over_budget} judge calls not made`))

    up.reset()
    const second = await scoreRun(db, runId, {judge: {target: judgeTarget(), pricing: PRICING}})
    assert.equal(second.judge!.calls, 12 - j.calls, 'only what the budget left is asked')
    assert.equal(second.judge!.cache_hits, j.calls)
    assert.equal(second.judge!.over_budget, 0)
    assert.equal(judgeRecords(db, runId), 12)
    assert.equal(runIsJudged(judgeRowsOfResults(db, runId), judgeModelName(judgeTarget()), false), true)
    db.close()
  })

  test('a judge model without a price cannot be held to the budget: every call is made and the summary says so', async () => {
    up.reset()
    const {db, runId} = await seededRun(tempDir(), 2)
    const out = await scoreRun(db, runId, {judge: {target: judgeTarget(), maxCost: 0.01}})
    assert.equal(out.judge!.calls, 4)
    assert.equal(out.judge!.unpriced, 4)
    assert.equal(out.judge!.over_budget, 0)
    assert.match(formatJudgeSummary(out.judge!).join('\n'), /4 judge calls could not be priced/)
    db.close()
  })

  test('kt replay --max-cost --judge: the judge gets what the replay left, and --json says what it spent', async () => {
    up.reset()
    const dir = tempDir()
    const {db, dbPath} = await seededRun(dir, 6)
    db.close()
    const config = join(dir, 'policy-config.yaml')
    writeFileSync(config, `version: '1'\npricing:\n  gpt-judge: {input_per_mtok: 0, output_per_mtok: 1000}\n`)
    const r = await ktAsync(['replay', '--db', dbPath, '--config', config, '--candidate', 'simulated:terse', '--json', '--judge', `openai:gpt-judge@${up.url}/v1`, '--max-cost', '1.3'], {
      env: {OPENAI_API_KEY: KEY, OPENAI_BASE_URL: undefined},
    })
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {judge: {calls: number; max_cost: number; spent_usd: number; over_budget: number}}
    // The judge had what the (nearly free) simulated replay left of --max-cost.
    assert.ok(out.judge.max_cost < 1.3 && out.judge.max_cost > 1.29, `judge budget ${out.judge.max_cost}`)
    assert.ok(out.judge.calls >= 1 && out.judge.calls < 12, `calls ${out.judge.calls}`)
    assert.ok(out.judge.spent_usd <= 1.3)
    assert.equal(out.judge.over_budget, 12 - out.judge.calls)
    assert.equal(judgeCalls(), out.judge.calls)
    assert.match(r.stderr, /judge calls not made/)
  })

  test('kt gate --judge-max-cost caps the judge on its own; bad or orphan budgets are usage errors', async () => {
    up.reset()
    const dir = tempDir()
    const {db, dbPath, runId} = await seededRun(dir, 6)
    db.close()
    const config = join(dir, 'policy-config.yaml')
    writeFileSync(config, `version: '1'\npricing:\n  gpt-judge: {input_per_mtok: 0, output_per_mtok: 1000}\n`)
    const judge = ['--judge', `openai:gpt-judge@${up.url}/v1`]
    const env = {OPENAI_API_KEY: KEY, OPENAI_BASE_URL: undefined}
    const r = await ktAsync(['gate', runId, '--db', dbPath, '--config', config, '--json', '--allow-inconclusive', ...judge, '--judge-max-cost', '1.3'], {env})
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {judge: {calls: number; max_cost: number; over_budget: number}}
    assert.equal(out.judge.max_cost, 1.3)
    assert.ok(out.judge.calls >= 1 && out.judge.calls < 12, `calls ${out.judge.calls}`)
    assert.equal(out.judge.over_budget, 12 - out.judge.calls)
    up.reset()
    for (const [args, message] of [
      [['--judge-max-cost', '1'], /--judge-max-cost needs --judge TARGET/],
      [[...judge, '--judge-max-cost', 'lots'], /--judge-max-cost "lots": expected a number of USD >= 0/],
      [[...judge, '--judge-max-cost', '-1'], /--judge-max-cost "-1": expected a number of USD >= 0/],
    ] as const) {
      const bad = await ktAsync(['report', runId, '--db', dbPath, ...args], {env})
      assert.equal(bad.code, 2, bad.stderr)
      assert.match(bad.stderr, message)
    }
    assert.equal(judgeCalls(), 0, 'a usage error sends nothing')
  })
})

describe('LLM judge under its target rate limit', () => {
  let slow: FakeUpstream
  const starts: number[] = []
  before(async () => {
    process.env[KEY_ENV] = KEY
    slow = await startFakeUpstream({
      answer: (body) => (judgeKind(body) ? gradeByArm(body) : undefined),
      delayMs: () => {
        starts.push(performance.now())
        return 0
      },
    })
  })
  after(async () => {
    delete process.env[KEY_ENV]
    await slow.close()
  })

  test("the judge target's rpm holds: 120 rpm lets 2 calls through at once, then one every 500 ms", async () => {
    const {db, runId} = await seededRun(tempDir(), 3)
    const target: TargetSpec = {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${slow.url}/v1`, api_key_env: KEY_ENV, rpm: 120}
    const out = await scoreRun(db, runId, {judge: {target}})
    assert.equal(out.judge!.calls, 6)
    assert.equal(starts.length, 6)
    // A burst of 2, then 4 more at 2 per second: at least ~2 s from the first call to the last.
    const span = starts[starts.length - 1]! - starts[0]!
    assert.ok(span >= 1800, `6 calls at 120 rpm took ${Math.round(span)} ms`)
    db.close()
  })
})
