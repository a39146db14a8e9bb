// HAR 1.2 import: every public-sample HAR through importFiles → SQLite, a synthetic HAR for skips, errors, Azure,
// base64/brotli/deflate bodies and Responses streaming, the credential guarantee (raw .db bytes), and the CLI.
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import {join} from 'node:path'
import {brotliCompressSync, deflateSync} from 'node:zlib'
import type {EventRow} from '../../src/records/index.js'
import {BY_SOURCE, expectImport, fileTempDir, importRows, jsonHas, jsonIs, meta, PUBLIC_DATA, recordsOf, type RowExpect} from '../support/import.js'

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

// ---------------------------------------------------------------------------------------------------------
// Synthetic HAR

type Header = {name: string; value: string}
interface EntryOpts {
  method?: string
  url: string
  status: number
  req?: unknown
  reqHeaders?: Header[]
  resHeaders?: Header[]
  mime?: string
  text?: string
  encoding?: string
  time?: number
  wait?: number
  started?: string
}

function entry(o: EntryOpts): Record<string, unknown> {
  return {
    startedDateTime: o.started ?? '2025-09-01T10:00:00.000Z',
    time: o.time ?? 100,
    request: {
      method: o.method ?? 'POST',
      url: o.url,
      httpVersion: 'HTTP/1.1',
      headers: [{name: 'content-type', value: 'application/json'}, ...(o.reqHeaders ?? [])],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: -1,
      ...(o.req !== undefined ? {postData: {mimeType: 'application/json', text: JSON.stringify(o.req)}} : {}),
    },
    response: {
      status: o.status,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      headers: o.resHeaders ?? [],
      cookies: [],
      content: {size: o.text?.length ?? 0, mimeType: o.mime ?? 'application/json', ...(o.text !== undefined ? {text: o.text} : {}), ...(o.encoding ? {encoding: o.encoding} : {})},
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: {blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: o.wait ?? o.time ?? 100, receive: 0},
  }
}

/** Polly.JS style: the compressed bytes cut into odd-sized pieces, each base64-encoded on its own. */
function pollyChunks(bytes: Buffer, size = 7): string {
  const chunks: string[] = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size).toString('base64'))
  return JSON.stringify(chunks)
}

const AZURE_QUERY_KEY = 'AZKEYSECRET0123456789'
const AZURE_HEADER_KEY = 'azure-header-secret-xyz-987'

function syntheticHar(): Record<string, unknown> {
  const chat = (id: string, text: string) => ({
    id,
    object: 'chat.completion',
    created: 1756720800,
    model: 'gpt-4o-2024-08-06',
    choices: [{index: 0, message: {role: 'assistant', content: text}, finish_reason: 'stop'}],
    usage: {prompt_tokens: 9, completion_tokens: 4, total_tokens: 13},
  })
  const sse = [
    'event: response.created',
    `data: ${JSON.stringify({type: 'response.created', response: {id: 'resp_s1', object: 'response', status: 'in_progress', model: 'gpt-4.1-mini-2025-04-14', output: []}})}`,
    '',
    'event: response.output_text.delta',
    `data: ${JSON.stringify({type: 'response.output_text.delta', delta: '1, 2'})}`,
    '',
    'event: response.output_text.delta',
    `data: ${JSON.stringify({type: 'response.output_text.delta', delta: ', 3'})}`,
    '',
    'event: response.completed',
    `data: ${JSON.stringify({
      type: 'response.completed',
      response: {
        id: 'resp_s1',
        object: 'response',
        created_at: 1756720800,
        status: 'completed',
        model: 'gpt-4.1-mini-2025-04-14',
        output: [{type: 'message', role: 'assistant', content: [{type: 'output_text', text: '1, 2, 3'}]}],
        usage: {input_tokens: 11, input_tokens_details: {cached_tokens: 0}, output_tokens: 6, output_tokens_details: {reasoning_tokens: 0}, total_tokens: 17},
      },
    })}`,
    '',
    '',
  ].join('\n')
  return {
    log: {
      version: '1.2',
      creator: {name: 'kt-test', version: '1'},
      entries: [
        entry({method: 'OPTIONS', url: 'https://api.openai.com/v1/chat/completions', status: 204}),
        entry({method: 'GET', url: 'https://app.example.com/static/app.js', status: 200, mime: 'text/javascript', text: 'console.log(1)'}),
        entry({url: 'https://api.openai.com/v1/embeddings', status: 200, req: {model: 'text-embedding-3-small', input: 'x'}, text: '{"object":"list","data":[]}'}),
        entry({url: 'https://api.openai.com/v1/chat/completions', status: 0, req: {model: 'gpt-4o', messages: [{role: 'user', content: 'cut'}]}}),
        entry({url: 'https://proxy.example.com/v1/chat/completions', status: 307, req: {model: 'gpt-4o', messages: [{role: 'user', content: 'moved'}]}}),
        // 5: Azure, key in the query and in a header; plain (non-Polly) base64 body.
        entry({
          url: `https://myres.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-06-01&api-key=${AZURE_QUERY_KEY}`,
          status: 200,
          req: {messages: [{role: 'user', content: 'Hi Azure'}]},
          reqHeaders: [{name: 'api-key', value: AZURE_HEADER_KEY}],
          resHeaders: [{name: 'x-request-id', value: 'azreq-1'}],
          text: Buffer.from(JSON.stringify(chat('chatcmpl-az', 'Hello from Azure'))).toString('base64'),
          encoding: 'base64',
          time: 321,
        }),
        // 6: Anthropic overloaded.
        entry({
          url: 'https://api.anthropic.com/v1/messages',
          status: 529,
          req: {model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{role: 'user', content: 'Busy?'}]},
          resHeaders: [{name: 'request-id', value: 'req_overloaded'}],
          text: JSON.stringify({type: 'error', error: {type: 'overloaded_error', message: 'Overloaded'}}),
        }),
        // 7: Responses stream, brotli-compressed and stored as Polly base64 chunks.
        entry({
          url: 'https://api.openai.com/v1/responses',
          status: 200,
          req: {model: 'gpt-4.1-mini', input: 'Count to 3', stream: true},
          resHeaders: [{name: 'content-encoding', value: 'br'}],
          mime: 'text/event-stream; charset=utf-8',
          text: pollyChunks(brotliCompressSync(Buffer.from(sse))),
          encoding: 'base64',
          time: 480,
          wait: 120,
        }),
        // 8: deflate-compressed chat body as Polly chunks.
        entry({
          url: 'https://api.openai.com/v1/chat/completions',
          status: 200,
          req: {model: 'gpt-4o', messages: [{role: 'user', content: 'Deflate?'}]},
          resHeaders: [{name: 'content-encoding', value: 'deflate'}],
          text: pollyChunks(deflateSync(Buffer.from(JSON.stringify(chat('chatcmpl-df', 'Deflated hello'))))),
          encoding: 'base64',
        }),
        // 9: a gateway error page instead of JSON.
        entry({
          url: 'https://api.openai.com/v1/chat/completions',
          status: 502,
          req: {model: 'gpt-4o', messages: [{role: 'user', content: 'Gateway?'}]},
          mime: 'text/html',
          text: '<html><body>502 Bad Gateway</body></html>',
        }),
      ],
    },
  }
}

describe('har: synthetic capture', () => {
  test('skips non-LLM entries with reasons, imports the rest', async () => {
    const file = join(tmp, 'synthetic.har')
    fs.writeFileSync(file, JSON.stringify(syntheticHar(), null, 2))
    const {summary, rows, dbPath} = await importInto([file])
    const s = summary.files[0]!
    assert.equal(s.format, 'har')
    assert.equal(s.skipped, 5)
    assert.equal(s.rejected, 0)
    assert.equal(rows.length, 5)
    assert.deepEqual(
      s.reasons.map((r) => [r.reason, r.count, r.locations]),
      [
        ['CORS preflight (OPTIONS)', 1, [`${file}:entry 0`]],
        ['not an LLM API endpoint', 1, [`${file}:entry 1`]],
        ['embeddings request (not a generation)', 1, [`${file}:entry 2`]],
        ['aborted request (no HTTP status)', 1, [`${file}:entry 3`]],
        ['redirect (HTTP 3xx)', 1, [`${file}:entry 4`]],
      ],
    )
    const at = (n: number) => rows.find((r) => r.source_locator === `entry ${n}`)!

    const azure = at(5)
    assert.equal(azure.provider, 'azure_openai')
    assert.equal(azure.api, 'openai.chat')
    assert.equal(azure.model, 'gpt4o-prod', 'deployment name from the URL')
    assert.equal(azure.response_model, 'gpt-4o-2024-08-06')
    assert.equal(azure.response_text, 'Hello from Azure')
    assert.equal(azure.input_tokens, 9)
    assert.equal(azure.latency_ms, 321)
    assert.equal(azure.timestamp, '2025-09-01T10:00:00.000Z')
    assert.equal(meta(azure).url, 'https://myres.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-06-01')
    assert.equal(meta(azure).request_id, 'azreq-1')

    const overloaded = at(6)
    assert.equal(overloaded.provider, 'anthropic')
    assert.equal(overloaded.status, 'error')
    assert.equal(overloaded.http_status, 529)
    assert.equal(overloaded.error_type, 'overloaded_error')
    assert.equal(overloaded.error_message, 'Overloaded')
    assert.equal(overloaded.response_text, null)
    assert.equal(overloaded.replayable, 1)
    assert.equal(meta(overloaded).request_id, 'req_overloaded')

    const stream = at(7)
    assert.equal(stream.api, 'openai.responses')
    assert.equal(stream.stream, 1)
    assert.equal(stream.status, 'ok')
    assert.equal(stream.response_text, '1, 2, 3')
    assert.equal(stream.finish_reason, 'stop')
    assert.equal(stream.input_tokens, 11)
    assert.equal(stream.output_tokens, 6)
    assert.equal(stream.total_tokens, 17)
    assert.equal(stream.latency_ms, 480)
    assert.equal(stream.ttft_ms, 120)
    assert.equal(stream.source_id, 'resp_s1')

    const deflated = at(8)
    assert.equal(deflated.response_text, 'Deflated hello')
    assert.equal(deflated.finish_reason, 'stop')

    const gateway = at(9)
    assert.equal(gateway.status, 'error')
    assert.equal(gateway.http_status, 502)
    assert.equal(gateway.error_type, 'http_error')
    assert.equal(gateway.error_code, '502')
    assert.match(gateway.error_message!, /502 Bad Gateway/)
    assert.equal(gateway.response_text, null)

    const bytes = readDbBytes(dbPath)
    assert.ok(bytes.includes('Hello from Azure'), 'control: stored values are visible in the raw bytes')
    assert.ok(!bytes.includes(AZURE_QUERY_KEY), 'api-key query parameter must not be stored')
    assert.ok(!bytes.includes(AZURE_HEADER_KEY), 'api-key header must not be stored')
  })

  test('a HAR written on one line (read as one-line JSONL) imports the same', async () => {
    const pretty = join(tmp, 'pretty.har')
    const flat = join(tmp, 'flat.har')
    fs.writeFileSync(pretty, JSON.stringify(syntheticHar(), null, 2))
    fs.writeFileSync(flat, `${JSON.stringify(syntheticHar())}\n`)
    const a = await importInto([pretty])
    const b = await importInto([flat])
    assert.equal(b.summary.files[0]!.format, 'har')
    assert.equal(b.summary.files[0]!.skipped, 5)
    assert.deepEqual(
      b.rows.map((r) => r.event_id).sort(),
      a.rows.map((r) => r.event_id).sort(),
    )
  })
})

// ---------------------------------------------------------------------------------------------------------
// Credentials

/** The database file and its WAL as one latin1 string (byte-for-byte searchable). */
function readDbBytes(dbPath: string): string {
  let s = fs.readFileSync(dbPath).toString('latin1')
  for (const extra of [`${dbPath}-wal`, `${dbPath}-journal`]) if (fs.existsSync(extra)) s += fs.readFileSync(extra).toString('latin1')
  return s
}

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
    const bytes = readDbBytes(dbPath)
    assert.ok(bytes.includes('req_599125bea30443a3b95b24dd0f10b1ee'), 'control: stored metadata is visible in the raw bytes')
    assert.ok(bytes.includes('interleaved-thinking-2025-05-14'), 'control: kept safe headers are visible')
    for (const s of secrets) assert.ok(!bytes.includes(s), `secret value found in the database file: ${s}`)
    assert.ok(!/set-cookie|authorization|x-api-key/i.test(bytes), 'no credential header names stored')
  })
})
