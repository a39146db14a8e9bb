// LiteLLM importers (StandardLoggingPayload and SpendLogs) through the real import path: file → format
// detection → records → SQLite events table, read back with SQL.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {openDb} from '../../src/store/db.js'
import type {EventRow} from '../../src/records/index.js'
import {kt, tempDir} from '../support/cli.js'
import {closeWithin, DATA, detected, h16, importRows, json, PUBLIC_DATA, row} from '../support/import.js'

const REAL = join(PUBLIC_DATA, 'litellm')
const load = (file: string, format?: string) => importRows([file], {format})
const close = closeWithin(1e-9)

describe('litellm: public-sample StandardLoggingPayload', () => {
  const file = join(REAL, 'standard_logging_payload.json')

  test('is auto-detected as litellm', async () => {
    assert.equal(await detected(file), 'litellm')
  })

  test('imports one replayable chat record with the logged values', async () => {
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.error, null)
    assert.equal(summary.files[0]!.format, 'litellm')
    assert.equal(summary.totals.imported, 1)
    assert.equal(rows.length, 1)
    const r = rows[0]!
    assert.equal(r.source_id, 'chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f')
    assert.equal(r.model, 'gpt-4o')
    assert.equal(r.response_model, 'gpt-4o')
    assert.equal(r.provider, 'openai')
    assert.equal(r.api, 'openai.chat')
    // Naive "2025-01-24 09:20:46.847371" is UTC; latency keeps the microseconds: 851954 − 847371 µs.
    assert.equal(r.timestamp, '2025-01-24T09:20:46.847Z')
    assert.equal(r.timestamp_inferred, 0)
    assert.equal(r.latency_ms, 4.583)
    assert.equal(r.ttft_ms, 4.583, 'stream=true: completionStartTime − startTime is the TTFT')
    assert.equal(r.stream, 1)
    const req = json(r.request_json)
    assert.deepEqual(req, {model: 'gpt-4o', messages: [{role: 'user', content: 'Hello, world!'}], stream: true})
    assert.equal(r.response_text, 'hi')
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.status, 'ok')
    assert.equal(r.error_type, null)
    assert.equal(r.input_tokens, 10)
    assert.equal(r.output_tokens, 20)
    assert.equal(r.total_tokens, 30)
    assert.equal(r.cached_input_tokens, null)
    close(r.cost_usd, 0.000225)
    assert.equal(r.cost_source, 'reported')
    assert.equal(r.replayable, 1)
    assert.deepEqual(json(r.tags), [])
    const meta = json(r.metadata_json)
    assert.equal(meta.request_synthesized, true)
    assert.equal(meta.api_base, 'https://api.openai.com')
    assert.equal(meta.litellm_model_name, 'gpt-4o')
    assert.equal(r.trace_id, null)
  })
})

describe('litellm-spend-logs: public-sample SpendLogs row', () => {
  const file = join(REAL, 'spend_logs_payload.json')

  test('is auto-detected as litellm-spend-logs', async () => {
    assert.equal(await detected(file), 'litellm-spend-logs')
  })

  test('imports a metrics-only record (messages and response are "{}")', async () => {
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.error, null)
    assert.equal(summary.totals.imported, 0)
    assert.equal(summary.totals.not_replayable, 1)
    const r = rows[0]!
    assert.equal(r.source_id, 'chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027')
    assert.equal(r.model, 'gpt-4o')
    assert.equal(r.provider, 'openai')
    assert.equal(r.api, 'openai.chat')
    assert.equal(r.timestamp, '2025-01-24T09:20:46.847Z')
    assert.equal(r.latency_ms, 4.583)
    assert.equal(r.ttft_ms, null, 'completionStartTime == endTime: not a streamed first token')
    assert.equal(r.request_json, null)
    assert.equal(r.response_text, null)
    assert.equal(r.finish_reason, null)
    assert.equal(r.status, 'ok')
    assert.equal(r.input_tokens, 10)
    assert.equal(r.output_tokens, 20)
    assert.equal(r.total_tokens, 30)
    close(r.cost_usd, 0.000225)
    assert.equal(r.cost_source, 'reported')
    assert.equal(r.session_id, '1234567890')
    assert.equal(r.replayable, 0)
    assert.deepEqual(json(r.tags), [])
    assert.equal(json(r.metadata_json).content_not_logged, true)
  })
})

describe('litellm: synthetic StandardLoggingPayload JSONL', () => {
  const file = join(DATA, 'litellm-standard-logging.jsonl')

  test('imports 4 calls, skips the embedding call with its call_type', async () => {
    assert.equal(await detected(file), 'litellm')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.imported, 3)
    assert.equal(s.not_replayable, 1)
    assert.equal(s.skipped, 1)
    assert.equal(s.rejected, 0)
    assert.match(s.reasons[0]!.reason, /call_type "aembedding" is not a chat or text generation/)
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:4`])
    assert.equal(rows.length, 4)
  })

  test('streamed Azure chat: float epoch times, ttft, tools merged into the synthesised body, cached tokens', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-A1')
    assert.equal(r.provider, 'azure_openai')
    assert.equal(r.api, 'openai.chat')
    assert.equal(r.model, 'gpt-4o-mini')
    assert.equal(r.response_model, 'gpt-4o-mini-2024-07-18')
    assert.equal(r.timestamp, '2025-03-10T12:00:00.250Z')
    assert.equal(r.latency_ms, 1500)
    assert.equal(r.ttft_ms, 400)
    assert.equal(r.stream, 1)
    const req = json(r.request_json)
    assert.equal(req.model, 'gpt-4o-mini')
    assert.equal(req.messages[1].content, 'Book me a flight to Lisbon on May 3')
    assert.equal(req.temperature, 0.2)
    assert.equal(req.max_tokens, 256)
    assert.equal(req.tools[0].function.name, 'search_flights')
    assert.equal(req.tool_choice, 'auto')
    assert.equal(req.stream, true)
    assert.ok(!('extra_body' in req), 'empty extra_body is not sent')
    const resp = json(r.response_json)
    assert.deepEqual(resp.choices[0].message.tool_calls[0].function, {name: 'search_flights', arguments: '{"destination":"LIS","date":"2025-05-03"}'})
    assert.equal(r.response_text, null)
    assert.equal(r.finish_reason, 'tool_calls')
    assert.equal(r.input_tokens, 1250)
    assert.equal(r.cached_input_tokens, 1024)
    assert.equal(r.output_tokens, 37)
    assert.equal(r.reasoning_tokens, 0)
    assert.equal(r.total_tokens, 1287)
    close(r.cost_usd, 0.00041)
    assert.deepEqual(json(r.tags), ['prod', 'flights'])
    assert.equal(r.trace_id, 'trace-A')
    assert.equal(r.replayable, 1)
  })

  test('PII: user_api_key_*, end user and e-mail are hashed, the requester IP dropped', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-A1')
    for (const secret of ['customer-555', '203.0.113.7', 'dev@example.com', 'checkout-service', 'team-payments', 'u-1001']) {
      assert.ok(!r.metadata_json.includes(secret), `metadata leaks ${secret}`)
      assert.ok(!(r.request_json ?? '').includes(secret), `request leaks ${secret}`)
    }
    assert.equal(r.user_id_hash, h16('customer-555'))
    const meta = json(r.metadata_json)
    assert.equal(meta.user_api_key_alias_hash, h16('checkout-service'))
    assert.equal(meta.user_api_key_team_id_hash, h16('team-payments'))
    assert.deepEqual(meta.requester_metadata, {feature: 'flight-search'})
    assert.equal(meta.model_group, 'travel-default')
  })

  test('failed retry shares the trace_id and carries error_information', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'litellm-call-A2')
    assert.equal(r.trace_id, 'trace-A')
    assert.equal(r.status, 'error')
    assert.equal(r.error_type, 'RateLimitError')
    assert.equal(r.error_code, '429')
    assert.equal(r.http_status, 429)
    assert.equal(r.error_message, 'AzureException - Rate limit reached')
    assert.equal(r.response_json, null)
    assert.equal(r.latency_ms, 125)
    assert.equal(r.ttft_ms, null)
    assert.equal(json(r.request_json).messages[0].content, 'You are a travel agent.')
  })

  test('redacted-by-litellm: metrics only, no sentinel text stored', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-R3')
    assert.equal(r.replayable, 0)
    assert.equal(r.request_json, null)
    assert.equal(r.response_text, null)
    assert.equal(r.response_json, null)
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.latency_ms, 812.5)
    assert.equal(r.input_tokens, 12)
    assert.equal(r.output_tokens, 18)
    assert.equal(json(r.metadata_json).content_redacted, true)
  })

  test('Anthropic via LiteLLM: prompt_tokens already include cache reads and writes', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-C5')
    assert.equal(r.provider, 'anthropic')
    assert.equal(r.api, 'openai.chat')
    assert.equal(r.input_tokens, 1540)
    assert.equal(r.cached_input_tokens, 1200)
    assert.equal(r.cache_write_tokens, 300)
    assert.equal(r.output_tokens, 50)
    assert.equal(r.total_tokens, 1590)
    assert.equal(r.response_text, 'The policy covers refunds within 30 days.')
    assert.equal(r.ttft_ms, null)
    assert.equal(json(r.request_json).max_tokens, 1024)
  })
})

describe('litellm-spend-logs: synthetic CSV export', () => {
  const file = join(DATA, 'litellm-spend-logs.csv')

  test('is detected from the CSV header and imports 3 rows, skipping the embedding row', async () => {
    assert.equal(await detected(file), 'litellm-spend-logs')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.imported, 2)
    assert.equal(s.not_replayable, 1)
    assert.equal(s.skipped, 1)
    assert.equal(rows.length, 3)
  })

  test('proxy_server_request is the original body; JSON-string columns are decoded', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-S1')
    const req = json(r.request_json)
    assert.equal(req.model, 'travel-default', 'the body the client sent, with the public alias')
    assert.deepEqual(req.messages, [{role: 'user', content: 'What is the refund window?'}])
    assert.equal(req.temperature, 0.1)
    assert.ok(!('metadata' in req), "the proxy's metadata (headers) is not part of the body")
    assert.ok(!r.request_json!.includes('alice'))
    assert.equal(json(r.metadata_json).request_synthesized, undefined)
    assert.equal(r.model, 'gpt-4o-mini')
    assert.equal(r.response_model, 'gpt-4o-mini-2024-07-18')
    assert.equal(r.response_text, 'Refunds are accepted within 30 days of purchase.')
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.timestamp, '2025-03-10T12:00:00.250Z')
    assert.equal(r.latency_ms, 1500)
    assert.equal(r.ttft_ms, 400)
    assert.equal(r.stream, 1)
    assert.equal(r.input_tokens, 1250)
    assert.equal(r.cached_input_tokens, 1024)
    assert.equal(r.output_tokens, 37)
    assert.equal(r.total_tokens, 1287)
    close(r.cost_usd, 0.000318)
    assert.deepEqual(json(r.tags), ['prod', 'checkout'])
    assert.equal(r.session_id, 'sess-1')
    assert.equal(r.user_id_hash, h16('customer-555'))
    assert.equal(json(r.metadata_json).cache_hit, false)
    assert.equal(r.replayable, 1)
  })

  test('cache hit with prompts not stored: metrics only, cache_hit "True" → true', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'chatcmpl-S2')
    assert.equal(r.replayable, 0)
    assert.equal(r.request_json, null)
    assert.equal(json(r.metadata_json).cache_hit, true)
    assert.equal(r.cost_usd, 0)
    assert.equal(r.latency_ms, 9)
    assert.equal(r.input_tokens, 10)
  })

  test('failure row: error from metadata.error_information, body synthesised from messages', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'fail-S4')
    assert.equal(r.status, 'error')
    assert.equal(r.error_type, 'BadRequestError')
    assert.equal(r.http_status, 400)
    assert.match(r.error_message ?? '', /maximum context length/)
    assert.deepEqual(json(r.request_json), {model: 'gpt-4o', messages: [{role: 'user', content: 'Summarise this very long document ...'}]})
    assert.equal(json(r.metadata_json).request_synthesized, true)
  })
})

describe('litellm-spend-logs: /spend/logs API JSONL (JSON columns as objects)', () => {
  const file = join(DATA, 'litellm-spend-logs-api.jsonl')

  test('Responses API call and a metrics-only row', async () => {
    assert.equal(await detected(file), 'litellm-spend-logs')
    const {summary, rows} = await load(file)
    assert.equal(summary.totals.imported, 1)
    assert.equal(summary.totals.not_replayable, 1)
    const r = row(rows, 'resp_S5')
    assert.equal(r.api, 'openai.responses')
    assert.equal(json(r.request_json).input, 'What is the capital of France?')
    assert.equal(r.response_text, 'Paris is the capital of France.')
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.finish_reason_raw, 'completed')
    assert.equal(r.input_tokens, 100)
    assert.equal(r.output_tokens, 60)
    assert.equal(r.total_tokens, 160)
    assert.equal(r.latency_ms, 1500)
    close(r.cost_usd, 0.00052)
    const m = row(rows, 'chatcmpl-S6')
    assert.equal(m.replayable, 0)
    assert.equal(m.latency_ms, 400)
  })
})

describe('litellm: --format forcing', () => {
  test('forcing litellm on a SpendLogs row fails the file and names the right format', async () => {
    const {summary, rows} = await load(join(REAL, 'spend_logs_payload.json'), 'litellm')
    assert.equal(rows.length, 0)
    assert.match(summary.files[0]!.error ?? '', /is not litellm data \(it looks like litellm-spend-logs; try --format litellm-spend-logs/)
  })

  test('forcing litellm-spend-logs on a StandardLoggingPayload fails clearly', async () => {
    const {summary} = await load(join(REAL, 'standard_logging_payload.json'), 'litellm-spend-logs')
    assert.match(summary.files[0]!.error ?? '', /is not litellm-spend-logs data \(it looks like litellm;/)
  })

  test('forcing litellm (JSON only) on a CSV file names the shape', async () => {
    const {summary} = await load(join(DATA, 'litellm-spend-logs.csv'), 'litellm')
    assert.match(summary.files[0]!.error ?? '', /--format litellm reads jsonl\/json files, but this file is csv/)
  })
})

describe('litellm: CLI', () => {
  test('kt import --json on the public-sample payload stores the record and exits 0', () => {
    const db = join(tempDir(), 'kt.db')
    const res = kt(['import', join(REAL, 'standard_logging_payload.json'), '--db', db, '--json'])
    assert.equal(res.code, 0, res.stderr)
    const out = JSON.parse(res.stdout)
    assert.equal(out.files[0].format, 'litellm')
    assert.equal(out.totals.imported, 1)
    const handle = openDb(db)
    try {
      const r = handle.prepare('SELECT model, response_text, latency_ms FROM events').get() as Pick<EventRow, 'model' | 'response_text' | 'latency_ms'>
      assert.deepEqual({...r}, {model: 'gpt-4o', response_text: 'hi', latency_ms: 4.583})
    } finally {
      handle.close()
    }
  })
})
