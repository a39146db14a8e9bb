// Simulated targets served by the gateway, offline: the official SDKs get answers in their own format, plain and
// streamed (an Anthropic-format caller's answer translated); the answer is the simulation's (deterministic for a
// request); events carry provider `simulated`; a simulated shadow is mirrored and compared; drawn errors come with
// their status in the caller's error shape and a drawn timeout is cut by the target's timeout_ms; a model name
// reaches a real target before a model-less simulated one.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {eventsWhen, post, startGateway, waitFor, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const CONFIG = (upstream: string) => `
providers:
  targets:
    - id: real
      provider: openai
      base_url: ${upstream}/v1
      secret_key_ref: {env: OPENAI_API_KEY}
    - id: sim
      provider: simulated
      simulation: {style: faithful, latency_ms: {p50: 20, p95: 40}}
    - id: sim-mini
      provider: simulated
      model: sim-mini
      simulation: {style: terse, latency_ms: {p50: 20, p95: 40}}
    - id: sim-broken
      provider: simulated
      model: sim-broken
      simulation: {error_rate: 1, latency_ms: {p50: 20, p95: 40}}
    - id: sim-stuck
      provider: simulated
      model: sim-stuck
      timeout_ms: 300
      simulation: {latency_ms: {p50: 600000, p95: 900000}}
traffic_mirror:
  enabled: true
  primary: sim-mini
  shadow: sim
  sample_rate: 1.0
  log_shadow_response: true
`

let up: FakeUpstream
let g: TestGateway
let openai: OpenAI
let anthropic: Anthropic
const PROMPT = 'Explain the principle of least privilege in two sentences.'

before(async () => {
  up = await startFakeUpstream()
  const dir = tempDir('kt-gw-sim-')
  writeFileSync(join(dir, 'kt.yaml'), CONFIG(up.url))
  g = await startGateway(join(dir, 'kt.yaml'), join(dir, 'kt.db'))
  openai = new OpenAI({apiKey: 'caller-key-0123456789', baseURL: `${g.url}/v1`, maxRetries: 0})
  anthropic = new Anthropic({apiKey: 'caller-key-0123456789', baseURL: g.url, maxRetries: 0})
})

after(async () => {
  await g.gw.close(2000)
  await up.close()
})

describe('simulated targets in the gateway', () => {
  test('OpenAI SDK, plain and streamed: the same simulated answer, provider simulated, events written', async () => {
    const {data, response} = await openai.chat.completions.create({model: 'sim', messages: [{role: 'user', content: PROMPT}]}).withResponse()
    const text = data.choices[0]!.message.content ?? ''
    assert.ok(text.length > 20, text)
    assert.equal((data as unknown as {provider: string}).provider, 'simulated')
    assert.equal(response.headers.get('x-kt-target'), 'sim')
    const stream = await openai.chat.completions.create({model: 'sim', stream: true, stream_options: {include_usage: true}, messages: [{role: 'user', content: PROMPT}]})
    let streamed = ''
    let usage: unknown = null
    let chunks = 0
    for await (const c of stream) {
      chunks++
      streamed += c.choices[0]?.delta?.content ?? ''
      if (c.usage) usage = c.usage
    }
    assert.equal(streamed, text, 'a simulated target answers a request the same way, streamed or not')
    assert.ok(chunks > 3, `${chunks} chunks`)
    assert.ok(usage)
    const events = await eventsWhen(g.dbPath, 2, {model: ['sim']})
    assert.deepEqual(events.map((e) => [e.provider, e.status, e.stream]), [['simulated', 'ok', false], ['simulated', 'ok', true]])
    assert.ok(events.every((e) => (e.output_tokens ?? 0) > 0 && e.cost !== null && e.latency_ms !== null))
    assert.equal(events[1]!.response_text, text, 'the streamed answer assembled on the event')
  })

  test('Anthropic SDK, plain and streamed, to a simulated target: translated answers', async () => {
    const msg = await anthropic.messages.create({model: 'sim', max_tokens: 200, messages: [{role: 'user', content: PROMPT}]})
    const first = msg.content[0]
    assert.equal(first?.type, 'text')
    const text = first?.type === 'text' ? first.text : ''
    assert.ok(text.length > 20)
    const stream = anthropic.messages.stream({model: 'sim', max_tokens: 200, messages: [{role: 'user', content: PROMPT}]})
    const final = await stream.finalMessage()
    const streamed = final.content[0]?.type === 'text' ? final.content[0].text : ''
    assert.equal(streamed, text)
    assert.equal(final.stop_reason, 'end_turn')
  })

  test('a simulated primary mirrored to a simulated shadow: the comparison is on the event', async () => {
    const r = await post(g.url, '/v1/chat/completions', {model: 'sim-mini', messages: [{role: 'user', content: PROMPT}]})
    assert.equal(r.status, 200)
    const id = String(r.headers['x-kt-event-id'])
    type Mirror = {shadow: {provider: string; status: string}; comparison: {content_similarity: number | null}}
    let mirror: Mirror | null = null
    await waitFor(async () => {
      const [e] = await eventsWhen(g.dbPath, 1, {model: ['sim-mini']})
      assert.equal(e!.id, id)
      mirror = (e!.traffic_mirror as Mirror | null) ?? null
      return mirror !== null
    }, 'the traffic_mirror block on the event')
    const m = mirror as unknown as Mirror
    assert.equal(m.shadow.provider, 'simulated')
    assert.equal(m.shadow.status, 'success')
    assert.equal(typeof m.comparison.content_similarity, 'number')
  })

  test("a drawn error comes with its status in the caller's error shape; a drawn timeout is cut by timeout_ms", async () => {
    const e = await post(g.url, '/v1/chat/completions', {model: 'sim-broken', messages: [{role: 'user', content: 'x'}]})
    assert.ok([429, 500, 503, 529].includes(e.status), String(e.status))
    assert.ok((JSON.parse(e.text) as {error: {message: string}}).error.message.startsWith('simulated'))
    const a = await post(g.url, '/v1/messages', {model: 'sim-broken', max_tokens: 20, messages: [{role: 'user', content: 'x'}]}, {'anthropic-version': '2023-06-01'})
    assert.equal((JSON.parse(a.text) as {type: string}).type, 'error')
    const t = await post(g.url, '/v1/chat/completions', {model: 'sim-stuck', messages: [{role: 'user', content: 'x'}]})
    assert.equal(t.status, 504)
  })

  test('a model name reaches the real target before a model-less simulated one', async () => {
    const before = up.calls.length
    const r = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'x'}]})
    assert.equal(r.status, 200)
    assert.equal(r.headers['x-kt-target'], 'real')
    assert.equal(up.calls.length, before + 1)
  })
})
