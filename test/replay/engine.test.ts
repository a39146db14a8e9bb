// Replay against a local fake upstream speaking the real OpenAI/Anthropic wire formats, through the
// official SDKs: faithful bodies, retries and faults, limits, and kill -9 + resume.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {createReplayRun, executeRun, type ReplaySettings} from '../../src/replay/index.js'
import {getRun, resultsFor} from '../../src/store/index.js'
import {openDb, type DB} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {BIN, ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function pairLine(i: number, provider: 'openai' | 'anthropic' = 'openai'): string {
  if (provider === 'anthropic') {
    return JSON.stringify({
      timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
      request: {model: 'claude-3-5-haiku-20241022', max_tokens: 300, system: 'You are terse.', temperature: 0.2, stop_sequences: ['END'], messages: [{role: 'user', content: `Explain item ${i} briefly.`}]},
      response: {id: `msg_${i}`, type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [{type: 'text', text: `Item ${i} is simple.`}], stop_reason: 'end_turn', usage: {input_tokens: 12, output_tokens: 6}},
      latency_ms: 250,
    })
  }
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    request: {
      model: 'gpt-4o-mini',
      temperature: 0.3,
      max_tokens: 200,
      seed: 42,
      stop: ['\n\n\n'],
      response_format: {type: 'text'},
      messages: [
        {role: 'system', content: 'You help with accounts.'},
        {role: 'user', content: `How do I reset password number ${i}?`},
      ],
    },
    response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Open settings and reset ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 8, total_tokens: 28}},
    latency_ms: 300 + i,
  })
}

async function seedDb(dir: string, n: number, provider: 'openai' | 'anthropic' = 'openai'): Promise<{db: DB; path: string}> {
  const file = join(dir, `${provider}-${n}.jsonl`)
  writeFileSync(file, Array.from({length: n}, (_, i) => pairLine(i, provider)).join('\n') + '\n')
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  const s = await importFiles(db, path, [file])
  assert.equal(s.totals.imported, n)
  return {db, path}
}

function settings(over: Partial<ReplaySettings> = {}): ReplaySettings {
  return {selection: {}, modelMap: {}, concurrency: 4, rps: null, tpm: null, timeoutMs: 5000, retries: 3, maxCost: null, aa: 0, seed: 1, ...over}
}

describe('replay engine against a fake upstream', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream()
  })
  after(async () => {
    await up.close()
  })

  test('the stored body goes out as it was, only the model replaced; one result per request', async () => {
    up.reset()
    up.setFaults(undefined)
    const {db} = await seedDb(tempDir(), 6)
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'llama-3.1-8b', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings()})
    const runId = planned.runId
    const out = await executeRun(db, planned, {retryBaseMs: 5})
    assert.equal(out.status, 'completed')
    assert.equal(up.callCount('/v1/chat/completions'), 6)
    const stored = db.prepare('SELECT request_json FROM events ORDER BY timestamp').pluck().all() as string[]
    const sent = up.calls.filter((c) => c.path === '/v1/chat/completions').map((c) => c.body!)
    for (const body of sent) {
      const match = stored.map((s) => JSON.parse(s) as Record<string, unknown>).find((s) => JSON.stringify(s.messages) === JSON.stringify(body.messages))
      assert.ok(match, 'every sent body matches a stored one')
      assert.equal(body.model, 'llama-3.1-8b')
      for (const k of ['temperature', 'max_tokens', 'seed', 'stop', 'response_format', 'messages']) assert.deepEqual(body[k], match[k], `field ${k} kept`)
    }
    const results = resultsFor(db, runId)
    assert.equal(results.filter((r) => r.arm === 'candidate').length, 6)
    assert.equal(results.filter((r) => r.arm === 'primary').length, 6)
    const cand = results.find((r) => r.arm === 'candidate')!
    assert.equal(cand.status, 'ok')
    assert.ok(cand.response_text && cand.response_text.length > 0)
    assert.ok(cand.latency_ms !== null && cand.latency_ms > 0)
    assert.equal(JSON.parse(cand.translation_losses_json).length, 0)
    db.close()
  })

  test('retries 429 (honouring Retry-After), 500, 529 and resets; invalid JSON and exhausted retries are stored as errors', async () => {
    up.reset()
    const arrivals: number[] = []
    const faults = [
      {type: 'http' as const, status: 429, retry_after: 1},
      {type: 'http' as const, status: 500},
      {type: 'http' as const, status: 529, error_type: 'overloaded_error'},
      {type: 'reset' as const},
    ]
    let firstCalls = 0
    // Request 0 meets every retryable fault in turn, then succeeds; request 1 gets a body that is not JSON; request 2 always 503.
    up.setFaults((_i, body) => {
      const content = JSON.stringify(body.messages)
      if (content.includes('number 1?')) return {type: 'invalid_json'}
      if (content.includes('number 2?')) return {type: 'http', status: 503}
      arrivals.push(Date.now())
      return faults[firstCalls++] ?? null
    })
    const {db} = await seedDb(tempDir(), 3)
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'm', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({concurrency: 1, retries: 5})})
    const runId = planned.runId
    await executeRun(db, planned, {retryBaseMs: 5})
    const rows = resultsFor(db, runId).filter((r) => r.arm === 'candidate')
    const byPrompt = (n: number) => {
      const id = db.prepare('SELECT event_id FROM events WHERE request_json LIKE ?').pluck().get(`%number ${n}?%`) as string
      return rows.find((r) => r.event_id === id)!
    }
    const ok = byPrompt(0)
    assert.equal(ok.status, 'ok')
    assert.equal(ok.attempts, 5, 'four faults then success')
    assert.ok(arrivals[1]! - arrivals[0]! >= 950, `Retry-After 1s honoured (waited ${arrivals[1]! - arrivals[0]!} ms)`)
    const invalid = byPrompt(1)
    assert.equal(invalid.status, 'error')
    assert.equal(invalid.attempts, 1, 'a body that is not JSON is not retried')
    assert.match(invalid.error_message ?? '', /not JSON/)
    const exhausted = byPrompt(2)
    assert.equal(exhausted.status, 'error')
    assert.equal(exhausted.http_status, 503)
    assert.equal(exhausted.attempts, 6, 'retries exhausted')
    assert.equal(exhausted.finish_reason, 'error')
    up.setFaults(undefined)
    db.close()
  })

  test('a call slower than the timeout is a timeout result, not a hang', async () => {
    up.reset()
    up.setFaults(() => ({type: 'slow', ms: 3000}))
    const {db} = await seedDb(tempDir(), 1)
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'm', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({timeoutMs: 200, retries: 1})})
    const runId = planned.runId
    await executeRun(db, planned, {retryBaseMs: 5})
    const r = resultsFor(db, runId).find((x) => x.arm === 'candidate')!
    assert.equal(r.status, 'timeout')
    assert.equal(r.attempts, 2)
    up.setFaults(undefined)
    db.close()
  })

  test('concurrency is a hard cap on requests in flight', async () => {
    up.reset()
    const starts: number[] = []
    const slow = await startFakeUpstream({
      delayMs: () => {
        starts.push(Date.now())
        return 80
      },
    })
    try {
      const {db} = await seedDb(tempDir(), 24)
      const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'm', base_url: `${slow.url}/v1`}
      const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({concurrency: 3})})
      await executeRun(db, planned)
      starts.sort((a, b) => a - b)
      // Each call holds its slot for >= 80 ms, so no 70 ms window can contain more than 3 starts.
      let max = 0
      for (let i = 0; i < starts.length; i++) max = Math.max(max, starts.filter((t) => t >= starts[i]! && t < starts[i]! + 70).length)
      assert.ok(max <= 3, `at most 3 in flight, saw ${max}`)
      assert.ok(max >= 2, 'and it did run in parallel')
      db.close()
    } finally {
      await slow.close()
    }
  })

  test('--model-map picks the candidate model per recorded model; Anthropic requests are translated with losses recorded', async () => {
    up.reset()
    up.setFaults(undefined)
    const dir = tempDir()
    const {db} = await seedDb(dir, 3, 'anthropic')
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'default-model', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({modelMap: {'claude-3-5-haiku-20241022': 'mapped-model'}})})
    const runId = planned.runId
    await executeRun(db, planned)
    const sent = up.calls.filter((c) => c.path === '/v1/chat/completions').map((c) => c.body!)
    assert.equal(sent.length, 3)
    assert.ok(sent.every((b) => b.model === 'mapped-model'))
    // Anthropic's top-level system prompt becomes a system message; stop_sequences become stop.
    const first = sent[0]!
    assert.deepEqual((first.messages as {role: string}[])[0], {role: 'system', content: 'You are terse.'})
    assert.deepEqual(first.stop, ['END'])
    const r = resultsFor(db, runId).find((x) => x.arm === 'candidate')!
    assert.equal(r.status, 'ok')
    db.close()
  })

  test('a live primary and an A/A arm each get exactly one result per request', async () => {
    up.reset()
    up.setFaults(undefined)
    const {db} = await seedDb(tempDir(), 10)
    const primary = {id: 'prim', provider: 'openai-compatible' as const, model: 'p', base_url: `${up.url}/v1`}
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'c', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary, candidate, settings: settings({aa: 0.5, seed: 3})})
    const runId = planned.runId
    const aa = (db.prepare('SELECT count(*) FROM run_items WHERE run_id = ? AND aa = 1').pluck().get(runId) as number)
    await executeRun(db, planned)
    const rows = resultsFor(db, runId)
    assert.equal(rows.filter((r) => r.arm === 'primary').length, 10)
    assert.equal(rows.filter((r) => r.arm === 'candidate').length, 10)
    assert.equal(rows.filter((r) => r.arm === 'primary_aa').length, aa)
    assert.ok(aa > 0 && aa < 10)
    assert.equal(up.callCount('/v1/chat/completions'), 20 + aa)
    db.close()
  })

  test('when the database refuses a result, the run stops as interrupted with what was saved, and resumes', async () => {
    up.reset()
    up.setFaults(undefined)
    const {db} = await seedDb(tempDir(), 12)
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'm', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings: settings({concurrency: 2})})
    const runId = planned.runId
    // A full disk, as far as the results table can tell: the 6th candidate result is refused.
    db.exec(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.results
             WHEN (SELECT count(*) FROM main.results WHERE arm = 'candidate') >= 5
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
    await assert.rejects(executeRun(db, planned, {retryBaseMs: 5}), /disk is full/)
    assert.equal(getRun(db, runId)!.status, 'interrupted')
    const saved = resultsFor(db, runId).filter((r) => r.arm === 'candidate').length
    assert.equal(saved, 5)
    db.exec('DROP TRIGGER temp.refuse')
    const out = await executeRun(db, planned, {retryBaseMs: 5})
    assert.equal(out.status, 'completed')
    assert.equal(resultsFor(db, runId).filter((r) => r.arm === 'candidate').length, 12)
    db.close()
  })

  // In this thread, and with the calls on worker threads (replay-threads.test.ts covers the pool itself).
  for (const threads of ['0', '2']) {
    test(`kill -9 mid-run, then --resume last (KT_REPLAY_THREADS=${threads}): only what has no result is sent, and never twice`, async () => {
      const slow = await startFakeUpstream({delayMs: 150})
      try {
        const dir = tempDir()
        const {db, path} = await seedDb(dir, 40)
        db.close()
        const args = ['replay', '--candidate', `openai-compatible:m@${slow.url}/v1`, '--db', path, '--concurrency', '4']
        const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, KT_NO_PROGRESS: '1', KT_REPLAY_THREADS: threads}, stdio: 'ignore'})
        // Wait until some results are committed, then kill hard.
        const probe = new Database(path, {readonly: true})
        for (let i = 0; i < 200; i++) {
          await new Promise((r) => setTimeout(r, 50))
          const n = probe.prepare("SELECT count(*) FROM results WHERE arm = 'candidate'").pluck().get() as number
          if (n >= 10) break
        }
        child.kill('SIGKILL')
        await new Promise((r) => child.once('exit', r))
        const before = probe.prepare("SELECT count(*) FROM results WHERE arm = 'candidate'").pluck().get() as number
        probe.close()
        assert.ok(before >= 10 && before < 40, `killed mid-run with ${before} results`)
        const callsBefore = slow.callCount('/v1/chat/completions')

        // Async: the fake upstream lives in this process and must keep answering while the CLI runs.
        const r = await ktAsync(['replay', '--resume', 'last', '--db', path, '--json'], {env: {KT_REPLAY_THREADS: threads}})
        assert.equal(r.code, 0, r.stderr)
        const summary = JSON.parse(r.stdout) as {status: string; arms: {arm: string; requests: number}[]}
        assert.equal(summary.status, 'completed')
        const check = new Database(path, {readonly: true})
        const perEvent = check.prepare("SELECT event_id, count(*) AS n FROM results WHERE arm = 'candidate' GROUP BY event_id").all() as {n: number}[]
        assert.equal(perEvent.length, 40)
        assert.ok(perEvent.every((x) => x.n === 1))
        check.close()
        const resumedCalls = slow.callCount('/v1/chat/completions') - callsBefore
        assert.equal(resumedCalls, 40 - before, 'the resume sends exactly the missing requests')
        // At most the calls that were in flight at the kill were sent twice.
        assert.ok(slow.callCount('/v1/chat/completions') <= 40 + 4)
      } finally {
        await slow.close()
      }
    })
  }
})
