// `kt import --redact-pii` as a user runs it: personal data in prompts, answers, tool calls, errors and metadata never
// reaches the database file (its bytes are read), the events show `[redacted:<kind>]`, each redacted record carries
// its counts by kind, the summary reports them, and the stored request hash is that of the stored (redacted) body.
// Without the flag the values are stored as before; a number shaped like a card that fails Luhn is kept either way.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import type {ImportSummary} from '../../src/app/import/import-files.js'
import {kt, tempDir} from '../support/cli.js'

const EMAIL = 'jane.doe@example.com'
const CARD = '4111 1111 1111 1111'
const IBAN = 'GB82 WEST 1234 5698 7654 32'
const PHONE = '+44 20 7946 0958'
const SSN = '123-45-6789'
const IP = '203.0.113.42'
/** 16 digits with a Visa prefix that fail Luhn: an order number, kept. */
const ORDER = '4111111111111112'
const PII = [EMAIL, CARD, IBAN, PHONE, SSN, IP, 'mark@shop.example.org']

/** An OpenAI chat request/response pair: PII in the prompt, the answer, a tool call and the wrapper's metadata. */
function openaiLine(i: number): string {
  return JSON.stringify({
    request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `Order ${ORDER}: refund card ${CARD} and mail ${EMAIL} (IBAN ${IBAN}, call ${PHONE}) #${i}`}]},
    response: {
      id: `chatcmpl-p${i}`,
      object: 'chat.completion',
      created: 1763600000 + i,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: {role: 'assistant', content: `Done, I wrote to ${EMAIL}.`, tool_calls: [{id: `call_${i}`, type: 'function', function: {name: 'notify', arguments: JSON.stringify({to: 'mark@shop.example.org', ssn: SSN})}}]},
          finish_reason: 'tool_calls',
        },
      ],
      usage: {prompt_tokens: 30, completion_tokens: 12, total_tokens: 42},
    },
    latency_ms: 300 + i,
    metadata: {client_ip: IP},
  })
}

/** A LiteLLM StandardLoggingPayload: PII in messages, the response and LiteLLM's own metadata. */
function litellmLine(): string {
  return JSON.stringify({
    id: 'chatcmpl-litellm-1',
    call_type: 'acompletion',
    status: 'success',
    startTime: 1741608000,
    endTime: 1741608001,
    model: 'gpt-4o',
    response_cost: 0.0002,
    messages: [{role: 'user', content: `My e-mail is ${EMAIL} and my IP ${IP}; order ${ORDER}`}],
    response: {id: 'chatcmpl-litellm-1', object: 'chat.completion', created: 1741608001, model: 'gpt-4o', choices: [{index: 0, finish_reason: 'stop', message: {role: 'assistant', content: `Noted, ${EMAIL}.`}}], usage: {prompt_tokens: 10, completion_tokens: 5, total_tokens: 15}},
    metadata: {user_api_key_user_email: EMAIL, requester_ip_address: IP},
    hidden_params: {},
  })
}

/** The database's bytes (with its WAL and any journal), as text to search. */
function dbBytes(db: string): string {
  return ['', '-wal', '-journal'].map((s) => (existsSync(db + s) ? readFileSync(db + s).toString('latin1') : '')).join('\n')
}

function rows(db: string, sql: string): Record<string, unknown>[] {
  const h = new Database(db, {readonly: true})
  try {
    return h.prepare(sql).all() as Record<string, unknown>[]
  } finally {
    h.close()
  }
}

function fixtures(dir: string): {openai: string; litellm: string} {
  const openai = join(dir, 'openai.jsonl')
  writeFileSync(openai, `${[openaiLine(1), openaiLine(2)].join('\n')}\n`)
  const litellm = join(dir, 'litellm.jsonl')
  writeFileSync(litellm, `${litellmLine()}\n`)
  return {openai, litellm}
}

describe('kt import --redact-pii', () => {
  for (const worker of ['0', '1']) {
    test(`no stored byte keeps a detected value; events show the placeholders and counts (KT_IMPORT_WORKER=${worker})`, () => {
      const dir = tempDir()
      const db = join(dir, 'kt.db')
      const {openai, litellm} = fixtures(dir)
      const r = kt(['import', openai, litellm, '--db', db, '--redact-pii', '--json'], {env: {KT_HOME: join(dir, 'home'), KT_IMPORT_WORKER: worker}})
      assert.equal(r.code, 0, r.stderr)
      const summary = JSON.parse(r.stdout) as ImportSummary
      assert.deepEqual(summary.files.map((f) => [f.format, f.imported]), [['openai-chat', 2], ['litellm', 1]])
      assert.deepEqual(summary.files[0]!.pii_redacted, {records: 2, kinds: {card: 2, email: 6, iban: 2, phone: 2, ip: 2, ssn: 2}})
      assert.deepEqual(summary.files[1]!.pii_redacted, {records: 1, kinds: {email: 2, ip: 1}})
      assert.deepEqual(summary.totals.pii_redacted, {records: 3, kinds: {card: 2, email: 8, iban: 2, phone: 2, ip: 3, ssn: 2}})

      const bytes = dbBytes(db)
      for (const v of PII) assert.ok(!bytes.includes(v), `${v} is in the database file`)
      assert.ok(bytes.includes(ORDER), 'the Luhn-invalid order number is kept')

      const evs = rows(db, 'SELECT source_format, request_json, response_json, response_text, metadata_json, request_hash FROM events ORDER BY source_format, source_locator')
      assert.equal(evs.length, 3)
      const first = evs.find((e) => e.source_format !== 'litellm')!
      const prompt = (JSON.parse(first.request_json as string) as {messages: {content: string}[]}).messages[0]!.content
      assert.match(prompt, /^Order 4111111111111112: refund card \[redacted:card\] and mail \[redacted:email\] \(IBAN \[redacted:iban\], call \[redacted:phone\]\) #\d$/)
      assert.match(first.response_text as string, /^Done, I wrote to \[redacted:email\]\.$/)
      assert.match(first.response_json as string, /\[redacted:ssn\]/)
      assert.deepEqual(JSON.parse(first.metadata_json as string).pii_redacted, {card: 1, email: 3, iban: 1, phone: 1, ip: 1, ssn: 1})
      const lite = evs.find((e) => e.source_format === 'litellm')!
      assert.match(lite.request_json as string, /My e-mail is \[redacted:email\] and my IP \[redacted:ip\]; order 4111111111111112/)
      assert.equal(lite.response_text, 'Noted, [redacted:email].')
      assert.deepEqual(JSON.parse(lite.metadata_json as string).pii_redacted, {email: 2, ip: 1})
      assert.ok(evs.every((e) => typeof e.request_hash === 'string'))
    })
  }

  test('the human summary reports the counts; a re-import is all duplicates; the request hash is of the stored body', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const {openai} = fixtures(dir)
    const env = {KT_HOME: join(dir, 'home')}
    const r = kt(['import', openai, '--db', db, '--redact-pii'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /PII redacted in 2 records: (?=.*email 6)(?=.*card 2)(?=.*iban 2)(?=.*phone 2)(?=.*ssn 2)(?=.*ip 2)/)
    const again = kt(['import', openai, '--db', db, '--redact-pii', '--json'], {env})
    const s = JSON.parse(again.stdout) as ImportSummary
    assert.deepEqual([s.totals.imported, s.totals.duplicates, s.totals.pii_redacted], [0, 2, {records: 0, kinds: {}}])
    // The stored body exported and imported as a plain request: the same hash (dedup and replay joins agree).
    const stored = rows(db, "SELECT request_json, request_hash FROM events ORDER BY source_locator LIMIT 1")[0]!
    const plain = join(dir, 'plain.jsonl')
    writeFileSync(plain, `${JSON.stringify({request: JSON.parse(stored.request_json as string), response: {id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'ok'}, finish_reason: 'stop'}]}})}\n`)
    const other = join(dir, 'other.db')
    assert.equal(kt(['import', plain, '--db', other], {env}).code, 0)
    assert.equal(rows(other, 'SELECT request_hash FROM events')[0]!.request_hash, stored.request_hash)
  })

  test('a kt export imported with --redact-pii keeps its ids, gets the hash of its redacted body and its counts', () => {
    const dir = tempDir()
    const env = {KT_HOME: join(dir, 'home')}
    const {openai} = fixtures(dir)
    const plainDb = join(dir, 'plain.db')
    assert.equal(kt(['import', openai, '--db', plainDb], {env}).code, 0)
    const exported = join(dir, 'export.jsonl')
    const ex = kt(['events', 'export', '--db', plainDb, '--include-bodies', '--format', 'jsonl', '--output', exported], {env})
    assert.equal(ex.code, 0, ex.stderr)
    assert.ok(readFileSync(exported, 'utf8').includes(EMAIL))
    const db = join(dir, 'kt.db')
    const r = kt(['import', exported, '--db', db, '--redact-pii', '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual((JSON.parse(r.stdout) as ImportSummary).totals.pii_redacted?.records, 2)
    for (const v of PII) assert.ok(!dbBytes(db).includes(v), `${v} is in the database file`)
    const before = rows(plainDb, 'SELECT event_id, request_hash FROM events ORDER BY event_id')
    const after = rows(db, 'SELECT event_id, request_hash, request_json FROM events ORDER BY event_id')
    assert.deepEqual(after.map((e) => e.event_id), before.map((e) => e.event_id))
    // The exported hash was of the logged body; the stored one is that of the redacted body (as a plain import gives).
    const plain = join(dir, 'redacted.jsonl')
    const first = after[0]!
    writeFileSync(plain, `${JSON.stringify({request: JSON.parse(first.request_json as string)})}\n`)
    const other = join(dir, 'other.db')
    assert.equal(kt(['import', plain, '--db', other], {env}).code, 0)
    assert.notEqual(first.request_hash, before[0]!.request_hash)
    assert.equal(first.request_hash, rows(other, 'SELECT request_hash FROM events')[0]!.request_hash)
  })

  test('without the flag the values are stored as logged and nothing is counted', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const {openai, litellm} = fixtures(dir)
    const r = kt(['import', openai, litellm, '--db', db, '--json'], {env: {KT_HOME: join(dir, 'home')}})
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout) as ImportSummary
    assert.equal(summary.totals.pii_redacted, undefined)
    assert.equal(summary.files[0]!.pii_redacted, undefined)
    const evs = rows(db, 'SELECT request_json, response_text, metadata_json FROM events')
    assert.ok(evs.some((e) => (e.request_json as string).includes(CARD) && (e.request_json as string).includes(EMAIL)))
    assert.ok(evs.some((e) => (e.response_text as string).includes(EMAIL)))
    assert.ok(evs.every((e) => !('pii_redacted' in JSON.parse(e.metadata_json as string))))
    assert.ok(!dbBytes(db).includes('[redacted:'))
  })
})
