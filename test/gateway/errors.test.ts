// Every error the issue names, in the caller API's shape: invalid JSON 400, body over the limit 413, unknown model
// 404, blocked model 403, wrong or missing token 401, upstream errors passed through with their status (translated
// when the target speaks the other API), an unreachable upstream 502; keys an upstream echoes are scrubbed from the
// answer, the events and the log.
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {createServer} from 'node:net'
import {after, before, describe, test} from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {eventsWhen, KEYS, post, seedConfig, startGateway, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

let up: FakeUpstream
let g: TestGateway
let filt: TestGateway
let guarded: TestGateway
const TOKEN = 'gw-token-0123456789'

before(async () => {
  up = await startFakeUpstream()
  const dir = tempDir('kt-gw-err-')
  g = await startGateway(seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`, {maxBodyBytes: 4096})
  const dir2 = tempDir('kt-gw-err2-')
  filt = await startGateway(seedConfig('model-filter.yaml', {openai: up.url, anthropic: up.url}, dir2), `${dir2}/kt.db`)
  const dir3 = tempDir('kt-gw-err3-')
  // Without its mirroring: a shadow reaching the shared fake later would take a fault meant for another test.
  const noMirror = (d: Record<string, unknown>) => {
    delete (d.providers as Record<string, unknown>).mirroring
    // The seed's audit-logger writes to stdout: here, to a file (the test runner's stdout is its own).
    ;((d.policy as Record<string, Record<string, unknown>>)['audit-logger']!).path = 'audit.jsonl'
    return d
  }
  guarded = await startGateway(seedConfig('mirroring-quality.yaml', {openai: up.url, anthropic: up.url}, dir3, noMirror), `${dir3}/kt.db`, {authToken: TOKEN})
})

after(async () => {
  for (const x of [g, filt, guarded]) await x.gw.close(2000)
  await up.close()
})

const msg = {max_tokens: 50, messages: [{role: 'user', content: 'hello'}]}

describe('gateway errors', () => {
  test('invalid JSON: 400 in the caller API shape', async () => {
    const o = await post(g.url, '/v1/chat/completions', '{"model": "gpt-4o",')
    assert.equal(o.status, 400)
    assert.equal(JSON.parse(o.text).error.type, 'invalid_request_error')
    const a = await post(g.url, '/v1/messages', '[1, 2]')
    assert.equal(a.status, 400)
    assert.deepEqual(Object.keys(JSON.parse(a.text)), ['type', 'error'])
    assert.equal(JSON.parse(a.text).error.type, 'invalid_request_error')
    assert.match(o.headers['x-kt-event-id'] as string, /^gw_/)
    assert.equal(o.headers['x-kt-target'], 'none', 'refused by the gateway itself')
  })

  test('a body over the limit: 413, whether or not it declares its length', async () => {
    const big = {model: 'gpt-4o', messages: [{role: 'user', content: 'x'.repeat(5000)}]}
    const declared = await post(g.url, '/v1/chat/completions', big, {}, false)
    assert.equal(declared.status, 413)
    assert.equal(JSON.parse(declared.text).error.code, 'request_too_large')
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${g.url}/v1/messages`, {method: 'POST', headers: {'content-type': 'application/json', 'transfer-encoding': 'chunked'}}, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.write(JSON.stringify(big).slice(0, 3000))
      req.write(JSON.stringify(big).slice(3000))
      req.end()
    })
    assert.equal(chunked, 413)
  })

  test('an unknown model: 404; the Anthropic SDK raises NotFoundError', async () => {
    const client = new Anthropic({apiKey: TOKEN, baseURL: guarded.url, maxRetries: 0})
    await assert.rejects(client.messages.create({model: 'claude-x', ...msg} as Anthropic.MessageCreateParamsNonStreaming), (err: unknown) => {
      assert.ok(err instanceof Anthropic.NotFoundError)
      assert.match((err as Error).message, /claude-x.{0,4} is not served by this gateway/)
      return true
    })
  })

  test('a blocked model: 403 naming the policy; the OpenAI SDK raises PermissionDeniedError', async () => {
    const client = new OpenAI({apiKey: 'x', baseURL: `${filt.url}/v1`, maxRetries: 0})
    await assert.rejects(client.chat.completions.create({model: 'gpt-4-turbo', messages: [{role: 'user', content: 'hi'}]}), (err: unknown) => {
      assert.ok(err instanceof OpenAI.PermissionDeniedError)
      assert.match((err as Error).message, /blocked by policy "block-deprecated"/)
      return true
    })
    const [ev] = await eventsWhen(filt.dbPath, 1, {filter: ['status=blocked']})
    assert.equal(ev!.decision, 'deny')
    assert.equal(ev!.policy_id, 'block-deprecated')
    assert.equal(ev!.http_status, 403)
    assert.equal(ev!.replayable, false)
  })

  test('a wrong or missing token: 401; the right one (Bearer or x-api-key, as the SDKs send it) passes', async () => {
    assert.equal((await post(guarded.url, '/v1/chat/completions', {model: 'gpt-4o', ...msg})).status, 401)
    assert.equal((await post(guarded.url, '/v1/chat/completions', {model: 'gpt-4o', ...msg}, {authorization: 'Bearer nope'})).status, 401)
    const client = new OpenAI({apiKey: 'wrong', baseURL: `${guarded.url}/v1`, maxRetries: 0})
    await assert.rejects(client.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}]}), OpenAI.AuthenticationError)
    const ok = await new OpenAI({apiKey: TOKEN, baseURL: `${guarded.url}/v1`, maxRetries: 0}).chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}]})
    assert.equal(ok.model, 'gpt-4o')
    const a = await new Anthropic({apiKey: TOKEN, baseURL: guarded.url, maxRetries: 0}).messages.create({model: 'gpt-4o', ...msg} as Anthropic.MessageCreateParamsNonStreaming)
    assert.equal(a.type, 'message')
    const events = await post(guarded.url, '/v1/events', '', {})
    assert.equal(events.status, 405, '/v1/events takes GET')
  })

  test('upstream errors pass through with their status, in the caller API shape, translated when needed', async () => {
    up.setFaults([{type: 'http', status: 429, retry_after: 7}])
    const same = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}]})
    assert.equal(same.status, 429)
    assert.equal(same.headers['retry-after'], '7')
    assert.equal(JSON.parse(same.text).error.code, 'rate_limit_exceeded', 'same API: the upstream body as it was')
    up.setFaults([{type: 'http', status: 429}])
    const cross = await post(g.url, '/v1/messages', {model: 'gpt-4o', ...msg})
    assert.equal(cross.status, 429)
    assert.deepEqual(JSON.parse(cross.text).error.type, 'rate_limit_error')
    up.setFaults([{type: 'http', status: 529}])
    const client = new OpenAI({apiKey: 'x', baseURL: `${g.url}/v1`, maxRetries: 0})
    await assert.rejects(client.chat.completions.create({model: 'claude-sonnet-4-20250514', messages: [{role: 'user', content: 'hi'}]}), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError)
      assert.equal((err as InstanceType<typeof OpenAI.APIError>).status, 529)
      assert.match((err as Error).message, /Overloaded/)
      return true
    })
    up.setFaults(undefined)
  })

  test('a key the upstream echoes never reaches the caller, the events or the log', async () => {
    up.setFaults([{type: 'http', status: 401, message: `Incorrect API key provided: ${KEYS.OPENAI_API_KEY}.`}])
    const r = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'key test'}]})
    up.setFaults(undefined)
    assert.equal(r.status, 401)
    assert.ok(!r.text.includes(KEYS.OPENAI_API_KEY))
    assert.match(r.text, /Incorrect API key provided: \[redacted\]/)
    const events = await eventsWhen(g.dbPath, 1, {filter: ['http_status=401']})
    const all = JSON.stringify(events)
    assert.ok(!all.includes(KEYS.OPENAI_API_KEY) && !all.includes(KEYS.ANTHROPIC_API_KEY))
    assert.match(events[0]!.error?.message ?? '', /\[redacted\]/)
    assert.ok(!g.logs.join('\n').includes('sk-test'))
  })

  test('an unreachable upstream: 502 in the caller shape', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as {port: number}).port
        s.close(() => resolve(port))
      })
    })
    const dir = tempDir('kt-gw-err4-')
    const dead = await startGateway(seedConfig('weighted-ab.yaml', {openai: `http://127.0.0.1:${closed}`, anthropic: `http://127.0.0.1:${closed}`}, dir), `${dir}/kt.db`)
    try {
      const r = await post(dead.url, '/v1/messages', {model: 'claude-sonnet-4-20250514', ...msg})
      assert.equal(r.status, 502)
      assert.equal(JSON.parse(r.text).type, 'error')
      assert.match(JSON.parse(r.text).error.message, /upstream anthropic unreachable/)
      assert.equal(r.headers['x-kt-target'], 'anthropic')
      const [ev] = await eventsWhen(dead.dbPath, 1)
      assert.equal(ev!.status, 'error')
      assert.equal(ev!.error?.type, 'upstream_unreachable')
    } finally {
      await dead.gw.close(1000)
    }
  })

  test('unknown paths and methods', async () => {
    assert.equal((await post(g.url, '/v1/completions', {})).status, 404)
    const r = await new Promise<number>((resolve) => {
      request(`${g.url}/v1/chat/completions`, {method: 'GET'}, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).end()
    })
    assert.equal(r, 405)
  })
})
