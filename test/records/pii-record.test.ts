// Record-level PII redaction (src/records/pii-record.ts, sanitizeRecord's redactPii): every stored part of a record is
// redacted, values stored twice (body and parsed text) count once, nothing changes without the option, and counts
// already in the metadata (a redacted export imported again) are added to.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {emptyEventFields, emptyUsage, importNotes, redactJsonPii, redactRecordPii, sanitizeRecord, type CanonicalRecord} from '../../src/records/index.js'

const EMAIL = 'ana@example.com'
const CARD = '5555555555554444'

function record(): CanonicalRecord {
  const raw = {model: 'gpt-4o-mini', messages: [{role: 'user', content: `mail ${EMAIL}, card ${CARD}, order 5555555555554445`}], user: EMAIL}
  return {
    id: '',
    source_id: 'req-1',
    source: {format: 'test', file: null, locator: 'line 1'},
    timestamp: '2026-01-01T00:00:00.000Z',
    timestamp_inferred: false,
    provider: 'openai',
    api: 'openai.chat',
    model: 'gpt-4o-mini',
    response_model: null,
    request: {system: null, messages: [{role: 'user', parts: [{type: 'text', text: raw.messages[0]!.content}]}], tools: [], params: {user: EMAIL}, stream: false, raw},
    response: {
      text: `Sent to ${EMAIL}`,
      tool_calls: [{id: 'c1', name: 'call', arguments: '{"phone":"+1 415-555-0100"}'}],
      reasoning: null,
      finish_reason: 'stop',
      finish_reason_raw: 'stop',
      raw: {choices: [{message: {content: `Sent to ${EMAIL}`, tool_calls: [{function: {arguments: '{"phone":"+1 415-555-0100"}'}}]}}]},
    },
    usage: emptyUsage(),
    latency_ms: 100,
    ttft_ms: null,
    status: 'ok',
    http_status: 200,
    error: {type: 'x', code: null, message: `quota for ${EMAIL}`},
    cost_usd: null,
    cost_source: null,
    replayable: true,
    tags: [`user=${EMAIL}`],
    metadata: {client: {ip: '198.51.100.7', seen: [EMAIL]}},
    event: {...emptyEventFields(), session_id: EMAIL},
  }
}

describe('redactRecordPii', () => {
  test('every stored part is redacted; a value in a body and in its parsed text counts once', () => {
    const r = record()
    const counts = redactRecordPii(r)
    // Bodies: the prompt's email and card, `user`'s email; the answer's email and phone. Then error, tags, metadata (2), session.
    assert.deepEqual(counts, {email: 7, card: 1, phone: 1, ip: 1})
    const text = JSON.stringify(r)
    assert.ok(!text.includes(EMAIL) && !text.includes(CARD) && !text.includes('555-0100') && !text.includes('198.51.100.7'))
    assert.ok(text.includes('5555555555554445'), 'a Luhn-invalid number is kept')
    assert.equal(r.response!.text, 'Sent to [redacted:email]')
    assert.equal(r.response!.tool_calls[0]!.arguments, '{"phone":"[redacted:phone]"}')
    assert.equal(r.request.messages[0]!.parts[0]!.type === 'text' && r.request.messages[0]!.parts[0]!.text, 'mail [redacted:email], card [redacted:card], order 5555555555554445')
    assert.equal(r.error!.message, 'quota for [redacted:email]')
    assert.deepEqual(r.tags, ['user=[redacted:email]'])
    assert.equal(r.event.session_id, '[redacted:email]')
  })

  test('counts from the parsed text when there is no body; null when nothing is found', () => {
    const r = record()
    r.request.raw = null
    r.response!.raw = null
    r.error = null
    r.tags = []
    r.metadata = {}
    r.event = emptyEventFields()
    r.request.params = {}
    assert.deepEqual(redactRecordPii(r), {email: 2, card: 1, phone: 1})
    assert.equal(redactRecordPii(r), null, 'placeholders are not found again')
  })

  test('redactJsonPii returns the same value when nothing changes, and keeps a __proto__ key as data', () => {
    const v = {a: ['no personal data', 42, null], b: {c: 'x'}}
    assert.equal(redactJsonPii(v, (s) => s.replace(EMAIL, '')), v)
    const evil = JSON.parse(`{"__proto__": "${EMAIL}"}`) as Record<string, unknown>
    const out = redactJsonPii(evil, (s) => s.replace(EMAIL, 'R'))
    assert.equal(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 'R')
  })
})

describe('sanitizeRecord with redactPii', () => {
  test('marks metadata.pii_redacted and the import notes; adds to counts already there', () => {
    const r = record()
    r.metadata = {pii_redacted: {email: 2}}
    sanitizeRecord(r, undefined, {redactPii: true})
    assert.deepEqual(r.metadata.pii_redacted, {email: 8, card: 1, phone: 1})
    assert.deepEqual(importNotes(r)?.pii, {email: 6, card: 1, phone: 1})
  })

  test('off by default: nothing is redacted or noted', () => {
    const r = record()
    sanitizeRecord(r)
    assert.ok(JSON.stringify(r).includes(EMAIL))
    assert.equal(r.metadata.pii_redacted, undefined)
    assert.equal(importNotes(r), undefined)
  })
})
