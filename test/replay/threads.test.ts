// Calls on worker threads (providers/pool.ts): a highly concurrent replay spreads its SDK calls over workers.
// Through a local fake upstream, the pool must give exactly what a client in this thread gives (JSON, SSE,
// both SDKs, error results), fail up front on a missing key, honour aborts, and a replay on threads must store
// the same results as one without them (kill -9 and resume on threads: replay-engine.test.ts).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {createCallPool, createClient, type CallPool, type CallResult, type TargetSpec} from '../../src/providers/index.js'
import {callThreads, createReplayRun, executeRun, liveArms, type ReplaySettings, type RunPlan} from '../../src/replay/index.js'
import {openDb, type DB} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {resultsFor} from '../../src/store/index.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const CHAT = {model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 120, messages: [{role: 'system', content: 'Be brief.'}, {role: 'user', content: 'What is a token bucket?'}]}
const MESSAGES = {model: 'claude-3-5-haiku-20241022', max_tokens: 120, system: 'Be brief.', messages: [{role: 'user', content: 'What is a semaphore?'}]}

/** What must be equal between two results of the same call (everything but timings and request ids). */
function comparable(r: CallResult): unknown {
  const raw = r.raw_json ?? (r.response?.raw ? JSON.stringify(r.response.raw) : null)
  const {latency_ms: _l, ttft_ms: _t, request_id: _r, raw_json: _j, response, ...rest} = r
  return {...rest, response: response ? {...response, raw: null} : null, raw}
}

describe('call pool: provider calls on worker threads', () => {
  let up: FakeUpstream
  let pool: CallPool
  before(async () => {
    up = await startFakeUpstream({delayMs: 20, chunkDelayMs: 5})
    pool = createCallPool(2)
  })
  after(async () => {
    await pool.close()
    await up.close()
  })

  const openai: () => TargetSpec = () => ({id: 'oc', provider: 'openai-compatible', model: 'llama-3.1-8b', base_url: `${up.url}/v1`})
  const anthropic: () => TargetSpec = () => ({id: 'an', provider: 'anthropic', model: 'claude-sonnet-4-20250514', base_url: up.url, api_key_env: 'KT_TEST_POOL_ANTHROPIC_KEY'})

  test('JSON and SSE, OpenAI and Anthropic SDKs, native and translated: the same results as in this thread', async () => {
    await withEnv({KT_TEST_POOL_ANTHROPIC_KEY: 'sk-ant-pool-test'}, async () => {
      const cases: {target: TargetSpec; api: string; body: Record<string, unknown>; stream?: boolean}[] = [
        {target: openai(), api: 'openai.chat', body: CHAT},
        {target: openai(), api: 'openai.chat', body: CHAT, stream: true},
        {target: openai(), api: 'anthropic.messages', body: MESSAGES},
        {target: anthropic(), api: 'anthropic.messages', body: MESSAGES},
        {target: anthropic(), api: 'anthropic.messages', body: MESSAGES, stream: true},
        {target: anthropic(), api: 'openai.chat', body: CHAT},
      ]
      for (const c of cases) {
        const here = await createClient(c.target).call({api: c.api, body: c.body, stream: c.stream})
        const there = await pool.client(c.target).call({api: c.api, body: c.body, stream: c.stream})
        const label = `${c.target.provider} ${c.api}${c.stream ? ' stream' : ''}`
        assert.equal(there.status, 'ok', `${label}: ${there.error?.message}`)
        assert.ok(there.response?.text, label)
        assert.equal(there.response?.raw, null, `${label}: the raw body crosses as JSON`)
        assert.ok(there.raw_json && JSON.parse(there.raw_json), label)
        assert.deepEqual(comparable(there), comparable(here), label)
        assert.ok(there.latency_ms >= 20, `${label}: latency ${there.latency_ms}`)
        if (c.stream) assert.ok(there.ttft_ms !== null && there.ttft_ms <= there.latency_ms, label)
      }
    })
  })

  test('upstream errors come back as results (429 with Retry-After), not as exceptions', async () => {
    up.setFaults([{type: 'http', status: 429, retry_after: 2}])
    try {
      const r = await pool.client(openai()).call({api: 'openai.chat', body: CHAT})
      assert.equal(r.status, 'error')
      assert.equal(r.http_status, 429)
      assert.equal(r.retryable, true)
      assert.equal(r.retry_after_ms, 2000)
    } finally {
      up.setFaults(undefined)
    }
  })

  test('a missing key fails in the calling thread, before anything is sent', () => {
    const n = up.callCount()
    assert.throws(
      () => pool.client({id: 'nokey', provider: 'openai', model: 'gpt-4o', base_url: `${up.url}/v1`, api_key_env: 'KT_TEST_POOL_NO_SUCH_KEY'}),
      (e: Error) => e.name === 'KtError' && /KT_TEST_POOL_NO_SUCH_KEY/.test(e.message),
    )
    assert.equal(up.callCount(), n)
  })

  test("the caller's abort signal reaches the call in its worker", async () => {
    up.setFaults([{type: 'slow', ms: 3000}])
    try {
      const controller = new AbortController()
      const t0 = performance.now()
      setTimeout(() => controller.abort(), 100)
      const r = await pool.client(openai()).call({api: 'openai.chat', body: CHAT}, {signal: controller.signal, timeoutMs: 10_000})
      assert.equal(r.status, 'error')
      assert.ok(performance.now() - t0 < 2000, 'ended by the abort, not by the slow answer')
      assert.match(r.error?.message ?? '', /abort/i)
    } finally {
      up.setFaults(undefined)
    }
  })

  test('closing the pool rejects what is still in flight', async () => {
    const own = createCallPool(1)
    up.setFaults([{type: 'slow', ms: 3000}])
    try {
      const pending = own.client(openai()).call({api: 'openai.chat', body: CHAT})
      const rejected = assert.rejects(pending, /closed/)
      await new Promise((r) => setTimeout(r, 50))
      await own.close()
      await rejected
    } finally {
      up.setFaults(undefined)
    }
  })
})

function pairLine(i: number): string {
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    request: {model: 'gpt-4o-mini', temperature: 0.3, max_tokens: 200, messages: [{role: 'user', content: `How do I reset password number ${i}?`}]},
    response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Open settings and reset ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 8, total_tokens: 28}},
  })
}

async function seedDb(dir: string, n: number): Promise<{db: DB; path: string}> {
  const file = join(dir, `pairs-${n}.jsonl`)
  writeFileSync(file, `${Array.from({length: n}, (_, i) => pairLine(i)).join('\n')}\n`)
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  assert.equal((await importFiles(db, path, [file])).totals.imported, n)
  return {db, path}
}

function settings(over: Partial<ReplaySettings> = {}): ReplaySettings {
  return {selection: {}, modelMap: {}, concurrency: 64, rps: null, tpm: null, timeoutMs: 10_000, retries: 2, maxCost: null, aa: 0, seed: 1, ...over}
}

/** A result row without what differs from run to run. */
function stable(r: Record<string, unknown>): Record<string, unknown> {
  const {run_id: _r, latency_ms: _l, ttft_ms: _t, created_at: _c, attempts_json: calls, ...rest} = r
  // Every call's status is compared; its latency, like the result's, is timing.
  const statuses = typeof calls === 'string' ? (JSON.parse(calls) as {latency_ms: number}[]).map(({latency_ms: _ms, ...c}) => c) : calls
  return {...rest, calls: statuses}
}

describe('replay on worker threads', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream({delayMs: 10})
  })
  after(async () => {
    await up.close()
  })

  test('how many threads: none for small, low-concurrency or simulated runs; KT_REPLAY_THREADS decides when set', async () => {
    const live: TargetSpec = {id: 'c', provider: 'openai-compatible', model: 'm', base_url: 'http://127.0.0.1:1/v1'}
    const sim: TargetSpec = {id: 's', provider: 'simulated', model: 'sim'}
    const plan = (candidate: TargetSpec): RunPlan => ({primary: 'recorded', candidate, settings: settings()})
    await withEnv({KT_REPLAY_THREADS: undefined}, () => {
      assert.equal(callThreads(plan(live), liveArms(plan(live)), 4, 10_000), 0)
      assert.equal(callThreads(plan(live), liveArms(plan(live)), 256, 100), 0, 'fewer calls than two rounds of the concurrency')
      assert.equal(callThreads(plan(sim), liveArms(plan(sim)), 256, 10_000), 0)
      const n = callThreads(plan(live), liveArms(plan(live)), 256, 10_000)
      assert.ok(n === 0 || (n >= 2 && n <= 4), `${n} threads`)
    })
    await withEnv({KT_REPLAY_THREADS: '3'}, () => {
      assert.equal(callThreads(plan(live), liveArms(plan(live)), 1, 1), 3)
      assert.equal(callThreads(plan(sim), liveArms(plan(sim)), 1, 1), 0)
    })
    await withEnv({KT_REPLAY_THREADS: 'many'}, () => {
      assert.throws(() => callThreads(plan(live), liveArms(plan(live)), 1, 1), /KT_REPLAY_THREADS/)
    })
  })

  test('a live primary and a candidate on 2 threads store the same results as in this thread', async () => {
    const {db} = await seedDb(tempDir(), 80)
    const primary: TargetSpec = {id: 'prim', provider: 'openai-compatible', model: 'p', base_url: `${up.url}/v1`}
    const candidate: TargetSpec = {id: 'cand', provider: 'openai-compatible', model: 'c', base_url: `${up.url}/v1`}
    const runs: {threads: number; rows: Record<string, unknown>[]}[] = []
    for (const threads of ['2', '0']) {
      up.reset()
      const planned = createReplayRun(db, {primary, candidate, settings: settings()})
      const runId = planned.runId
      const out = await withEnv({KT_REPLAY_THREADS: threads}, () => executeRun(db, planned, {retryBaseMs: 5}))
      assert.equal(out.status, 'completed')
      assert.equal(out.sent, 160)
      assert.equal(up.callCount('/v1/chat/completions'), 160, 'one call per request and arm')
      const rows = resultsFor(db, runId) as unknown as Record<string, unknown>[]
      assert.equal(rows.length, 160)
      for (const r of rows) assert.ok((r.latency_ms as number) >= 10, `latency ${r.latency_ms}`)
      runs.push({threads: out.threads, rows: rows.map(stable)})
    }
    assert.equal(runs[0]!.threads, 2)
    assert.equal(runs[1]!.threads, 0)
    assert.deepEqual(runs[0]!.rows, runs[1]!.rows)
    db.close()
  })
})
