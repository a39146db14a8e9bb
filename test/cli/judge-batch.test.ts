// `kt gate RUN --judge TARGET --judge-via batch` as a user runs it: the judge's asks go through the fake Batch API
// (OpenAI Files + Batches) with progress on stderr, the JSON says what the batch did, and a bad combination is a
// usage error before anything is sent.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {ktAsync, tempDir} from '../support/cli.js'
import {startFakeBatch, type FakeBatch} from '../support/fake-batch.js'
import {gradeByArm, judgeKind, seededRun} from '../support/judge-fixture.js'

const KEY = 'sk-cli-judge-batch-4b1f9e'

describe('kt gate --judge-via batch', () => {
  let fake: FakeBatch
  before(async () => {
    fake = await startFakeBatch({answer: (body) => (judgeKind(body) ? gradeByArm(body) : undefined)})
  })
  after(async () => {
    await fake.close()
  })

  test('the judge grades through the Batch API; --json carries the batch; no live judge call', async () => {
    const {db, dbPath, runId} = await seededRun(tempDir(), 3)
    db.close()
    const r = await ktAsync(['gate', runId, '--db', dbPath, '--json', '--allow-inconclusive', '--judge', `openai:gpt-judge@${fake.url}/v1`, '--judge-via', 'batch'], {
      env: {OPENAI_API_KEY: KEY, OPENAI_BASE_URL: undefined, KT_BATCH_POLL_MS: '5', KT_BATCH_POLL_MAX_MS: '20'},
    })
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {judge: {batch: {sent: number; answered: number; batch_ids: string[]; resumed_batch_ids: string[]}; arms: Record<string, {error_rate: number}>}}
    assert.deepEqual(out.judge.batch, {sent: 6, answered: 6, batch_ids: [fake.batches.at(-1)!.id], resumed_batch_ids: []})
    assert.equal(out.judge.arms.candidate!.error_rate, 0)
    assert.match(r.stderr, /judge batch: \d+ of 6 answered/)
    assert.match(r.stderr, /batch: 6 asks through the Batch API/)
    assert.ok(!r.stderr.includes(KEY) && !r.stdout.includes(KEY))
  })

  test('usage errors: --judge-via batch without --judge, or with a judge that has no Batch API', async () => {
    const {db, dbPath, runId} = await seededRun(tempDir(), 1)
    db.close()
    const alone = await ktAsync(['gate', runId, '--db', dbPath, '--judge-via', 'batch'])
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--judge-via batch needs --judge TARGET/)
    const sim = await ktAsync(['gate', runId, '--db', dbPath, '--judge', 'simulated:terse', '--judge-via', 'batch'])
    assert.equal(sim.code, 2)
    assert.match(sim.stderr, /judge|Batch API/)
  })
})
