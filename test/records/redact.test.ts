// The one rule for credentials (src/records/redact.ts): names, shapes, text, URLs, objects; and what it leaves alone.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {isSecretName, scrubJsonText, scrubSecrets, scrubText, stripSecretHeaders} from '../../src/records/index.js'

describe('credentials: names', () => {
  test('the broad name pattern, and what only looks like it', () => {
    for (const n of ['token', 'auth_token', 'access_token', 'client_secret', 'user_api_key', 'litellm_api_key', 'X-Custom-Token', 'x-api-key', 'api-key', 'apiKey', 'APIKey', 'XApiKey', 'openai_api_key', 'password', 'db_password', 'passwd', 'Authorization', 'proxy-authorization', 'Cookie', 'set-cookie', 'x-goog-api-key', 'private_key', 'aws_secret_access_key', 'credentials', 'refreshToken', 'sessionToken']) {
      assert.equal(isSecretName(n), true, n)
    }
    for (const n of ['max_tokens', 'max_completion_tokens', 'total_tokens', 'prompt_tokens_details', 'cache_creation_input_tokens', 'token_count', 'llm.token_count.prompt', 'time_to_first_token', 'timeToFirstToken', 'user_api_key_hash', 'api_key_hash', 'prompt_cache_key', 'idempotency_key', 'signature', 'model', 'messages', 'author', 'budget_tokens', 'tokenizer']) {
      assert.equal(isSecretName(n), false, n)
    }
  })
})

describe('credentials: text', () => {
  const cases: [string, string][] = [
    ['Incorrect API key provided: sk-proj-abcdefghijklmnop1234. You can find your key at …', 'Incorrect API key provided: [redacted] You can find your key at …'],
    ['Incorrect API key provided: my-own-key-42.', 'Incorrect API key provided: [redacted]'],
    ['upstream 502: Authorization: Bearer abcdefgh12345678xyz was refused', 'upstream 502: Authorization: [redacted] was refused'],
    ['failed with api_key=ab12cd34ef56 at https://x.example/v1?key=AIzaSyABCDEF&alt=json', 'failed with api_key=[redacted] at https://x.example/v1?key=[redacted]&alt=json'],
    ['X-Custom-Token: 9f8e7d6c5b4a3210', 'X-Custom-Token: [redacted]'],
    ['{"error": {"client_secret": "abc", "message": "no"}}', '{"error": {"client_secret": "[redacted]", "message": "no"}}'],
    ['postgres://app:hunter2pass@db.internal:5432/x', 'postgres://app:[redacted]@db.internal:5432/x'],
    ['keys: gsk_abcdefghijklmnopqrstuv and hf_abcdefghijklmnopqrstuvwx and AKIAABCDEFGHIJKLMNOP', 'keys: [redacted] and [redacted] and [redacted]'],
    ['https://blob.example/c?sv=2020&sig=abcDEF123%3D', 'https://blob.example/c?sv=2020&sig=[redacted]'],
  ]
  for (const [input, want] of cases) test(JSON.stringify(input.slice(0, 40)), () => assert.equal(scrubText(input), want))

  test('ordinary text is left alone, and scrubbing twice changes nothing', () => {
    for (const s of ['max_tokens: 4096 is more than the model allows', 'the token: a word piece', 'Tokens per minute exceeded', 'see https://example.com/a?b=c', 'The password field must not be empty', 'author: Jane']) {
      assert.equal(scrubText(s), s)
    }
    const once = scrubText('api_key=ab12cd34ef56 sk-abcdefghijklmnop1234')
    assert.equal(scrubText(once), once)
  })

  // A quadratic pattern would take hours on these 2 MB (base64url in a prompt); the test's timeout is what fails then.
  test('a long run of word characters or separators is scrubbed without catastrophic backtracking', {timeout: 120_000}, () => {
    const blob = `token ${'aB3_-'.repeat(400_000)} ${';?'.repeat(200_000)} api_key=${'x'.repeat(100_000)}`
    assert.ok(scrubText(blob).endsWith('api_key=[redacted]'))
  })
})

describe('credentials: objects', () => {
  test('secret-named values dropped, secret shapes masked, schemas and counts kept, the input unchanged', () => {
    const input = {
      model: 'gpt-4o',
      max_tokens: 5,
      api_key: 'sk-abcdefghijklmnop1234',
      headers: {Authorization: 'Bearer x', 'X-Tenant-Token': 'y', accept: 'application/json'},
      tools: [{type: 'function', function: {name: 'login', parameters: {type: 'object', properties: {password: {type: 'string'}}}}}],
      logprobs: {content: [{token: 'Hi', logprob: -0.1}]},
      metadata: {url: 'https://proxy/v1?api_key=zzz&x=1', user_api_key_hash: 'abcd'},
      har: [{name: 'x-auth-token', value: 'abc123'}],
    }
    const copy = structuredClone(input)
    const out = scrubSecrets(input)
    assert.deepEqual(input, copy, 'input untouched')
    assert.deepEqual(out, {
      model: 'gpt-4o',
      max_tokens: 5,
      headers: {accept: 'application/json'},
      tools: [{type: 'function', function: {name: 'login', parameters: {type: 'object', properties: {password: {type: 'string'}}}}}],
      logprobs: {content: [{token: 'Hi', logprob: -0.1}]},
      metadata: {url: 'https://proxy/v1?api_key=[redacted]&x=1', user_api_key_hash: 'abcd'},
      har: [{name: 'x-auth-token', value: '[redacted]'}],
    })
  })

  test('nothing to scrub: the same object back (no copy); a __proto__ key stays an own key when copied', () => {
    const clean = JSON.parse('{"model":"m","__proto__":{"x":1},"messages":[]}') as Record<string, unknown>
    assert.equal(scrubSecrets(clean), clean)
    const dirty = JSON.parse('{"__proto__":{"x":1},"api_key":"k-123456789"}') as Record<string, unknown>
    const out = scrubSecrets(dirty)
    assert.ok(Object.hasOwn(out, '__proto__'))
    assert.equal(JSON.stringify(out), '{"__proto__":{"x":1}}')
    assert.equal(Object.getPrototypeOf(out), Object.prototype)
  })

  test('header lists and JSON texts', () => {
    assert.deepEqual(stripSecretHeaders([{name: 'X-Custom-Token', value: 'a'}, {name: 'content-type', value: 'b'}]), [{name: 'content-type', value: 'b'}])
    assert.equal(scrubJsonText('{"choices":[{"logprobs":{"content":[{"token":"Hi","logprob":-1}]}}],"secret":"s3cr3t-value"}'), '{"choices":[{"logprobs":{"content":[{"token":"Hi","logprob":-1}]}}]}')
  })
})
