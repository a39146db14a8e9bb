// Non-physical values (issue 11, items 9 and 10): impossible token counts reject their record, an impossible latency,
// time to first token or cost (or one that is not a number) is stored as null with a counted flag naming file and
// line, lone surrogates are stored as U+FFFD (never as invalid UTF-8), and reports never show an impossible number,
// even from a database written before import checked them.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {kt, tempDir} from '../support/cli.js'

function line(i: number, over: {usage?: Record<string, unknown>; wrapper?: Record<string, unknown>; answer?: string} = {}): string {
  return JSON.stringify({
    request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `value question ${i}`}]},
    response: {id: `chatcmpl-v${i}`, object: 'chat.completion', created: 1763600000 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: over.answer ?? `answer ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, ...over.usage}},
    latency_ms: 200 + i,
    ...over.wrapper,
  })
}

interface Reason {
  kind: string
  reason: string
  count: number
  locations: string[]
}

describe('import: impossible values and broken text', () => {
  test('rejected or flagged with file and line; the stored rows hold no impossible number and no invalid UTF-8', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const file = join(dir, 'values.jsonl')
    const lines = [
      line(1),
      line(2, {wrapper: {latency_ms: -500}}),
      line(3, {wrapper: {latency_ms: 1e300}}),
      line(4, {usage: {prompt_tokens: -1e20}}),
      line(5, {usage: {completion_tokens: 1e308, total_tokens: 1e308}}),
      line(6, {wrapper: {cost_usd: 1e301}}),
      line(7, {wrapper: {latency_ms: 'NaN', ttft_ms: 'Infinity'}}),
      line(8, {usage: {completion_tokens: 'NaN'}}),
      // A lone surrogate in the answer and in the prompt (JSON escapes, as a logger with broken text writes them).
      line(9).replace('answer 9.', 'answer \\ud800 nine').replace('value question 9', 'value question 9 \\udc00'),
    ]
    writeFileSync(file, `${lines.join('\n')}\n`)
    const r = kt(['import', file, '--db', db, '--json'])
    assert.equal(r.code, 1, 'rejections make the exit non-zero')
    assert.doesNotMatch(r.stderr, /\n\s+at /)
    const s = JSON.parse(r.stdout) as {files: {imported: number; rejected: number; flagged: number; reasons: Reason[]}[]}
    const f = s.files[0]!
    assert.equal(f.imported, 7)
    assert.equal(f.rejected, 2)
    const reasons = Object.fromEntries(f.reasons.map((x) => [x.reason, [x.kind, x.count, x.locations]]))
    assert.deepEqual(reasons, {
      'input_tokens is negative (not a possible token count)': ['reject', 1, [`${file}:4`]],
      'output_tokens is over 1000000000 tokens (not a possible token count)': ['reject', 1, [`${file}:5`]],
      'latency_ms is negative: stored as null': ['flag', 1, [`${file}:2`]],
      'latency_ms is over 86400000 ms: stored as null': ['flag', 1, [`${file}:3`]],
      'cost_usd is over 10000 USD: stored as null': ['flag', 1, [`${file}:6`]],
      'latency_ms is not a number: stored as null': ['flag', 1, [`${file}:7`]],
      'ttft_ms is not a number: stored as null': ['flag', 1, [`${file}:7`]],
      'usage.completion_tokens is not a number: stored as null': ['flag', 1, [`${file}:8`]],
    })
    assert.equal(f.flagged, 6)
    const human = kt(['import', file, '--db', join(dir, 'other.db')])
    assert.match(human.stderr, /flagged 1: latency_ms is negative: stored as null \(.*values\.jsonl:2\)/)

    const d = new Database(db, {readonly: true})
    const rows = d.prepare("SELECT source_locator, latency_ms, ttft_ms, cost_usd, cost_source, output_tokens, metadata_json, hex(response_text) AS hex, response_text, request_json FROM events ORDER BY source_locator").all() as Record<string, unknown>[]
    d.close()
    const at = (n: number) => rows.find((x) => x.source_locator === `line ${n}`)!
    assert.equal(at(2).latency_ms, null)
    assert.deepEqual(JSON.parse(at(2).metadata_json as string), {invalid_values: {latency_ms: '-500'}})
    assert.equal(at(3).latency_ms, null)
    // An impossible logged cost is dropped; kt prices the call from its usage instead, and says so.
    assert.ok((at(6).cost_usd as number) < 1 && at(6).cost_source === 'estimated')
    assert.deepEqual(JSON.parse(at(7).metadata_json as string), {invalid_values: {latency_ms: 'NaN', ttft_ms: 'Infinity'}})
    assert.equal(at(8).output_tokens, null)
    for (const row of rows) for (const v of [row.latency_ms, row.cost_usd, row.output_tokens]) assert.ok(v === null || (v as number) < 1e6)
    // U+FFFD (EF BF BD) in the text column, never the CESU-8 bytes of a lone surrogate (ED A0 80 … ED BF BF).
    assert.equal(at(9).response_text, 'answer \ufffd nine')
    assert.doesNotMatch(at(9).hex as string, /ED[AB][0-9A-F]/)
    assert.deepEqual(JSON.parse(at(9).metadata_json as string), {lone_surrogates: ['response']})
    // The JSON body keeps its \uXXXX escape (valid UTF-8), so replay sends what was logged.
    assert.match(at(9).request_json as string, /value question 9 \\udc00/)
  })

  test('a report never shows an impossible number, even from rows stored before import checked bounds', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const file = join(dir, 'ok.jsonl')
    writeFileSync(file, `${Array.from({length: 12}, (_, i) => line(100 + i)).join('\n')}\n`)
    assert.equal(kt(['import', file, '--db', db]).code, 0)
    // An old database: impossible values already stored.
    const d = new Database(db)
    d.prepare("UPDATE events SET latency_ms = 1e300, cost_usd = 1e301, output_tokens = 1e308 WHERE source_locator IN ('line 1', 'line 2')").run()
    d.close()
    const rep = kt(['replay', '--candidate', 'simulated:faithful', '--db', db, '--name', 'vals', '--json'])
    assert.equal(rep.code, 0, rep.stderr)
    for (const format of ['json', 'csv', 'table', 'markdown']) {
      const out = kt(['report', 'vals', '--db', db, '--format', format])
      assert.equal(out.code, 0, out.stderr)
      assert.doesNotMatch(out.stdout, /e\+?(29\d|30\d)|1e30|Infinity/, format)
      // Numbers standing on their own (not the digits inside ids and hashes).
      const numbers = (out.stdout.match(/(?<![\w.])-?\d+(\.\d+)?(e[+-]?\d+)?(?![\w.])/gi) ?? []).map(Number).filter((n) => Number.isFinite(n))
      assert.ok(numbers.every((n) => n < 1e15), `${format}: ${numbers.filter((n) => n >= 1e15).slice(0, 3).join(', ')}`)
    }
  })
})
