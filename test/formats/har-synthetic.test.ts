// HAR 1.2 import of a synthetic capture: skips with their reasons, errors, Azure deployments, base64/brotli/deflate
// bodies, Responses streaming, and a HAR written on one line.
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import {join} from 'node:path'
import {brotliCompressSync, deflateSync} from 'node:zlib'
import {BY_SOURCE, dbBytes, fileTempDir, importRows, meta} from '../support/import.js'

const tmp = fileTempDir()
const importInto = (files: string[]) => importRows(files, {dir: tmp, orderBy: BY_SOURCE})

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

    const bytes = dbBytes(dbPath)
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
