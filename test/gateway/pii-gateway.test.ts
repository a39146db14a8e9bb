// content_filter `redact_pii: true` through a running gateway in front of the fake upstream: a request's e-mail and
// card number are redacted before the upstream sees them (and in the event), a blocking policy refuses a request with
// PII (403 content_blocked naming the kinds, the upstream never called, the event keeping the request redacted), and
// a streamed answer's phone number and e-mail, each split across the upstream's chunks, reach the caller redacted.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import OpenAI from 'openai'
import type {EventObject} from '../../src/records/index.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {eventsWhen, startGateway, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const ASKING = 'Hi, I am jane.doe@example.com, card 4111 1111 1111 1111. Order 2026-12-05-0042, build 1.2.3.4.5.'
const ASKING_REDACTED = 'Hi, I am [redacted:email], card [redacted:card]. Order 2026-12-05-0042, build 1.2.3.4.5.'
/** The fake streams it in three pieces: the phone number and the address each straddle a boundary (checked below). */
const CONTACT = 'Sure, happy to help with that one today. Call +1 415 555 2671 on any weekday, or write to support.team@example.com (build 1.2.3.4.5, ref 2026-12-05).'
const CONTACT_REDACTED = 'Sure, happy to help with that one today. Call [redacted:phone] on any weekday, or write to [redacted:email] (build 1.2.3.4.5, ref 2026-12-05).'
const RAW = ['jane.doe@example.com', '4111 1111 1111 1111']

function straddles(text: string, part: string): boolean {
  const size = Math.ceil(text.length / 3)
  const at = text.indexOf(part)
  return [size, 2 * size].some((b) => at < b && b < at + part.length)
}

function lastUser(body: Record<string, unknown>): string {
  const m = [...(body.messages as {role: string; content: unknown}[])].reverse().find((x) => x.role === 'user')
  return typeof m?.content === 'string' ? m.content : ''
}

async function gateway(up: FakeUpstream, name: string, policies: string[]): Promise<TestGateway> {
  const dir = tempDir(`kt-gw-pii-${name}-`)
  const file = join(dir, 'kt.yaml')
  writeFileSync(file, `providers:\n  targets:\n    - {id: openai, provider: openai, base_url: "${up.url}/v1"}\npolicies:\n${policies.map((p) => `  - ${p}\n`).join('')}`)
  return startGateway(file, join(dir, 'kt.db'))
}

async function eventOf(g: TestGateway, id: string | null | undefined): Promise<EventObject> {
  assert.ok(id, 'x-kt-event-id')
  const [ev] = await eventsWhen(g.dbPath, 1, {filter: [`event_id=${id}`]})
  return ev!
}

/** No raw PII value anywhere in the database files. */
function assertNotStored(g: TestGateway, values: string[]): void {
  for (const f of [g.dbPath, `${g.dbPath}-wal`]) {
    if (!existsSync(f)) continue
    const bytes = readFileSync(f)
    for (const v of values) assert.ok(!bytes.includes(v), `${v} is not in ${f}`)
  }
}

const userText = (ev: EventObject) => ((ev.request as {messages: {content: string}[]}).messages[0]!.content)

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({chunkDelayMs: 2, answer: (body) => (lastUser(body) === 'contact' ? CONTACT : undefined)})
})
after(async () => {
  await up.close()
})

describe('content_filter redact_pii through the gateway: redact', () => {
  let g: TestGateway
  let openai: OpenAI
  before(async () => {
    g = await gateway(up, 'redact', [
      '{name: pii-in, type: content_filter, redact_pii: true, action: redact, apply_to: request}',
      '{name: pii-out, type: content_filter, redact_pii: true, action: redact, apply_to: response}',
    ])
    openai = new OpenAI({apiKey: 'caller-key', baseURL: `${g.url}/v1`, maxRetries: 0})
  })
  after(async () => {
    await g.gw.close(2000)
  })

  test('a request with an e-mail and a card number reaches the upstream redacted; the event stores what was sent', async () => {
    up.reset()
    const {data, response} = await openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: ASKING}]}).withResponse()
    assert.equal(up.calls.length, 1)
    assert.deepEqual((up.calls[0]!.body as {messages: unknown}).messages, [{role: 'user', content: ASKING_REDACTED}])
    assert.ok(!JSON.stringify(data).includes('jane.doe'), 'the answer (an echo of what the fake got) has no address')
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.equal(ev.status, 'ok')
    assert.equal(userText(ev), ASKING_REDACTED)
    assert.deepEqual(ev.policies_triggered, [{name: 'pii-in', type: 'content_filter', action: 'redact', detail: 'pii:email, pii:card'}])
    assertNotStored(g, RAW)
  })

  test('the scripted answer straddles the fake upstream stream chunks', () => {
    assert.ok(straddles(CONTACT, '+1 415 555 2671') && straddles(CONTACT, 'support.team@example.com'))
  })

  test('a streamed answer: a phone number and an e-mail split across chunks are redacted exactly; the event stores what went out', async () => {
    const {data: stream, response} = await openai.chat.completions.create({model: 'gpt-4o', stream: true, messages: [{role: 'user', content: 'contact'}]}).withResponse()
    const deltas: string[] = []
    for await (const c of stream) deltas.push(c.choices[0]?.delta?.content ?? '')
    assert.equal(deltas.join(''), CONTACT_REDACTED)
    assert.ok(deltas.filter((d) => d !== '').length > 1, `still streamed in pieces: ${JSON.stringify(deltas)}`)
    const ev = await eventOf(g, response.headers.get('x-kt-event-id'))
    assert.equal(ev.response_text, CONTACT_REDACTED)
    assert.deepEqual(ev.policies_triggered, [{name: 'pii-out', type: 'content_filter', action: 'redact', detail: 'pii:phone, pii:email'}])
    assertNotStored(g, ['support.team@example.com', '415 555 2671'])
  })
})

describe('content_filter redact_pii through the gateway: block', () => {
  let g: TestGateway
  let openai: OpenAI
  before(async () => {
    g = await gateway(up, 'block', ['{name: pii-guard, type: content_filter, redact_pii: true, action: block}'])
    openai = new OpenAI({apiKey: 'caller-key', baseURL: `${g.url}/v1`, maxRetries: 0})
  })
  after(async () => {
    await g.gw.close(2000)
  })

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )

  test('a request with PII: 403 content_blocked naming the kinds, never sent; the event keeps it redacted', async () => {
    up.reset()
    const err = await refusal(openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: ASKING}]}))
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err))
    assert.equal(err.code, 'content_blocked')
    const message = 'request blocked by policy "pii-guard" (content_filter): matched pii:email, pii:card'
    assert.equal((err.error as {message: string}).message, message)
    assert.equal(up.calls.length, 0, 'the upstream never saw it')
    const ev = await eventOf(g, err.headers?.get('x-kt-event-id'))
    assert.deepEqual([ev.status, ev.http_status, ev.decision, ev.policy_id, ev.decision_reason], ['blocked', 403, 'deny', 'pii-guard', message])
    assert.deepEqual(ev.policies_triggered, [{name: 'pii-guard', type: 'content_filter', action: 'block', detail: 'pii:email, pii:card'}])
    assert.equal(userText(ev), ASKING_REDACTED)
    assertNotStored(g, RAW)
  })

  test('an answer with PII is refused too; a request and answer without any pass', async () => {
    const err = await refusal(openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'contact'}]}))
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err))
    assert.equal((err.error as {message: string}).message, 'answer blocked by policy "pii-guard" (content_filter): matched pii:phone, pii:email')
    const ok = await openai.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'Version 1.2.3.4.5 shipped on 2026-12-05, order 12345678901234567890.'}]})
    assert.ok(ok.choices[0]!.message.content?.includes('12345678901234567890'))
  })
})
