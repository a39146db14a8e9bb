// Every upstream failure is classified (never thrown), and the SDKs never retry on their own: each call below
// must reach the fake upstream exactly once.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {createClient, retryAfterMs, type CallResult, type ProviderClient} from '../../src/providers/index.js'
import {startFakeUpstream, type Fault, type FakeUpstream} from '../support/fake-upstream.js'

const OPENAI_KEY = 'sk-test-openai-fault-0123456789'
const ANTHROPIC_KEY = 'sk-ant-test-fault-0123456789'
const CHAT = {model: 'gpt-4o', messages: [{role: 'user', content: 'Tell me about tides.'}]}
const MSG = {model: 'claude-3-5-haiku-20241022', max_tokens: 200, messages: [{role: 'user', content: 'Tell me about tides.'}]}

let up: FakeUpstream
let openai: ProviderClient
let anthropic: ProviderClient
const saved = {o: process.env.OPENAI_API_KEY, a: process.env.ANTHROPIC_API_KEY}

before(async () => {
  up = await startFakeUpstream()
  process.env.OPENAI_API_KEY = OPENAI_KEY
  process.env.ANTHROPIC_API_KEY = ANTHROPIC_KEY
  openai = createClient({id: 'oa', provider: 'openai', model: 'gpt-4o-mini', base_url: `${up.url}/v1`})
  anthropic = createClient({id: 'an', provider: 'anthropic', model: 'claude-sonnet-4-20250514', base_url: up.url})
})
after(async () => {
  await up.close()
  for (const [k, v] of [['OPENAI_API_KEY', saved.o], ['ANTHROPIC_API_KEY', saved.a]] as const) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
})

async function once(client: ProviderClient, fault: Fault | null, stream = false, timeoutMs?: number): Promise<CallResult> {
  up.reset()
  up.setFaults(fault ? [fault] : [])
  const api = client === anthropic ? 'anthropic.messages' : 'openai.chat'
  const body = client === anthropic ? MSG : CHAT
  const r = await client.call({api, body: stream ? {...body, stream: true} : body}, timeoutMs ? {timeoutMs} : {})
  assert.equal(up.callCount(), 1, `upstream saw ${up.callCount()} calls: the SDK must not retry`)
  // Nothing about a failure may leak the key.
  assert.ok(!JSON.stringify(r).includes(OPENAI_KEY) && !JSON.stringify(r).includes(ANTHROPIC_KEY))
  return r
}

describe('HTTP errors (OpenAI shape)', () => {
  test('429 with Retry-After seconds', async () => {
    const r = await once(openai, {type: 'http', status: 429, retry_after: 7})
    assert.equal(r.status, 'error')
    assert.equal(r.http_status, 429)
    assert.equal(r.retryable, true)
    assert.equal(r.retry_after_ms, 7000)
    assert.deepEqual(r.error, {type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.'})
    assert.equal(r.request_id, 'req_fake_error')
    assert.equal(r.response, null)
  })

  test('429 without Retry-After', async () => {
    const r = await once(openai, {type: 'http', status: 429})
    assert.equal(r.retryable, true)
    assert.equal(r.retry_after_ms, null)
  })

  test('429 with an HTTP-date Retry-After and with retry-after-ms', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString()
    const r = await once(openai, {type: 'http', status: 429, retry_after: date})
    assert.ok(r.retry_after_ms! > 25_000 && r.retry_after_ms! <= 30_000, String(r.retry_after_ms))
    const ms = await once(openai, {type: 'http', status: 429, retry_after: 9, retry_after_ms: 250})
    assert.equal(ms.retry_after_ms, 250)
  })

  test('500 and 503 are retryable server errors', async () => {
    const r500 = await once(openai, {type: 'http', status: 500})
    assert.equal(r500.http_status, 500)
    assert.equal(r500.retryable, true)
    assert.equal(r500.error!.type, 'server_error')
    const r503 = await once(openai, {type: 'http', status: 503})
    assert.equal(r503.retryable, true)
    assert.equal(r503.error!.code, 'service_unavailable')
  })

  test('408 and 409 are retryable; 400, 401, 404 are not', async () => {
    assert.equal((await once(openai, {type: 'http', status: 408})).retryable, true)
    assert.equal((await once(openai, {type: 'http', status: 409})).retryable, true)
    const bad = await once(openai, {type: 'http', status: 400, message: "Invalid value for 'temperature'"})
    assert.equal(bad.retryable, false)
    assert.deepEqual(bad.error, {type: 'invalid_request_error', code: null, message: "Invalid value for 'temperature'"})
    assert.equal((await once(openai, {type: 'http', status: 401})).retryable, false)
    assert.equal((await once(openai, {type: 'http', status: 404})).error!.code, 'model_not_found')
  })
})

describe('HTTP errors (Anthropic shape)', () => {
  test('529 overloaded_error', async () => {
    const r = await once(anthropic, {type: 'http', status: 529})
    assert.equal(r.status, 'error')
    assert.equal(r.http_status, 529)
    assert.equal(r.retryable, true)
    assert.deepEqual(r.error, {type: 'overloaded_error', code: null, message: 'Overloaded'})
  })

  test('429 rate_limit_error with and without Retry-After', async () => {
    const r = await once(anthropic, {type: 'http', status: 429, retry_after: 3})
    assert.equal(r.error!.type, 'rate_limit_error')
    assert.equal(r.retry_after_ms, 3000)
    assert.equal(r.retryable, true)
    assert.equal((await once(anthropic, {type: 'http', status: 429})).retry_after_ms, null)
  })

  test('500 api_error is retryable, 400 invalid_request_error is not', async () => {
    const r = await once(anthropic, {type: 'http', status: 500})
    assert.equal(r.error!.type, 'api_error')
    assert.equal(r.retryable, true)
    const bad = await once(anthropic, {type: 'http', status: 400})
    assert.equal(bad.error!.type, 'invalid_request_error')
    assert.equal(bad.retryable, false)
  })
})

describe('transport failures', () => {
  for (const [name, client] of [['openai', () => openai], ['anthropic', () => anthropic]] as const) {
    test(`${name}: connection reset`, async () => {
      const r = await once(client(), {type: 'reset'})
      assert.equal(r.status, 'error')
      assert.equal(r.http_status, null)
      assert.equal(r.error!.type, 'connection_error')
      assert.equal(r.retryable, true)
    })

    test(`${name}: slow upstream → timeout`, async () => {
      const t0 = performance.now()
      const r = await once(client(), {type: 'slow', ms: 3000}, false, 150)
      assert.equal(r.status, 'timeout')
      assert.equal(r.error!.type, 'timeout')
      assert.equal(r.retryable, true)
      assert.ok(r.latency_ms >= 140 && r.latency_ms < 1500, String(r.latency_ms))
      assert.ok(performance.now() - t0 < 1500)
    })

    test(`${name}: invalid JSON body on HTTP 200`, async () => {
      const r = await once(client(), {type: 'invalid_json'})
      assert.equal(r.status, 'error')
      assert.equal(r.http_status, 200)
      assert.equal(r.error!.type, 'invalid_response')
      assert.equal(r.retryable, false)
      assert.equal(r.response, null)
    })

    test(`${name}: error event in the middle of a stream`, async () => {
      const r = await once(client(), {type: 'stream_error', after_chunks: 3}, true)
      assert.equal(r.status, 'error')
      assert.equal(r.http_status, 200)
      assert.equal(r.error!.type, name === 'anthropic' ? 'overloaded_error' : 'server_error')
      assert.equal(r.retryable, true)
      // The partial answer is kept for inspection, marked as an error finish.
      assert.ok(r.response !== null)
      assert.equal(r.response.finish_reason, 'error')
    })

    test(`${name}: stream cut without a terminal event`, async () => {
      const r = await once(client(), {type: 'stream_cut', after_chunks: 3}, true)
      assert.equal(r.status, 'error')
      assert.ok(r.error!.type === 'connection_error' || r.error!.type === 'stream_incomplete', r.error!.type!)
      assert.equal(r.retryable, true)
    })
  }

  test('a stalled stream hits the deadline mid-body', async () => {
    const slow = await startFakeUpstream({chunkDelayMs: 400})
    try {
      const client = createClient({id: 'oa', provider: 'openai', model: 'gpt-4o-mini', base_url: `${slow.url}/v1`})
      const r = await client.call({api: 'openai.chat', body: {...CHAT, stream: true}}, {timeoutMs: 250})
      assert.equal(r.status, 'timeout')
      assert.equal(r.http_status, 200)
      assert.ok(r.latency_ms < 1000)
    } finally {
      await slow.close()
    }
  })

  test('a caller abort is an error result, not retryable', async () => {
    up.reset()
    up.setFaults([{type: 'slow', ms: 2000}])
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const r = await openai.call({api: 'openai.chat', body: CHAT}, {signal: ac.signal})
    assert.equal(r.status, 'error')
    assert.equal(r.error!.type, 'aborted')
    assert.equal(r.retryable, false)
  })

  test('a fault function sees the call index and body', async () => {
    up.reset()
    const seen: number[] = []
    up.setFaults((i, body) => {
      seen.push(i)
      return (body.messages as unknown[]).length === 1 && i === 1 ? {type: 'http', status: 503} : null
    })
    const a = await openai.call({api: 'openai.chat', body: CHAT})
    const b = await openai.call({api: 'openai.chat', body: CHAT})
    assert.equal(a.status, 'ok')
    assert.equal(b.http_status, 503)
    assert.deepEqual(seen, [0, 1])
    up.setFaults(undefined)
  })
})

describe('retryAfterMs', () => {
  test('reads retry-after-ms, seconds and HTTP dates; ignores garbage', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    assert.equal(retryAfterMs(new Headers({'retry-after': '1.5'}), now), 1500)
    assert.equal(retryAfterMs(new Headers({'retry-after-ms': '20', 'retry-after': '5'}), now), 20)
    assert.equal(retryAfterMs(new Headers({'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT'}), now), 10_000)
    assert.equal(retryAfterMs(new Headers({'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT'}), now), 0)
    assert.equal(retryAfterMs(new Headers({'retry-after': 'soon'}), now), null)
    assert.equal(retryAfterMs(new Headers(), now), null)
  })
})
