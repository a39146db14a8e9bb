// OpenAI Batch and Anthropic Message Batches: imported through the real path (importFiles → SQLite) and read
// back with SQL; joins across files in both orders, leftovers, skips, and one run of the real CLI.
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {ImportSession, readFile} from '../../src/formats/index.js'
import type {CanonicalRecord} from '../../src/records/types.js'
import {openDb} from '../../src/store/db.js'
import type {EventRow} from '../../src/records/index.js'
import {importFiles, type ImportSummary} from '../../src/app/import/import-files.js'
import {kt} from '../support/cli.js'
import {BY_SOURCE, DATA, fileTempDir, importRows, meta, PUBLIC_DATA as REAL} from '../support/import.js'

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
  for (const o of session.finish()) if (o.kind === 'record') out.set(o.record.source_id ?? '', o.record)
  return out
}

function fileSummary(s: ImportSummary, file: string) {
  const f = s.files.find((x) => x.file === file)
  assert.ok(f, `no summary for ${file}`)
  return f
}

describe('openai-batch: public-sample input + output', () => {
  test('input then output: two joined, replayable records with the output values', async () => {
    const {summary, rows, bySource} = await importInto([BATCH_IN, BATCH_OUT])
    assert.equal(rows.length, 2)
    assert.deepEqual(summary.totals, {imported: 2, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, failed_files: 0})
    assert.equal(fileSummary(summary, BATCH_IN).format, 'openai-batch')
    assert.equal(fileSummary(summary, BATCH_OUT).format, 'openai-batch')

    const r1 = bySource.get('request-1')!
    assert.equal(r1.source_format, 'openai-batch')
    assert.equal(r1.source_file, BATCH_IN)
    assert.equal(r1.source_locator, 'line 1')
    assert.equal(r1.provider, 'openai')
    assert.equal(r1.api, 'openai.chat')
    assert.equal(r1.model, 'gpt-4o-mini')
    assert.equal(r1.response_model, 'gpt-4o-mini-2024-07-18')
    assert.equal(r1.status, 'ok')
    assert.equal(r1.http_status, 200)
    assert.equal(r1.response_text, 'Hello! How can I assist you today?')
    assert.equal(r1.finish_reason, 'stop')
    assert.equal(r1.finish_reason_raw, 'stop')
    assert.equal(r1.input_tokens, 20)
    assert.equal(r1.output_tokens, 10)
    assert.equal(r1.total_tokens, 30)
    assert.equal(r1.cached_input_tokens, 0)
    assert.equal(r1.reasoning_tokens, 0)
    assert.equal(r1.latency_ms, null, 'batch queue time is not latency')
    assert.equal(r1.ttft_ms, null)
    assert.equal(r1.timestamp, '2024-12-23T20:36:42.000Z', 'from body.created')
    assert.equal(r1.timestamp_inferred, 0)
    assert.equal(r1.replayable, 1)
    assert.equal(r1.stream, 0)
    const m1 = meta(r1)
    assert.equal(m1.batch, true)
    assert.equal(m1.request_id, '07bc45ab4e7e26ac23a0c949973327e7')
    assert.equal(m1.batch_request_id, 'batch_req_6769ca596b38819093d7ae9f522de924')
    assert.equal(m1.response_id, 'chatcmpl-AhjSMl7oZ79yIPHLRYgmgXSixTJr7')
    const req1 = JSON.parse(r1.request_json!) as {model: string; messages: {content: string}[]; max_tokens: number}
    assert.equal(req1.messages[0]!.content, 'You are a helpful assistant.')
    assert.equal(req1.max_tokens, 10)
    assert.ok(r1.request_hash && /^[0-9a-f]{64}$/.test(r1.request_hash))

    const r2 = bySource.get('request-2')!
    assert.equal(r2.response_text, 'Hello! What can I do for you today?')
    assert.ok(r2.response_text!.startsWith('Hello! What can I'))
    assert.equal(r2.finish_reason, 'length')
    assert.equal(r2.finish_reason_raw, 'length')
    assert.equal(r2.input_tokens, 22)
    assert.equal(r2.output_tokens, 10)
    assert.equal(r2.total_tokens, 32)
    assert.equal(r2.timestamp, '2024-12-23T20:36:43.000Z')
    assert.equal(meta(r2).request_id, '82e04f4c001fe2c127cbad199f5fd31b')
    assert.match(String(JSON.parse(r2.request_json!).messages[0].content), /unhelpful/)
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
    const {summary, rows, bySource} = await importInto([BATCH_IN])
    assert.equal(rows.length, 2)
    assert.equal(summary.totals.imported, 2)
    const r = bySource.get('request-1')!
    assert.equal(r.replayable, 1)
    assert.equal(r.response_text, null)
    assert.equal(r.response_json, null)
    assert.equal(r.input_tokens, null)
    assert.equal(r.finish_reason, null)
    assert.equal(r.model, 'gpt-4o-mini')
    assert.equal(r.timestamp_inferred, 1, 'no time in an input file')
    assert.equal(meta(r).batch_output, 'missing')
    assert.equal(meta(r).batch, true)
  })

  test('output alone: response-only records, not replayable', async () => {
    const {summary, rows, bySource} = await importInto([BATCH_OUT])
    assert.equal(rows.length, 2)
    assert.equal(summary.totals.imported, 0)
    assert.equal(summary.totals.not_replayable, 2)
    const r = bySource.get('request-2')!
    assert.equal(r.replayable, 0)
    assert.equal(r.request_json, null)
    assert.equal(r.response_text, 'Hello! What can I do for you today?')
    assert.equal(r.model, 'gpt-4o-mini-2024-07-18')
    assert.equal(r.output_tokens, 10)
    assert.equal(r.timestamp, '2024-12-23T20:36:43.000Z')
    assert.equal(meta(r).batch_input, 'missing')
  })
})

describe('openai-batch: synthetic mixed batch (responses, completions, errors, embeddings)', () => {
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

    const chat = bySource.get('chat-ok')!
    assert.equal(chat.response_text, 'Blue.')
    assert.equal(chat.input_tokens, 12)
    assert.equal(chat.timestamp, '2024-12-24T00:28:20.000Z')

    const resp = bySource.get('resp-ok')!
    assert.equal(resp.api, 'openai.responses')
    assert.equal(resp.model, 'gpt-4.1-mini')
    assert.equal(resp.response_model, 'gpt-4.1-mini-2025-04-14')
    assert.equal(resp.finish_reason, 'tool_calls', 'a function_call item makes a completed response a tool call')
    assert.equal(resp.finish_reason_raw, 'completed')
    assert.equal(resp.input_tokens, 120)
    assert.equal(resp.cached_input_tokens, 64)
    assert.equal(resp.output_tokens, 30)
    assert.equal(resp.reasoning_tokens, 12)
    assert.equal(resp.total_tokens, 150)
    assert.equal(resp.timestamp, '2024-12-24T00:26:40.000Z', 'from created_at')
    assert.equal(resp.replayable, 1)

    const limited = bySource.get('chat-429')!
    assert.equal(limited.status, 'error')
    assert.equal(limited.http_status, 429)
    assert.equal(limited.error_type, 'requests')
    assert.equal(limited.error_code, 'rate_limit_exceeded')
    assert.equal(limited.error_message, 'Rate limit reached for gpt-4o-mini')
    assert.equal(limited.replayable, 1)

    const expired = bySource.get('chat-expired')!
    assert.equal(expired.status, 'error')
    assert.equal(expired.error_code, 'batch_expired')
    assert.match(expired.error_message!, /completion window expired/)
    assert.equal(expired.response_text, null)

    const cmpl = bySource.get('cmpl-1')!
    assert.equal(cmpl.api, 'openai.completions')
    assert.equal(cmpl.response_text, '\n\nHi!')
    assert.equal(cmpl.finish_reason, 'length')
    assert.equal(cmpl.output_tokens, 5)
    assert.equal(cmpl.replayable, 0, 'legacy completions are not replayed')

    const inputOnly = bySource.get('input-only')!
    assert.equal(inputOnly.replayable, 1)
    assert.equal(inputOnly.response_text, null)
    assert.equal(meta(inputOnly).batch_output, 'missing')
    assert.equal(inputOnly.source_file, MIXED_IN)

    const orphan = bySource.get('orphan')!
    assert.equal(orphan.replayable, 0)
    assert.equal(orphan.response_text, 'An answer without its request.')
    assert.equal(meta(orphan).batch_input, 'missing')
    assert.equal(orphan.source_file, MIXED_OUT)
    assert.equal(orphan.source_locator, 'line 7')
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
    const {summary, bySource} = await importInto([file])
    assert.equal(fileSummary(summary, file).format, 'openai-batch')
    assert.equal(summary.totals.not_replayable, 2)
    const ok = bySource.get('v1')!
    assert.equal(ok.response_text, 'Hi there')
    assert.equal(ok.model, 'meta-llama/Meta-Llama-3-8B-Instruct')
    assert.equal(ok.input_tokens, 8)
    assert.equal(ok.status, 'ok')
    const bad = bySource.get('v2')!
    assert.equal(bad.status, 'error')
    assert.equal(bad.error_message, 'Request failed: prompt is longer than the context window')
  })
})

describe('anthropic-batch', () => {
  async function check(files: string[]) {
    const {summary, rows, bySource} = await importInto(files)
    assert.equal(rows.length, 6)
    for (const f of files) assert.equal(fileSummary(summary, f).format, 'anthropic-batch')
    assert.equal(summary.totals.imported, 5)
    assert.equal(summary.totals.not_replayable, 1)

    const ok = bySource.get('a-ok')!
    assert.equal(ok.provider, 'anthropic')
    assert.equal(ok.api, 'anthropic.messages')
    assert.equal(ok.model, 'claude-sonnet-4-5')
    assert.equal(ok.response_model, 'claude-sonnet-4-5-20250929')
    assert.equal(ok.status, 'ok')
    assert.equal(ok.response_text, 'Checking the weather.')
    assert.equal(ok.finish_reason, 'tool_calls')
    assert.equal(ok.finish_reason_raw, 'tool_use')
    // §1.1: Anthropic input_tokens excludes cache reads and writes; canonical input includes them.
    assert.equal(ok.input_tokens, 20 + 1500 + 3000)
    assert.equal(ok.cached_input_tokens, 3000)
    assert.equal(ok.cache_write_tokens, 1500)
    assert.equal(ok.output_tokens, 180)
    assert.equal(ok.reasoning_tokens, 120)
    assert.equal(ok.total_tokens, 4700)
    assert.equal(ok.latency_ms, null)
    assert.equal(ok.replayable, 1)
    assert.equal(meta(ok).batch, true)
    assert.equal(meta(ok).batch_result, 'succeeded')
    assert.equal(ok.source_file, A_REQ)
    const raw = JSON.parse(ok.response_json!) as {content: {type: string; signature?: string}[]}
    assert.equal(raw.content[0]!.signature, 'sig-oslo-123', 'thinking signature kept verbatim')

    const err = bySource.get('a-err')!
    assert.equal(err.status, 'error')
    assert.equal(err.error_type, 'invalid_request_error')
    assert.equal(err.error_message, 'messages: text content blocks must be non-empty')
    assert.equal(err.replayable, 1)
    assert.equal(bySource.get('a-cancel')!.status, 'error')
    assert.equal(bySource.get('a-cancel')!.error_type, 'canceled')
    assert.equal(bySource.get('a-expired')!.error_type, 'expired')

    const noResult = bySource.get('a-noresult')!
    assert.equal(noResult.status, 'ok')
    assert.equal(noResult.replayable, 1)
    assert.equal(noResult.response_text, null)
    assert.equal(meta(noResult).batch_output, 'missing')

    const orphan = bySource.get('a-orphan')!
    assert.equal(orphan.replayable, 0)
    assert.equal(orphan.response_text, 'Orphan answer.')
    assert.equal(orphan.input_tokens, 5)
    assert.equal(orphan.cached_input_tokens, null, 'not reported is null, not 0')
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

describe('CLI', () => {
  test('kt import batch-output.jsonl batch-input.jsonl --json joins the pair', () => {
    const dbPath = join(tmp, 'cli.db')
    const res = kt(['import', BATCH_OUT, BATCH_IN, '--db', dbPath, '--json'], {env: {KT_HOME: join(tmp, 'home')}})
    assert.equal(res.code, 0, res.stderr)
    const summary = JSON.parse(res.stdout) as ImportSummary
    assert.deepEqual(
      summary.files.map((f) => [f.file, f.format]),
      [
        [BATCH_OUT, 'openai-batch'],
        [BATCH_IN, 'openai-batch'],
      ],
    )
    assert.equal(summary.totals.imported, 2)
    assert.equal(summary.totals.failed_files, 0)
    const db = openDb(dbPath, {readonly: true})
    try {
      const rows = db.prepare('SELECT source_id, input_tokens, response_text FROM events ORDER BY source_id').all() as EventRow[]
      assert.deepEqual(
        rows.map((r) => [r.source_id, r.input_tokens]),
        [
          ['request-1', 20],
          ['request-2', 22],
        ],
      )
      assert.ok(rows[0]!.response_text!.startsWith('Hello! How can I assist'))
    } finally {
      db.close()
    }
  })
})
