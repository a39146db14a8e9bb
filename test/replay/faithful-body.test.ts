// What replay sends is the logged body (issue 11, items 3 and 10): a `__proto__` key in a logged body is stored and
// sent as the own key it was; a body whose credentials were scrubbed at import is sent scrubbed, and its results say so.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun, SCRUBBED_NOTE, type ReplaySettings} from '../../src/replay/index.js'
import {resultsFor} from '../../src/store/index.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const settings: ReplaySettings = {selection: {}, modelMap: {}, concurrency: 2, rps: null, tpm: null, timeoutMs: 10_000, retries: 0, maxCost: null, aa: 0, seed: 1}
const KEY = 'sk-proj-Zq81LkT0aRw3Nc5vBy7Ux2Hm'

const response = (i: number) => ({id: `c${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `answer ${i}.`}, finish_reason: 'stop'}]})

describe('replay sends the logged body', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream()
  })
  after(async () => {
    await up.close()
  })

  test('__proto__ keys are stored and sent as own keys; a scrubbed prompt is sent scrubbed and its result says so', async () => {
    const dir = tempDir()
    const file = join(dir, 'pairs.jsonl')
    // Written as text: JSON.stringify of an object literal would not keep a __proto__ key either.
    const proto = `{"request":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"question 0"}],"metadata":{"__proto__":{"x":"1"},"a":"2"},"__proto__":{"polluted":true}},"response":${JSON.stringify(response(0))}}`
    const secret = JSON.stringify({request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `question 1: why is ${KEY} refused?`}]}, response: response(1)})
    writeFileSync(file, `${proto}\n${secret}\n`)
    const path = join(dir, 'kt.db')
    const db = openDb(path)
    await importFiles(db, path, [file])
    const stored = db.prepare('SELECT request_json, metadata_json FROM events ORDER BY request_json').all() as {request_json: string; metadata_json: string}[]
    const protoRow = stored.find((r) => r.request_json.includes('question 0'))!
    assert.equal(protoRow.request_json, '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"question 0"}],"metadata":{"__proto__":{"x":"1"},"a":"2"},"__proto__":{"polluted":true}}')
    const secretRow = stored.find((r) => r.request_json.includes('question 1'))!
    assert.ok(!secretRow.request_json.includes(KEY))
    assert.deepEqual(JSON.parse(secretRow.metadata_json), {scrubbed: ['request']})

    up.reset()
    await withEnv({OPENAI_API_KEY: 'k'}, async () => {
      const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'cand', provider: 'openai-compatible', base_url: `${up.url}/v1`}, settings})
      await executeRun(db, planned, {retryBaseMs: 5})
      const sent = up.calls.filter((c) => c.path === '/v1/chat/completions')
      assert.equal(sent.length, 2)
      const sentProto = sent.find((c) => c.rawBody.includes('question 0'))!
      const parsed = JSON.parse(sentProto.rawBody) as Record<string, unknown>
      assert.ok(Object.hasOwn(parsed, '__proto__'), `sent: ${sentProto.rawBody}`)
      assert.deepEqual(parsed.__proto__, {polluted: true})
      assert.deepEqual((parsed.metadata as Record<string, unknown>).__proto__, {x: '1'})
      const sentSecret = sent.find((c) => c.rawBody.includes('question 1'))!
      assert.ok(!sentSecret.rawBody.includes(KEY) && sentSecret.rawBody.includes('[redacted]'))
      const results = resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate')
      const note = (q: string) => JSON.parse(results.find((r) => r.event_id === (db.prepare('SELECT event_id FROM events WHERE request_json LIKE ?').pluck().get(`%${q}%`) as string))!.translation_losses_json) as string[]
      assert.deepEqual(note('question 0'), [])
      assert.deepEqual(note('question 1'), [SCRUBBED_NOTE])
    })
    db.close()
  })
})
