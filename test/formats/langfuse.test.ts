// Langfuse importer (observations, API pages, traces, UI CSV export, Langfuse OTel attribute maps) through
// the real import path, read back from the events table and checked as tables of expected columns.
import assert from 'node:assert/strict'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {DATA, detected, expectImport, h16, jsonHas, jsonIs, near, PUBLIC_DATA as REAL, row, tmpFile} from '../support/import.js'

const close = (x: number) => near(x, 1e-12)

describe('langfuse: public-sample Langfuse OTel attributes (LiteLLM → Langfuse)', () => {
  const file = join(REAL, 'langfuse', 'litellm-langfuse-otel-generation-attributes.json')

  test('is auto-detected as langfuse (not otel)', async () => {
    assert.equal(await detected(file), 'langfuse')
  })

  test('imports the generation with usage_details, cost_details and trace tags', async () => {
    await expectImport([file], {
      files: [{error: null}],
      totals: {imported: 1},
      rows: {
        '#0': {
          source_format: 'langfuse',
          model: 'gpt-3.5-turbo',
          provider: 'openai',
          api: 'openai.chat',
          request_json: jsonIs({model: 'gpt-3.5-turbo', messages: [{role: 'user', content: 'Hello!'}]}), // extra_body "{}" is dropped
          response_text: 'Hello! How can I assist you today?',
          finish_reason: null, // Langfuse does not record a finish reason here
          status: 'ok',
          input_tokens: 10,
          output_tokens: 20,
          cached_input_tokens: 0,
          cache_write_tokens: 0,
          total_tokens: 30,
          cost_usd: close(3.5e-5),
          cost_source: 'reported',
          tags: jsonIs(['test_tag_stream', 'test_tag_2_stream']),
          // No span times in this dump: the file mtime is used and flagged.
          timestamp_inferred: 1,
          timestamp: statSync(file).mtime.toISOString(),
          latency_ms: null,
          ttft_ms: null,
          replayable: 1,
          metadata_json: jsonHas({request_synthesized: true, name: 'litellm-acompletion', trace_name: 'litellm-acompletion'}),
        },
      },
    })
  })

  test('forcing otel on it fails with a clear message', async () => {
    const {summary} = await expectImport([file], {format: 'otel', count: 0})
    assert.match(summary.files[0]!.error ?? '', /document is not otel data \(it looks like langfuse; try --format langfuse/)
  })
})

describe('langfuse: observations API page {data, meta}', () => {
  const file = join(DATA, 'langfuse-observations-page.json')

  test('imports the 2 GENERATIONs, skips SPAN and EVENT with reasons', async () => {
    assert.equal(await detected(file), 'langfuse')
    const {summary} = await expectImport([file], {files: [{error: null, imported: 2, skipped: 2}], count: 2})
    const s = summary.files[0]!
    assert.deepEqual(
      s.reasons.map((r) => r.reason),
      ['Langfuse SPAN observation: only GENERATION observations are LLM calls', 'Langfuse EVENT observation: only GENERATION observations are LLM calls'],
    )
    assert.deepEqual(s.reasons[0]!.locations, [`${file}:document data[1]`])
  })

  test('both generations as stored', async () => {
    const {rows} = await expectImport([file], {
      rows: {
        // usageDetails sums (§1.1), string params coerced, latency/ttft recomputed, tool call output.
        'obs-gen-1': {
          model: 'gpt-4o-mini',
          provider: 'openai',
          api: 'openai.chat',
          trace_id: 'trace-lf-1',
          environment: 'production',
          timestamp: '2025-03-10T12:00:00.000Z',
          // The API's `latency` field (2.35, seconds) is not used: recomputed from the timestamps.
          latency_ms: 2350,
          ttft_ms: 420,
          request_json: jsonHas({
            messages: [
              {role: 'system', content: 'You are a support bot.'},
              {role: 'user', content: 'Where is my order #123?'},
            ],
            temperature: 0.3,
            max_tokens: 512,
            top_p: 1,
            stop: undefined,
          }),
          response_text: 'Let me check that.',
          // input 1000 + input_cached_tokens 800 = 1800 (SDK stores input net of cache).
          input_tokens: 1800,
          cached_input_tokens: 800,
          output_tokens: 120,
          total_tokens: 1920,
          cost_usd: close(0.000342),
          status: 'ok',
          replayable: 1,
          metadata_json: jsonHas({prompt_name: 'support', prompt_version: '3', parent_observation_id: 'obs-span-1', langfuse_metadata: {ls_provider: 'openai', feature: 'orders'}}),
        },
        // level ERROR → error; Anthropic-shaped input stays an Anthropic body; legacy usage + calculatedTotalCost.
        'obs-gen-2': {
          status: 'error',
          error_message: 'Anthropic API error: overloaded_error',
          provider: 'anthropic',
          api: 'anthropic.messages',
          request_json: jsonHas({system: 'Be brief.', max_tokens: 300}),
          response_text: null,
          input_tokens: 50,
          output_tokens: 0,
          total_tokens: 50,
          cost_usd: close(0.00015),
          latency_ms: 30000,
        },
      },
    })
    const calls = (JSON.parse(row(rows, 'obs-gen-1').response_json!) as {choices: {message: {tool_calls: unknown}}[]}).choices[0]!.message.tool_calls
    assert.deepEqual(calls, [{id: 'call_1', type: 'function', function: {name: 'lookup_order', arguments: '{"order_id":"123"}'}}])
    assert.equal((JSON.parse(row(rows, 'obs-gen-2').request_json!) as {messages: {content: {text: string}[]}[]}).messages[0]!.content[0]!.text, 'Summarise ticket #123')
  })

  test('the same observations as JSONL (5-line agreement incl. SPAN/EVENT lines)', async () => {
    const page = JSON.parse(readFileSync(file, 'utf8')) as {data: unknown[]}
    const lines = [...page.data, ...page.data.slice(0, 1).map((o) => ({...(o as object), id: 'obs-gen-1b', startTime: '2025-03-10T13:00:00.000Z', endTime: '2025-03-10T13:00:01.000Z'}))]
    const jsonl = tmpFile('observations.jsonl', lines.map((o) => JSON.stringify(o)).join('\n') + '\n')
    assert.equal(await detected(jsonl), 'langfuse')
    await expectImport([jsonl], {files: [{imported: 3, skipped: 2}], rows: {'obs-gen-1b': {latency_ms: 1000, source_locator: 'line 5'}}})
  })
})

describe('langfuse: trace with observations[]', () => {
  test('tags, userId (hashed), sessionId and release come from the trace; AGENT skipped', async () => {
    const file = join(DATA, 'langfuse-trace.json')
    assert.equal(await detected(file), 'langfuse')
    const {summary, rows} = await expectImport([file], {
      files: [{imported: 1, skipped: 1}],
      rows: {
        'obs-gen-3': {
          tags: jsonIs(['beta', 'eu']),
          session_id: 'sess-9',
          user_id_hash: h16('user-42'),
          environment: 'production',
          metadata_json: jsonHas({release: 'v1.4.0'}),
          model: 'gpt-4o',
          provider: 'openai',
          // A string input is one user message; max_tokens "Infinity" (LangChain's "no limit") is dropped.
          request_json: jsonIs({model: 'gpt-4o', messages: [{role: 'user', content: "Translate 'hello' to French"}], temperature: 0}),
          response_text: 'Bonjour',
          input_tokens: 12,
          output_tokens: 3,
          total_tokens: 15,
          cost_usd: close(0.00001),
          timestamp: '2025-03-11T08:00:00.100Z',
          latency_ms: 800,
          ttft_ms: null,
        },
      },
    })
    assert.match(summary.files[0]!.reasons[0]!.reason, /Langfuse AGENT observation/)
    assert.ok(!row(rows, 'obs-gen-3').metadata_json.includes('user-42'))
  })
})

describe('langfuse: UI CSV export', () => {
  test('is detected from the header; JSON cells decoded, numbers coerced', async () => {
    const file = join(DATA, 'langfuse-generations-export.csv')
    assert.equal(await detected(file), 'langfuse')
    const {summary} = await expectImport([file], {
      files: [{error: null, imported: 2, skipped: 1}],
      rows: {
        'csv-gen-1': {
          request_json: jsonIs({model: 'gpt-4o-mini', messages: [{role: 'user', content: 'What is 2+2?'}], temperature: 0.7, max_tokens: 256}),
          response_text: '4',
          input_tokens: 8,
          output_tokens: 1,
          total_tokens: 9,
          cost_usd: close(0.0000123),
          latency_ms: 640,
          ttft_ms: 200,
          environment: 'staging',
          timestamp: '2025-03-12T09:00:00.000Z',
        },
        'csv-gen-2': {
          request_json: jsonHas({messages: [{role: 'user', content: 'Tell me a joke'}]}),
          response_text: 'Why did the chicken cross the road?', // a JSON-quoted string cell is unquoted
          cost_usd: 0.00002, // totalCost when costDetails is empty
          total_tokens: 17,
          status: 'ok',
          metadata_json: jsonHas({level: 'WARNING'}),
          ttft_ms: null,
        },
      },
    })
    assert.deepEqual(summary.files[0]!.reasons[0]!.locations, [`${file}:4`])
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
    const {summary} = await expectImport([file], {
      files: [{imported: 1, skipped: 1}],
      rows: {
        '#0': {
          request_json: jsonIs({model: 'gpt-4o-mini', messages: [{role: 'user', content: 'Ping?'}], temperature: 0.5, max_tokens: 100}),
          response_text: 'Pong.',
          status: 'error',
          error_message: 'upstream 500',
          input_tokens: 4,
          output_tokens: 2,
          cost_usd: close(0.000003),
          session_id: 'sess-flat',
          user_id_hash: h16('carol'),
          tags: jsonIs(['flat']),
          metadata_json: jsonHas({langfuse_metadata: {team: 'search'}}),
        },
      },
    })
    assert.match(summary.files[0]!.reasons[0]!.reason, /Langfuse SPAN observation/)
  })

  test('forcing langfuse on an OTel GenAI attribute map fails clearly', async () => {
    const {summary} = await expectImport([join(REAL, 'otel', 'otel-genai-span-attributes.json')], {format: 'langfuse', count: 0})
    assert.match(summary.files[0]!.error ?? '', /document is not langfuse data \(it looks like otel; try --format otel/)
  })
})
