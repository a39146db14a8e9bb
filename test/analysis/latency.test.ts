// Latency remembers retries and timeouts (issue 12, item 4; docs/scoring-and-gates.md §4.1): the replay engine records every
// call, a request's latency is the time of all its calls with a timed-out one counted at its timeout, a request
// that never answered is censored (its latency a lower bound, marked ≥), and timeout and retry rates are reported
// per arm and gateable. Real replays: kt's simulated provider (deterministic, latency reported, not slept) and,
// end to end over HTTP, the fake upstream with a slow answer and a retry.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {loadRunData} from '../../src/analysis/index.js'
import {scoreRun} from '../../src/app/score-run.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun, type ReplaySettings} from '../../src/replay/index.js'
import {buildReport} from '../../src/report/index.js'
import {resultsFor} from '../../src/store/index.js'
import {openDb, type DB} from '../../src/store/db.js'
import {quantile} from '../../src/stats/index.js'
import type {TargetSpec} from '../../src/providers/index.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function pairLine(i: number): string {
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    request: {model: 'gpt-4o-mini', max_tokens: 300, messages: [{role: 'user', content: `How do I configure feature number ${i} of the billing export?`}]},
    response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Open settings ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 8, total_tokens: 28}},
    latency_ms: 300,
  })
}

async function seed(n: number): Promise<DB> {
  const dir = tempDir()
  const file = join(dir, 'pairs.jsonl')
  writeFileSync(file, Array.from({length: n}, (_, i) => pairLine(i)).join('\n') + '\n')
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  await importFiles(db, path, [file])
  return db
}

function settings(over: Partial<ReplaySettings> = {}): ReplaySettings {
  return {selection: {}, modelMap: {}, concurrency: 8, rps: null, tpm: null, timeoutMs: 4000, retries: 2, maxCost: null, aa: 0, seed: 1, ...over}
}

const sim = (id: string, seedValue: number, latency: {p50: number; p95: number}): TargetSpec => ({
  id,
  provider: 'simulated',
  model: `sim-${id}`,
  simulation: {style: 'faithful', seed: seedValue, latency_ms: latency},
})

describe('latency over every call, with timeouts censored', () => {
  test('a 2.5× slower candidate with a 3 s timeout: timed-out calls count, the p99 is a lower bound, rates are gateable', async () => {
    const db = await seed(400)
    // The candidate's drawn latencies pass 3 s on about a call in six; a retry draws again (the primary's on 1–2%).
    const planned = createReplayRun(db, {primary: sim('p', 1, {p50: 600, p95: 2000}), candidate: sim('c', 2, {p50: 1500, p95: 5000}), settings: settings({timeoutMs: 3000, retries: 1})})
    assert.equal((await executeRun(db, planned, {retryBaseMs: 1})).status, 'completed')

    const rows = resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate')
    const calls = new Map(rows.map((r) => [r.event_id, JSON.parse(r.attempts_json!) as {latency_ms: number; status: string}[]]))
    assert.ok(rows.every((r) => calls.get(r.event_id)!.length === r.attempts && r.timeout_ms === 3000), 'every call is kept, with the timeout it ran under')
    const retried = [...calls.values()].filter((c) => c.length > 1)
    assert.ok(retried.length > 20 && retried.every((c) => c[0]!.status === 'timeout'), 'the retries followed timeouts')
    const recovered = rows.filter((r) => r.status === 'ok' && r.attempts > 1)
    const never = rows.filter((r) => r.status === 'timeout')
    assert.ok(recovered.length > 0 && never.length > 0, `${recovered.length} recovered, ${never.length} never answered`)

    await scoreRun(db, planned.runId)
    const data = loadRunData(db, planned.runId)
    const cand = data.requests.map((r) => r.candidate!)
    for (const a of cand.filter((x) => x.timeouts > 0)) assert.ok(a.latency_ms! >= 3000 * a.timeouts, 'a timed-out call counts as at least its timeout')
    assert.equal(cand.filter((a) => a.latency_censored).length, never.length)

    const m = buildReport(data, {B: 1000, gates: ['timeout_rate <= primary+0.01', 'retry_rate <= primary+0.01', 'latency.p95 <= 1.2x', 'latency.p50 <= 1.2x']})
    const arm = m.arms.find((a) => a.arm === 'candidate')!
    const primaryArm = m.arms.find((a) => a.arm === 'primary')!
    assert.ok(arm.timeout_rate > 0.1 && Math.abs(arm.retry_rate - arm.timeout_rate) < 1e-12, JSON.stringify({timeout: arm.timeout_rate, retry: arm.retry_rate, p: primaryArm.timeout_rate}))
    assert.ok(primaryArm.timeout_rate < 0.05)
    assert.equal(arm.latency_ms.censored, never.length)
    assert.ok(arm.latency_ms.lower_bound.includes('p99') && arm.latency_ms.lower_bound.includes('mean'), JSON.stringify(arm.latency_ms))
    // The final call alone with timeouts dropped (what kt did before) reads a far smaller slowdown.
    const finalOk = (which: 'primary' | 'candidate') => {
      const byEvent = new Map(resultsFor(db, planned.runId).filter((r) => r.arm === which && r.status === 'ok').map((r) => [r.event_id, r.latency_ms!]))
      return [...byEvent.values()]
    }
    const before = quantile(finalOk('candidate'), 0.95) / quantile(finalOk('primary'), 0.95)
    const row = m.metrics.find((r) => r.metric === 'latency.p95')!
    assert.ok(row.comparison!.estimate! > before + 0.4, `p95 ratio ${row.comparison!.estimate} vs ${before} from the final calls only`)
    const p99 = m.metrics.find((r) => r.metric === 'latency.p99')!
    assert.equal(p99.lower_bound?.candidate, true, 'the candidate p99 rests on requests that never answered')
    assert.deepEqual(m.gates.map((g) => g.decision), ['fail', 'fail', 'fail', 'fail'])
    assert.ok(m.warnings.some((w) => /candidate: \d+ of 400 requests \(\d+\.\d%\) had a call time out, \d+ never answered/.test(w)), m.warnings.join('\n'))
    db.close()
  })
})

describe('over HTTP', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream()
  })
  after(async () => {
    await up.close()
  })

  test('a call past the timeout is recorded as a timeout, the retry as a second call, both in the request latency', async () => {
    const db = await seed(4)
    // The first call of the run (whichever request it carries) stalls past the 300 ms timeout; its retry answers.
    up.setFaults([{type: 'slow', ms: 1500}])
    const candidate: TargetSpec = {id: 'cand', provider: 'openai-compatible', model: 'llama', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({timeoutMs: 300, retries: 1, concurrency: 1})})
    assert.equal((await executeRun(db, planned, {retryBaseMs: 1})).status, 'completed')
    const rows = resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate')
    const slow = rows.find((r) => r.attempts === 2)!
    const calls = JSON.parse(slow.attempts_json!) as {latency_ms: number; status: string}[]
    assert.deepEqual(calls.map((c) => c.status), ['timeout', 'ok'])
    assert.equal(slow.status, 'ok')
    await scoreRun(db, planned.runId)
    const data = loadRunData(db, planned.runId)
    const a = data.requests.find((r) => r.event_id === slow.event_id)!.candidate!
    assert.equal(a.timeouts, 1)
    assert.ok(a.latency_ms! >= 300 + calls[1]!.latency_ms, 'the timed-out call counts at least its timeout')
    assert.equal(a.latency_censored, false, 'it answered in the end')
    const m = buildReport(data, {B: 200, gates: []})
    assert.equal(m.arms.find((x) => x.arm === 'candidate')!.retry_rate, 0.25)
    db.close()
  })
})
