// LiteLLM importers (StandardLoggingPayload and SpendLogs) through the real import path: file → format
// detection → records → SQLite events table, read back with SQL and checked as tables of expected columns.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {DATA, detected, expectImport, h16, jsonHas, jsonIs, near, PUBLIC_DATA, row, tmpFile} from '../support/import.js'

const REAL = join(PUBLIC_DATA, 'litellm')

describe('litellm: public-sample StandardLoggingPayload', () => {
  const file = join(REAL, 'standard_logging_payload.json')

  test('is auto-detected as litellm', async () => {
    assert.equal(await detected(file), 'litellm')
  })

  test('imports one replayable chat record with the logged values', async () => {
    await expectImport([file], {
      files: [{error: null, format: 'litellm'}],
      totals: {imported: 1},
      count: 1,
      rows: {
        'chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f': {
          model: 'gpt-4o',
          response_model: 'gpt-4o',
          provider: 'openai',
          api: 'openai.chat',
          // Naive "2025-01-24 09:20:46.847371" is UTC; latency keeps the microseconds: 851954 − 847371 µs.
          timestamp: '2025-01-24T09:20:46.847Z',
          timestamp_inferred: 0,
          latency_ms: 4.583,
          ttft_ms: 4.583, // stream=true: completionStartTime − startTime is the TTFT
          stream: 1,
          request_json: jsonIs({model: 'gpt-4o', messages: [{role: 'user', content: 'Hello, world!'}], stream: true}),
          response_text: 'hi',
          finish_reason: 'stop',
          status: 'ok',
          error_type: null,
          input_tokens: 10,
          output_tokens: 20,
          total_tokens: 30,
          cached_input_tokens: null,
          cost_usd: near(0.000225),
          cost_source: 'reported',
          replayable: 1,
          tags: jsonIs([]),
          metadata_json: jsonHas({request_synthesized: true, api_base: 'https://api.openai.com', litellm_model_name: 'gpt-4o'}),
          trace_id: null,
        },
      },
    })
  })
})

describe('litellm-spend-logs: public-sample SpendLogs row', () => {
  const file = join(REAL, 'spend_logs_payload.json')

  test('is auto-detected as litellm-spend-logs', async () => {
    assert.equal(await detected(file), 'litellm-spend-logs')
  })

  test('imports a metrics-only record (messages and response are "{}")', async () => {
    await expectImport([file], {
      files: [{error: null}],
      totals: {imported: 0, not_replayable: 1},
      rows: {
        'chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027': {
          model: 'gpt-4o',
          provider: 'openai',
          api: 'openai.chat',
          timestamp: '2025-01-24T09:20:46.847Z',
          latency_ms: 4.583,
          ttft_ms: null, // completionStartTime == endTime: not a streamed first token
          request_json: null,
          response_text: null,
          finish_reason: null,
          status: 'ok',
          input_tokens: 10,
          output_tokens: 20,
          total_tokens: 30,
          cost_usd: near(0.000225),
          cost_source: 'reported',
          session_id: '1234567890',
          replayable: 0,
          tags: jsonIs([]),
          metadata_json: jsonHas({content_not_logged: true}),
        },
      },
    })
  })
})

describe('litellm: synthetic StandardLoggingPayload JSONL', () => {
  const file = join(DATA, 'litellm-standard-logging.jsonl')

  test('imports 4 calls, skips the embedding call with its call_type', async () => {
    assert.equal(await detected(file), 'litellm')
    const {summary} = await expectImport([file], {files: [{error: null, imported: 3, not_replayable: 1, skipped: 1, rejected: 0}], count: 4})
    assert.match(summary.files[0]!.reasons[0]!.reason, /call_type "aembedding" is not a chat or text generation/)
    assert.deepEqual(summary.files[0]!.reasons[0]!.locations, [`${file}:4`])
  })

  test('every call as stored: Azure stream with tools and cached tokens, failed retry, redacted, Anthropic via LiteLLM', async () => {
    const {rows} = await expectImport([file], {
      rows: {
        // Float epoch times, ttft, tools merged into the synthesised body, cached tokens.
        'chatcmpl-A1': {
          provider: 'azure_openai',
          api: 'openai.chat',
          model: 'gpt-4o-mini',
          response_model: 'gpt-4o-mini-2024-07-18',
          timestamp: '2025-03-10T12:00:00.250Z',
          latency_ms: 1500,
          ttft_ms: 400,
          stream: 1,
          request_json: jsonHas({model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 256, tool_choice: 'auto', stream: true}),
          response_text: null,
          finish_reason: 'tool_calls',
          input_tokens: 1250,
          cached_input_tokens: 1024,
          output_tokens: 37,
          reasoning_tokens: 0,
          total_tokens: 1287,
          cost_usd: near(0.00041),
          tags: jsonIs(['prod', 'flights']),
          trace_id: 'trace-A',
          replayable: 1,
          user_id_hash: h16('customer-555'),
          metadata_json: jsonHas({user_api_key_alias_hash: h16('checkout-service'), user_api_key_team_id_hash: h16('team-payments'), requester_metadata: {feature: 'flight-search'}, model_group: 'travel-default'}),
        },
        // A failed retry shares the trace_id and carries error_information.
        'litellm-call-A2': {
          trace_id: 'trace-A',
          status: 'error',
          error_type: 'RateLimitError',
          error_code: '429',
          http_status: 429,
          error_message: 'AzureException - Rate limit reached',
          response_json: null,
          latency_ms: 125,
          ttft_ms: null,
        },
        // redacted-by-litellm: metrics only, no sentinel text stored.
        'chatcmpl-R3': {
          replayable: 0,
          request_json: null,
          response_text: null,
          response_json: null,
          finish_reason: 'stop',
          latency_ms: 812.5,
          input_tokens: 12,
          output_tokens: 18,
          metadata_json: jsonHas({content_redacted: true}),
        },
        // prompt_tokens already include cache reads and writes.
        'chatcmpl-C5': {
          provider: 'anthropic',
          api: 'openai.chat',
          input_tokens: 1540,
          cached_input_tokens: 1200,
          cache_write_tokens: 300,
          output_tokens: 50,
          total_tokens: 1590,
          response_text: 'The policy covers refunds within 30 days.',
          ttft_ms: null,
          request_json: jsonHas({max_tokens: 1024}),
        },
      },
    })
    const a1 = row(rows, 'chatcmpl-A1')
    const req = JSON.parse(a1.request_json!) as {messages: {content: string}[]; tools: {function: {name: string}}[]}
    assert.equal(req.messages[1]!.content, 'Book me a flight to Lisbon on May 3')
    assert.equal(req.tools[0]!.function.name, 'search_flights')
    assert.ok(!('extra_body' in req), 'empty extra_body is not sent')
    const resp = JSON.parse(a1.response_json!) as {choices: {message: {tool_calls: {function: unknown}[]}}[]}
    assert.deepEqual(resp.choices[0]!.message.tool_calls[0]!.function, {name: 'search_flights', arguments: '{"destination":"LIS","date":"2025-05-03"}'})
    // PII: user_api_key_*, end user and e-mail are hashed, the requester IP dropped.
    for (const secret of ['customer-555', '203.0.113.7', 'dev@example.com', 'checkout-service', 'team-payments', 'u-1001']) {
      assert.ok(!a1.metadata_json.includes(secret), `metadata leaks ${secret}`)
      assert.ok(!(a1.request_json ?? '').includes(secret), `request leaks ${secret}`)
    }
    assert.equal((JSON.parse(row(rows, 'litellm-call-A2').request_json!) as {messages: {content: string}[]}).messages[0]!.content, 'You are a travel agent.')
  })
})

describe('litellm-spend-logs: synthetic CSV export', () => {
  const file = join(DATA, 'litellm-spend-logs.csv')

  test('is detected from the CSV header and imports 3 rows, skipping the embedding row', async () => {
    assert.equal(await detected(file), 'litellm-spend-logs')
    await expectImport([file], {files: [{error: null, imported: 2, not_replayable: 1, skipped: 1}], count: 3})
  })

  test('every row as stored: the original body, a metrics-only cache hit, a failure', async () => {
    const {rows} = await expectImport([file], {
      rows: {
        // proxy_server_request is the original body (with the public alias); JSON-string columns are decoded.
        'chatcmpl-S1': {
          request_json: jsonHas({model: 'travel-default', messages: [{role: 'user', content: 'What is the refund window?'}], temperature: 0.1, metadata: undefined}),
          metadata_json: jsonHas({request_synthesized: undefined, cache_hit: false}),
          model: 'gpt-4o-mini',
          response_model: 'gpt-4o-mini-2024-07-18',
          response_text: 'Refunds are accepted within 30 days of purchase.',
          finish_reason: 'stop',
          timestamp: '2025-03-10T12:00:00.250Z',
          latency_ms: 1500,
          ttft_ms: 400,
          stream: 1,
          input_tokens: 1250,
          cached_input_tokens: 1024,
          output_tokens: 37,
          total_tokens: 1287,
          cost_usd: near(0.000318),
          tags: jsonIs(['prod', 'checkout']),
          session_id: 'sess-1',
          user_id_hash: h16('customer-555'),
          replayable: 1,
        },
        // A cache hit with prompts not stored: metrics only, cache_hit "True" → true.
        'chatcmpl-S2': {replayable: 0, request_json: null, metadata_json: jsonHas({cache_hit: true}), cost_usd: 0, latency_ms: 9, input_tokens: 10},
        // A failure row: error from metadata.error_information, body synthesised from messages.
        'fail-S4': {
          status: 'error',
          error_type: 'BadRequestError',
          http_status: 400,
          error_message: /maximum context length/,
          request_json: jsonIs({model: 'gpt-4o', messages: [{role: 'user', content: 'Summarise this very long document ...'}]}),
          metadata_json: jsonHas({request_synthesized: true}),
        },
      },
    })
    assert.ok(!row(rows, 'chatcmpl-S1').request_json!.includes('alice'), "the proxy's metadata (headers) is not part of the body")
  })
})

describe('litellm-spend-logs: /spend/logs API JSONL (JSON columns as objects)', () => {
  test('Responses API call and a metrics-only row', async () => {
    const file = join(DATA, 'litellm-spend-logs-api.jsonl')
    assert.equal(await detected(file), 'litellm-spend-logs')
    await expectImport([file], {
      totals: {imported: 1, not_replayable: 1},
      rows: {
        resp_S5: {
          api: 'openai.responses',
          request_json: jsonHas({input: 'What is the capital of France?'}),
          response_text: 'Paris is the capital of France.',
          finish_reason: 'stop',
          finish_reason_raw: 'completed',
          input_tokens: 100,
          output_tokens: 60,
          total_tokens: 160,
          latency_ms: 1500,
          cost_usd: near(0.00052),
        },
        'chatcmpl-S6': {replayable: 0, latency_ms: 400},
      },
    })
  })
})

describe('litellm: silent experiments are shadow traffic', () => {
  test('metadata.is_silent_experiment (payload and SpendLogs) imports as a shadow event, the real call as plain traffic', async () => {
    const base = {call_type: 'acompletion', startTime: 1741608000, endTime: 1741608001, model: 'gpt-4o-mini', messages: [{role: 'user', content: 'Where is my order?'}], response_cost: 0.0001, hidden_params: {}}
    const answer = (id: string) => ({id, object: 'chat.completion', created: 1741608001, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'On its way.'}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 3, total_tokens: 8}})
    const payload = tmpFile('silent.jsonl', [
      {...base, id: 'real', response: answer('chatcmpl-real'), metadata: {}},
      {...base, id: 'shadow', model: 'gpt-4.1-mini', response: answer('chatcmpl-shadow'), metadata: {is_silent_experiment: true}},
    ].map((l) => JSON.stringify(l)).join('\n'))
    await expectImport([payload], {count: 2, rows: {real: {traffic_role: null, replayable: 1}, shadow: {traffic_role: 'shadow', replayable: 1}}})
    const spend = tmpFile('silent-spend.jsonl', JSON.stringify({request_id: 'sp-1', call_type: 'acompletion', spend: 0.0001, startTime: '2025-03-10T12:00:00Z', endTime: '2025-03-10T12:00:01Z', model: 'gpt-4.1-mini', metadata: JSON.stringify({is_silent_experiment: 'True'})}))
    await expectImport([spend], {rows: {'sp-1': {traffic_role: 'shadow'}}})
  })
})

describe('litellm: --format forcing', () => {
  test('forcing litellm on a SpendLogs row fails the file and names the right format', async () => {
    const {summary} = await expectImport([join(REAL, 'spend_logs_payload.json')], {format: 'litellm', count: 0})
    assert.match(summary.files[0]!.error ?? '', /is not litellm data \(it looks like litellm-spend-logs; try --format litellm-spend-logs/)
  })

  test('forcing litellm-spend-logs on a StandardLoggingPayload fails clearly', async () => {
    const {summary} = await expectImport([join(REAL, 'standard_logging_payload.json')], {format: 'litellm-spend-logs', count: 0})
    assert.match(summary.files[0]!.error ?? '', /is not litellm-spend-logs data \(it looks like litellm;/)
  })

  test('forcing litellm (JSON only) on a CSV file names the shape', async () => {
    const {summary} = await expectImport([join(DATA, 'litellm-spend-logs.csv')], {format: 'litellm', count: 0})
    assert.match(summary.files[0]!.error ?? '', /--format litellm reads jsonl\/json files, but this file is csv/)
  })
})
