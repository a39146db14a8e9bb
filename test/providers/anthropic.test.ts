// Anthropic targets through the real `@anthropic-ai/sdk` against the fake upstream, plus cross-API replay.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {createClient, type TargetSpec} from '../../src/providers/index.js'
import {fakeDigest, startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const KEY = 'sk-ant-test-0123456789abcdef'

const STORED = {
  model: 'claude-3-5-sonnet-20241022',
  max_tokens: 512,
  system: [{type: 'text', text: 'You are a careful assistant.', cache_control: {type: 'ephemeral'}}],
  messages: [
    {role: 'user', content: 'List two prime numbers.'},
    {role: 'assistant', content: 'Two and three.'},
    {role: 'user', content: [{type: 'text', text: 'Now explain why seven is prime.'}]},
  ],
  temperature: 0.5,
  top_k: 40,
  stop_sequences: ['END'],
  metadata: {user_id: 'user-9'},
}

const TOOL_STORED = {
  model: 'claude-3-5-sonnet-20241022',
  max_tokens: 256,
  messages: [{role: 'user', content: 'Look up the order 1234.'}],
  tools: [{name: 'lookup_order', description: 'Find an order', input_schema: {type: 'object', properties: {order_id: {type: 'string'}}, required: ['order_id']}}],
  tool_choice: {type: 'any'},
}

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 15})
})
after(async () => {
  await up.close()
})

function target(extra: Partial<TargetSpec> = {}): TargetSpec {
  return {id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-20250514', base_url: up.url, ...extra}
}

describe('anthropic target (JSON)', () => {
  test('sends the stored body with only model replaced; parses content and usage', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(target()).call({api: 'anthropic.messages', body: STORED})
      assert.equal(r.status, 'ok', JSON.stringify(r.error))
      assert.equal(r.api, 'anthropic.messages')
      assert.equal(up.counts['/v1/messages'], 1)
      const call = up.calls[0]!
      assert.deepEqual(call.body, {...STORED, model: 'claude-sonnet-4-20250514'})
      // SDK 1.11 sends the key as a bearer token (older SDKs used x-api-key); either way it is the key we resolved.
      assert.ok(call.headers.authorization === `Bearer ${KEY}` || call.headers['x-api-key'] === KEY)
      assert.match(String(call.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/)
      assert.ok(r.response!.text!.startsWith(`Fake answer ${fakeDigest('Now explain why seven is prime.')}.`))
      assert.equal(r.response!.finish_reason, 'stop')
      assert.equal(r.response!.finish_reason_raw, 'end_turn')
      assert.equal(r.response_model, 'claude-sonnet-4-20250514')
      assert.ok(r.request_id?.startsWith('req_'))
      assert.ok(r.usage.input_tokens! > 0 && r.usage.output_tokens! > 0)
      assert.equal(r.usage.cache_write_tokens, 0)
      assert.deepEqual(r.translation_losses, [])
    })
  })

  test('a base_url ending in /v1 is accepted', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(target({base_url: `${up.url}/v1/`})).call({api: 'anthropic.messages', body: STORED})
      assert.equal(r.status, 'ok')
      assert.equal(up.counts['/v1/messages'], 1)
    })
  })

  test('tool_use blocks become canonical tool calls with JSON-string arguments', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      const r = await createClient(target()).call({api: 'anthropic.messages', body: TOOL_STORED})
      assert.equal(r.status, 'ok')
      assert.equal(r.response!.finish_reason, 'tool_calls')
      assert.equal(r.response!.tool_calls[0]!.name, 'lookup_order')
      assert.equal(typeof (JSON.parse(r.response!.tool_calls[0]!.arguments) as {order_id: unknown}).order_id, 'string')
    })
  })
})

describe('anthropic target (SSE)', () => {
  test('message_start … message_stop (with ping) assembles text, usage and TTFT', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      up.reset()
      const body = {...STORED, stream: true}
      const json = await createClient(target()).call({api: 'anthropic.messages', body: STORED})
      const r = await createClient(target()).call({api: 'anthropic.messages', body})
      assert.equal(r.status, 'ok')
      assert.deepEqual(up.calls[1]!.body, {...body, model: 'claude-sonnet-4-20250514'})
      assert.equal(r.response!.text, json.response!.text)
      assert.equal(r.response!.finish_reason, 'stop')
      assert.equal(r.usage.input_tokens, json.usage.input_tokens)
      // message_delta's cumulative output_tokens overlays message_start's placeholder 1.
      assert.equal(r.usage.output_tokens, json.usage.output_tokens)
      assert.ok(r.ttft_ms !== null && r.ttft_ms >= 10, `ttft ${r.ttft_ms}`)
      assert.ok(r.latency_ms > r.ttft_ms)
      assert.ok(up.calls[1]!.headers.accept === undefined || /event-stream|json/.test(String(up.calls[1]!.headers.accept)))
    })
  })

  test('input_json_delta fragments are joined into tool input', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      const r = await createClient(target()).call({api: 'anthropic.messages', body: {...TOOL_STORED, stream: true}})
      assert.equal(r.status, 'ok')
      assert.equal(r.response!.finish_reason, 'tool_calls')
      const args = JSON.parse(r.response!.tool_calls[0]!.arguments) as Record<string, unknown>
      assert.equal(args.order_id, 'Look up the order 1234.')
      assert.ok(r.ttft_ms !== null)
    })
  })

  test('a target without base_url uses ANTHROPIC_BASE_URL like the SDK does', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: up.url}, async () => {
      up.reset()
      const r = await createClient({id: 'env', provider: 'anthropic', model: 'claude-3-5-haiku-20241022'}).call({api: 'anthropic.messages', body: {...STORED, stream: true}})
      assert.equal(r.status, 'ok')
      assert.equal(up.counts['/v1/messages'], 1)
      assert.equal(up.calls[0]!.body!.model, 'claude-3-5-haiku-20241022')
    })
  })
})

describe('cross-API replay', () => {
  test('an OpenAI chat record replayed on Anthropic is translated and the losses are returned', async () => {
    await withEnv({ANTHROPIC_API_KEY: KEY}, async () => {
      up.reset()
      const stored = {
        model: 'gpt-4o',
        messages: [
          {role: 'system', content: 'Answer in French.'},
          {role: 'user', content: 'What is the capital of Italy?'},
        ],
        temperature: 0.7,
        seed: 7,
        response_format: {type: 'json_object'},
        stop: 'END',
      }
      const r = await createClient(target()).call({api: 'openai.chat', body: stored})
      assert.equal(r.status, 'ok', JSON.stringify(r.error))
      assert.equal(r.api, 'anthropic.messages')
      assert.deepEqual(up.calls[0]!.body, {
        model: 'claude-sonnet-4-20250514',
        system: 'Answer in French.',
        messages: [{role: 'user', content: 'What is the capital of Italy?'}],
        max_tokens: 4096,
        temperature: 0.7,
        stop_sequences: ['END'],
      })
      assert.deepEqual(r.translation_losses, [
        'max_tokens: absent in the OpenAI request; set to 4096 (Anthropic requires it)',
        'response_format (json_object): no Anthropic equivalent (dropped)',
        'seed: no Anthropic equivalent (dropped)',
      ])
      assert.ok(r.response!.text!.startsWith(`Fake answer ${fakeDigest('What is the capital of Italy?')}`))
    })
  })

  test('an Anthropic record replayed on OpenAI uses max_completion_tokens and names its losses', async () => {
    await withEnv({OPENAI_API_KEY: 'sk-test-openai-0123456789abcdef'}, async () => {
      up.reset()
      const client = createClient({id: 'gpt', provider: 'openai', model: 'gpt-4.1-mini', base_url: `${up.url}/v1`})
      const r = await client.call({api: 'anthropic.messages', body: {...STORED, stream: true}})
      assert.equal(r.status, 'ok', JSON.stringify(r.error))
      assert.equal(r.api, 'openai.chat')
      assert.deepEqual(up.calls[0]!.body, {
        model: 'gpt-4.1-mini',
        messages: [
          {role: 'system', content: 'You are a careful assistant.'},
          {role: 'user', content: 'List two prime numbers.'},
          {role: 'assistant', content: 'Two and three.'},
          {role: 'user', content: [{type: 'text', text: 'Now explain why seven is prime.'}]},
        ],
        max_completion_tokens: 512,
        temperature: 0.5,
        stop: ['END'],
        stream: true,
        stream_options: {include_usage: true},
        user: 'user-9',
      })
      assert.deepEqual(r.translation_losses, ['top_k: no OpenAI equivalent (dropped)', 'cache_control: 1 prompt-caching marker(s) dropped (OpenAI caches automatically)'])
      assert.ok(r.usage.output_tokens! > 0)
    })
  })
})
