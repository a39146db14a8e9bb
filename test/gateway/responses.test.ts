// POST /v1/responses: the OpenAI SDK's responses.create (plain and streamed) through the gateway to an OpenAI target
// (body passed through to its /v1/responses, answer bytes back with the kt headers and a provider field), to a
// simulated target (played in the Responses API's own events), refused with 400 for an Anthropic target (no
// translation), mirrored only to shadows that offer the API; events parse the Responses answer (text, usage, ttft).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import OpenAI from 'openai'
import {fakeDigest, startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {eventsWhen, post, startGateway, waitFor, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const CONFIG = (upstream: string) => `
providers:
  targets:
    - id: openai
      provider: openai
      base_url: ${upstream}/v1
      secret_key_ref: {env: OPENAI_API_KEY}
    - id: claude
      provider: anthropic
      model: claude-sonnet-4-20250514
      base_url: ${upstream}
      secret_key_ref: {env: ANTHROPIC_API_KEY}
    - id: sim
      provider: simulated
      model: sim-mini
      simulation: {latency_ms: {p50: 15, p95: 30}}
traffic_mirror:
  enabled: true
  primary: openai
  shadow: sim
  sample_rate: 1.0
mirroring:
  enabled: true
  shadow: claude
  sample_rate: 1.0
`

let up: FakeUpstream
let g: TestGateway
let openai: OpenAI
const PROMPT = 'Explain the principle of least privilege in two sentences.'

before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 1})
  const dir = tempDir('kt-gw-responses-')
  writeFileSync(join(dir, 'kt.yaml'), CONFIG(up.url))
  g = await startGateway(join(dir, 'kt.yaml'), join(dir, 'kt.db'))
  openai = new OpenAI({apiKey: 'caller-key-0123456789', baseURL: `${g.url}/v1`, maxRetries: 0})
})

after(async () => {
  await g.gw.close(2000)
  await up.close()
})

describe('POST /v1/responses', () => {
  test('OpenAI SDK responses.create → OpenAI target: passed through to /v1/responses, kt headers and provider', async () => {
    const {data, response} = await openai.responses.create({model: 'gpt-4o-mini', input: PROMPT, instructions: 'Be brief.'}).withResponse()
    assert.ok(data.output_text.includes(fakeDigest(PROMPT)) || data.output_text.length > 0, data.output_text)
    assert.equal((data as unknown as {provider: string}).provider, 'openai')
    assert.equal(response.headers.get('x-kt-target'), 'openai')
    const call = up.calls.findLast((c) => c.path === '/v1/responses')
    assert.ok(call, 'the upstream was called on /v1/responses')
    assert.equal(call.body!.input, PROMPT)
    const id = response.headers.get('x-kt-event-id')!
    const [ev] = await eventsWhen(g.dbPath, 1, {model: ['gpt-4o-mini']})
    assert.equal(ev!.id, id)
    assert.equal(ev!.api, 'openai.responses')
    assert.equal(ev!.response_text, data.output_text)
    assert.ok((ev!.output_tokens ?? 0) > 0 && ev!.cost !== null)
  })

  test('streamed through the OpenAI SDK: the same text, the event assembled from the Responses events', async () => {
    const stream = await openai.responses.create({model: 'gpt-4o-mini', input: `${PROMPT} (streamed)`, stream: true})
    let text = ''
    let completed = false
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta') text += e.delta
      if (e.type === 'response.completed') completed = true
    }
    assert.ok(completed && text.length > 0)
    const events = await eventsWhen(g.dbPath, 2, {model: ['gpt-4o-mini']})
    const ev = events.find((e) => e.stream === true)!
    assert.equal(ev.response_text, text)
    assert.equal(ev.status, 'ok')
    assert.notEqual(ev.ttft_ms, null)
  })

  test('a simulated target answers in the Responses API, plain and streamed alike', async () => {
    const plain = await openai.responses.create({model: 'sim-mini', input: PROMPT})
    assert.ok(plain.output_text.length > 20)
    const stream = await openai.responses.create({model: 'sim-mini', input: PROMPT, stream: true})
    let text = ''
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta
    assert.equal(text, plain.output_text)
  })

  test('an Anthropic target cannot serve it: 400 in the OpenAI error shape, naming the target', async () => {
    const r = await post(g.url, '/v1/responses', {model: 'claude-sonnet-4-20250514', input: 'x'})
    assert.equal(r.status, 400)
    assert.match((JSON.parse(r.text) as {error: {message: string}}).error.message, /target claude \(anthropic\) cannot serve the Responses API/)
    assert.equal(r.headers['x-kt-target'], 'claude')
  })

  test('mirrored to the simulated shadow (it offers the API); the Anthropic shadow is skipped and says why', async () => {
    const r = await post(g.url, '/v1/responses', {model: 'gpt-4o-mini', input: 'mirror me'})
    assert.equal(r.status, 200)
    const id = String(r.headers['x-kt-event-id'])
    type Shadow = {model: string; status: string; error?: string | null}
    let shadows: Shadow[] = []
    await waitFor(async () => {
      const evs = await eventsWhen(g.dbPath, 1, {model: ['sim-mini', 'claude-sonnet-4-20250514']})
      shadows = evs.filter((e) => (e.metadata as {primary_event_id?: string}).primary_event_id === id || (e as unknown as {primary_event_id?: string}).primary_event_id === id).map((e) => ({model: e.model!, status: e.status, error: e.error?.message ?? null}))
      return shadows.length >= 1
    }, 'the shadow events of the mirrored request')
    const sim = shadows.find((s) => s.model === 'sim-mini')
    assert.equal(sim?.status, 'ok')
    assert.ok(!up.calls.some((c) => c.path === '/v1/messages' && JSON.stringify(c.body).includes('mirror me')), 'nothing sent to the Anthropic shadow')
  })
})
