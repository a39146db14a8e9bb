// Replay through the providers' Batch APIs, against a local fake of the OpenAI Files + Batches and Anthropic Message
// Batches endpoints reached through the official SDKs: the same bodies as a live replay, the same results (joined on
// custom_id), partial failures, splitting under the limits, expiry and resubmission, cancel, a failed validation, and
// a batch kt was creating when it stopped.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {createBatchApi} from '../../src/providers/index.js'
import {cancelBatches, createReplayRun, executeRun, SCRUBBED_NOTE, submitBatches, waitForBatches, type PlannedRun, type ReplaySettings} from '../../src/replay/index.js'
import {insertBatch, pendingCount, resultsFor, runBatches, updateBatch, type ResultRow} from '../../src/store/index.js'
import {openDb, type DB} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {tempDir} from '../support/cli.js'
import {startFakeBatch, type FakeBatch, type FakeBatchOptions} from '../support/fake-batch.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

function openaiLine(i: number): string {
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    request: {
      model: 'gpt-4o-mini',
      temperature: 0.3,
      max_tokens: 200,
      seed: 42,
      stream: i % 3 === 0,
      stop: ['\n\n\n'],
      messages: [
        {role: 'system', content: 'You help with accounts.'},
        // Request 4 logged a key: import masks it, so what is sent differs from the log, and the result says so.
        {role: 'user', content: `How do I reset password number ${i}? ${'Please explain. '.repeat(i % 4)}${i === 4 ? 'My key is sk-proj-batchKEY0123456789abcdef.' : ''}`},
      ],
    },
    response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Open settings and reset ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 8, total_tokens: 28}},
    latency_ms: 300 + i,
  })
}

function anthropicLine(i: number): string {
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 1, i)).toISOString(),
    request: {model: 'claude-3-5-haiku-20241022', max_tokens: 300, system: 'You are terse.', temperature: 0.2, stop_sequences: ['END'], messages: [{role: 'user', content: `Explain item ${i} briefly.`}]},
    response: {id: `msg_${i}`, type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [{type: 'text', text: `Item ${i} is simple.`}], stop_reason: 'end_turn', usage: {input_tokens: 12, output_tokens: 6}},
    latency_ms: 250,
  })
}

async function seed(lines: string[]): Promise<DB> {
  const dir = tempDir('kt-batch-')
  const file = join(dir, 'logs.jsonl')
  writeFileSync(file, lines.join('\n') + '\n')
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  const s = await importFiles(db, path, [file])
  assert.equal(s.totals.imported, lines.length)
  return db
}

function settings(over: Partial<ReplaySettings> = {}): ReplaySettings {
  return {selection: {}, modelMap: {}, concurrency: 4, rps: null, tpm: null, timeoutMs: 5000, retries: 0, maxCost: null, aa: 0, seed: 1, via: {primary: 'live', candidate: 'batch'}, ...over}
}

const ENV = {OPENAI_API_KEY: 'sk-test-batch', ANTHROPIC_API_KEY: 'sk-ant-test-batch', KT_BATCH_POLL_MS: '5', KT_BATCH_POLL_MAX_MS: '20'}

/** Submits and waits, as kt replay --via batch does. */
async function replayBatched(db: DB, planned: PlannedRun): Promise<void> {
  await submitBatches(db, planned)
  const out = await waitForBatches(db, planned)
  assert.equal(out.running, 0)
}

const candidateOf = (db: DB, runId: string) => resultsFor(db, runId).filter((r) => r.arm === 'candidate')

describe('replay --via batch against fake Batch APIs, through the official SDKs', () => {
  let fake: FakeBatch
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream()
  })
  after(async () => {
    await up.close()
    await fake?.close()
  })
  const restart = async (opts: FakeBatchOptions = {}) => {
    await fake?.close()
    fake = await startFakeBatch(opts)
    return fake
  }

  test('a batched answer is the live answer: same body sent, same result row but latency (null) and price (half)', async () => {
    await restart()
    const db = await seed(Array.from({length: 9}, (_, i) => openaiLine(i)))
    const live = {id: 'live', provider: 'openai-compatible' as const, model: 'gpt-4o-mini', base_url: `${up.url}/v1`}
    const batched = {id: 'batched', provider: 'openai-compatible' as const, model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}
    up.reset()
    const a = createReplayRun(db, {primary: 'recorded', candidate: live, settings: settings({via: undefined})})
    await executeRun(db, a, {retryBaseMs: 5})
    const b = createReplayRun(db, {primary: 'recorded', candidate: batched, settings: settings()})
    await withEnv(ENV, () => replayBatched(db, b))
    assert.equal(fake.batches.length, 1)
    // The uploaded lines hold the body a live call sends, never streamed (the Batch API does not stream).
    const liveBodies = up.calls.filter((c) => c.path === '/v1/chat/completions').map((c) => c.body!)
    const lines = fake.batches[0]!.lines.map((l) => JSON.parse(l.text) as {custom_id: string; method: string; url: string; body: Record<string, unknown>})
    assert.equal(lines.length, 9)
    for (const line of lines) {
      assert.match(line.custom_id, /^r\d+-candidate$/)
      assert.equal(line.method, 'POST')
      assert.equal(line.url, '/v1/chat/completions')
      const twin = liveBodies.find((body) => JSON.stringify(body.messages) === JSON.stringify(line.body.messages))!
      // A request logged as streamed goes out whole: stream (and the usage chunk kt would ask for) dropped.
      const {stream: _s, stream_options: _o, ...rest} = twin
      assert.deepEqual(line.body, twin.stream === true ? rest : twin)
      assert.notEqual(line.body.stream, true)
    }
    const byEvent = (rows: ResultRow[]) => new Map(rows.map((r) => [r.event_id, r]))
    const liveRows = byEvent(candidateOf(db, a.runId))
    const batchRows = candidateOf(db, b.runId)
    assert.equal(batchRows.length, 9)
    // The one request whose logged key was masked says so, batched as live (translation_losses_json is compared below).
    assert.equal(batchRows.filter((r) => (JSON.parse(r.translation_losses_json) as string[]).includes(SCRUBBED_NOTE)).length, 1)
    assert.ok(lines.some((l) => JSON.stringify(l.body).includes('[redacted]')) && !lines.some((l) => JSON.stringify(l.body).includes('batchKEY')))
    const streamed = new Set((db.prepare("SELECT event_id FROM events WHERE request_json LIKE '%\"stream\":true%'").pluck().all() as string[]))
    assert.equal(streamed.size, 3)
    for (const r of batchRows) {
      const l = liveRows.get(r.event_id)!
      for (const k of ['status', 'api', 'model', 'response_model', 'http_status', 'finish_reason', 'finish_reason_raw', 'response_text', 'tool_calls_json', 'translation_losses_json'] as const) {
        assert.deepEqual(r[k], l[k], `${k} of ${r.event_id}`)
      }
      assert.equal(r.latency_ms, null)
      assert.equal(r.ttft_ms, null)
      assert.ok(l.latency_ms !== null)
      assert.equal(r.batch_id, fake.batches[0]!.id)
      assert.equal(l.batch_id, null)
      assert.ok(r.input_tokens! > 0 && r.output_tokens! > 0)
      // A request logged as streamed (without asking for a usage chunk) has no usage live; whole, it has.
      if (streamed.has(r.event_id)) continue
      for (const k of ['input_tokens', 'output_tokens', 'total_tokens'] as const) assert.equal(r[k], l[k], `${k} of ${r.event_id}`)
      assert.deepEqual(JSON.parse(r.response_json!), JSON.parse(l.response_json!))
      assert.ok(Math.abs(r.cost_usd! - l.cost_usd! / 2) < 1e-12, `batch price is half the live price (${r.cost_usd} vs ${l.cost_usd})`)
    }
    db.close()
  })

  test('an output file past the answer cap is read whole: KT_MAX_ANSWER_BYTES caps one answer, not a Batch API file', async () => {
    await restart()
    const db = await seed(Array.from({length: 40}, (_, i) => openaiLine(i)))
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
    await withEnv({...ENV, KT_MAX_ANSWER_BYTES: '4K'}, () => replayBatched(db, planned))
    const rows = candidateOf(db, planned.runId)
    assert.equal(rows.length, 40)
    assert.ok(rows.every((r) => r.status === 'ok'), rows.find((r) => r.status !== 'ok')?.error_message ?? '')
    db.close()
  })

  test('partial failure: an HTTP error, an error without a response, and a request missing from both files are error results saying so', async () => {
    await restart({polls: {validating: 2, in_progress: 3, finalizing: 2}, fate: (id) => (id === 'r1-candidate' ? {status: 400, message: 'Invalid max_tokens'} : id === 'r2-candidate' ? {error: 'server_error', message: 'The server had an error'} : id === 'r3-candidate' ? 'missing' : 'ok')})
    const db = await seed(Array.from({length: 6}, (_, i) => openaiLine(i)))
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
    const states: string[] = []
    await withEnv(ENV, async () => {
      await submitBatches(db, planned)
      await waitForBatches(db, planned, {onProgress: (p) => states.push(p.batches[0]!.state)})
    })
    assert.deepEqual([...new Set(states)], ['validating', 'in_progress', 'finalizing', 'completed'], 'progress shows every state the batch moved through')
    const rows = new Map(candidateOf(db, planned.runId).map((r) => [r.event_id, r]))
    const seqOf = db.prepare('SELECT event_id FROM run_items WHERE run_id = ? ORDER BY seq').pluck().all(planned.runId) as string[]
    const row = (seq: number) => rows.get(seqOf[seq]!)!
    assert.equal(rows.size, 6)
    assert.deepEqual([row(1).status, row(1).http_status, row(1).error_type, row(1).error_message], ['error', 400, 'invalid_request_error', 'Invalid max_tokens'])
    assert.deepEqual([row(2).status, row(2).error_type, row(2).error_message], ['error', 'server_error', 'The server had an error'])
    assert.equal(row(3).status, 'error')
    assert.equal(row(3).error_type, 'batch_result_missing')
    assert.match(row(3).error_message!, /no line for this request in its output or error file/)
    for (const s of [0, 4, 5]) assert.equal(row(s).status, 'ok')
    assert.equal(pendingCount(db, planned.runId, ['candidate']), 0)
    db.close()
  })

  test('Anthropic Message Batches both ways: OpenAI-logged requests are translated (losses kept), answers parsed, missing and errored results stored', async () => {
    await restart({fate: (id) => (id === 'r0-candidate' ? {status: 529} : id === 'r1-candidate' ? 'missing' : 'ok')})
    const db = await seed([...Array.from({length: 4}, (_, i) => openaiLine(i)), ...Array.from({length: 3}, (_, i) => anthropicLine(i))])
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'claude', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', base_url: fake.url}, settings: settings()})
    await withEnv(ENV, () => replayBatched(db, planned))
    assert.equal(fake.batches.length, 1, 'one Anthropic batch may mix requests')
    const b = fake.batches[0]!
    const params = b.lines.map((l) => (JSON.parse(l.text) as {params: Record<string, unknown>}).params)
    for (const p of params) {
      assert.equal(p.model, 'claude-3-5-haiku-20241022')
      assert.equal(p.stream, undefined)
      assert.equal(typeof p.max_tokens, 'number')
    }
    const rows = candidateOf(db, planned.runId)
    assert.equal(rows.length, 7)
    const seqOf = db.prepare('SELECT event_id FROM run_items WHERE run_id = ? ORDER BY seq').pluck().all(planned.runId) as string[]
    const at = (seq: number) => rows.find((r) => r.event_id === seqOf[seq])!
    assert.deepEqual([at(0).status, at(0).error_type], ['error', 'overloaded_error'])
    assert.equal(at(1).error_type, 'batch_result_missing')
    const ok = rows.filter((r) => r.status === 'ok')
    assert.equal(ok.length, 5)
    for (const r of ok) {
      assert.equal(r.api, 'anthropic.messages')
      assert.match(r.response_text!, /^Fake answer/)
      assert.ok(r.output_tokens! > 0)
      assert.equal(r.latency_ms, null)
    }
    // An OpenAI request with `seed` loses it in translation, and the loss is stored with the result.
    assert.ok(JSON.parse(at(2).translation_losses_json).some((l: string) => /seed/.test(l)), at(2).translation_losses_json)
    assert.deepEqual(JSON.parse(at(5).translation_losses_json), [], 'a native request loses nothing')
    db.close()
  })

  test('split under the limits: by bytes and by requests (lowered through KT_BATCH_MAX_BYTES / KT_BATCH_MAX_REQUESTS), none over, every request answered once', async () => {
    const db = await seed(Array.from({length: 40}, (_, i) => openaiLine(i)))
    for (const [name, limit, check] of [
      ['KT_BATCH_MAX_BYTES', '4000', {maxBytes: 4000}],
      ['KT_BATCH_MAX_REQUESTS', '7', {maxRequests: 7}],
    ] as const) {
      await restart(check)
      const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
      await withEnv({...ENV, [name]: limit}, () => replayBatched(db, planned))
      assert.ok(fake.batches.length >= (name === 'KT_BATCH_MAX_REQUESTS' ? 6 : 3), `${name}: ${fake.batches.length} batches`)
      assert.ok(fake.batches.every((b) => b.state === 'completed'), `${name}: every batch passed the fake's own limit check`)
      if (name === 'KT_BATCH_MAX_BYTES') assert.ok(fake.batches.every((b) => b.bytes <= 4000))
      assert.equal(fake.batches.reduce((a, b) => a + b.lines.length, 0), 40)
      const rows = candidateOf(db, planned.runId)
      assert.equal(rows.length, 40)
      assert.ok(rows.every((r) => r.status === 'ok'))
      assert.equal(new Set(runBatches(db, planned.runId).map((b) => b.batch_id)).size, fake.batches.length)
    }
    db.close()
  })

  test('an expired batch keeps what finished; a resubmission sends only the rest', async () => {
    await restart({expire: (index) => (index === 0 ? {ran: 4} : null)})
    const db = await seed(Array.from({length: 10}, (_, i) => openaiLine(i)))
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
    const first = await withEnv(ENV, async () => {
      await submitBatches(db, planned)
      return waitForBatches(db, planned)
    })
    assert.equal(fake.batches[0]!.state, 'expired')
    assert.equal(first.unfinished, 6)
    assert.equal(candidateOf(db, planned.runId).length, 4)
    assert.equal(pendingCount(db, planned.runId, ['candidate']), 6)
    const again = await withEnv(ENV, () => submitBatches(db, planned))
    assert.equal(again.requests, 6)
    assert.equal(fake.batches[1]!.lines.length, 6)
    await withEnv(ENV, () => waitForBatches(db, planned))
    const rows = candidateOf(db, planned.runId)
    assert.equal(rows.length, 10)
    assert.ok(rows.every((r) => r.status === 'ok'))
    assert.equal(new Set(rows.map((r) => r.batch_id)).size, 2)
    db.close()
  })

  test('cancel: the provider stops the batch, what it finished is stored, the rest can be sent again; Anthropic too', async () => {
    for (const provider of ['openai', 'anthropic'] as const) {
      await restart({polls: {in_progress: 1000}})
      const db = await seed(Array.from({length: 8}, (_, i) => openaiLine(i)))
      const target = provider === 'openai' ? {id: 'c', provider, model: 'gpt-4o-mini', base_url: `${fake.url}/v1`} : {id: 'c', provider, model: 'claude-3-5-haiku-20241022', base_url: fake.url}
      const planned = createReplayRun(db, {primary: 'recorded', candidate: target, settings: settings()})
      const out = await withEnv(ENV, async () => {
        await submitBatches(db, planned)
        const c = await cancelBatches(db, planned)
        assert.equal(c.cancelled.length, 1)
        assert.equal(c.cancelled[0]!.state, 'cancelling')
        return waitForBatches(db, planned)
      })
      assert.equal(fake.cancels, 1)
      assert.equal(candidateOf(db, planned.runId).length, 4, `${provider}: half had run`)
      assert.equal(out.unfinished, 4)
      assert.equal(pendingCount(db, planned.runId, ['candidate']), 4)
      db.close()
    }
  })

  test('a batch that fails validation stores no results and says why; its requests may be sent again', async () => {
    await restart({failValidation: (i) => (i === 0 ? {code: 'token_limit_exceeded', message: 'Enqueued token limit reached for gpt-4o-mini'} : null)})
    const db = await seed(Array.from({length: 5}, (_, i) => openaiLine(i)))
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
    const notes: string[] = []
    const out = await withEnv(ENV, async () => {
      await submitBatches(db, planned)
      return waitForBatches(db, planned, {onNote: (l) => notes.push(l)})
    })
    assert.equal(out.unfinished, 5)
    assert.equal(candidateOf(db, planned.runId).length, 0)
    assert.ok(notes.some((n) => /failed: token_limit_exceeded Enqueued token limit reached/.test(n)), notes.join('\n'))
    assert.equal((await withEnv(ENV, () => submitBatches(db, planned))).requests, 5)
    db.close()
  })

  test('a poll refused for good (401) ends the wait at once, without the key the provider echoed; the batch stays to collect', async () => {
    await restart({pollFault: (n, headers) => (n === 0 ? {status: 401, message: `Incorrect API key provided: ${String(headers.authorization).replace('Bearer ', '')}`} : null)})
    const db = await seed(Array.from({length: 3}, (_, i) => openaiLine(i)))
    const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'c', provider: 'openai', model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}, settings: settings()})
    await withEnv(ENV, async () => {
      await submitBatches(db, planned)
      await assert.rejects(waitForBatches(db, planned), (e: Error) => {
        assert.match(e.message, /batch batch_\d+: 401 Incorrect API key provided: \[redacted\]/)
        assert.ok(!e.message.includes(ENV.OPENAI_API_KEY))
        return true
      })
      assert.equal(fake.polls, 1, 'not asked again')
      await waitForBatches(db, planned)
    })
    assert.equal(candidateOf(db, planned.runId).length, 3)
    db.close()
  })

  test('a batch kt was creating when it stopped is found by its uploaded file and followed, never created twice', async () => {
    await restart()
    const db = await seed(Array.from({length: 3}, (_, i) => openaiLine(i)))
    const target = {id: 'c', provider: 'openai' as const, model: 'gpt-4o-mini', base_url: `${fake.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate: target, settings: settings()})
    await withEnv(ENV, async () => {
      // What kt had done when it was killed: the batch row and its items stored, the file uploaded, the batch created,
      // but its id not yet stored.
      const dir = tempDir('kt-batch-in-')
      const path = join(dir, 'in.jsonl')
      const seqs = [0, 1, 2]
      const events = db.prepare('SELECT event_id FROM run_items WHERE run_id = ? ORDER BY seq').pluck().all(planned.runId) as string[]
      const bodies = events.map((e) => JSON.parse(db.prepare('SELECT request_json FROM events WHERE event_id = ?').pluck().get(e) as string) as Record<string, unknown>)
      writeFileSync(path, seqs.map((s) => JSON.stringify({custom_id: `r${s}-candidate`, method: 'POST', url: '/v1/chat/completions', body: {...bodies[s], stream: undefined}})).join('\n') + '\n')
      const part = insertBatch(db, {run_id: planned.runId, arm: 'candidate', target_id: 'c', wire: 'openai.chat', requests: 3, bytes: 100}, seqs.map((seq) => ({seq, model: 'gpt-4o-mini', losses_json: null})))
      const api = createBatchApi(target)
      const fileId = (await api.upload(path, 'in.jsonl'))!
      updateBatch(db, planned.runId, part, {input_file_id: fileId})
      await api.create({path, fileId, wire: 'openai.chat', window: '24h', metadata: {}})
      assert.equal(fake.batches.length, 1)
      const notes: string[] = []
      await waitForBatches(db, planned, {onNote: (l) => notes.push(l)})
      assert.ok(notes.some((n) => /was created just before kt stopped; kt follows it/.test(n)), notes.join('\n'))
      assert.equal((await submitBatches(db, planned)).requests, 0, 'nothing left to send')
    })
    assert.equal(fake.batches.length, 1, 'never created twice')
    assert.equal(candidateOf(db, planned.runId).length, 3)
    db.close()
  })
})
