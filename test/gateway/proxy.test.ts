// The request path through the official SDKs and raw HTTP: same-API answers pass through (the body goes up as the
// caller sent it when the model does not change), other-API answers are translated both ways, plain and streamed,
// tool calls included; every answer carries x-kt-target and x-kt-event-id, OpenAI-format answers a `provider`; the
// caller's Authorization never goes upstream.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import {fakeDigest, startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {KEYS, post, seedConfig, startGateway, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const PROMPT = 'Explain the principle of least privilege in two sentences.'
const answer = (user: string) => `Fake answer ${fakeDigest(user)}. You wrote ${user.length} characters: ${user.slice(0, 80)}`

let up: FakeUpstream
let g: TestGateway
let openai: OpenAI
let anthropic: Anthropic

before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 2})
  const dir = tempDir('kt-gw-proxy-')
  g = await startGateway(seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`)
  openai = new OpenAI({apiKey: 'caller-key-0123456789', baseURL: `${g.url}/v1`, maxRetries: 0})
  anthropic = new Anthropic({apiKey: 'caller-key-0123456789', baseURL: g.url, maxRetries: 0})
})

after(async () => {
  await g.gw.close(2000)
  await up.close()
})

const last = () => up.calls[up.calls.length - 1]!

describe('gateway request path', () => {
  test('OpenAI SDK → OpenAI target: the answer, its provider field and the kt headers', async () => {
    const {data, response} = await openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: PROMPT}]}).withResponse()
    assert.equal(data.choices[0]!.message.content, answer(PROMPT))
    assert.equal(data.model, 'gpt-4o')
    assert.equal((data as unknown as {provider: string}).provider, 'openai')
    assert.equal(response.headers.get('x-kt-target'), 'openai')
    assert.match(response.headers.get('x-kt-event-id') ?? '', /^gw_[0-9A-Z]{26}$/)
    assert.equal(last().path, '/v1/chat/completions')
  })

  test('the body goes upstream byte for byte when the model does not change; only model is rewritten otherwise', async () => {
    const raw = '{ "model" : "gpt-4o",\n  "messages": [ {"role":"user","content":"spacing  kept"} ], "temperature": 0.25 }'
    const r = await post(g.url, '/v1/chat/completions', raw)
    assert.equal(r.status, 200)
    assert.equal(last().rawBody, raw)
    const grouped = await post(g.url, '/v1/chat/completions', {model: 'quality-ab-test', messages: [{role: 'user', content: 'hi'}], temperature: 0.25, seed: 7})
    assert.equal(grouped.status, 200)
    const sent = last().body!
    if (last().path === '/v1/chat/completions') assert.deepEqual(sent, {model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}], temperature: 0.25, seed: 7})
    else assert.equal(sent.model, 'claude-sonnet-4-20250514')
  })

  test("the caller's Authorization never reaches the upstream; the target's key does", async () => {
    const r = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'x'}]}, {authorization: 'Bearer caller-secret-abcdef', 'x-api-key': 'caller-secret-2'})
    assert.equal(r.status, 200)
    assert.equal(last().headers.authorization, `Bearer ${KEYS.OPENAI_API_KEY}`)
    assert.ok(!JSON.stringify(last().headers).includes('caller-secret'))
    const a = await post(g.url, '/v1/messages', {model: 'claude-sonnet-4-20250514', max_tokens: 50, messages: [{role: 'user', content: 'x'}]}, {'x-api-key': 'caller-secret-3', 'anthropic-version': '2023-06-01'})
    assert.equal(a.status, 200)
    assert.equal(last().headers['x-api-key'], KEYS.ANTHROPIC_API_KEY)
    assert.equal(last().headers.authorization, undefined)
    assert.equal(last().headers['anthropic-version'], '2023-06-01')
  })

  test('OpenAI SDK streaming → OpenAI target: chunks pass through, usage chunk included', async () => {
    const stream = await openai.chat.completions.create({model: 'gpt-4o', stream: true, stream_options: {include_usage: true}, messages: [{role: 'user', content: PROMPT}]})
    let text = ''
    let usage: unknown = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    assert.equal(text, answer(PROMPT))
    assert.ok(usage, 'usage chunk')
  })

  test('OpenAI SDK → Anthropic target: translated answer, plain and streamed', async () => {
    const {data, response} = await openai.chat.completions.create({model: 'claude-sonnet-4-20250514', messages: [{role: 'system', content: 'Be brief.'}, {role: 'user', content: PROMPT}]}).withResponse()
    assert.equal(last().path, '/v1/messages')
    assert.equal(last().body!.system, 'Be brief.')
    assert.equal(data.choices[0]!.message.content, answer(PROMPT))
    assert.equal(data.choices[0]!.finish_reason, 'stop')
    assert.equal((data as unknown as {provider: string}).provider, 'anthropic')
    assert.equal(response.headers.get('x-kt-target'), 'anthropic')
    assert.ok(data.usage!.total_tokens > 0)
    const stream = await openai.chat.completions.create({model: 'claude-sonnet-4-20250514', stream: true, stream_options: {include_usage: true}, messages: [{role: 'user', content: PROMPT}]})
    let text = ''
    let finish: string | null = null
    let usage: {total_tokens: number} | null = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    assert.equal(text, answer(PROMPT))
    assert.equal(finish, 'stop')
    assert.ok(usage && usage.total_tokens > 0)
  })

  test('Anthropic SDK → Anthropic target, plain and streamed', async () => {
    const msg = await anthropic.messages.create({model: 'claude-sonnet-4-20250514', max_tokens: 200, messages: [{role: 'user', content: PROMPT}]})
    assert.equal(msg.content[0]!.type === 'text' ? msg.content[0].text : '', answer(PROMPT))
    const final = await anthropic.messages.stream({model: 'claude-sonnet-4-20250514', max_tokens: 200, messages: [{role: 'user', content: PROMPT}]}).finalMessage()
    assert.equal(final.content[0]!.type === 'text' ? final.content[0].text : '', answer(PROMPT))
    assert.equal(final.stop_reason, 'end_turn')
  })

  test('Anthropic SDK → OpenAI target: translated answer, plain and streamed', async () => {
    const msg = await anthropic.messages.create({model: 'gpt-4o', max_tokens: 200, system: 'Be brief.', messages: [{role: 'user', content: PROMPT}]})
    assert.equal(last().path, '/v1/chat/completions')
    assert.deepEqual(last().body!.messages, [{role: 'system', content: 'Be brief.'}, {role: 'user', content: PROMPT}])
    assert.equal(msg.content[0]!.type === 'text' ? msg.content[0].text : '', answer(PROMPT))
    assert.equal(msg.stop_reason, 'end_turn')
    assert.ok(msg.usage.output_tokens > 0)
    const final = await anthropic.messages.stream({model: 'gpt-4o', max_tokens: 200, messages: [{role: 'user', content: PROMPT}]}).finalMessage()
    assert.equal(final.content[0]!.type === 'text' ? final.content[0].text : '', answer(PROMPT))
    assert.equal(final.stop_reason, 'end_turn')
    assert.ok(final.usage.output_tokens > 0)
  })

  test('tool calls survive translation both ways, streamed', async () => {
    const tools = [{type: 'function' as const, function: {name: 'lookup_order', parameters: {type: 'object', properties: {order_id: {type: 'string'}}}}}]
    const stream = await openai.chat.completions.create({model: 'claude-sonnet-4-20250514', stream: true, tools, tool_choice: 'required', messages: [{role: 'user', content: 'Order 1234?'}]})
    let name = ''
    let args = ''
    let finish: string | null = null
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta?.tool_calls?.[0]
      if (tc?.function?.name) name = tc.function.name
      args += tc?.function?.arguments ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    assert.equal(name, 'lookup_order')
    assert.deepEqual(JSON.parse(args), {order_id: 'Order 1234?'})
    assert.equal(finish, 'tool_calls')
    const final = await anthropic.messages
      .stream({model: 'gpt-4o', max_tokens: 100, tools: [{name: 'lookup_order', input_schema: {type: 'object', properties: {order_id: {type: 'string'}}}}], tool_choice: {type: 'any'}, messages: [{role: 'user', content: 'Order 1234?'}]})
      .finalMessage()
    const block = final.content.find((b) => b.type === 'tool_use')
    assert.ok(block && block.type === 'tool_use')
    assert.equal(block.name, 'lookup_order')
    assert.deepEqual(block.input, {order_id: 'Order 1234?'})
    assert.equal(final.stop_reason, 'tool_use')
  })

  test('GET /v1/models lists groups and target models, in either API shape', async () => {
    const list = await openai.models.list()
    const ids = list.data.map((m) => m.id)
    assert.deepEqual(ids, ['quality-ab-test', 'gpt-4o', 'claude-sonnet-4-20250514'])
    const a = await anthropic.models.list()
    assert.deepEqual(a.data.map((m) => m.id), ids)
  })
})
