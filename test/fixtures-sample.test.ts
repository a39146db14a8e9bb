// The generated production sample (fixtures/generate.ts): committed files are current, the pair
// file imports through kt's real import path with the counts the generator promises, and the
// numbers in it (tokens, latency, time) look like production traffic.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {BATCH_DIR, BATCH_REQUESTS, ERROR_SPECS, PAIR_FILE, PAIR_RECORDS, WINDOW_END, WINDOW_START, generateAll} from '../fixtures/generate.js'
import {formats} from '../src/formats/index.js'
import {openDb, type DB} from '../src/store/db.js'
import {importFiles} from '../src/store/import.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(ROOT, 'fixtures')
const PAIR = join(FIXTURES, PAIR_FILE)
const BATCH = join(FIXTURES, BATCH_DIR)

type Json = Record<string, unknown>

function readJsonl(path: string): Json[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Json
      } catch (error) {
        throw new Error(`${path}:${i + 1}: ${(error as Error).message}`)
      }
    })
}

/** A fresh kt database in its own temp dir; `done()` closes it and removes the dir. */
function tempDb(): {db: DB; path: string; done: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'kt-'))
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  return {
    db,
    path,
    done: () => {
      db.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

function pearson(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
    syy += (ys[i]! - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

describe('fixtures: generated production sample', () => {
  test('committed files are exactly what the generator writes (run `npm run fixtures` if this fails)', () => {
    const {files} = generateAll()
    assert.deepEqual(Object.keys(files).sort(), [PAIR_FILE, `${BATCH_DIR}/batch-errors.jsonl`, `${BATCH_DIR}/batch-input.jsonl`, `${BATCH_DIR}/batch-output.jsonl`, 'prod-sample.md'].sort())
    for (const [rel, content] of Object.entries(files)) {
      const committed = readFileSync(join(FIXTURES, rel), 'utf8')
      assert.ok(committed === content, `fixtures/${rel} is stale: regenerate with \`node dist/fixtures/generate.js\``)
    }
    // Deterministic: a second run in the same process gives the same bytes.
    assert.equal(generateAll().files[PAIR_FILE], files[PAIR_FILE])
  })

  test('generated files stay under 3 MB in total', () => {
    let total = statSync(PAIR).size + statSync(join(FIXTURES, 'prod-sample.md')).size
    for (const f of readdirSync(BATCH)) total += statSync(join(BATCH, f)).size
    assert.ok(total < 3 * 1024 * 1024, `fixtures total ${total} bytes`)
    assert.ok(total > 500 * 1024, `fixtures suspiciously small: ${total} bytes`)
  })

  test('the pair file imports through importFiles with the promised counts', async () => {
    const {db, path, done} = tempDb()
    try {
      const summary = await importFiles(db, path, [PAIR])
      assert.equal(summary.files[0]!.error, null)
      assert.deepEqual(summary.totals, {imported: PAIR_RECORDS, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, failed_files: 0})
      assert.equal(PAIR_RECORDS, 240)

      const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as {n: number}).n
      assert.equal(count('SELECT count(*) AS n FROM events'), 240)
      // Both providers, both APIs, every model of the brief.
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'openai' AND api = 'openai.chat'") >= 100)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'anthropic' AND api = 'anthropic.messages'") >= 60)
      const models = (db.prepare('SELECT DISTINCT model FROM events ORDER BY model').all() as {model: string}[]).map((r) => r.model)
      assert.deepEqual(models, ['claude-3-5-haiku-20241022', 'claude-sonnet-4-20250514', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini'])

      // Errors: 429 from both providers, OpenAI 500, Anthropic 529; no response stored for any of them.
      assert.equal(count("SELECT count(*) AS n FROM events WHERE status = 'error'"), ERROR_SPECS.length)
      assert.equal(count("SELECT count(*) AS n FROM events WHERE status = 'error' AND response_json IS NULL"), ERROR_SPECS.length)
      const byStatus = db.prepare("SELECT provider, http_status, count(*) AS n FROM events WHERE status = 'error' GROUP BY 1, 2 ORDER BY 1, 2").all()
      assert.deepEqual(byStatus, [
        {provider: 'anthropic', http_status: 429, n: 2},
        {provider: 'anthropic', http_status: 529, n: 2},
        {provider: 'openai', http_status: 429, n: 3},
        {provider: 'openai', http_status: 500, n: 2},
      ])
      assert.equal(count("SELECT count(*) AS n FROM events WHERE error_type = 'rate_limit_error'"), 2)
      // Both 529s keep Anthropic's error type, also the one logged without a response body.
      assert.equal(count("SELECT count(*) AS n FROM events WHERE error_type = 'overloaded_error'"), 2)
      assert.equal(count("SELECT count(*) AS n FROM events WHERE status = 'ok' AND http_status = 200"), 240 - ERROR_SPECS.length)

      // Truncated answers from both providers, tool calls, JSON mode with valid JSON answers.
      assert.equal(count("SELECT count(*) AS n FROM events WHERE finish_reason = 'length'"), 3)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE finish_reason_raw = 'max_tokens'") >= 1)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE finish_reason = 'tool_calls'") >= 10)
      const jsonMode = db.prepare("SELECT response_text FROM events WHERE status = 'ok' AND json_extract(request_json, '$.response_format.type') = 'json_object'").all() as {response_text: string}[]
      assert.ok(jsonMode.length >= 20, `json_object requests: ${jsonMode.length}`)
      for (const {response_text} of jsonMode) {
        const v = JSON.parse(response_text) as Json
        assert.ok(['billing', 'labels', 'shipping_delay', 'lost_parcel', 'damaged_parcel', 'returns', 'api_integration', 'account_access', 'feature_request', 'other'].includes(v.category as string))
        assert.equal(typeof v.needs_human, 'boolean')
      }

      // The two declined requests (falsifying tracking, a third party's personal data).
      assert.equal(count("SELECT count(*) AS n FROM events WHERE response_text LIKE 'I''m sorry, but I can''t change tracking records%' OR response_text LIKE 'I can''t help with identifying%'"), 2)

      // Tool results reach the model in a later turn, in each provider's own shape.
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'openai' AND request_json LIKE '%\"role\":\"tool\"%'") >= 3)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'anthropic' AND request_json LIKE '%\"type\":\"tool_result\"%'") >= 3)
      // Multi-turn chats: a session id shared by 2–4 calls.
      const sessions = db.prepare("SELECT json_extract(metadata_json, '$.session_id') AS s, count(*) AS n FROM events WHERE s IS NOT NULL GROUP BY s").all() as {n: number}[]
      assert.ok(sessions.length >= 5)
      assert.ok(sessions.every((x) => x.n >= 2 && x.n <= 4), JSON.stringify(sessions))

      // Prompt caching shows up as cache reads (Anthropic) and cached_tokens (OpenAI).
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'anthropic' AND cached_input_tokens > 0") >= 10)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE provider = 'openai' AND cached_input_tokens > 0") >= 10)
      assert.equal(count("SELECT count(*) AS n FROM events WHERE metadata_json LIKE '%usage_inconsistent%'"), 0)

      // Tags and metadata.
      assert.ok(count(`SELECT count(*) AS n FROM events WHERE EXISTS (SELECT 1 FROM json_each(events.tags) WHERE value = 'feature=support-bot')`) >= 40)
      assert.ok(count(`SELECT count(*) AS n FROM events WHERE EXISTS (SELECT 1 FROM json_each(events.tags) WHERE value = 'env=prod')`) >= 200)
      assert.equal(count("SELECT count(*) AS n FROM events WHERE json_extract(metadata_json, '$.app_version') IS NULL"), 0)
      assert.ok(count("SELECT count(*) AS n FROM events WHERE json_extract(metadata_json, '$.user_id_hash') LIKE 'u_%'") >= 100)

      // Time: all inside the three November days, none inferred from the file's mtime.
      const range = db.prepare('SELECT min(timestamp) AS lo, max(timestamp) AS hi, sum(timestamp_inferred) AS inferred FROM events').get() as {lo: string; hi: string; inferred: number}
      assert.equal(range.inferred, 0)
      assert.ok(range.lo >= new Date(WINDOW_START).toISOString() && range.hi < new Date(WINDOW_END).toISOString(), JSON.stringify(range))
    } finally {
      done()
    }
  })

  test('tokens follow the text and latency follows the output tokens', () => {
    const lines = readJsonl(PAIR)
    const outTok: number[] = []
    const lat: number[] = []
    let checked = 0
    for (const l of lines) {
      const res = l.response as Json | null
      if (l.status_code !== 200 || !res) continue
      const usage = res.usage as Json
      const out = (usage.completion_tokens ?? usage.output_tokens) as number
      const textOut = 'choices' in res ? (((res.choices as Json[])[0]!.message as Json).content as string | null) : ((res.content as Json[]).find((b) => b.type === 'text')?.text as string | undefined)
      const finish = 'choices' in res ? (res.choices as Json[])[0]!.finish_reason : res.stop_reason
      if (textOut && textOut.length >= 400 && finish !== 'length' && finish !== 'max_tokens' && /^[\x00-\x7f–—→…]*$/.test(textOut)) {
        // About four characters per token for English, whichever tokenizer.
        const ratio = textOut.length / out
        assert.ok(ratio > 2.5 && ratio < 6.5, `chars/token ${ratio.toFixed(2)} for ${JSON.stringify(textOut.slice(0, 60))}`)
        checked++
      }
      outTok.push(out)
      lat.push(l.latency_ms as number)
    }
    assert.ok(checked >= 80, `checked ${checked}`)
    assert.ok(pearson(outTok, lat) > 0.6, `latency/output-token correlation ${pearson(outTok, lat)}`)
    const sorted = [...lat].sort((a, b) => a - b)
    assert.ok(sorted[0]! > 150 && sorted[sorted.length - 1]! < 60_000, `latency range ${sorted[0]}..${sorted[sorted.length - 1]}`)
    const stamps = lines.map((l) => l.timestamp as string)
    assert.deepEqual(stamps, [...stamps].sort(), 'records are in time order')
  })

  test('the OpenAI Batch files have the Batch API shapes and join on custom_id', () => {
    const input = readJsonl(join(BATCH, 'batch-input.jsonl'))
    const output = readJsonl(join(BATCH, 'batch-output.jsonl'))
    const errors = readJsonl(join(BATCH, 'batch-errors.jsonl'))
    assert.equal(input.length, BATCH_REQUESTS)
    assert.equal(output.length + errors.length, BATCH_REQUESTS)
    assert.equal(errors.length, 3)
    const ids = input.map((l) => l.custom_id as string)
    assert.equal(new Set(ids).size, ids.length, 'custom_id is unique')
    for (const l of input) {
      assert.deepEqual(Object.keys(l), ['custom_id', 'method', 'url', 'body'])
      assert.equal(l.method, 'POST')
      assert.equal(l.url, '/v1/chat/completions')
      const body = l.body as Json
      assert.ok(typeof body.model === 'string' && Array.isArray(body.messages))
      assert.equal(body.stream, undefined)
      assert.ok((l.custom_id as string).length <= 64)
    }
    for (const l of output) {
      assert.deepEqual(Object.keys(l), ['id', 'custom_id', 'response', 'error'])
      assert.match(l.id as string, /^batch_req_[0-9a-f]{32}$/)
      const res = l.response as Json
      assert.equal(res.status_code, 200)
      const body = res.body as Json
      assert.equal(body.object, 'chat.completion')
      // Every answer is JSON mode and must parse.
      JSON.parse(((body.choices as Json[])[0]!.message as Json).content as string)
      assert.equal(l.error, null)
    }
    const joined = new Set([...output, ...errors].map((l) => l.custom_id as string))
    assert.deepEqual([...joined].sort(), [...ids].sort(), 'every input line has exactly one result line')
    assert.notDeepEqual(
      output.map((l) => l.custom_id),
      ids.filter((id) => output.some((o) => o.custom_id === id)),
      'output order differs from input order, as the API returns it',
    )
    const errorKinds = errors.map((l) => (l.response ? `http ${(l.response as Json).status_code}` : `error ${(l.error as Json).code}`)).sort()
    assert.deepEqual(errorKinds, ['error batch_expired', 'http 400', 'http 500'])
  })

  // Runs once the OpenAI Batch importer (another person's work in progress) is registered.
  const batchReady = (formats.find((f) => f.name === 'openai-batch')?.shapes.length ?? 0) > 0
  test('the Batch files import as 80 joined records', {skip: batchReady ? false : 'openai-batch importer not available yet'}, async () => {
    const {db, path, done} = tempDb()
    try {
      const files = ['batch-input.jsonl', 'batch-output.jsonl', 'batch-errors.jsonl'].map((f) => join(BATCH, f))
      const summary = await importFiles(db, path, files)
      assert.equal(summary.totals.failed_files, 0, JSON.stringify(summary.files.map((f) => f.error)))
      assert.equal(summary.totals.rejected, 0)
      const rows = db.prepare('SELECT status, count(*) AS n FROM events GROUP BY status ORDER BY status').all()
      assert.deepEqual(rows, [
        {status: 'error', n: 3},
        {status: 'ok', n: 77},
      ])
      assert.equal((db.prepare("SELECT count(*) AS n FROM events WHERE api = 'openai.chat' AND request_json IS NOT NULL").get() as {n: number}).n, 80)
    } finally {
      done()
    }
  })
})
