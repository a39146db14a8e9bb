// OpenTelemetry importer (OTLP/JSON envelopes and flat span-attribute maps in the GenAI, deprecated GenAI,
// OpenInference and OpenLLMetry conventions) through the real import path, read back with SQL and checked as
// tables of expected columns.
import assert from 'node:assert/strict'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {DATA, detected, expectImport, expectRow, h16, jsonHas, jsonIs, PUBLIC_DATA, row, tmpFile, type RowExpect} from '../support/import.js'

const REAL = join(PUBLIC_DATA, 'otel')

/** The conversation all three public-sample attribute maps describe (user → assistant tool call → tool result). */
const WEATHER: RowExpect = {
  request_json: jsonHas({
    model: 'gpt-4',
    messages: [
      {role: 'user', content: 'Weather in Paris?'},
      {
        role: 'assistant',
        content: 'Absolutely! Let me check the weather for you.',
        tool_calls: [{id: '1234', type: 'function', function: {name: 'get_weather', arguments: '{"location":"Paris"}'}}],
      },
      {role: 'tool', tool_call_id: '1234', content: 'rainy, 57°F'},
    ],
    temperature: 0.5,
    top_p: 0.9,
  }),
  response_text: 'The weather in Paris is currently rainy with a temperature of 57°F.',
  finish_reason: 'stop',
  model: 'gpt-4',
  response_model: 'gpt-4-0613',
  provider: 'openai',
  api: 'openai.chat',
  status: 'ok',
  input_tokens: 97,
  output_tokens: 52,
  total_tokens: 149,
  cached_input_tokens: null,
  cost_source: 'estimated', // no cost attribute in these spans: kt prices the usage itself
  replayable: 1,
  // Attribute maps carry no span times: file mtime, flagged.
  timestamp_inferred: 1,
  latency_ms: null,
  ttft_ms: null,
}

describe('otel: public-sample flat span-attribute maps', () => {
  const conventions: [string, string, RowExpect][] = [
    ['otel-genai-span-attributes.json', 'genai', {request_json: jsonHas({max_tokens: 200}), source_id: 'chatcmpl-CQF10eCkoFphJZJQkzzN6EkTD0AVF'}],
    ['otel-genai-deprecated-span-attributes.json', 'genai-deprecated', {}],
    ['openinference-span-attributes.json', 'openinference', {request_json: jsonHas({max_completion_tokens: 200})}],
  ]
  for (const [name, convention, extra] of conventions) {
    test(`${name}: the weather conversation in the ${convention} convention`, async () => {
      const file = join(REAL, name)
      assert.equal(await detected(file), 'otel')
      const {rows} = await expectImport([file], {totals: {imported: 1}, count: 1, rows: {'#0': {...WEATHER, metadata_json: jsonHas({request_synthesized: true, otel_convention: convention}), timestamp: statSync(file).mtime.toISOString()}}})
      expectRow(rows[0]!, extra)
    })
  }

  test('the same call in two conventions is one event: the second import is a duplicate', async () => {
    await expectImport([join(REAL, 'otel-genai-span-attributes.json'), join(REAL, 'otel-genai-deprecated-span-attributes.json')], {totals: {imported: 1, duplicates: 1}})
  })
})

describe('otel: public-sample OTLP/JSON example without GenAI spans', () => {
  const file = join(REAL, 'otlp-json-trace-example.json')

  test('imports 0 records and reports the span as skipped with a reason', async () => {
    assert.equal(await detected(file), 'otel')
    const {summary} = await expectImport([file], {files: [{error: null, format: 'otel', imported: 0, not_replayable: 0, skipped: 1, rejected: 0}], count: 0})
    const s = summary.files[0]!
    assert.equal(s.reasons[0]!.reason, 'not an LLM call: the span has no GenAI (gen_ai.*), OpenInference or OpenLLMetry attributes')
    // Upper-case hex ids are normalised to lower case in the location.
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:document span 5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174`])
  })

  test('forcing litellm on it fails with a clear message', async () => {
    const {summary} = await expectImport([file], {format: 'litellm', count: 0})
    assert.match(summary.files[0]!.error ?? '', /document is not litellm data \(it looks like otel; try --format otel/)
  })
})

describe('otel: synthetic collector file-exporter JSONL (one envelope per line)', () => {
  const file = join(DATA, 'otlp-genai-traces.jsonl')

  test('imports the LLM spans, skips agent, tool and embedding spans with reasons', async () => {
    assert.equal(await detected(file), 'otel')
    const {summary} = await expectImport([file], {files: [{error: null, imported: 4, not_replayable: 1, skipped: 3, rejected: 0}], count: 5})
    const reasons = summary.files[0]!.reasons.map((r) => r.reason)
    assert.ok(reasons.some((r) => /^agent span \(gen_ai.operation.name invoke_agent\)/.test(r)), reasons.join(' | '))
    assert.ok(reasons.some((r) => /^tool execution span/.test(r)))
    assert.ok(reasons.some((r) => /^embeddings span/.test(r)))
  })

  test('every span as stored: GenAI chat and its second turn, OpenLLMetry, an error span, a Langfuse span', async () => {
    const {rows} = await expectImport([file], {
      rows: {
        // GenAI chat span: hex ids, 19-digit string nanos, system instructions, tools, tool-call output, cached tokens.
        b2b2b2b2b2b2b2b2: {
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          source_locator: 'line 1 span 4bf92f3577b34da6a3ce929d0e0e4736:b2b2b2b2b2b2b2b2',
          timestamp: '2025-03-10T12:00:00.123Z',
          // 1741608001456789012 − 1741608000123456789 ns = 1333.332223 ms, kept to the µs.
          latency_ms: 1333.332,
          provider: 'openai',
          model: 'gpt-4o-mini',
          response_model: 'gpt-4o-mini-2024-07-18',
          request_json: jsonHas({
            messages: [
              {role: 'system', content: 'You are a travel agent.'},
              {role: 'user', content: 'Book me a flight to Lisbon on May 3'},
            ],
            temperature: 0.2,
            max_tokens: 300,
          }),
          response_json: jsonHas({
            id: 'chatcmpl-OT1',
            choices: [{index: 0, message: {role: 'assistant', content: null, tool_calls: [{id: 'call_abc', type: 'function', function: {name: 'search_flights', arguments: '{"destination":"LIS","date":"2025-05-03"}'}}]}, finish_reason: 'tool_calls'}],
          }),
          response_text: null,
          finish_reason: 'tool_calls',
          input_tokens: 1250,
          cached_input_tokens: 1024,
          output_tokens: 87,
          total_tokens: 1337,
          session_id: 'conv-77',
          app: 'travel-api',
          environment: 'prod',
          status: 'ok',
          metadata_json: jsonHas({span_kind: 'client', parent_span_id: 'a1a1a1a1a1a1a1a1', response_id: 'chatcmpl-OT1'}),
        },
        // Second turn: tool result in the synthesised body, streamed with time_to_first_chunk.
        d4d4d4d4d4d4d4d4: {
          request_json: jsonHas({stream: true}),
          stream: 1,
          ttft_ms: 210,
          latency_ms: 2500,
          response_text: 'I found 3 flights; the cheapest is TP1351.',
          finish_reason: 'stop',
          input_tokens: 1400,
          output_tokens: 60,
          replayable: 1,
        },
        // OpenLLMetry span: snake_case envelope, base64 ids, enum kind, unquoted 19-digit nanos.
        b7ad6b7169203331: {
          trace_id: '0af7651916cd43dd8448eb211c80319c',
          timestamp: '2025-03-10T12:00:10.000Z',
          latency_ms: 2500,
          provider: 'anthropic', // "Anthropic" (old OpenLLMetry casing) normalised
          model: 'claude-3-5-haiku-20241022',
          request_json: jsonIs({model: 'claude-3-5-haiku-20241022', messages: [{role: 'user', content: 'Summarise: the meeting moved to Friday.'}], max_tokens: 400}),
          response_text: 'Meeting now on Friday.',
          finish_reason: 'stop',
          finish_reason_raw: 'end_turn',
          input_tokens: 40,
          output_tokens: 8,
          total_tokens: 48,
          session_id: 'sess-xyz',
          user_id_hash: h16('alice@example.com'),
          metadata_json: jsonHas({otel_convention: 'openllmetry', span_kind: 'client'}),
        },
        // An error span without captured content: status, error, metrics only.
        '00f067aa0ba902b7': {
          status: 'error',
          error_type: 'timeout',
          error_message: 'Request timed out.',
          replayable: 0,
          request_json: null,
          response_text: null,
          input_tokens: null,
          latency_ms: 30000,
          model: 'gpt-4o',
          metadata_json: jsonHas({content_captured: false}),
        },
        // A span with Langfuse attributes inside an OTLP envelope is mapped by the Langfuse rules.
        '99aabbccddeeff00': {
          source_format: 'otel',
          model: 'gpt-3.5-turbo',
          request_json: jsonHas({messages: [{role: 'user', content: 'Hello!'}]}),
          response_text: 'Hi there!',
          latency_ms: 750,
          timestamp: '2025-03-10T12:01:10.000Z',
          total_tokens: 12,
          cost_usd: 0.000012,
          tags: jsonIs(['otlp']),
          user_id_hash: h16('bob'),
        },
      },
    })
    const second = JSON.parse(row(rows, 'd4d4d4d4d4d4d4d4').request_json!) as {messages: Record<string, unknown>[]}
    assert.equal((second.messages[1]!.tool_calls as {id: string}[])[0]!.id, 'call_abc')
    assert.deepEqual(second.messages[2], {role: 'tool', tool_call_id: 'call_abc', content: '{"flights":3,"cheapest":"TP1351"}'})
    assert.equal((JSON.parse(row(rows, 'b2b2b2b2b2b2b2b2').request_json!) as {tools: {function: {name: string}}[]}).tools[0]!.function.name, 'search_flights')
    assert.ok(!row(rows, 'b7ad6b7169203331').metadata_json.includes('alice'), 'association user_id is not stored in clear')
  })
})

describe('otel: other span dumps', () => {
  test('single span with a KV attribute list, Python-style 0x ids and ISO times; OpenInference CHAIN skipped', async () => {
    const span = {
      name: 'ChatOpenAI',
      context: {trace_id: '0x5b8efff798038103d269b633813fc60c', span_id: '0x0000000000000abc'},
      kind: 'SpanKind.CLIENT',
      start_time: '2025-03-10T12:00:00.000000Z',
      end_time: '2025-03-10T12:00:01.250000Z',
      status: {status_code: 'ERROR', description: 'rate limited'},
      attributes: [
        {key: 'openinference.span.kind', value: {stringValue: 'LLM'}},
        {key: 'llm.model_name', value: {stringValue: 'gpt-4o'}},
        {key: 'llm.input_messages.0.message.role', value: {stringValue: 'user'}},
        {key: 'llm.input_messages.0.message.content', value: {stringValue: 'Hi'}},
        {key: 'llm.token_count.prompt', value: {intValue: '3'}},
        {key: 'llm.cost.total', value: {doubleValue: 0.00001}},
      ],
    }
    const chain = {'openinference.span.kind': 'CHAIN', 'input.value': 'x'}
    const file = tmpFile('spans.jsonl', `${JSON.stringify(span)}\n${JSON.stringify(chain)}\n`)
    assert.equal(await detected(file), 'otel')
    const {summary} = await expectImport([file], {
      files: [{skipped: 1}],
      rows: {
        '#0': {
          trace_id: '5b8efff798038103d269b633813fc60c',
          source_id: '0000000000000abc',
          timestamp: '2025-03-10T12:00:00.000Z',
          latency_ms: 1250,
          status: 'error',
          error_message: 'rate limited',
          request_json: jsonIs({model: 'gpt-4o', messages: [{role: 'user', content: 'Hi'}]}),
          input_tokens: 3,
          cost_usd: 0.00001,
          metadata_json: jsonHas({span_kind: 'client'}),
        },
      },
    })
    assert.match(summary.files[0]!.reasons[0]!.reason, /^OpenInference CHAIN span: skipped so the LLM calls inside it are not counted twice/)
  })
})
