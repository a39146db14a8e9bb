// OpenTelemetry importer (OTLP/JSON envelopes and flat span-attribute maps in the GenAI, deprecated GenAI,
// OpenInference and OpenLLMetry conventions) through the real import path, read back with SQL.
import assert from 'node:assert/strict'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import type {EventRow} from '../../src/records/index.js'
import {kt, tempDir} from '../support/cli.js'
import {DATA, detected, h16, importRows, json, PUBLIC_DATA, row, tmpFile} from '../support/import.js'

const REAL = join(PUBLIC_DATA, 'otel')
const load = (file: string, format?: string) => importRows([file], {format})

/** The conversation all three public-sample attribute maps describe (user → assistant tool call → tool result). */
function assertWeatherConversation(r: EventRow): void {
  const req = json(r.request_json)
  assert.equal(req.model, 'gpt-4')
  assert.deepEqual(req.messages, [
    {role: 'user', content: 'Weather in Paris?'},
    {
      role: 'assistant',
      content: 'Absolutely! Let me check the weather for you.',
      tool_calls: [{id: '1234', type: 'function', function: {name: 'get_weather', arguments: '{"location":"Paris"}'}}],
    },
    {role: 'tool', tool_call_id: '1234', content: 'rainy, 57°F'},
  ])
  assert.equal(req.temperature, 0.5)
  assert.equal(req.top_p, 0.9)
  assert.equal(r.response_text, 'The weather in Paris is currently rainy with a temperature of 57°F.')
  assert.equal(r.finish_reason, 'stop')
  assert.equal(r.model, 'gpt-4')
  assert.equal(r.response_model, 'gpt-4-0613')
  assert.equal(r.provider, 'openai')
  assert.equal(r.api, 'openai.chat')
  assert.equal(r.status, 'ok')
  assert.equal(r.input_tokens, 97)
  assert.equal(r.output_tokens, 52)
  assert.equal(r.total_tokens, 149)
  assert.equal(r.cached_input_tokens, null)
  // No cost attribute in these spans: kt prices the usage itself and says so.
  assert.ok(r.cost_usd !== null && r.cost_usd > 0)
  assert.equal(r.cost_source, 'estimated')
  assert.equal(r.replayable, 1)
  assert.equal(json(r.metadata_json).request_synthesized, true)
  // Attribute maps carry no span times: file mtime, flagged.
  assert.equal(r.timestamp_inferred, 1)
  assert.equal(r.latency_ms, null)
  assert.equal(r.ttft_ms, null)
}

describe('otel: public-sample flat span-attribute maps', () => {
  test('current GenAI semconv (gen_ai.input.messages / gen_ai.output.messages)', async () => {
    const file = join(REAL, 'otel-genai-span-attributes.json')
    assert.equal(await detected(file), 'otel')
    const {summary, rows} = await load(file)
    assert.equal(summary.totals.imported, 1)
    const r = rows[0]!
    assertWeatherConversation(r)
    assert.equal(json(r.request_json).max_tokens, 200)
    assert.equal(r.source_id, 'chatcmpl-CQF10eCkoFphJZJQkzzN6EkTD0AVF')
    assert.equal(r.timestamp, statSync(file).mtime.toISOString())
    assert.equal(json(r.metadata_json).otel_convention, 'genai')
  })

  test('deprecated gen_ai.prompt / gen_ai.completion', async () => {
    const file = join(REAL, 'otel-genai-deprecated-span-attributes.json')
    assert.equal(await detected(file), 'otel')
    const {summary, rows} = await load(file)
    assert.equal(summary.totals.imported, 1)
    assertWeatherConversation(rows[0]!)
    assert.equal(json(rows[0]!.metadata_json).otel_convention, 'genai-deprecated')
  })

  test('OpenInference llm.input_messages.N.message.* (params from llm.invocation_parameters)', async () => {
    const file = join(REAL, 'openinference-span-attributes.json')
    assert.equal(await detected(file), 'otel')
    const {summary, rows} = await load(file)
    assert.equal(summary.totals.imported, 1)
    const r = rows[0]!
    assertWeatherConversation(r)
    assert.equal(json(r.request_json).max_completion_tokens, 200)
    assert.equal(json(r.metadata_json).otel_convention, 'openinference')
  })

  test('the same call in two conventions is one event: the second import is a duplicate', async () => {
    const {summary: s} = await importRows([join(REAL, 'otel-genai-span-attributes.json'), join(REAL, 'otel-genai-deprecated-span-attributes.json')])
    assert.equal(s.totals.imported, 1)
    assert.equal(s.totals.duplicates, 1)
  })
})

describe('otel: public-sample OTLP/JSON example without GenAI spans', () => {
  const file = join(REAL, 'otlp-json-trace-example.json')

  test('imports 0 records and reports the span as skipped with a reason', async () => {
    assert.equal(await detected(file), 'otel')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.format, 'otel')
    assert.equal(s.imported + s.not_replayable, 0)
    assert.equal(s.skipped, 1)
    assert.equal(s.rejected, 0)
    assert.equal(rows.length, 0)
    assert.equal(s.reasons[0]!.reason, 'not an LLM call: the span has no GenAI (gen_ai.*), OpenInference or OpenLLMetry attributes')
    // Upper-case hex ids are normalised to lower case in the location.
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:document span 5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174`])
  })

  test('CLI: kt import exits 0 and prints the skip reason', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const res = kt(['import', file, '--db', db, '--json'])
    assert.equal(res.code, 0, res.stderr)
    const out = JSON.parse(res.stdout)
    assert.equal(out.files[0].format, 'otel')
    assert.deepEqual(out.totals, {imported: 0, not_replayable: 0, duplicates: 0, skipped: 1, rejected: 0, failed_files: 0})
    const human = kt(['import', file, '--db', join(dir, 'other.db')])
    assert.equal(human.code, 0)
    assert.match(human.stderr, /skipped 1: not an LLM call: the span has no GenAI/)
  })

  test('forcing litellm on it fails with a clear message', async () => {
    const {summary} = await load(file, 'litellm')
    assert.match(summary.files[0]!.error ?? '', /document is not litellm data \(it looks like otel; try --format otel/)
  })
})

describe('otel: synthetic collector file-exporter JSONL (one envelope per line)', () => {
  const file = join(DATA, 'otlp-genai-traces.jsonl')

  test('imports the LLM spans, skips agent, tool and embedding spans with reasons', async () => {
    assert.equal(await detected(file), 'otel')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.imported, 4)
    assert.equal(s.not_replayable, 1)
    assert.equal(s.skipped, 3)
    assert.equal(s.rejected, 0)
    const reasons = s.reasons.map((r) => r.reason)
    assert.ok(reasons.some((r) => /^agent span \(gen_ai.operation.name invoke_agent\)/.test(r)), reasons.join(' | '))
    assert.ok(reasons.some((r) => /^tool execution span/.test(r)))
    assert.ok(reasons.some((r) => /^embeddings span/.test(r)))
    assert.equal(rows.length, 5)
  })

  test('GenAI chat span: hex ids, 19-digit string nanos, system instructions, tools, tool-call output, cached tokens', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'b2b2b2b2b2b2b2b2')
    assert.equal(r.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736')
    assert.equal(r.source_locator, 'line 1 span 4bf92f3577b34da6a3ce929d0e0e4736:b2b2b2b2b2b2b2b2')
    assert.equal(r.timestamp, '2025-03-10T12:00:00.123Z')
    // 1741608001456789012 − 1741608000123456789 ns = 1333.332223 ms, kept to the µs.
    assert.equal(r.latency_ms, 1333.332)
    assert.equal(r.provider, 'openai')
    assert.equal(r.model, 'gpt-4o-mini')
    assert.equal(r.response_model, 'gpt-4o-mini-2024-07-18')
    const req = json(r.request_json)
    assert.deepEqual(req.messages, [
      {role: 'system', content: 'You are a travel agent.'},
      {role: 'user', content: 'Book me a flight to Lisbon on May 3'},
    ])
    assert.equal(req.temperature, 0.2)
    assert.equal(req.max_tokens, 300)
    assert.equal(req.tools[0].function.name, 'search_flights')
    const resp = json(r.response_json)
    assert.deepEqual(resp.choices[0].message.tool_calls, [
      {id: 'call_abc', type: 'function', function: {name: 'search_flights', arguments: '{"destination":"LIS","date":"2025-05-03"}'}},
    ])
    assert.equal(resp.id, 'chatcmpl-OT1')
    assert.equal(r.response_text, null)
    assert.equal(r.finish_reason, 'tool_calls')
    assert.equal(r.input_tokens, 1250)
    assert.equal(r.cached_input_tokens, 1024)
    assert.equal(r.output_tokens, 87)
    assert.equal(r.total_tokens, 1337)
    assert.equal(r.session_id, 'conv-77')
    assert.equal(r.app, 'travel-api')
    assert.equal(r.environment, 'prod')
    assert.equal(r.status, 'ok')
    const meta = json(r.metadata_json)
    assert.equal(meta.span_kind, 'client')
    assert.equal(meta.parent_span_id, 'a1a1a1a1a1a1a1a1')
    assert.equal(meta.response_id, 'chatcmpl-OT1')
  })

  test('second turn: tool result in the synthesised body, streamed with time_to_first_chunk', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'd4d4d4d4d4d4d4d4')
    const req = json(r.request_json)
    assert.equal(req.messages[1].tool_calls[0].id, 'call_abc')
    assert.deepEqual(req.messages[2], {role: 'tool', tool_call_id: 'call_abc', content: '{"flights":3,"cheapest":"TP1351"}'})
    assert.equal(req.stream, true)
    assert.equal(r.stream, 1)
    assert.equal(r.ttft_ms, 210)
    assert.equal(r.latency_ms, 2500)
    assert.equal(r.response_text, 'I found 3 flights; the cheapest is TP1351.')
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.input_tokens, 1400)
    assert.equal(r.output_tokens, 60)
    assert.equal(r.replayable, 1)
  })

  test('OpenLLMetry span: snake_case envelope, base64 ids, enum kind, unquoted 19-digit nanos', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'b7ad6b7169203331')
    assert.equal(r.trace_id, '0af7651916cd43dd8448eb211c80319c')
    assert.equal(r.timestamp, '2025-03-10T12:00:10.000Z')
    assert.equal(r.latency_ms, 2500)
    assert.equal(r.provider, 'anthropic', '"Anthropic" (old OpenLLMetry casing) normalised')
    assert.equal(r.model, 'claude-3-5-haiku-20241022')
    assert.deepEqual(json(r.request_json), {model: 'claude-3-5-haiku-20241022', messages: [{role: 'user', content: 'Summarise: the meeting moved to Friday.'}], max_tokens: 400})
    assert.equal(r.response_text, 'Meeting now on Friday.')
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.finish_reason_raw, 'end_turn')
    assert.equal(r.input_tokens, 40)
    assert.equal(r.output_tokens, 8)
    assert.equal(r.total_tokens, 48)
    assert.equal(r.session_id, 'sess-xyz')
    assert.equal(r.user_id_hash, h16('alice@example.com'))
    assert.ok(!r.metadata_json.includes('alice'), 'association user_id is not stored in clear')
    assert.equal(json(r.metadata_json).otel_convention, 'openllmetry')
    assert.equal(json(r.metadata_json).span_kind, 'client')
  })

  test('error span without captured content: status, error, metrics only', async () => {
    const {rows} = await load(file)
    const r = row(rows, '00f067aa0ba902b7')
    assert.equal(r.status, 'error')
    assert.equal(r.error_type, 'timeout')
    assert.equal(r.error_message, 'Request timed out.')
    assert.equal(r.replayable, 0)
    assert.equal(r.request_json, null)
    assert.equal(r.response_text, null)
    assert.equal(r.input_tokens, null)
    assert.equal(r.latency_ms, 30000)
    assert.equal(r.model, 'gpt-4o')
    assert.equal(json(r.metadata_json).content_captured, false)
  })

  test('a span with Langfuse attributes inside an OTLP envelope is mapped by the Langfuse rules', async () => {
    const {rows} = await load(file)
    const r = row(rows, '99aabbccddeeff00')
    assert.equal(r.source_format, 'otel')
    assert.equal(r.model, 'gpt-3.5-turbo')
    assert.deepEqual(json(r.request_json).messages, [{role: 'user', content: 'Hello!'}])
    assert.equal(r.response_text, 'Hi there!')
    assert.equal(r.latency_ms, 750)
    assert.equal(r.timestamp, '2025-03-10T12:01:10.000Z')
    assert.equal(r.total_tokens, 12)
    assert.equal(r.cost_usd, 0.000012)
    assert.deepEqual(json(r.tags), ['otlp'])
    assert.equal(r.user_id_hash, h16('bob'))
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
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.skipped, 1)
    assert.match(summary.files[0]!.reasons[0]!.reason, /^OpenInference CHAIN span: skipped so the LLM calls inside it are not counted twice/)
    const r = rows[0]!
    assert.equal(r.trace_id, '5b8efff798038103d269b633813fc60c')
    assert.equal(r.source_id, '0000000000000abc')
    assert.equal(r.timestamp, '2025-03-10T12:00:00.000Z')
    assert.equal(r.latency_ms, 1250)
    assert.equal(r.status, 'error')
    assert.equal(r.error_message, 'rate limited')
    assert.deepEqual(json(r.request_json), {model: 'gpt-4o', messages: [{role: 'user', content: 'Hi'}]})
    assert.equal(r.input_tokens, 3)
    assert.equal(r.cost_usd, 0.00001)
    assert.equal(json(r.metadata_json).span_kind, 'client')
  })
})
