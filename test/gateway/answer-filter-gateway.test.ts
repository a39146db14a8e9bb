// content_filter on answers through a running gateway in front of the fake upstream, with the official SDKs: a whole
// answer that matches a blocking rule is refused with 403 content_blocked, a redacting rule rewrites it (tool
// arguments too, for patterns); in a stream a term or a key split across the upstream's chunks is still redacted,
// a blocking match ends the stream with an error event the SDKs raise; a flag rule marks the event and nothing else.
// A config without a response rule that blocks or redacts relays the upstream's bytes untouched, as they come.
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type {EventObject} from '../../src/records/index.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, eventsWhen, post, startGateway, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const KEY = 'sk-ABCDEFGHIJKLMNOPQRSTUVWX'
/** The fake streams text in three pieces: "Project Falcon" and the key each straddle a boundary (checked below). */
const CODENAME = `Status report: Project Falcon launches on Monday; key ${KEY}.`
const CODENAME_REDACTED = 'Status report: [redacted] launches on Monday; key [redacted].'
const LEAK = 'All good so far. Then the top secret plans, which must not be shown, follow here.'
const WATCHED = 'The quarterly numbers look fine.'
const SCRIPTS: Record<string, string> = {codename: CODENAME, leak: LEAK, watched: WATCHED, tool: `{"note": "call", "key": "${KEY}"}`}

function lastUser(body: Record<string, unknown>): string {
  const messages = body.messages as {role: string; content: unknown}[]
  const m = [...messages].reverse().find((x) => x.role === 'user')
  return typeof m?.content === 'string' ? m.content : ''
}

/** Start of each of the fake's three stream pieces (its `pieces(text, 3)`). */
function straddles(text: string, part: string): boolean {
  const size = Math.ceil(text.length / 3)
  const at = text.indexOf(part)
  return [size, 2 * size].some((b) => at < b && b < at + part.length)
}

/** `mirror`: a shadow target (gpt-4o-mini on the same upstream) and a traffic_mirror of every openai request to it. */
function writeConfig(dir: string, up: FakeUpstream, policies: string[], mirror = false): string {
  const file = join(dir, 'kt.yaml')
  const shadow = mirror ? `    - {id: shadow, provider: openai, model: gpt-4o-mini, base_url: "${up.url}/v1"}\ntraffic_mirror: {enabled: true, primary: openai, shadow: shadow, sample_rate: 1.0, log_shadow_response: true}\n` : ''
  writeFileSync(
    file,
    `providers:
  targets:
    - {id: openai, provider: openai, base_url: "${up.url}/v1"}
    - {id: anthropic, provider: anthropic, base_url: "${up.url}"}
${shadow}policies:
${policies.map((p) => `  - ${p}\n`).join('')}`,
  )
  return file
}

const REDACT = `{name: no-codenames, type: content_filter, blocked_terms: [project falcon], blocked_patterns: ['sk-[A-Za-z0-9]{20,}'], action: redact, apply_to: response}`
const BLOCK = '{name: no-leaks, type: content_filter, blocked_terms: [top secret], action: block, apply_to: both}'
const FLAG = '{name: watch-list, type: content_filter, blocked_terms: [quarterly numbers], action: flag, apply_to: response}'

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 2, answer: (body) => SCRIPTS[lastUser(body)]})
})
after(async () => {
  await up.close()
})

async function eventOf(g: TestGateway, id: string | null | undefined): Promise<EventObject> {
  assert.ok(id, 'x-kt-event-id')
  const [ev] = await eventsWhen(g.dbPath, 1, {filter: [`event_id=${id}`]})
  return ev!
}

const CLAUDE = 'claude-sonnet-4-20250514'

describe('content_filter on answers through the gateway', () => {
  let g: TestGateway
  let openai: OpenAI
  let anthropic: Anthropic
  before(async () => {
    const dir = tempDir('kt-gw-answer-filter-')
    g = await startGateway(writeConfig(dir, up, [REDACT, BLOCK, FLAG]), join(dir, 'kt.db'))
    openai = new OpenAI({apiKey: 'caller-key', baseURL: `${g.url}/v1`, maxRetries: 0})
    anthropic = new Anthropic({apiKey: 'caller-key', baseURL: g.url, maxRetries: 0})
  })
  after(async () => {
    await g.gw.close(2000)
  })

  test('the scripted texts straddle the fake upstream stream chunks', () => {
    assert.ok(straddles(CODENAME, 'Project Falcon') && straddles(CODENAME, KEY) && straddles(LEAK, 'top secret'))
  })

  test('a whole answer with a blocked term: 403 content_blocked naming the policy and the term, in both APIs', async () => {
    const err = await openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'leak'}]}).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err))
    assert.equal(err.status, 403)
    assert.equal(err.code, 'content_blocked')
    assert.equal(err.error && (err.error as {message: string}).message, 'answer blocked by policy "no-leaks" (content_filter): matched top secret')
    const ev = await eventOf(g, err.headers?.get('x-kt-event-id'))
    assert.deepEqual([ev.status, ev.http_status, ev.decision, ev.policy_id, ev.error?.type], ['blocked', 403, 'deny', 'no-leaks', 'content_blocked'])
    assert.deepEqual(ev.policies_triggered, [{name: 'no-leaks', type: 'content_filter', action: 'block', detail: 'top secret'}])
    assert.equal(ev.response_text, LEAK.replace('top secret', '[redacted]'), 'the event keeps the answer, its match redacted')
    assert.ok((ev.output_tokens ?? 0) > 0 && (ev.cost ?? 0) > 0, 'what the upstream was paid for is counted')
    // Anthropic SDK, OpenAI target (translated): the same refusal in Anthropic's shape.
    const aerr = await anthropic.messages.create({model: 'gpt-4o', max_tokens: 100, messages: [{role: 'user', content: 'leak'}]}).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )
    assert.ok(aerr instanceof Anthropic.PermissionDeniedError, String(aerr))
    assert.equal(aerr.status, 403)
    assert.deepEqual(aerr.error, {type: 'error', error: {type: 'permission_error', message: 'answer blocked by policy "no-leaks" (content_filter): matched top secret'}})
  })

  test('a whole answer with a redacted term and key is sent rewritten, in both APIs; the event stores what was sent', async () => {
    const {data, response} = await openai.chat.completions.create({model: CLAUDE, messages: [{role: 'user', content: 'codename'}]}).withResponse()
    assert.equal(data.choices[0]!.message.content, CODENAME_REDACTED)
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(JSON.stringify(data))))
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.equal(ev.status, 'ok')
    assert.equal(ev.response_text, CODENAME_REDACTED)
    assert.deepEqual(ev.policies_triggered, [{name: 'no-codenames', type: 'content_filter', action: 'redact', detail: 'project falcon, /sk-[A-Za-z0-9]{20,}/'}])
    const msg = await anthropic.messages.create({model: CLAUDE, max_tokens: 100, messages: [{role: 'user', content: 'codename'}]})
    assert.deepEqual(msg.content, [{type: 'text', text: CODENAME_REDACTED}])
  })

  test('tool call arguments: a key pattern is redacted', async () => {
    const tools = [{type: 'function' as const, function: {name: 'store', parameters: {type: 'object', properties: {note: {type: 'string'}, key: {type: 'string'}}}}}]
    const r = await openai.chat.completions.create({model: 'gpt-4o', tools, tool_choice: 'required', messages: [{role: 'user', content: 'tool'}]})
    const call = r.choices[0]!.message.tool_calls![0]!
    assert.equal(call.type === 'function' ? call.function.arguments : '', '{"note": "call", "key": "[redacted]"}')
  })

  test('streamed: a term and a key split across chunks are redacted exactly (same API and translated)', async () => {
    const {data: stream, response} = await openai.chat.completions.create({model: 'gpt-4o', stream: true, messages: [{role: 'user', content: 'codename'}]}).withResponse()
    const deltas: string[] = []
    for await (const c of stream) deltas.push(c.choices[0]?.delta?.content ?? '')
    assert.equal(deltas.join(''), CODENAME_REDACTED)
    assert.ok(deltas.filter((d) => d !== '').length > 1, `still streamed in pieces: ${JSON.stringify(deltas)}`)
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.equal(ev.response_text, CODENAME_REDACTED)
    assert.equal(ev.policies_triggered![0]!.action, 'redact')
    const anthropicSame = await anthropic.messages.stream({model: CLAUDE, max_tokens: 100, messages: [{role: 'user', content: 'codename'}]}).finalMessage()
    assert.deepEqual(anthropicSame.content, [{type: 'text', text: CODENAME_REDACTED}])
    const translated = await openai.chat.completions.create({model: CLAUDE, stream: true, messages: [{role: 'user', content: 'codename'}]})
    let text = ''
    for await (const c of translated) text += c.choices[0]?.delta?.content ?? ''
    assert.equal(text, CODENAME_REDACTED)
    const toOpenAI = await anthropic.messages.stream({model: 'gpt-4o', max_tokens: 100, messages: [{role: 'user', content: 'codename'}]}).finalMessage()
    assert.deepEqual(toOpenAI.content, [{type: 'text', text: CODENAME_REDACTED}])
  })

  test('streamed: a blocked term ends the stream with an error event the SDKs raise; what came before stays sent', async () => {
    const {data: stream, response} = await openai.chat.completions.create({model: 'gpt-4o', stream: true, messages: [{role: 'user', content: 'leak'}]}).withResponse()
    let got = ''
    const err = await (async () => {
      for await (const c of stream) got += c.choices[0]?.delta?.content ?? ''
    })().then(
      () => assert.fail('expected the stream to raise'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof OpenAI.APIError, String(err))
    assert.equal(err.code, 'content_blocked')
    assert.match(err.message, /answer blocked by policy "no-leaks" \(content_filter\): matched top secret/)
    assert.ok(LEAK.startsWith(got) && !got.includes('top'), `sent before the block: ${JSON.stringify(got)}`)
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.deepEqual([ev.status, ev.http_status, ev.decision, ev.policy_id, ev.error?.code], ['blocked', 200, 'deny', 'no-leaks', 'content_blocked'])
    assert.equal(ev.response_text ?? '', got, 'the event keeps what went out')
    // Anthropic SDK, Anthropic target; and OpenAI SDK, Anthropic target (the error in the caller's shape).
    await assert.rejects(anthropic.messages.stream({model: CLAUDE, max_tokens: 100, messages: [{role: 'user', content: 'leak'}]}).finalMessage(), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError, String(e))
      assert.deepEqual(e.error, {type: 'error', error: {type: 'permission_error', message: 'answer blocked by policy "no-leaks" (content_filter): matched top secret'}})
      return true
    })
    const cross = await openai.chat.completions.create({model: CLAUDE, stream: true, messages: [{role: 'user', content: 'leak'}]})
    await assert.rejects(
      (async () => {
        for await (const _ of cross);
      })(),
      (e: unknown) => e instanceof OpenAI.APIError && e.code === 'content_blocked',
    )
  })

  test('a flag rule marks the event; the answer is the upstream one', async () => {
    const {data, response} = await openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'watched'}]}).withResponse()
    assert.equal(data.choices[0]!.message.content, WATCHED)
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.deepEqual(ev.policies_triggered, [{name: 'watch-list', type: 'content_filter', action: 'flag', detail: 'quarterly numbers'}])
    assert.equal(ev.status, 'ok')
  })
})

/** POSTs and resolves with the response body's bytes and whether the upstream had finished when the first bytes came. */
function firstBytes(base: string, path: string, body: unknown, headers: Record<string, string>, upstream: FakeUpstream): Promise<{bytes: Buffer; upstreamDoneAtFirst: boolean; eventId: string}> {
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {method: 'POST', headers: {'content-type': 'application/json', ...headers}}, (res) => {
      const chunks: Buffer[] = []
      let upstreamDoneAtFirst: boolean | null = null
      res.on('data', (c: Buffer) => {
        upstreamDoneAtFirst ??= upstream.served.count > 0
        chunks.push(c)
      })
      res.on('end', () => resolve({bytes: Buffer.concat(chunks), upstreamDoneAtFirst: upstreamDoneAtFirst ?? true, eventId: String(res.headers['x-kt-event-id'])}))
    })
    req.on('error', reject)
    req.end(text)
  })
}

describe('content_filter on answers: configs without a blocking or redacting response rule', () => {
  let slow: FakeUpstream
  let g: TestGateway
  before(async () => {
    // Slow chunks, so that a buffered answer would show: the first bytes must reach the caller before the upstream ends.
    slow = await startFakeUpstream({chunkDelayMs: 60, answer: (body) => SCRIPTS[lastUser(body)]})
    const dir = tempDir('kt-gw-answer-plain-')
    const requestOnly = '{name: req-only, type: content_filter, blocked_terms: [project falcon], action: block, apply_to: request}'
    const categories = '{name: cats, type: content_filter, action: block, apply_to: response, config: {categories: [hate]}}'
    g = await startGateway(writeConfig(dir, slow, [requestOnly, categories, FLAG]), join(dir, 'kt.db'))
  })
  after(async () => {
    await g.gw.close(2000)
    await slow.close()
  })

  test('the upstream bytes pass through unchanged and unbuffered; a flag still lands on the event', async () => {
    const body = chat('watched', {model: 'gpt-4o', stream: true})
    slow.reset()
    const via = await firstBytes(g.url, '/v1/chat/completions', body, {}, slow)
    assert.equal(via.upstreamDoneAtFirst, false, 'the first bytes came while the upstream was still sending')
    const direct = await post(slow.url, '/v1/chat/completions', body, {authorization: 'Bearer x'})
    assert.equal(via.bytes.toString('utf8'), direct.text)
    const ev = await eventOf(g, via.eventId)
    assert.deepEqual(ev.policies_triggered, [{name: 'watch-list', type: 'content_filter', action: 'flag', detail: 'quarterly numbers'}])
    // A whole Messages answer (no field spliced in for Anthropic callers): byte for byte.
    const msg = {model: CLAUDE, max_tokens: 100, messages: [{role: 'user', content: 'codename'}]}
    const a = await post(g.url, '/v1/messages', msg, {'anthropic-version': '2023-06-01'})
    const b = await post(slow.url, '/v1/messages', msg, {'anthropic-version': '2023-06-01', 'x-api-key': 'x'})
    assert.equal(a.text, b.text)
    assert.ok(a.text.includes('Project Falcon'))
  })
})

describe('content_filter on shadow answers', () => {
  test("a shadow's answer is flagged on its own event, and stored with what redact rules match replaced", async () => {
    const dir = tempDir('kt-gw-answer-filter-shadow-')
    const g = await startGateway(writeConfig(dir, up, [REDACT, FLAG], true), join(dir, 'kt.db'))
    try {
      const trigger = {name: 'watch-list', type: 'content_filter', action: 'flag', detail: 'quarterly numbers'}
      const watched = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'watched'}]})
      assert.equal(watched.status, 200)
      const events = await eventsWhen(g.dbPath, 2)
      for (const ev of events) assert.deepEqual(ev.policies_triggered, [trigger], `${ev.model} (${ev.metadata.role ?? 'primary'})`)
      assert.ok(events.some((e) => e.metadata.role === 'shadow'))
      const codename = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'codename'}]})
      assert.equal(codename.status, 200)
      const all = await eventsWhen(g.dbPath, 4)
      const shadow = all.find((e) => e.metadata.role === 'shadow' && (e.response_text ?? '').includes('launches on Monday'))!
      assert.equal(shadow.response_text, CODENAME_REDACTED)
      assert.deepEqual((shadow.policies_triggered ?? []).map((t) => [t.name, t.action]), [['no-codenames', 'redact']])
      assert.ok(!all.some((e) => JSON.stringify(e).includes(KEY)), 'the key is in no event, primary or shadow')
    } finally {
      await g.gw.close(2000)
    }
  })
})
