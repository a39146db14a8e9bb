// Single HTTP recordings `{status, headers, body}`: the public-sample Anthropic cassettes (JSON and SSE bodies),
// synthetic OpenAI ones, narrow detection, and one run of the real CLI.
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import {join} from 'node:path'
import {detect} from '../../src/formats/index.js'
import type {CanonicalRecord} from '../../src/records/types.js'
import {BY_SOURCE, expectImport, fileTempDir, importRows, jsonHas, PUBLIC_DATA, recordsOf} from '../support/import.js'

const CASSETTES = join(PUBLIC_DATA, 'anthropic')
const TOOL_USE = join(CASSETTES, 'messages-reasoning-tool-use.cassette.json')
const THINKING_STREAM = join(CASSETTES, 'messages-thinking-streaming.cassette.json')

const tmp = fileTempDir()
const importInto = (files: string[]) => importRows(files, {dir: tmp, orderBy: BY_SOURCE})

async function recordOf(file: string): Promise<CanonicalRecord> {
  const out = await recordsOf(file)
  assert.equal(out.length, 1)
  return out[0]!
}

function write(name: string, value: unknown, oneLine = false): string {
  const p = join(tmp, name)
  fs.writeFileSync(p, oneLine ? `${JSON.stringify(value)}\n` : JSON.stringify(value, null, 2))
  return p
}

describe('recording: public-sample Anthropic cassettes', () => {
  test('thinking + text + tool_use (non-streaming)', async () => {
    await expectImport([TOOL_USE], {
      dir: tmp,
      // A response without its request cannot be replayed.
      files: [{format: 'recording', imported: 0, not_replayable: 1}],
      rows: {
        '#0': {
          source_format: 'recording',
          source_locator: 'document',
          provider: 'anthropic',
          api: 'anthropic.messages',
          model: 'claude-sonnet-4-6',
          response_model: 'claude-sonnet-4-6',
          status: 'ok',
          http_status: 200,
          response_text: 'Sure! Let me check the weather in San Francisco for you!',
          finish_reason: 'tool_calls',
          finish_reason_raw: 'tool_use',
          // §1.1: canonical input = input + cache writes + cache reads (all 0 here); thinking tokens → reasoning.
          input_tokens: 596,
          cached_input_tokens: 0,
          cache_write_tokens: 0,
          output_tokens: 99,
          reasoning_tokens: 28,
          total_tokens: 695,
          latency_ms: null,
          ttft_ms: null,
          stream: 0,
          replayable: 0,
          request_json: null,
          timestamp_inferred: 1, // no Date header: file mtime, flagged
          source_id: 'msg_01NuGqPL1JZVKeaShZ54fAQj',
        },
      },
    })

    const rec = await recordOf(TOOL_USE)
    assert.deepEqual(rec.response!.tool_calls, [{id: 'toolu_01Lb15KzZHz63KFSjmBpc4Fx', name: 'get_weather', arguments: '{"location":"San Francisco"}'}])
    assert.equal(rec.response!.reasoning, 'The user wants to know the weather in San Francisco. I have all the required parameters to make the function call.')
    const thinking = (rec.response!.raw!.content as {type: string; signature?: string}[])[0]!
    assert.ok(thinking.signature!.startsWith('EroCCmUIDhgCKkC+NWw0dWjX'), 'signature kept verbatim')
  })

  test('streaming thinking: SSE body assembled, thinking tokens from message_delta', async () => {
    const {rows} = await expectImport([THINKING_STREAM], {
      dir: tmp,
      files: [{format: 'recording', not_replayable: 1}],
      rows: {
        '#0': {
          api: 'anthropic.messages',
          model: 'claude-sonnet-4-6',
          stream: 1,
          status: 'ok',
          http_status: 200,
          finish_reason: 'stop',
          finish_reason_raw: 'end_turn',
          input_tokens: 52,
          output_tokens: 204, // the last message_delta usage wins over message_start
          reasoning_tokens: 54,
          cached_input_tokens: 0,
          cache_write_tokens: 0,
          total_tokens: 256,
          source_id: 'msg_01Rg6AMdcuaQkn3YPvgQvffV',
          replayable: 0,
          metadata_json: jsonHas({streamed: true}),
        },
      },
    })
    const text = rows[0]!.response_text!
    assert.ok(text.startsWith("## Calculating 27 × 453\n\nI'll break this down by splitting 453 into easier parts:"))
    assert.ok(text.endsWith('**27 × 453 = 12,231**'))

    const rec = await recordOf(THINKING_STREAM)
    assert.equal(rec.response!.reasoning, '27 * 453\n\n= 27 * 400 + 27 * 50 + 27 * 3\n= 10800 + 1350 + 81\n= 12231')
    assert.deepEqual(rec.response!.tool_calls, [])
    const thinking = (rec.response!.raw!.content as {type: string; signature?: string}[])[0]!
    assert.equal(thinking.type, 'thinking')
    assert.ok(thinking.signature!.startsWith('EooCCmUIDhgCKkBaUXmT'))
  })
})

describe('recording: synthetic OpenAI recordings', () => {
  test('an error response with Date and x-request-id headers', async () => {
    const file = write('openai-429.json', {
      status: 429,
      headers: {'content-type': 'application/json', date: 'Tue, 02 Dec 2025 10:00:00 GMT', 'x-request-id': 'req_rate1'},
      body: JSON.stringify({error: {message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded'}}),
    })
    await expectImport([file], {
      dir: tmp,
      files: [{format: 'recording'}],
      rows: {
        '#0': {
          status: 'error',
          http_status: 429,
          error_type: 'requests',
          error_code: 'rate_limit_exceeded',
          error_message: 'Rate limit reached',
          timestamp: '2025-12-02T10:00:00.000Z',
          timestamp_inferred: 0,
          metadata_json: jsonHas({request_id: 'req_rate1'}),
        },
      },
    })
  })

  test('one recording per line (JSONL) with OpenAI chat SSE and JSON bodies', async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1764669600, model: 'gpt-4o-mini-2024-07-18', choices: [{index: 0, delta, finish_reason: finish}], ...extra})}\n\n`
    const sse = chunk({role: 'assistant', content: 'Hel'}, null) + chunk({content: 'lo'}, null) + chunk({}, 'stop') + 'data: [DONE]\n\n'
    const json = {id: 'chatcmpl-j', object: 'chat.completion', created: 1764669700, model: 'gpt-4o-mini-2024-07-18', choices: [{index: 0, message: {role: 'assistant', content: 'Plain'}, finish_reason: 'length'}], usage: {prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: {cached_tokens: 2}}}
    const p = join(tmp, 'recordings.jsonl')
    fs.writeFileSync(
      p,
      [
        {status: 200, headers: {'content-type': 'text/event-stream'}, body: sse},
        {status: 200, headers: {'content-type': 'application/json'}, body: json},
      ]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    )
    await expectImport([p], {
      dir: tmp,
      orderBy: BY_SOURCE,
      files: [{format: 'recording'}],
      count: 2,
      rows: {
        '#0': {
          source_locator: 'line 1',
          api: 'openai.chat',
          provider: 'openai',
          response_text: 'Hello',
          stream: 1,
          finish_reason: 'stop',
          timestamp: '2025-12-02T10:00:00.000Z', // from the chunk created time
        },
        '#1': {response_text: 'Plain', finish_reason: 'length', input_tokens: 5, cached_input_tokens: 2, stream: 0},
      },
    })
  })
})

describe('recording: narrow detection', () => {
  test('only {status, headers, body} whose body is a provider response', () => {
    const body = JSON.stringify({type: 'message', role: 'assistant', model: 'claude-x', content: [{type: 'text', text: 'hi'}], stop_reason: 'end_turn', usage: {}})
    assert.equal(detect({status: 200, headers: {}, body}, 'json')?.name, 'recording')
    assert.equal(detect({status: 200, headers: {}, body}, 'jsonl')?.name, 'recording')
    // Not provider responses: a generic API, HTML, a 200 carrying an error, a missing header map.
    assert.notEqual(detect({status: 200, headers: {}, body: '{"hello":"world"}'}, 'json')?.name, 'recording')
    assert.notEqual(detect({status: 200, headers: {}, body: '<html></html>'}, 'json')?.name, 'recording')
    assert.notEqual(detect({status: 200, headers: {}, body: '{"error":{"message":"x"}}'}, 'json')?.name, 'recording')
    assert.notEqual(detect({status: 200, body}, 'json')?.name, 'recording')
    // Other formats keep their files.
    const bare = JSON.parse(body) as unknown
    assert.equal(detect(bare, 'json')?.name, 'anthropic-messages')
    assert.equal(detect({log: {version: '1.2', creator: {name: 'x'}, entries: []}}, 'json')?.name, 'har')
    assert.equal(detect({request: {model: 'gpt-4o', messages: [{role: 'user', content: 'x'}]}, response: {object: 'chat.completion', choices: [{message: {content: 'y'}}]}, status: 200}, 'jsonl')?.name, 'openai-chat')
  })

  test('a recording of a non-LLM API is not imported as one', async () => {
    const file = write('other-api.json', {status: 200, headers: {'content-type': 'application/json'}, body: '{"users":[1,2,3]}'})
    const {summary, rows} = await importInto([file])
    assert.equal(rows.length, 0)
    assert.match(summary.files[0]!.error ?? '', /unrecognised log format/)
  })
})
