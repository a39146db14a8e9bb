// Huge answers (issue 11, item 5): an answer past KT_MAX_ANSWER_BYTES (JSON, JSON with a Content-Length, SSE; plain or
// gzip) is an error result with its size, never retried, never sent again by a resume, and reading it stops at the cap,
// so memory stays near the cap however large the answer (a ratio of peak RSS, never a time).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, test} from 'node:test'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun, type ReplaySettings} from '../../src/replay/index.js'
import {resultsFor} from '../../src/store/index.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const MB = 1024 * 1024

function settings(over: Partial<ReplaySettings> = {}): ReplaySettings {
  return {selection: {}, modelMap: {}, concurrency: 2, rps: null, tpm: null, timeoutMs: 30_000, retries: 3, maxCost: null, aa: 0, seed: 1, ...over}
}

function pair(i: number, stream: boolean): string {
  return JSON.stringify({
    request: {model: 'gpt-4o-mini', stream, messages: [{role: 'user', content: `question ${i}`}]},
    response: {id: `c${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `answer ${i}.`}, finish_reason: 'stop'}]},
  })
}

describe('answers past the answer size cap', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream()
  })
  after(async () => {
    await up.close()
  })

  test('JSON, JSON with a Content-Length and SSE: an error result with the size, one attempt, and a resume sends nothing', async () => {
    const dir = tempDir()
    const file = join(dir, 'pairs.jsonl')
    writeFileSync(file, [pair(0, false), pair(1, false), pair(2, true), pair(3, false)].join('\n') + '\n')
    const path = join(dir, 'kt.db')
    const db = openDb(path)
    await importFiles(db, path, [file])
    up.reset()
    up.setFaults((_i, body) => {
      const q = JSON.stringify(body.messages)
      if (q.includes('question 0')) return {type: 'huge', bytes: 4 * MB}
      if (q.includes('question 1')) return {type: 'huge', bytes: 4 * MB, declare: true}
      if (q.includes('question 2')) return {type: 'huge', bytes: 4 * MB}
      return {type: 'huge', bytes: 512 * 1024}
    })
    await withEnv({KT_MAX_ANSWER_BYTES: '1M'}, async () => {
      const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'cand', provider: 'openai-compatible', model: 'm', base_url: `${up.url}/v1`}, settings: settings()})
      await executeRun(db, planned, {retryBaseMs: 5})
      const rows = resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate')
      const byQuestion = (n: number) => rows.find((r) => r.event_id === (db.prepare('SELECT event_id FROM events WHERE request_json LIKE ?').pluck().get(`%question ${n}"%`) as string))!
      for (const n of [0, 2]) {
        const r = byQuestion(n)
        assert.equal(r.status, 'error', `question ${n}`)
        assert.equal(r.error_type, 'answer_too_large')
        assert.match(r.error_message!, /^the answer is over the 1 MB answer size cap \(KT_MAX_ANSWER_BYTES\): 1(\.\d)? MB read when kt stopped reading; not retried$/)
        assert.equal(r.attempts, 1, 'not retried')
        assert.equal(r.response_text, null)
      }
      const declared = byQuestion(1)
      assert.equal(declared.error_type, 'answer_too_large')
      assert.match(declared.error_message!, /^the answer is 4 MB \(Content-Length\), over the 1 MB answer size cap/)
      const small = byQuestion(3)
      assert.equal(small.status, 'ok', 'an answer under the cap is kept')
      assert.equal(small.response_text!.length, 512 * 1024)
      const calls = up.callCount('/v1/chat/completions')
      assert.equal(calls, 4)
      // A resume has nothing to send: the too-large answers are results (errors), not gaps.
      const again = await executeRun(db, planned, {retryBaseMs: 5})
      assert.equal(again.sent, 0)
      assert.equal(up.callCount('/v1/chat/completions'), calls)
    })
    up.setFaults(undefined)
    db.close()
  })

  test('a gzip answer is capped on its decoded size', async () => {
    // The cap counts what the answer becomes, after decompression; the decompression cap is not what stops it here.
    const {createServer} = await import('node:http')
    const {gzipSync} = await import('node:zlib')
    const body = gzipSync(JSON.stringify({id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{index: 0, message: {role: 'assistant', content: 'a'.repeat(3 * MB)}, finish_reason: 'stop'}]}))
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length})
        res.end(body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as {port: number}).port
    try {
      const {createClient} = await import('../../src/providers/index.js')
      await withEnv({KT_MAX_ANSWER_BYTES: '1M', OPENAI_API_KEY: 'k'}, async () => {
        const r = await createClient({id: 'c', provider: 'openai-compatible', model: 'm', base_url: `http://127.0.0.1:${port}/v1`}).call({api: 'openai.chat', body: {model: 'm', messages: [{role: 'user', content: 'q'}]}})
        assert.equal(r.error?.type, 'answer_too_large')
        assert.equal(r.retryable, false)
      })
    } finally {
      server.close()
    }
  })

  test('memory stays near the cap: a 192 MB answer raises peak RSS by a small fraction of its size', async () => {
    const script = fileURLToPath(new URL('../support/replay-rss.js', import.meta.url))
    const run = (stream: boolean) =>
      new Promise<{maxRssBytes: number; results: {status: string; error_type: string | null; text_length: number}[]}>((resolve, reject) => {
        const child = spawn(process.execPath, [script, up.url, stream ? 'stream' : 'json'], {env: {...process.env, KT_MAX_ANSWER_BYTES: '1M', OPENAI_API_KEY: 'k'}})
        let out = ''
        let err = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (err += d.toString()))
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err))))
      })
    const huge = 192 * MB
    up.reset()
    up.setFaults(() => ({type: 'huge', bytes: huge}))
    const json = await run(false)
    const sse = await run(true)
    up.setFaults(() => ({type: 'huge', bytes: 16 * 1024}))
    const small = await run(false)
    up.setFaults(undefined)
    for (const big of [json, sse]) {
      assert.deepEqual(big.results.map((r) => r.error_type), ['answer_too_large', 'answer_too_large'])
      const growth = (big.maxRssBytes - small.maxRssBytes) / huge
      assert.ok(growth < 0.1, `peak RSS grew by ${(growth * 100).toFixed(1)}% of the answer size`)
    }
    assert.deepEqual(small.results.map((r) => r.status), ['ok', 'ok'])
  })
})
