// API keys: a missing key fails before any request; a present key never shows up in messages or results.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {createClient, parseTargetShorthand, validateTarget} from '../../src/providers/index.js'
import {KtError} from '../../src/util/errors.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream()
})
after(async () => {
  await up.close()
})

describe('missing keys', () => {
  for (const [provider, env] of [['openai', 'OPENAI_API_KEY'], ['anthropic', 'ANTHROPIC_API_KEY'], ['azure-openai', 'AZURE_OPENAI_API_KEY']] as const) {
    test(`${provider}: KtError naming the variable, before any request`, async () => {
      await withEnv({[env]: undefined}, () => {
        up.reset()
        assert.throws(
          () => createClient({id: 'x', provider, model: 'm', base_url: up.url, api_version: '2024-10-21'}),
          (e: unknown) => e instanceof KtError && e.message === `target "x": environment variable ${env} is not set`,
        )
        assert.equal(up.callCount(), 0)
      })
    })
  }

  test('api_key_env names the variable in the message; an empty value counts as missing', async () => {
    await withEnv({KT_MY_KEY: '  '}, () => {
      assert.throws(() => createClient({id: 'prod', provider: 'openai', model: 'gpt-4o', api_key_env: 'KT_MY_KEY'}), /target "prod": environment variable KT_MY_KEY is not set/)
    })
  })

  test('openai-compatible with a named key variable requires it too', async () => {
    await withEnv({KT_LOCAL_KEY: undefined}, () => {
      assert.throws(() => createClient({id: 'l', provider: 'openai-compatible', model: 'm', base_url: up.url, api_key_env: 'KT_LOCAL_KEY'}), /KT_LOCAL_KEY is not set/)
    })
  })

  test('simulated targets need no key', async () => {
    await withEnv({OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined}, () => {
      assert.doesNotThrow(() => createClient(parseTargetShorthand('simulated:faithful')))
    })
  })
})

describe('key values never leak', () => {
  const SECRET = 'sk-live-DO-NOT-LEAK-7f3a9c1e5b'

  test('auth failures, connection failures and translations never carry the key', async () => {
    await withEnv({OPENAI_API_KEY: SECRET, ANTHROPIC_API_KEY: SECRET}, async () => {
      const openai = createClient({id: 'o', provider: 'openai', model: 'gpt-4o', base_url: `${up.url}/v1`})
      const anthropic = createClient({id: 'a', provider: 'anthropic', model: 'claude-sonnet-4-20250514', base_url: up.url})
      const results = []
      // The upstream echoes the key in its error message (some proxies do): it must be scrubbed.
      up.setFaults([
        {type: 'http', status: 401, message: `Incorrect API key provided: ${SECRET}`},
        {type: 'http', status: 401, message: `invalid x-api-key ${SECRET}`},
        {type: 'reset'},
      ])
      results.push(await openai.call({api: 'openai.chat', body: {model: 'm', messages: [{role: 'user', content: 'hi'}]}}))
      results.push(await anthropic.call({api: 'anthropic.messages', body: {model: 'm', max_tokens: 5, messages: [{role: 'user', content: 'hi'}]}}))
      results.push(await openai.call({api: 'openai.chat', body: {model: 'm', messages: [{role: 'user', content: 'hi'}]}}))
      results.push(await anthropic.call({api: 'openai.chat', body: {model: 'm', messages: [{role: 'user', content: 'hi'}]}}))
      const closed = createClient({id: 'dead', provider: 'openai', model: 'gpt-4o', base_url: 'http://127.0.0.1:9/v1'})
      results.push(await closed.call({api: 'openai.chat', body: {model: 'm', messages: [{role: 'user', content: 'hi'}]}}))
      assert.equal(results[0]!.http_status, 401)
      assert.equal(results[0]!.error!.message, 'Incorrect API key provided: [redacted]')
      assert.equal(results[1]!.error!.message, 'invalid x-api-key [redacted]')
      assert.equal(results[2]!.error!.type, 'connection_error')
      assert.equal(results[3]!.status, 'ok')
      assert.equal(results[4]!.error!.type, 'connection_error')
      for (const r of results) assert.ok(!JSON.stringify(r).includes(SECRET), JSON.stringify(r))
      // The key did reach the upstream, where it belongs.
      assert.ok(up.calls.some((c) => c.headers.authorization === `Bearer ${SECRET}`))
    })
  })

  test('configuration errors do not print the key', async () => {
    await withEnv({AZURE_OPENAI_API_KEY: SECRET, OPENAI_API_VERSION: undefined}, () => {
      try {
        createClient({id: 'az', provider: 'azure-openai', model: 'gpt-4o', base_url: up.url})
        assert.fail('expected a KtError')
      } catch (e) {
        assert.ok(e instanceof KtError)
        assert.ok(!e.message.includes(SECRET))
      }
    })
  })
})

describe('target validation and shorthand', () => {
  test('parseTargetShorthand', () => {
    assert.deepEqual(parseTargetShorthand('openai:gpt-4o-mini'), {id: 'openai:gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini'})
    assert.deepEqual(parseTargetShorthand('anthropic:claude-sonnet-4-20250514'), {id: 'anthropic:claude-sonnet-4-20250514', provider: 'anthropic', model: 'claude-sonnet-4-20250514'})
    assert.deepEqual(parseTargetShorthand('simulated:terse'), {id: 'simulated:terse', provider: 'simulated', model: 'simulated-terse', simulation: {style: 'terse'}})
    assert.deepEqual(parseTargetShorthand('openai-compatible:llama3@http://127.0.0.1:11434/v1'), {
      id: 'openai-compatible:llama3@http://127.0.0.1:11434/v1',
      provider: 'openai-compatible',
      model: 'llama3',
      base_url: 'http://127.0.0.1:11434/v1',
    })
    assert.deepEqual(parseTargetShorthand('azure:prod-4o@https://res.openai.azure.com'), {
      id: 'azure:prod-4o@https://res.openai.azure.com',
      provider: 'azure-openai',
      model: 'prod-4o',
      base_url: 'https://res.openai.azure.com',
      deployment: 'prod-4o',
    })
    // Vertex-style ids keep their @.
    assert.equal(parseTargetShorthand('anthropic:claude-3-5-sonnet@20240620').model, 'claude-3-5-sonnet@20240620')
  })

  test('bad shorthands are usage errors with a clear message', () => {
    const bad: [string, RegExp][] = [
      ['gpt-4o', /expected provider:model/],
      ['openai:', /expected provider:model/],
      ['mistral:large', /unknown provider "mistral"; expected one of openai, anthropic, azure-openai, openai-compatible, simulated/],
      ['simulated:chatty', /simulated style "chatty" is unknown/],
      ['openai-compatible:llama3', /needs a base URL/],
    ]
    for (const [text, re] of bad) {
      assert.throws(
        () => parseTargetShorthand(text),
        (e: unknown) => e instanceof KtError && e.exitCode === 2 && re.test(e.message),
        text,
      )
    }
  })

  test('validateTarget', () => {
    assert.throws(() => validateTarget({id: 't', provider: 'cohere' as never, model: 'x'}), /unknown provider "cohere"/)
    assert.throws(() => validateTarget({id: 't', provider: 'openai', model: ''}), /model must be a non-empty string when given/)
    // Without a model a target is valid: it serves the model each request names.
    assert.doesNotThrow(() => validateTarget({id: 't', provider: 'openai'}))
    assert.throws(() => validateTarget({id: 't', provider: 'openai', model: 'm', base_url: 'ftp://x'}), /not an http\(s\) URL/)
    assert.throws(() => validateTarget({id: 't', provider: 'simulated', model: 'm', simulation: {error_rate: 2}}), /error_rate must be between 0 and 1/)
    assert.doesNotThrow(() => validateTarget({id: 't', provider: 'openai', model: 'm', timeout_ms: 1000}))
  })
})
