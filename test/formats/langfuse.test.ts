// Langfuse importer (observations, API pages, traces, UI CSV export, Langfuse OTel attribute maps) through
// the real import path, read back from the events table with SQL.
import assert from 'node:assert/strict'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {closeWithin, DATA, detected, h16, importRows, json, PUBLIC_DATA as REAL, row, tmpFile} from '../support/import.js'

const load = (file: string, format?: string) => importRows([file], {format})
const close = closeWithin(1e-12)

describe('langfuse: public-sample Langfuse OTel attributes (LiteLLM → Langfuse)', () => {
  const file = join(REAL, 'langfuse', 'litellm-langfuse-otel-generation-attributes.json')

  test('is auto-detected as langfuse (not otel)', async () => {
    assert.equal(await detected(file), 'langfuse')
  })

  test('imports the generation with usage_details, cost_details and trace tags', async () => {
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.error, null)
    assert.equal(summary.totals.imported, 1)
    const r = rows[0]!
    assert.equal(r.source_format, 'langfuse')
    assert.equal(r.model, 'gpt-3.5-turbo')
    assert.equal(r.provider, 'openai')
    assert.equal(r.api, 'openai.chat')
    assert.deepEqual(json(r.request_json), {model: 'gpt-3.5-turbo', messages: [{role: 'user', content: 'Hello!'}]}, 'extra_body "{}" is dropped')
    assert.equal(r.response_text, 'Hello! How can I assist you today?')
    assert.equal(r.finish_reason, null, 'Langfuse does not record a finish reason here')
    assert.equal(r.status, 'ok')
    assert.equal(r.input_tokens, 10)
    assert.equal(r.output_tokens, 20)
    assert.equal(r.cached_input_tokens, 0)
    assert.equal(r.cache_write_tokens, 0)
    assert.equal(r.total_tokens, 30)
    close(r.cost_usd, 3.5e-5)
    assert.equal(r.cost_source, 'reported')
    assert.deepEqual(json(r.tags), ['test_tag_stream', 'test_tag_2_stream'])
    // No span times in this dump: the file mtime is used and flagged.
    assert.equal(r.timestamp_inferred, 1)
    assert.equal(r.timestamp, statSync(file).mtime.toISOString())
    assert.equal(r.latency_ms, null)
    assert.equal(r.ttft_ms, null)
    assert.equal(r.replayable, 1)
    const meta = json(r.metadata_json)
    assert.equal(meta.request_synthesized, true)
    assert.equal(meta.name, 'litellm-acompletion')
    assert.equal(meta.trace_name, 'litellm-acompletion')
  })

  test('forcing otel on it fails with a clear message', async () => {
    const {summary, rows} = await load(file, 'otel')
    assert.equal(rows.length, 0)
    assert.match(summary.files[0]!.error ?? '', /document is not otel data \(it looks like langfuse; try --format langfuse/)
  })
})

describe('langfuse: observations API page {data, meta}', () => {
  const file = join(DATA, 'langfuse-observations-page.json')

  test('imports the 2 GENERATIONs, skips SPAN and EVENT with reasons', async () => {
    assert.equal(await detected(file), 'langfuse')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.imported, 2)
    assert.equal(s.skipped, 2)
    assert.deepEqual(
      s.reasons.map((r) => r.reason),
      ['Langfuse SPAN observation: only GENERATION observations are LLM calls', 'Langfuse EVENT observation: only GENERATION observations are LLM calls'],
    )
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:document data[1]`])
    assert.equal(rows.length, 2)
  })

  test('generation: usageDetails sums (§1.1), string params coerced, latency/ttft recomputed, tool call output', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'obs-gen-1')
    assert.equal(r.model, 'gpt-4o-mini')
    assert.equal(r.provider, 'openai')
    assert.equal(r.api, 'openai.chat')
    assert.equal(r.trace_id, 'trace-lf-1')
    assert.equal(r.environment, 'production')
    assert.equal(r.timestamp, '2025-03-10T12:00:00.000Z')
    // The API's `latency` field (2.35, seconds) is not used: recomputed from the timestamps.
    assert.equal(r.latency_ms, 2350)
    assert.equal(r.ttft_ms, 420)
    const req = json(r.request_json)
    assert.deepEqual(req.messages, [
      {role: 'system', content: 'You are a support bot.'},
      {role: 'user', content: 'Where is my order #123?'},
    ])
    assert.equal(req.temperature, 0.3)
    assert.equal(req.max_tokens, 512)
    assert.equal(req.top_p, 1)
    assert.ok(!('stop' in req))
    assert.equal(r.response_text, 'Let me check that.')
    assert.deepEqual(json(r.response_json).choices[0].message.tool_calls, [
      {id: 'call_1', type: 'function', function: {name: 'lookup_order', arguments: '{"order_id":"123"}'}},
    ])
    // input 1000 + input_cached_tokens 800 = 1800 (SDK stores input net of cache).
    assert.equal(r.input_tokens, 1800)
    assert.equal(r.cached_input_tokens, 800)
    assert.equal(r.output_tokens, 120)
    assert.equal(r.total_tokens, 1920)
    close(r.cost_usd, 0.000342)
    assert.equal(r.status, 'ok')
    assert.equal(r.replayable, 1)
    const meta = json(r.metadata_json)
    assert.equal(meta.prompt_name, 'support')
    assert.equal(meta.prompt_version, '3')
    assert.equal(meta.parent_observation_id, 'obs-span-1')
    assert.deepEqual(meta.langfuse_metadata, {ls_provider: 'openai', feature: 'orders'})
  })

  test('level ERROR → error; Anthropic-shaped input stays an Anthropic body; legacy usage + calculatedTotalCost', async () => {
    const {rows} = await load(file)
    const r = row(rows, 'obs-gen-2')
    assert.equal(r.status, 'error')
    assert.equal(r.error_message, 'Anthropic API error: overloaded_error')
    assert.equal(r.provider, 'anthropic')
    assert.equal(r.api, 'anthropic.messages')
    const req = json(r.request_json)
    assert.equal(req.system, 'Be brief.')
    assert.equal(req.max_tokens, 300)
    assert.equal(req.messages[0].content[0].text, 'Summarise ticket #123')
    assert.equal(r.response_text, null)
    assert.equal(r.input_tokens, 50)
    assert.equal(r.output_tokens, 0)
    assert.equal(r.total_tokens, 50)
    close(r.cost_usd, 0.00015)
    assert.equal(r.latency_ms, 30000)
  })

  test('the same observations as JSONL (5-line agreement incl. SPAN/EVENT lines)', async () => {
    const page = JSON.parse(readFileSync(file, 'utf8')) as {data: unknown[]}
    const lines = [...page.data, ...page.data.slice(0, 1).map((o) => ({...(o as object), id: 'obs-gen-1b', startTime: '2025-03-10T13:00:00.000Z', endTime: '2025-03-10T13:00:01.000Z'}))]
    const jsonl = tmpFile('observations.jsonl', lines.map((o) => JSON.stringify(o)).join('\n') + '\n')
    assert.equal(await detected(jsonl), 'langfuse')
    const {summary, rows} = await load(jsonl)
    assert.equal(summary.files[0]!.imported, 3)
    assert.equal(summary.files[0]!.skipped, 2)
    assert.equal(row(rows, 'obs-gen-1b').latency_ms, 1000)
    assert.equal(row(rows, 'obs-gen-1b').source_locator, 'line 5')
  })
})

describe('langfuse: trace with observations[]', () => {
  const file = join(DATA, 'langfuse-trace.json')

  test('tags, userId (hashed), sessionId and release come from the trace; AGENT skipped', async () => {
    assert.equal(await detected(file), 'langfuse')
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.imported, 1)
    assert.equal(summary.files[0]!.skipped, 1)
    assert.match(summary.files[0]!.reasons[0]!.reason, /Langfuse AGENT observation/)
    const r = row(rows, 'obs-gen-3')
    assert.deepEqual(json(r.tags), ['beta', 'eu'])
    assert.equal(r.session_id, 'sess-9')
    assert.equal(r.user_id_hash, h16('user-42'))
    assert.ok(!r.metadata_json.includes('user-42'))
    assert.equal(r.environment, 'production')
    assert.equal(json(r.metadata_json).release, 'v1.4.0')
    assert.equal(r.model, 'gpt-4o')
    assert.equal(r.provider, 'openai')
    // A string input is one user message; max_tokens "Infinity" (LangChain's "no limit") is dropped.
    assert.deepEqual(json(r.request_json), {model: 'gpt-4o', messages: [{role: 'user', content: "Translate 'hello' to French"}], temperature: 0})
    assert.equal(r.response_text, 'Bonjour')
    assert.equal(r.input_tokens, 12)
    assert.equal(r.output_tokens, 3)
    assert.equal(r.total_tokens, 15)
    close(r.cost_usd, 0.00001)
    assert.equal(r.timestamp, '2025-03-11T08:00:00.100Z')
    assert.equal(r.latency_ms, 800)
    assert.equal(r.ttft_ms, null)
  })
})

describe('langfuse: UI CSV export', () => {
  const file = join(DATA, 'langfuse-generations-export.csv')

  test('is detected from the header; JSON cells decoded, numbers coerced', async () => {
    assert.equal(await detected(file), 'langfuse')
    const {summary, rows} = await load(file)
    const s = summary.files[0]!
    assert.equal(s.error, null)
    assert.equal(s.imported, 2)
    assert.equal(s.skipped, 1)
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:4`])
    const a = row(rows, 'csv-gen-1')
    assert.deepEqual(json(a.request_json), {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'What is 2+2?'}], temperature: 0.7, max_tokens: 256})
    assert.equal(a.response_text, '4')
    assert.equal(a.input_tokens, 8)
    assert.equal(a.output_tokens, 1)
    assert.equal(a.total_tokens, 9)
    close(a.cost_usd, 0.0000123)
    assert.equal(a.latency_ms, 640)
    assert.equal(a.ttft_ms, 200)
    assert.equal(a.environment, 'staging')
    assert.equal(a.timestamp, '2025-03-12T09:00:00.000Z')
    const b = row(rows, 'csv-gen-2')
    assert.deepEqual(json(b.request_json).messages, [{role: 'user', content: 'Tell me a joke'}])
    assert.equal(b.response_text, 'Why did the chicken cross the road?', 'JSON-quoted string cell is unquoted')
    assert.equal(b.cost_usd, 0.00002, 'totalCost when costDetails is empty')
    assert.equal(b.total_tokens, 17)
    assert.equal(b.status, 'ok')
    assert.equal(json(b.metadata_json).level, 'WARNING')
    assert.equal(b.ttft_ms, null)
  })
})

describe('langfuse: flat Langfuse OTel attribute map with JSON-string values', () => {
  test('generation imported; span-type map skipped', async () => {
    const gen = {
      'langfuse.observation.type': 'generation',
      'langfuse.observation.model.name': 'gpt-4o-mini',
      'langfuse.observation.model.parameters': JSON.stringify({temperature: '0.5', max_tokens: '100'}),
      'langfuse.observation.input': JSON.stringify([{role: 'user', content: 'Ping?'}]),
      'langfuse.observation.output': JSON.stringify({role: 'assistant', content: 'Pong.'}),
      'langfuse.observation.usage_details': JSON.stringify({input: 4, output: 2}),
      'langfuse.observation.cost_details': JSON.stringify({input: 0.000001, output: 0.000002}),
      'langfuse.observation.metadata.team': 'search',
      'langfuse.observation.level': 'ERROR',
      'langfuse.observation.status_message': 'upstream 500',
      'langfuse.session.id': 'sess-flat',
      'user.id': 'carol',
      'langfuse.trace.tags': JSON.stringify(['flat']),
    }
    const span = {'langfuse.observation.type': 'span', 'langfuse.observation.input': '"x"'}
    const file = tmpFile('flat.jsonl', `${JSON.stringify(gen)}\n${JSON.stringify(span)}\n`)
    assert.equal(await detected(file), 'langfuse')
    const {summary, rows} = await load(file)
    assert.equal(summary.files[0]!.imported, 1)
    assert.equal(summary.files[0]!.skipped, 1)
    assert.match(summary.files[0]!.reasons[0]!.reason, /Langfuse SPAN observation/)
    const r = rows[0]!
    assert.deepEqual(json(r.request_json), {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'Ping?'}], temperature: 0.5, max_tokens: 100})
    assert.equal(r.response_text, 'Pong.')
    assert.equal(r.status, 'error')
    assert.equal(r.error_message, 'upstream 500')
    assert.equal(r.input_tokens, 4)
    assert.equal(r.output_tokens, 2)
    close(r.cost_usd, 0.000003)
    assert.equal(r.session_id, 'sess-flat')
    assert.equal(r.user_id_hash, h16('carol'))
    assert.deepEqual(json(r.tags), ['flat'])
    assert.deepEqual(json(r.metadata_json).langfuse_metadata, {team: 'search'})
  })

  test('forcing langfuse on an OTel GenAI attribute map fails clearly', async () => {
    const {summary} = await load(join(REAL, 'otel', 'otel-genai-span-attributes.json'), 'langfuse')
    assert.match(summary.files[0]!.error ?? '', /document is not langfuse data \(it looks like otel; try --format otel/)
  })
})
