// --judge-via batch: the judge's asks go through the judge target's Batch API (a local fake of the OpenAI Files +
// Batches and Anthropic Message Batches endpoints, reached through the official SDKs); well-formed verdicts are
// cached and become the records, what the batch did not answer well is asked live (a fake upstream), and a second
// pass sends nothing. A pass stopped while its batch runs leaves it in the ledger: the next pass collects it instead
// of paying for the same asks again.
import assert from 'node:assert/strict'
import {createServer, request, type Server} from 'node:http'
import {after, before, describe, test} from 'node:test'
import type {TargetSpec} from '../../src/providers/index.js'
import {scoreRun} from '../../src/app/score-run.js'
import {judgeRows} from '../../src/store/index.js'
import {tempDir} from '../support/cli.js'
import {startFakeBatch, type FakeBatch} from '../support/fake-batch.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'
import {gradeByArm, judgeKind, judgeUserText, seededRun, type Json} from '../support/judge-fixture.js'

const ENV = {KT_TEST_JUDGE_KEY: 'sk-judge-batch-0123456789abcdef', KT_BATCH_POLL_MS: '5', KT_BATCH_POLL_MAX_MS: '20'}

/** One base URL for the judge target: Batch API paths go to the fake Batch API, everything else to the live fake. */
function router(batch: string, live: string): Promise<{url: string; server: Server}> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    const to = new URL(/\/(files|batches)\b|\/messages\/batches/.test(path) ? batch : live)
    const up = request({host: to.hostname, port: to.port, path, method: req.method, headers: req.headers}, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    req.pipe(up)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({url: `http://127.0.0.1:${(server.address() as {port: number}).port}`, server})))
}

/** The judge's verdict for a body, except for the answer to request 3's candidate: not a verdict. */
function verdict(body: Json): string | undefined {
  if (judgeKind(body) === null) return undefined
  return judgeUserText(body).includes('number 3?') && !gradeByArm(body).includes('"score":5') ? 'I would rather not grade this.' : gradeByArm(body)
}

describe('LLM judge through the Batch API (--judge-via batch)', () => {
  let fake: FakeBatch
  let live: FakeUpstream
  let route: {url: string; server: Server}
  before(async () => {
    fake = await startFakeBatch({answer: verdict})
    live = await startFakeUpstream({answer: (body) => (judgeKind(body) ? gradeByArm(body) : undefined)})
    route = await router(fake.url, live.url)
  })
  after(async () => {
    route.server.close()
    await live.close()
    await fake.close()
  })

  for (const provider of ['openai', 'anthropic'] as const) {
    test(`${provider}: batched verdicts are the records, the one malformed answer is asked live, a second pass sends nothing`, async () => {
      live.reset()
      const before = fake.batches.length
      const {db, runId} = await seededRun(tempDir(), 6)
      const target: TargetSpec =
        provider === 'openai'
          ? {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${route.url}/v1`, api_key_env: 'KT_TEST_JUDGE_KEY'}
          : {id: 'judge-a', provider: 'anthropic', model: 'claude-judge', base_url: route.url, api_key_env: 'KT_TEST_JUDGE_KEY'}
      const progress: number[] = []
      const out = await withEnv(ENV, () => scoreRun(db, runId, {judge: {target, via: 'batch', onBatchProgress: (p) => progress.push(p.completed)}}))
      const pass = out.judge!
      assert.equal(fake.batches.length - before, 1, 'one batch for the run')
      assert.deepEqual(pass.batch, {sent: 12, answered: 11, batch_ids: [fake.batches.at(-1)!.id], resumed_batch_ids: []})
      assert.ok(progress.length >= 2, 'progress while the batch runs')
      // Only the malformed one went live; every answer has a good record.
      const liveJudge = live.calls.filter((c) => c.body && judgeKind(c.body) !== null)
      assert.equal(liveJudge.length, 1)
      assert.match(judgeUserText(liveJudge[0]!.body!), /number 3\?/)
      const rows = judgeRows(db, runId)
      assert.equal(rows.length, 12)
      assert.ok(rows.every((r) => JSON.parse(r.judge_json!).status === 'ok'), 'every answer judged')
      assert.ok(pass.arms.primary!.means.overall! > pass.arms.candidate!.means.overall!)
      // 12 asks answered by the batch (at its price) and one live; the live pass read the 11 good verdicts from the cache.
      assert.ok(pass.calls === 13 && pass.cache_hits === 11, `calls ${pass.calls}, cache hits ${pass.cache_hits}`)
      // Everything is cached now: nothing is sent, by batch or live.
      const again = await withEnv(ENV, () => scoreRun(db, runId, {force: true, judge: {target, via: 'batch'}}))
      assert.deepEqual(again.judge!.batch, {sent: 0, answered: 0, batch_ids: [], resumed_batch_ids: []})
      assert.equal(fake.batches.length - before, 1)
      assert.equal(live.calls.filter((c) => c.body && judgeKind(c.body) !== null).length, 1)
      db.close()
    })
  }

  test('a pass stopped while its batch runs: the next pass waits for that batch and sends no new one', async () => {
    const slow = await startFakeBatch({answer: verdict, polls: {validating: 1, in_progress: 10_000, finalizing: 1}})
    const slowRoute = await router(slow.url, live.url)
    try {
      live.reset()
      const dir = tempDir()
      const {db, runId} = await seededRun(dir, 6)
      const target: TargetSpec = {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${slowRoute.url}/v1`, api_key_env: 'KT_TEST_JUDGE_KEY'}
      const stop = new AbortController()
      const first = withEnv(ENV, () => scoreRun(db, runId, {judge: {target, via: 'batch', stop: stop.signal, onBatchProgress: () => slow.batches.length === 1 && stop.abort()}}))
      await assert.rejects(first, /stopped waiting for the judge's batches \(batch_[^)]*\); .* the next --judge-via batch pass collects them/)
      assert.equal(slow.batches.length, 1)
      assert.equal(live.calls.filter((c) => c.body && judgeKind(c.body) !== null).length, 0, 'nothing asked live after a stop')
      slow.finishAll()
      const out = await withEnv(ENV, () => scoreRun(db, runId, {judge: {target, via: 'batch'}}))
      assert.equal(slow.batches.length, 1, 'no new batch: the stopped one was collected')
      assert.deepEqual(out.judge!.batch, {sent: 0, answered: 11, batch_ids: [], resumed_batch_ids: [slow.batches[0]!.id]})
      assert.equal(live.calls.filter((c) => c.body && judgeKind(c.body) !== null).length, 1, 'only the malformed answer asked live')
      assert.equal(judgeRows(db, runId).length, 12)
      // Collected: a third pass has nothing to wait for and nothing to send.
      const third = await withEnv(ENV, () => scoreRun(db, runId, {force: true, judge: {target, via: 'batch'}}))
      assert.deepEqual(third.judge!.batch, {sent: 0, answered: 0, batch_ids: [], resumed_batch_ids: []})
      db.close()
    } finally {
      slowRoute.server.close()
      await slow.close()
    }
  })
})
