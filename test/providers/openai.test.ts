// OpenAI, Azure OpenAI and OpenAI-compatible targets through the real `openai` SDK against the fake upstream.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {createClient, type TargetSpec} from '../../src/providers/index.js'
import {fakeDigest, startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const KEY = 'sk-test-openai-0123456789abcdef'

const STORED = {
  model: 'gpt-4o',
  messages: [
    {role: 'system', content: 'You are a concise assistant.'},
    {role: 'user', content: 'Summarise the causes of the French Revolution in two sentences.'},
  ],
  temperature: 0.2,
  max_tokens: 300,
  stop: ['\n\n\n'],
  seed: 42,
  response_format: {type: 'text'},
  top_p: 0.9,
  user: 'u-123',
}

const TOOLS_BODY = {
  model: 'gpt-4o',
  messages: [{role: 'user', content: 'What is the weather in Paris?'}],
  tools: [
    {type: 'function', function: {name: 'get_weather', description: 'Weather for a city', parameters: {type: 'object', properties: {city: {type: 'string'}, days: {type: 'integer'}}, required: ['city']}}},
  ],
  tool_choice: 'required',
  parallel_tool_calls: false,
}

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 15})
})
after(async () => {
  await up.close()
})

function openaiTarget(extra: Partial<TargetSpec> = {}): TargetSpec {
  return {id: 'cand', provider: 'openai', model: 'gpt-4o-mini', base_url: `${up.url}/v1`, ...extra}
}

describe('openai target (JSON)', () => {
  test('sends the stored body with only model replaced and parses the answer', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const client = createClient(openaiTarget())
      const r = await client.call({api: 'openai.chat', body: STORED})
      assert.equal(r.status, 'ok')
      assert.equal(r.http_status, 200)
      assert.equal(r.api, 'openai.chat')
      assert.deepEqual(up.calls[0]!.body, {...STORED, model: 'gpt-4o-mini'})
      assert.equal(up.calls[0]!.headers.authorization, `Bearer ${KEY}`)
      assert.equal(up.counts['/v1/chat/completions'], 1)
      const digest = fakeDigest(STORED.messages[1]!.content)
      assert.match(r.response!.text!, new RegExp(`^Fake answer ${digest}\\.`))
      assert.equal(r.response!.finish_reason, 'stop')
      assert.equal(r.response_model, 'gpt-4o-mini')
      assert.ok(r.request_id?.startsWith('req_'))
      assert.ok(r.usage.input_tokens! > 0 && r.usage.output_tokens! > 0)
      assert.equal(r.usage.total_tokens, r.usage.input_tokens! + r.usage.output_tokens!)
      assert.equal(r.ttft_ms, null)
      assert.ok(r.latency_ms > 0 && r.latency_ms < 5000)
      assert.deepEqual(r.translation_losses, [])
      assert.equal(r.simulated, undefined)
    })
  })

  test('the stored body object is not mutated', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      const copy = structuredClone(STORED)
      await createClient(openaiTarget()).call({api: 'openai.chat', body: STORED, stream: true})
      assert.deepEqual(STORED, copy)
    })
  })

  test('tool calls come back as canonical tool_calls', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body: TOOLS_BODY})
      assert.equal(r.status, 'ok')
      assert.equal(r.response!.finish_reason, 'tool_calls')
      assert.equal(r.response!.tool_calls.length, 1)
      assert.equal(r.response!.tool_calls[0]!.name, 'get_weather')
      const args = JSON.parse(r.response!.tool_calls[0]!.arguments) as Record<string, unknown>
      assert.equal(typeof args.city, 'string')
      assert.deepEqual(up.calls[0]!.body, {...TOOLS_BODY, model: 'gpt-4o-mini'})
    })
  })

  test('a small max_tokens gives finish_reason length', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body: {...STORED, max_tokens: 3}})
      assert.equal(r.status, 'ok')
      assert.equal(r.response!.finish_reason, 'length')
      assert.equal(r.response!.text!.length, 12)
    })
  })
})

describe('openai target (SSE)', () => {
  test('stream with include_usage: assembled text, usage, TTFT < latency', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const body = {...STORED, stream: true, stream_options: {include_usage: true}}
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body})
      assert.equal(r.status, 'ok')
      assert.deepEqual(up.calls[0]!.body, {...body, model: 'gpt-4o-mini'})
      const digest = fakeDigest(STORED.messages[1]!.content)
      assert.match(r.response!.text!, new RegExp(`^Fake answer ${digest}\\. You wrote 63 characters`))
      assert.equal(r.response!.finish_reason, 'stop')
      assert.equal((r.response!.raw as {object: string}).object, 'chat.completion')
      assert.ok(r.usage.input_tokens! > 0 && r.usage.output_tokens! > 0)
      assert.ok(r.ttft_ms !== null)
      // role chunk, then 3 content chunks 15 ms apart: first content arrives ≥ 1 gap in, the end ≥ 4 gaps in.
      assert.ok(r.ttft_ms >= 10, `ttft ${r.ttft_ms}`)
      assert.ok(r.latency_ms - r.ttft_ms >= 30, `latency ${r.latency_ms} ttft ${r.ttft_ms}`)
      assert.equal(r.response_model, 'gpt-4o-mini')
    })
  })

  test('stream without include_usage keeps the body as stored: usage is null, not 0', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const body = {...STORED, stream: true}
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body})
      assert.equal(r.status, 'ok')
      assert.deepEqual(up.calls[0]!.body, {...body, model: 'gpt-4o-mini'})
      assert.equal(r.usage.input_tokens, null)
      assert.equal(r.usage.output_tokens, null)
      assert.ok(r.response!.text!.startsWith('Fake answer'))
    })
  })

  test('stream: true on a non-streaming stored body turns streaming on and asks for usage', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body: STORED, stream: true})
      assert.equal(r.status, 'ok')
      assert.deepEqual(up.calls[0]!.body, {...STORED, model: 'gpt-4o-mini', stream: true, stream_options: {include_usage: true}})
      assert.ok(r.ttft_ms !== null)
      assert.ok(r.usage.output_tokens! > 0)
    })
  })

  test('stream: false on a streaming stored body sends it without stream flags', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body: {...STORED, stream: true, stream_options: {include_usage: true}}, stream: false})
      assert.equal(r.status, 'ok')
      assert.deepEqual(up.calls[0]!.body, {...STORED, model: 'gpt-4o-mini'})
      assert.equal(r.ttft_ms, null)
    })
  })

  test('streamed tool-call fragments are joined', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      const r = await createClient(openaiTarget()).call({api: 'openai.chat', body: {...TOOLS_BODY, stream: true}})
      assert.equal(r.status, 'ok')
      assert.equal(r.response!.finish_reason, 'tool_calls')
      assert.equal(r.response!.tool_calls[0]!.name, 'get_weather')
      assert.ok(r.response!.tool_calls[0]!.id.startsWith('call_fake_'))
      assert.doesNotThrow(() => JSON.parse(r.response!.tool_calls[0]!.arguments))
      assert.ok(r.ttft_ms !== null)
    })
  })
})

describe('SDK environment', () => {
  test('a target without base_url uses OPENAI_BASE_URL like the SDK does', async () => {
    await withEnv({OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${up.url}/v1`}, async () => {
      up.reset()
      const r = await createClient({id: 'env', provider: 'openai', model: 'gpt-4.1-mini'}).call({api: 'openai.chat', body: STORED})
      assert.equal(r.status, 'ok')
      assert.equal(up.counts['/v1/chat/completions'], 1)
      assert.equal(up.calls[0]!.body!.model, 'gpt-4.1-mini')
    })
    assert.equal(process.env.OPENAI_BASE_URL === `${up.url}/v1`, false)
  })

  test('api_key_env picks another variable; target headers are sent', async () => {
    await withEnv({OPENAI_API_KEY: undefined, KT_TEST_ALT_KEY: 'sk-alt-key-998877665544'}, async () => {
      up.reset()
      const client = createClient(openaiTarget({api_key_env: 'KT_TEST_ALT_KEY', headers: {'x-team': 'search'}}))
      const r = await client.call({api: 'openai.chat', body: STORED})
      assert.equal(r.status, 'ok')
      assert.equal(up.calls[0]!.headers.authorization, 'Bearer sk-alt-key-998877665544')
      assert.equal(up.calls[0]!.headers['x-team'], 'search')
    })
  })

  test('GET /v1/models answers in the OpenAI list shape', async () => {
    const res = await fetch(`${up.url}/v1/models`)
    const body = (await res.json()) as {object: string; data: {id: string}[]}
    assert.equal(body.object, 'list')
    assert.ok(body.data.some((m) => m.id === 'gpt-4o-mini'))
  })
})

describe('azure-openai target', () => {
  test('uses /openai/deployments/{dep}/chat/completions?api-version= and the api-key header', async () => {
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789', OPENAI_BASE_URL: undefined}, async () => {
      up.reset()
      const client = createClient({id: 'az', provider: 'azure-openai', model: 'gpt-4o', deployment: 'prod-4o', api_version: '2024-10-21', base_url: up.url})
      const r = await client.call({api: 'openai.chat', body: STORED})
      assert.equal(r.status, 'ok', JSON.stringify(r.error))
      assert.equal(up.counts['/openai/deployments/prod-4o/chat/completions'], 1)
      const call = up.calls[0]!
      assert.equal(call.query['api-version'], '2024-10-21')
      assert.equal(call.headers['api-key'], 'azure-key-0123456789')
      assert.deepEqual(call.body, {...STORED, model: 'gpt-4o'})
      assert.ok(r.response!.text!.startsWith('Fake answer'))
    })
  })

  test('streams through the deployment path too', async () => {
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789'}, async () => {
      up.reset()
      const client = createClient({id: 'az', provider: 'azure-openai', model: 'gpt-4o', api_version: '2024-10-21', base_url: up.url})
      const r = await client.call({api: 'openai.chat', body: {...STORED, stream: true, stream_options: {include_usage: true}}})
      assert.equal(r.status, 'ok')
      assert.equal(up.counts['/openai/deployments/gpt-4o/chat/completions'], 1)
      assert.ok(r.ttft_ms !== null && r.usage.output_tokens! > 0)
    })
  })

  test('missing api_version and OPENAI_API_VERSION is a KtError naming the target', async () => {
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789', OPENAI_API_VERSION: undefined}, () => {
      assert.throws(() => createClient({id: 'az2', provider: 'azure-openai', model: 'gpt-4o', base_url: up.url}), (e: Error) => e.name === 'KtError' && /target "az2"/.test(e.message) && /OPENAI_API_VERSION/.test(e.message))
    })
  })
})

describe('openai-compatible target', () => {
  test('needs no key unless api_key_env is named, and never forwards OPENAI_API_KEY', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const client = createClient({id: 'local', provider: 'openai-compatible', model: 'llama3', base_url: `${up.url}/v1`})
      const r = await client.call({api: 'openai.chat', body: STORED})
      assert.equal(r.status, 'ok')
      assert.equal(up.calls[0]!.headers.authorization, 'Bearer kt-no-key')
      assert.equal(up.calls[0]!.body!.model, 'llama3')
    })
  })

  test('translates an Anthropic request (max_tokens stays max_tokens for compatible servers)', async () => {
    up.reset()
    const client = createClient({id: 'local', provider: 'openai-compatible', model: 'llama3', base_url: `${up.url}/v1`})
    const r = await client.call({api: 'anthropic.messages', body: {model: 'claude-3-5-haiku-20241022', max_tokens: 200, system: 'Be brief.', top_k: 5, messages: [{role: 'user', content: 'Name three rivers.'}]}})
    assert.equal(r.status, 'ok')
    assert.deepEqual(up.calls[0]!.body, {model: 'llama3', messages: [{role: 'system', content: 'Be brief.'}, {role: 'user', content: 'Name three rivers.'}], max_tokens: 200})
    assert.deepEqual(r.translation_losses, ['top_k: no OpenAI equivalent (dropped)'])
  })
})

describe('openai.responses requests', () => {
  test('go to /v1/responses unchanged except model (JSON and stream)', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const body = {model: 'gpt-4o', instructions: 'Be brief.', input: 'Explain photosynthesis.', max_output_tokens: 500}
      const client = createClient(openaiTarget())
      const r = await client.call({api: 'openai.responses', body})
      assert.equal(r.status, 'ok')
      assert.equal(r.api, 'openai.responses')
      assert.deepEqual(up.calls[0]!.body, {...body, model: 'gpt-4o-mini'})
      assert.ok(r.response!.text!.startsWith(`Fake answer ${fakeDigest('Explain photosynthesis.')}`))
      assert.equal(r.response!.finish_reason, 'stop')
      assert.ok(r.usage.input_tokens! > 0)
      const s = await client.call({api: 'openai.responses', body: {...body, stream: true}})
      assert.equal(s.status, 'ok')
      assert.equal(s.response!.text, r.response!.text)
      assert.ok(s.ttft_ms !== null)
    })
  })

  test('an unsupported api is an error result, not an exception, and sends nothing', async () => {
    await withEnv({OPENAI_API_KEY: KEY}, async () => {
      up.reset()
      const r = await createClient(openaiTarget()).call({api: 'openai.completions', body: {model: 'x', prompt: 'hi'}})
      assert.equal(r.status, 'error')
      assert.equal(r.error!.type, 'kt_unsupported')
      assert.equal(r.retryable, false)
      assert.equal(up.callCount(), 0)
    })
  })
})
