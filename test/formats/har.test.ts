// HAR 1.2 import of the public-sample captures: every HAR through importFiles → SQLite, checked as tables of
// expected columns, and the credential guarantee (no secret in the raw .db bytes).
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import {join} from 'node:path'
import type {EventRow} from '../../src/records/index.js'
import {BY_SOURCE, dbBytes, expectImport, fileTempDir, importRows, jsonHas, jsonIs, meta, PUBLIC_DATA, recordsOf, type RowExpect} from '../support/import.js'

const HAR = join(PUBLIC_DATA, 'har')
const har = (name: string) => join(HAR, name)

const tmp = fileTempDir()
const importInto = (files: string[]) => importRows(files, {dir: tmp, orderBy: BY_SOURCE})

/** Imports one public-sample HAR holding one call, checks its row against `expected`, and returns it. */
async function one(name: string, expected: RowExpect): Promise<EventRow> {
  const {rows} = await expectImport([har(name)], {dir: tmp, orderBy: BY_SOURCE, files: [{format: 'har', error: null}], count: 1, rows: {'#0': expected}})
  return rows[0]!
}

describe('har: public-sample OpenAI captures', () => {
  test('openai-chat-streaming.har: SSE assembled, no usage without include_usage', async () => {
    await one('openai-chat-streaming.har', {
      source_format: 'har',
      source_locator: 'entry 0',
      provider: 'openai',
      api: 'openai.chat',
      model: 'gpt-3.5-turbo',
      response_model: 'gpt-3.5-turbo-0125',
      response_text: 'Why did the OpenTelemetry developer go broke? Because they were always collecting traces but never making any transactions!',
      finish_reason: 'stop',
      finish_reason_raw: 'stop',
      stream: 1,
      status: 'ok',
      http_status: 200,
      timestamp: '2025-08-14T14:45:16.321Z',
      timestamp_inferred: 0,
      latency_ms: 655,
      ttft_ms: 655, // timings.wait for a stream
      input_tokens: null, // no include_usage: tokens unknown, not 0
      output_tokens: null,
      source_id: 'chatcmpl-C4TUacC25IN2vuTdOzverPXrXhZa2',
      replayable: 1,
      metadata_json: jsonHas({request_id: 'req_599125bea30443a3b95b24dd0f10b1ee', openai_processing_ms: 217, url: 'https://api.openai.com/v1/chat/completions', streamed: true}),
      request_json: jsonIs({messages: [{role: 'user', content: 'Tell me a joke about OpenTelemetry'}], model: 'gpt-3.5-turbo', stream: true}),
    })
  })

  test('openai-chat-tool-calling.har: Polly gzip+base64 chunk body decoded', async () => {
    const r = await one('openai-chat-tool-calling.har', {
      model: 'gpt-4',
      response_model: 'gpt-4-0613',
      response_text: null,
      finish_reason: 'tool_calls',
      finish_reason_raw: 'tool_calls',
      input_tokens: 82,
      output_tokens: 18,
      total_tokens: 100,
      cached_input_tokens: 0,
      reasoning_tokens: 0,
      stream: 0,
      latency_ms: 1405,
      ttft_ms: null, // no ttft for a non-streamed call
      timestamp: '2025-08-14T14:47:00.500Z',
    })
    const body = JSON.parse(r.response_json!) as {choices: {message: {tool_calls: {id: string; function: {name: string; arguments: string}}[]}}[]}
    const tc = body.choices[0]!.message.tool_calls
    assert.equal(tc.length, 1)
    assert.equal(tc[0]!.id, 'call_m0dpaUwYpBdHG63EvxJH3FZU')
    assert.equal(tc[0]!.function.name, 'get_current_weather')
    assert.equal(tc[0]!.function.arguments, '{\n  "location": "Boston, MA"\n}')
    const [rec] = await recordsOf(har('openai-chat-tool-calling.har'))
    assert.deepEqual(rec!.response!.tool_calls, [{id: 'call_m0dpaUwYpBdHG63EvxJH3FZU', name: 'get_current_weather', arguments: '{\n  "location": "Boston, MA"\n}'}])
    assert.deepEqual(rec!.request.tools.map((t) => t.name), ['get_current_weather'])
  })

  test('openai-chat-streaming-parallel-tool-calls.har: both calls, in index order', async () => {
    await one('openai-chat-streaming-parallel-tool-calls.har', {
      model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      finish_reason: 'tool_calls',
      stream: 1,
      latency_ms: 1735,
      ttft_ms: 1735,
      input_tokens: null,
      timestamp: '2025-08-14T14:47:08.989Z',
    })
    const [rec] = await recordsOf(har('openai-chat-streaming-parallel-tool-calls.har'))
    assert.deepEqual(rec!.response!.tool_calls, [
      {id: 'call_SHtIMpPE5ainCyw3LLf32VcZ', name: 'get_current_weather', arguments: '{"location": "Boston, MA"}'},
      {id: 'call_HvockKv2nSWQzdTmCv0p2IZD', name: 'get_tomorrow_weather', arguments: '{"location": "Chicago, IL"}'},
    ])
    assert.equal(rec!.response!.text, null)
  })

  test('openai-chat-streaming-agent-include-usage.har: two entries, usage from the final chunk', async () => {
    const {rows} = await expectImport([har('openai-chat-streaming-agent-include-usage.har')], {
      dir: tmp,
      orderBy: BY_SOURCE,
      totals: {imported: 2},
      count: 2,
      rows: {
        '#0': {
          source_locator: 'entry 0',
          model: 'gpt-3.5-turbo',
          response_model: 'gpt-3.5-turbo-0125',
          finish_reason: 'tool_calls',
          response_text: null,
          input_tokens: 91,
          output_tokens: 21,
          total_tokens: 112,
          cached_input_tokens: 0,
          latency_ms: 939,
          timestamp: '2025-08-17T13:58:26.542Z',
          metadata_json: jsonHas({request_id: 'req_b10ae902c64d47fca7546b428896b157'}),
        },
        '#1': {
          source_locator: 'entry 1',
          response_text: 'The result of the expression `5 * (10 + 2)` is 60.',
          finish_reason: 'stop',
          input_tokens: 120,
          output_tokens: 19,
          total_tokens: 139,
          latency_ms: 1029,
          ttft_ms: 1029,
          timestamp: '2025-08-17T13:58:27.502Z',
        },
      },
    })
    assert.notEqual(rows[0]!.event_id, rows[1]!.event_id)

    const [a, b] = await recordsOf(har('openai-chat-streaming-agent-include-usage.har'))
    assert.deepEqual(a!.response!.tool_calls, [{id: 'call_yYw3O05GCuxVOwgU8T9xj1kt', name: 'calculator', arguments: '{"input":"5 * (10 + 2)"}'}])
    assert.equal(a!.request.system, 'You are a helpful assistant that can use tools to answer questions.')
    assert.deepEqual(a!.request.params.stream_options, {include_usage: true})
    // The second turn replays the tool call and its result.
    assert.deepEqual(b!.request.messages.map((m) => m.role), ['system', 'user', 'assistant', 'tool'])
    const toolMsg = b!.request.messages[3]!
    assert.deepEqual(toolMsg.parts, [{type: 'tool_result', tool_call_id: 'call_yYw3O05GCuxVOwgU8T9xj1kt', content: '60'}])
  })

  test('openai-responses-cached-tokens.har: Responses api, cached tokens = 13', async () => {
    await one('openai-responses-cached-tokens.har', {
      provider: 'openai',
      api: 'openai.responses',
      model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 14,
      cached_input_tokens: 13,
      output_tokens: 26,
      reasoning_tokens: 0,
      total_tokens: 40,
      response_text: 'Why did the OpenTelemetry developer break up with their application?\n\nBecause it just couldn\'t handle the "trace" of their love!',
      finish_reason: 'stop',
      finish_reason_raw: 'completed',
      latency_ms: 2834,
      ttft_ms: null,
      timestamp: '2026-05-28T10:28:31.988Z',
      source_id: 'resp_098a86033e882e31006a1818d103048192889c7541e8827731',
      replayable: 1,
      metadata_json: jsonHas({request_id: 'redacted-request-id', openai_processing_ms: 1884}),
    })
    const [rec] = await recordsOf(har('openai-responses-cached-tokens.har'))
    assert.deepEqual(rec!.request.messages, [{role: 'user', parts: [{type: 'text', text: 'Tell me a joke about OpenTelemetry'}]}])
  })
})

describe('har: public-sample Anthropic captures', () => {
  test('anthropic-messages.har', async () => {
    const r = await one('anthropic-messages.har', {
      provider: 'anthropic',
      api: 'anthropic.messages',
      model: 'claude-3-opus-20240229',
      response_model: 'claude-3-opus-20240229',
    })
    assert.ok(r.response_text!.startsWith("Sure! Here's a joke about OpenTelemetry:\n\nWhy did the developer choose OpenTelemetry"))
    assert.ok(r.response_text!.endsWith('better understand and optimize their systems.'))
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.finish_reason_raw, 'end_turn')
    assert.equal(r.input_tokens, 17)
    assert.equal(r.output_tokens, 137)
    assert.equal(r.total_tokens, 154)
    assert.equal(r.cached_input_tokens, 0)
    assert.equal(r.cache_write_tokens, 0)
    assert.equal(r.reasoning_tokens, null)
    assert.equal(r.stream, 0)
    assert.equal(r.latency_ms, 6280)
    assert.equal(r.ttft_ms, null)
    assert.equal(r.timestamp, '2025-06-09T21:46:34.311Z')
    assert.equal(r.source_id, 'msg_01ABEG1nJ4BqCbQR4BUANnCB')
    assert.equal(meta(r).request_id, 'req_011CPyP4KPVnPApMkoT38qVm')
    assert.deepEqual(meta(r).request_headers, {'anthropic-version': '2023-06-01'})
  })

  test('anthropic-messages-streaming.har: event/data SSE with ping assembled', async () => {
    const r = await one('anthropic-messages-streaming.har', {
      model: 'claude-3-opus-20240229',
      stream: 1,
    })
    assert.ok(r.response_text!.startsWith("Sure, here's a joke about OpenTelemetry:\n\nWhy did the developer choose OpenTelemetry"))
    assert.ok(r.response_text!.includes('trace their way to the root of all evil! 😄'))
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.finish_reason_raw, 'end_turn')
    assert.equal(r.input_tokens, 17)
    assert.equal(r.output_tokens, 158)
    assert.equal(r.total_tokens, 175)
    assert.equal(r.status, 'ok')
    assert.equal(r.latency_ms, 6025)
    assert.equal(r.ttft_ms, 6025)
    assert.equal(r.timestamp, '2025-06-09T21:46:40.594Z')
    assert.equal(r.source_id, 'msg_0178nRhNdfNKxFcZRFqApVgL')
    assert.equal(meta(r).request_id, 'req_011CPyP4mVdYqDUHxqdFDszC')
  })

  test('anthropic-messages-thinking.har: reasoning text and signature kept, ?beta=true URL', async () => {
    const r = await one('anthropic-messages-thinking.har', {
      model: 'claude-opus-4-1-20250805',
    })
    assert.ok(r.response_text!.startsWith("I'll work through this simple addition step by step."))
    assert.ok(r.response_text!.endsWith('The answer is **4**.'))
    assert.equal(r.finish_reason, 'stop')
    assert.equal(r.input_tokens, 49)
    assert.equal(r.output_tokens, 186)
    assert.equal(r.reasoning_tokens, null, 'no output_tokens_details in this recording: unknown, not 0')
    assert.equal(r.latency_ms, 6594)
    assert.equal(r.timestamp, '2025-08-21T11:41:56.089Z')
    assert.equal(meta(r).url, 'https://api.anthropic.com/v1/messages?beta=true')
    assert.deepEqual(meta(r).request_headers, {'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14'})
    const body = JSON.parse(r.response_json!) as {content: {type: string; signature?: string}[]}
    assert.equal(body.content[0]!.type, 'thinking')
    assert.ok(body.content[0]!.signature!.startsWith('EvsCCkYIBhgCKkDcMyQ9Uh8C'))
    const [rec] = await recordsOf(har('anthropic-messages-thinking.har'))
    assert.ok(rec!.response!.reasoning!.startsWith('This is a very simple arithmetic question. The user is asking for 2+2'))
    assert.deepEqual(rec!.request.params.thinking, {type: 'enabled', budget_tokens: 1024})
  })

  test('anthropic-messages-system-prompt.har: top-level system mapped', async () => {
    await one('anthropic-messages-system-prompt.har', {
      response_text: '! How can I assist you today?',
      finish_reason: 'length',
      finish_reason_raw: 'max_tokens',
      input_tokens: 14,
      output_tokens: 10,
      latency_ms: 1429,
      timestamp: '2025-07-16T18:27:59.601Z',
    })
    const [rec] = await recordsOf(har('anthropic-messages-system-prompt.har'))
    assert.equal(rec!.request.system, 'You are a helpful assistant')
    assert.deepEqual(
      rec!.request.messages.map((m) => [m.role, m.parts]),
      [
        ['system', [{type: 'text', text: 'You are a helpful assistant'}]],
        ['user', [{type: 'text', text: 'Hi'}]],
        ['assistant', [{type: 'text', text: 'Hello'}]],
      ],
    )
  })
})


type Header = {name: string; value: string}

interface HarDoc {
  log: {entries: {request: {headers: Header[]; cookies: {name: string; value: string}[]}; response: {headers: Header[]; cookies: {value: string}[]}}[]}
}

describe('har: credentials never reach the database', () => {
  test('cookies, org/project ids from the public-sample HARs and injected auth headers are absent from the .db bytes', async () => {
    const BEARER = 'sk-test-SYNTHETIC0123456789abcdefSECRET'
    const ANT_KEY = 'sk-ant-api03-SYNTHETICsecretKEY-0123456789'
    const COOKIE = 'COOKIESECRET-session-5f2a9c'
    const copy = join(tmp, 'with-secrets.har')
    const doc = JSON.parse(fs.readFileSync(har('openai-chat-streaming.har'), 'utf8')) as HarDoc
    const e = doc.log.entries[0]!
    e.request.headers.push(
      {name: 'Authorization', value: `Bearer ${BEARER}`},
      {name: 'x-api-key', value: ANT_KEY},
      {name: 'Cookie', value: `session=${COOKIE}`},
      {name: 'anthropic-version', value: '2023-06-01'},
    )
    e.request.cookies.push({name: 'session', value: COOKIE})
    fs.writeFileSync(copy, JSON.stringify(doc))

    const files = [copy, ...fs.readdirSync(HAR).map((f) => join(HAR, f))]
    const {summary, dbPath} = await importInto(files)
    assert.equal(summary.totals.failed_files, 0)
    // The copy and the original capture are the same call: stored once.
    assert.equal(summary.totals.imported, 10, '10 entries in the 9 public-sample HARs')
    assert.equal(summary.totals.duplicates, 1)

    // Every secret-bearing value the public-sample HARs carry: cookies, set-cookie, org and project ids.
    const secrets = new Set<string>([BEARER, ANT_KEY, COOKIE])
    for (const f of fs.readdirSync(HAR)) {
      const h = JSON.parse(fs.readFileSync(join(HAR, f), 'utf8')) as HarDoc
      for (const en of h.log.entries) {
        for (const c of [...en.request.cookies, ...en.response.cookies]) secrets.add(c.value)
        for (const hd of [...en.request.headers, ...en.response.headers]) {
          const name = hd.name.toLowerCase()
          if (name === 'set-cookie') secrets.add(hd.value.split(';')[0]!.split('=').slice(1).join('='))
          if (['openai-organization', 'openai-project', 'anthropic-organization-id', 'authorization', 'x-api-key', 'cookie'].includes(name)) secrets.add(hd.value)
        }
      }
    }
    assert.ok(secrets.size >= 10, `expected the samples to carry cookies and ids, found ${secrets.size}`)
    const bytes = dbBytes(dbPath)
    assert.ok(bytes.includes('req_599125bea30443a3b95b24dd0f10b1ee'), 'control: stored metadata is visible in the raw bytes')
    assert.ok(bytes.includes('interleaved-thinking-2025-05-14'), 'control: kept safe headers are visible')
    for (const s of secrets) assert.ok(!bytes.includes(s), `secret value found in the database file: ${s}`)
    assert.ok(!/set-cookie|authorization|x-api-key/i.test(bytes), 'no credential header names stored')
  })
})
