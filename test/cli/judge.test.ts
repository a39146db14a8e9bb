// `--judge TARGET` / `--judge-pairwise` on kt gate, kt report and kt replay, run as a user runs them (the
// built CLI in a child process) against a fake upstream in this process: the key comes only from the env
// variable the target names and never shows up in output, the store or the cache.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {between, gradeByArm, judgeKind, judgeUserText, PRIMARY_MARK, seededRun} from '../support/judge-fixture.js'

const KEY = 'sk-cli-judge-secret-7d41e0'

let up: FakeUpstream

describe('kt --judge', () => {
  before(async () => {
    up = await startFakeUpstream({
      answer: (body) => {
        if (judgeKind(body) === 'pointwise') return gradeByArm(body)
        const aIsPrimary = between(judgeUserText(body), '<response_a>', '</response_a>').includes(PRIMARY_MARK)
        return JSON.stringify({reasoning: 'the primary is more specific', verdict: aIsPrimary ? 'A' : 'B'})
      },
    })
  })
  after(async () => {
    await up.close()
  })

  test('kt gate --judge --judge-pairwise --json: judge summary in the JSON, key never written', async () => {
    up.reset()
    const dir = tempDir()
    const {db, dbPath, runId} = await seededRun(dir, 3)
    db.close()
    const r = await ktAsync(['gate', runId, '--db', dbPath, '--json', '--allow-inconclusive', '--judge', `openai:gpt-judge@${up.url}/v1`, '--judge-pairwise'], {
      env: {OPENAI_API_KEY: KEY, OPENAI_BASE_URL: undefined},
    })
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {judge: {model: string; calls: number; arms: Record<string, {error_rate: number; means: {overall: number}}>; pairwise: {win_rate: number; n: number}}}
    assert.equal(out.judge.model, 'openai:gpt-judge')
    assert.equal(out.judge.calls, 6 + 6)
    assert.equal(out.judge.arms.primary!.means.overall, 0.775)
    assert.equal(out.judge.arms.candidate!.error_rate, 0)
    assert.deepEqual([out.judge.pairwise.n, out.judge.pairwise.win_rate], [3, 0])
    assert.match(r.stderr, /judge openai:gpt-judge \(kt-rubric@1\):/)
    assert.match(r.stderr, /candidate win rate 0\.000 over 3 requests/)
    assert.equal(up.calls[0]!.headers.authorization, `Bearer ${KEY}`)

    for (const text of [r.stdout, r.stderr, readFileSync(dbPath).toString('latin1')]) assert.ok(!text.includes(KEY))
    const cacheDir = join(dir, '.kt', 'judge-cache')
    for (const f of readdirSync(cacheDir)) assert.ok(!readFileSync(join(cacheDir, f), 'utf8').includes(KEY))

    // kt report --judge on the judged run: everything from the store, no call.
    up.reset()
    const rep = await ktAsync(['report', runId, '--db', dbPath, '--format', 'json', '--judge', `openai:gpt-judge@${up.url}/v1`, '--judge-pairwise'], {env: {OPENAI_API_KEY: KEY}})
    assert.equal(rep.code, 0, rep.stderr)
    assert.equal(up.callCount(), 0)
    assert.match(rep.stderr, /primary: overall 0\.775/)
    // The report itself carries the judge: per-arm means and error rates, and the head-to-head.
    const report = JSON.parse(rep.stdout) as {judge: {model: string; arms: Record<string, {error_rate: number | null; means: {overall: number | null}}>; pairwise: {n: number} | null}}
    assert.equal(report.judge.model, 'openai:gpt-judge')
    assert.equal(report.judge.arms.primary!.means.overall, 0.775)
    assert.equal(report.judge.arms.candidate!.error_rate, 0)
    assert.ok(report.judge.pairwise && report.judge.pairwise.n > 0)
  })

  test('kt replay --judge scores and judges the completed run', async () => {
    up.reset()
    const dir = tempDir()
    const {db, dbPath} = await seededRun(dir, 2)
    db.close()
    const r = await ktAsync(['replay', '--db', dbPath, '--candidate', 'simulated:verbose', '--json', '--judge', `anthropic:claude-judge@${up.url}`], {env: {ANTHROPIC_API_KEY: KEY}})
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {judge: {model: string; calls: number; arms: Record<string, {judged: number}>}}
    assert.equal(out.judge.model, 'anthropic:claude-judge')
    assert.equal(out.judge.calls, 4)
    assert.equal(out.judge.arms.candidate!.judged, 2)
    assert.equal(up.callCount('/v1/messages'), 4)
    assert.ok(up.calls[0]!.headers.authorization === `Bearer ${KEY}` || up.calls[0]!.headers['x-api-key'] === KEY)
  })

  test('usage errors before any work: simulated judge, missing key, --judge-pairwise alone', async () => {
    up.reset()
    const {db, dbPath, runId} = await seededRun(tempDir(), 1)
    db.close()
    const sim = await ktAsync(['gate', runId, '--db', dbPath, '--judge', 'simulated:terse'])
    assert.equal(sim.code, 2)
    assert.match(sim.stderr, /--judge simulated:terse: a simulated target cannot judge/)
    const nokey = await ktAsync(['gate', runId, '--db', dbPath, '--judge', 'openai:gpt-judge'], {env: {OPENAI_API_KEY: undefined}})
    assert.equal(nokey.code, 2)
    assert.match(nokey.stderr, /--judge: target "openai:gpt-judge": environment variable OPENAI_API_KEY is not set/)
    const alone = await ktAsync(['report', runId, '--db', dbPath, '--judge-pairwise'])
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--judge-pairwise needs --judge TARGET/)
    assert.equal(up.callCount(), 0)
  })
})
