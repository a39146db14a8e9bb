// OpenAI Batch and Anthropic Message Batches: imported through the real path (importFiles → SQLite) and read
// back with SQL; joins across files in both orders, leftovers, skips, and one run of the real CLI.
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ImportSession, readFile} from '../../src/formats/index.js'
import type {CanonicalRecord} from '../../src/records/types.js'
import {openDb} from '../../src/store/db.js'
import type {EventRow} from '../../src/records/index.js'
import {importFiles, type ImportSummary} from '../../src/app/import/import-files.js'
import {BY_SOURCE, DATA, expectImport, expectRow, fileTempDir, importRows, jsonHas, PUBLIC_DATA as REAL, row, type RowExpect} from '../support/import.js'

const BATCH_IN = join(REAL, 'openai-batch', 'batch-input.jsonl')
const BATCH_OUT = join(REAL, 'openai-batch', 'batch-output.jsonl')
const MIXED_IN = join(DATA, 'openai-batch-mixed-input.jsonl')
const MIXED_OUT = join(DATA, 'openai-batch-mixed-output.jsonl')
const A_REQ = join(DATA, 'anthropic-batch-requests.jsonl')
const A_RES = join(DATA, 'anthropic-batch-results.jsonl')

const tmp = fileTempDir()

/** Imports into a new database; rows in file order, and by source_id. */
async function importInto(files: string[]): Promise<{summary: ImportSummary; rows: EventRow[]; bySource: Map<string, EventRow>}> {
  const {summary, rows} = await importRows(files, {dir: tmp, orderBy: BY_SOURCE})
  return {summary, rows, bySource: new Map(rows.map((r) => [r.source_id ?? '', r]))}
}

/** Canonical records straight from the format layer (for fields the events table does not have columns for). */
async function recordsOf(files: string[]): Promise<Map<string, CanonicalRecord>> {
  const session = new ImportSession()
  const out = new Map<string, CanonicalRecord>()
  for (const f of files) {
    const opened = await readFile(f, session)
    for await (const o of opened.outcomes) if (o.kind === 'record') out.set(o.record.source_id ?? '', o.record)
  }
  for (const {outcome: o} of session.finish()) if (o.kind === 'record') out.set(o.record.source_id ?? '', o.record)
  return out
}

function fileSummary(s: ImportSummary, file: string) {
  const f = s.files.find((x) => x.file === file)
  assert.ok(f, `no summary for ${file}`)
  return f
}

describe('openai-batch: public-sample input + output', () => {
  test('input then output: two joined, replayable records with the output values', async () => {
    const {rows} = await expectImport([BATCH_IN, BATCH_OUT], {
      dir: tmp,
      orderBy: BY_SOURCE,
      count: 2,
      totals: {imported: 2, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, failed_files: 0},
      files: [{file: BATCH_IN, format: 'openai-batch'}, {file: BATCH_OUT, format: 'openai-batch'}],
      rows: {
        'request-1': {
          source_format: 'openai-batch',
          source_file: BATCH_IN,
          source_locator: 'line 1',
          provider: 'openai',
          api: 'openai.chat',
          model: 'gpt-4o-mini',
          response_model: 'gpt-4o-mini-2024-07-18',
          status: 'ok',
          http_status: 200,
          response_text: 'Hello! How can I assist you today?',
          finish_reason: 'stop',
          finish_reason_raw: 'stop',
          input_tokens: 20,
          output_tokens: 10,
          total_tokens: 30,
          cached_input_tokens: 0,
          reasoning_tokens: 0,
          latency_ms: null, // batch queue time is not latency
          ttft_ms: null,
          timestamp: '2024-12-23T20:36:42.000Z', // from body.created
          timestamp_inferred: 0,
          replayable: 1,
          stream: 0,
          request_hash: /^[0-9a-f]{64}$/,
          request_json: jsonHas({max_tokens: 10}),
          metadata_json: jsonHas({batch: true, request_id: '07bc45ab4e7e26ac23a0c949973327e7', batch_request_id: 'batch_req_6769ca596b38819093d7ae9f522de924', response_id: 'chatcmpl-AhjSMl7oZ79yIPHLRYgmgXSixTJr7'}),
        },
        'request-2': {
          response_text: 'Hello! What can I do for you today?',
          finish_reason: 'length',
          finish_reason_raw: 'length',
          input_tokens: 22,
          output_tokens: 10,
          total_tokens: 32,
          timestamp: '2024-12-23T20:36:43.000Z',
          metadata_json: jsonHas({request_id: '82e04f4c001fe2c127cbad199f5fd31b'}),
        },
      },
    })
    const messages = (r: EventRow) => (JSON.parse(r.request_json!) as {messages: {content: string}[]}).messages
    assert.equal(messages(row(rows, 'request-1'))[0]!.content, 'You are a helpful assistant.')
    assert.match(messages(row(rows, 'request-2'))[0]!.content, /unhelpful/)
  })

  test('output then input gives the same records (same ids, same values)', async () => {
    const a = await importInto([BATCH_IN, BATCH_OUT])
    const b = await importInto([BATCH_OUT, BATCH_IN])
    assert.equal(b.rows.length, 2)
    assert.equal(b.summary.totals.imported, 2)
    for (const id of ['request-1', 'request-2']) {
      const x = a.bySource.get(id)!
      const y = b.bySource.get(id)!
      assert.equal(y.event_id, x.event_id)
      assert.equal(y.response_text, x.response_text)
      assert.equal(y.input_tokens, x.input_tokens)
      assert.equal(y.output_tokens, x.output_tokens)
      assert.equal(y.request_json, x.request_json)
      assert.equal(y.source_file, BATCH_IN)
      assert.equal(y.replayable, 1)
    }
  })

  test('importing the pair twice in one database stores nothing new', async () => {
    const dbPath = join(tmp, 'twice.db')
    const db = openDb(dbPath)
    try {
      await importFiles(db, dbPath, [BATCH_IN, BATCH_OUT])
      const again = await importFiles(db, dbPath, [BATCH_OUT, BATCH_IN])
      assert.equal(again.totals.duplicates, 2)
      assert.equal(again.totals.imported, 0)
      assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as {n: number}).n, 2)
    } finally {
      db.close()
    }
  })

  test('input alone: replayable requests without a response', async () => {
    await expectImport([BATCH_IN], {
      dir: tmp,
      count: 2,
      totals: {imported: 2},
      rows: {
        'request-1': {
          replayable: 1,
          response_text: null,
          response_json: null,
          input_tokens: null,
          finish_reason: null,
          model: 'gpt-4o-mini',
          timestamp_inferred: 1, // no time in an input file
          metadata_json: jsonHas({batch_output: 'missing', batch: true}),
        },
      },
    })
  })

  test('output alone: response-only records, not replayable', async () => {
    await expectImport([BATCH_OUT], {
      dir: tmp,
      count: 2,
      totals: {imported: 0, not_replayable: 2},
      rows: {
        'request-2': {
          replayable: 0,
          request_json: null,
          response_text: 'Hello! What can I do for you today?',
          model: 'gpt-4o-mini-2024-07-18',
          output_tokens: 10,
          timestamp: '2024-12-23T20:36:43.000Z',
          metadata_json: jsonHas({batch_input: 'missing'}),
        },
      },
    })
  })
})

describe('openai-batch: a held-back half refused when it is finally built', () => {
  test('is counted against its own file, never as a file of its own', async () => {
    // An output line with an impossible token count and no input line: it is only built at the end of the import
    // session, and the refusal must name the output file and its line.
    const out = join(tmp, 'impossible-output.jsonl')
    const line = {id: 'batch_req_1', custom_id: 'only-output', response: {status_code: 200, request_id: 'r1', body: {id: 'chatcmpl-1', object: 'chat.completion', created: 1735000000, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'Hi.'}, finish_reason: 'stop'}], usage: {prompt_tokens: -5, completion_tokens: 2, total_tokens: -3}}}, error: null}
    writeFileSync(out, `${JSON.stringify(line)}\n`)
    const {summary} = await importInto([out])
    assert.deepEqual(summary.files.map((f) => f.file), [out])
    const f = fileSummary(summary, out)
    assert.equal(f.rejected, 1)
    assert.deepEqual(f.reasons.map((r) => r.locations), [[`${out}:1`]])
  })
})

describe('openai-batch: synthetic mixed batch (responses, completions, errors, embeddings)', () => {
  const MIXED_ROWS: Record<string, RowExpect> = {
    'chat-ok': {response_text: 'Blue.', input_tokens: 12, timestamp: '2024-12-24T00:28:20.000Z'},
    'resp-ok': {
      api: 'openai.responses',
      model: 'gpt-4.1-mini',
      response_model: 'gpt-4.1-mini-2025-04-14',
      finish_reason: 'tool_calls', // a function_call item makes a completed response a tool call
      finish_reason_raw: 'completed',
      input_tokens: 120,
      cached_input_tokens: 64,
      output_tokens: 30,
      reasoning_tokens: 12,
      total_tokens: 150,
      timestamp: '2024-12-24T00:26:40.000Z', // from created_at
      replayable: 1,
    },
    'chat-429': {status: 'error', http_status: 429, error_type: 'requests', error_code: 'rate_limit_exceeded', error_message: 'Rate limit reached for gpt-4o-mini', replayable: 1},
    'chat-expired': {status: 'error', error_code: 'batch_expired', error_message: /completion window expired/, response_text: null},
    // Legacy completions are not replayed.
    'cmpl-1': {api: 'openai.completions', response_text: '\n\nHi!', finish_reason: 'length', output_tokens: 5, replayable: 0},
    'input-only': {replayable: 1, response_text: null, metadata_json: jsonHas({batch_output: 'missing'}), source_file: MIXED_IN},
    orphan: {replayable: 0, response_text: 'An answer without its request.', metadata_json: jsonHas({batch_input: 'missing'}), source_file: MIXED_OUT, source_locator: 'line 7'},
  }

  async function check(files: string[]) {
    const {summary, rows, bySource} = await importInto(files)
    // 5 joined + 1 input-only + 1 output-only; 2 embeddings requests and their 2 results skipped.
    assert.equal(rows.length, 7)
    assert.equal(summary.totals.imported, 5)
    assert.equal(summary.totals.not_replayable, 2)
    assert.equal(fileSummary(summary, MIXED_IN).skipped, 2)
    assert.equal(fileSummary(summary, MIXED_OUT).skipped, 2)
    assert.equal(summary.totals.rejected, 0)
    const inSkip = fileSummary(summary, MIXED_IN).reasons
    assert.deepEqual(inSkip.map((r) => [r.kind, r.reason, r.count]), [['skip', 'embeddings request (not a generation)', 2]])
    assert.ok(!bySource.has('emb-1') && !bySource.has('emb-2'))

    for (const [id, want] of Object.entries(MIXED_ROWS)) expectRow(row(rows, id), want, id)
    return rows
  }

  test('input file first', async () => {
    await check([MIXED_IN, MIXED_OUT])
  })

  test('output file first: same records and the same skip counts', async () => {
    const a = await check([MIXED_IN, MIXED_OUT])
    const b = await check([MIXED_OUT, MIXED_IN])
    assert.deepEqual(b.map((r) => r.event_id).sort(), a.map((r) => r.event_id).sort())
  })

  test('Responses request and output items map to canonical messages, tools and tool calls', async () => {
    const recs = await recordsOf([MIXED_IN, MIXED_OUT])
    const r = recs.get('resp-ok')!
    assert.equal(r.request.system, 'Be brief.')
    assert.deepEqual(r.request.messages.map((m) => m.role), ['system', 'user'])
    assert.deepEqual(r.request.messages[1]!.parts, [{type: 'text', text: 'Weather in Paris?'}])
    assert.equal(r.request.tools[0]!.name, 'get_weather')
    assert.equal(r.request.params.max_output_tokens, 200)
    assert.deepEqual(r.response!.tool_calls, [{id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}'}])
    assert.equal(r.response!.reasoning, 'Need the weather tool.')
    assert.equal(r.response!.text, null)
    const c = recs.get('cmpl-1')!
    assert.deepEqual(c.request.messages, [{role: 'user', parts: [{type: 'text', text: 'Say hi'}]}])
  })

  test('older vLLM output shape: completion directly in response, string error', async () => {
    const file = join(DATA, 'openai-batch-vllm-output.jsonl')
    const {summary, rows} = await importInto([file])
    assert.equal(fileSummary(summary, file).format, 'openai-batch')
    assert.equal(summary.totals.not_replayable, 2)
    expectRow(row(rows, 'v1'), {response_text: 'Hi there', model: 'meta-llama/Meta-Llama-3-8B-Instruct', input_tokens: 8, status: 'ok'})
    expectRow(row(rows, 'v2'), {status: 'error', error_message: 'Request failed: prompt is longer than the context window'})
  })
})

describe('anthropic-batch', () => {
  const ANTHROPIC_ROWS: Record<string, RowExpect> = {
    'a-ok': {
      provider: 'anthropic',
      api: 'anthropic.messages',
      model: 'claude-sonnet-4-5',
      response_model: 'claude-sonnet-4-5-20250929',
      status: 'ok',
      response_text: 'Checking the weather.',
      finish_reason: 'tool_calls',
      finish_reason_raw: 'tool_use',
      // §1.1: Anthropic input_tokens excludes cache reads and writes; canonical input includes them.
      input_tokens: 20 + 1500 + 3000,
      cached_input_tokens: 3000,
      cache_write_tokens: 1500,
      output_tokens: 180,
      reasoning_tokens: 120,
      total_tokens: 4700,
      latency_ms: null,
      replayable: 1,
      metadata_json: jsonHas({batch: true, batch_result: 'succeeded'}),
      source_file: A_REQ,
    },
    'a-err': {status: 'error', error_type: 'invalid_request_error', error_message: 'messages: text content blocks must be non-empty', replayable: 1},
    'a-cancel': {status: 'error', error_type: 'canceled'},
    'a-expired': {error_type: 'expired'},
    'a-noresult': {status: 'ok', replayable: 1, response_text: null, metadata_json: jsonHas({batch_output: 'missing'})},
    // Not reported is null, not 0.
    'a-orphan': {replayable: 0, response_text: 'Orphan answer.', input_tokens: 5, cached_input_tokens: null},
  }

  async function check(files: string[]) {
    const {summary, rows} = await importInto(files)
    assert.equal(rows.length, 6)
    for (const f of files) assert.equal(fileSummary(summary, f).format, 'anthropic-batch')
    assert.equal(summary.totals.imported, 5)
    assert.equal(summary.totals.not_replayable, 1)

    for (const [id, want] of Object.entries(ANTHROPIC_ROWS)) expectRow(row(rows, id), want, id)
    const raw = JSON.parse(row(rows, 'a-ok').response_json!) as {content: {type: string; signature?: string}[]}
    assert.equal(raw.content[0]!.signature, 'sig-oslo-123', 'thinking signature kept verbatim')
    return rows
  }

  test('requests then results', async () => {
    await check([A_REQ, A_RES])
  })

  test('results then requests: same ids', async () => {
    const a = await check([A_REQ, A_RES])
    const b = await check([A_RES, A_REQ])
    assert.deepEqual(b.map((r) => r.event_id).sort(), a.map((r) => r.event_id).sort())
  })

  test('canonical request keeps the system prompt, tools and thinking; response keeps reasoning and the tool call', async () => {
    const r = (await recordsOf([A_REQ, A_RES])).get('a-ok')!
    assert.equal(r.request.system, 'You are a weather bot.')
    assert.equal(r.request.messages[0]!.role, 'system')
    assert.deepEqual(r.request.params.thinking, {type: 'enabled', budget_tokens: 2000})
    assert.equal(r.request.tools[0]!.name, 'get_weather')
    assert.equal(r.response!.reasoning, 'User wants the Oslo weather; call the tool.')
    assert.deepEqual(r.response!.tool_calls, [{id: 'toolu_oslo', name: 'get_weather', arguments: '{"city":"Oslo"}'}])
  })
})

describe('detection', () => {
  test('batch lines are not taken by other formats, and vice versa', async () => {
    const {detect} = await import('../../src/formats/index.js')
    assert.equal(detect({custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: {model: 'm', messages: []}}, 'jsonl')?.name, 'openai-batch')
    assert.equal(detect({id: 'b', custom_id: 'x', response: {status_code: 200, body: {}}, error: null}, 'jsonl')?.name, 'openai-batch')
    assert.equal(detect({custom_id: 'x', response: null, error: {code: 'batch_expired', message: 'm'}}, 'jsonl')?.name, 'openai-batch')
    assert.equal(detect({custom_id: 'x', params: {model: 'claude-x', max_tokens: 1, messages: []}}, 'jsonl')?.name, 'anthropic-batch')
    assert.equal(detect({custom_id: 'x', result: {type: 'expired'}}, 'jsonl')?.name, 'anthropic-batch')
    assert.notEqual(detect({custom_id: 'x', result: {type: 'weird'}}, 'jsonl')?.name, 'anthropic-batch')
    assert.equal(detect({model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}]}, 'jsonl')?.name, 'openai-chat')
  })
})
