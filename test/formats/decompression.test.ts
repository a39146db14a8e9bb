// Decompression bombs: a few kilobytes of gzip, brotli or deflate that inflate to far more than the cap
// (KT_MAX_DECOMPRESSED_BYTES, lowered here) are refused with a reason naming the file and the place, the rest of the
// file still imports, and memory stays near the cap (a ratio of peak RSS, never a time).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {brotliCompressSync, constants, deflateSync, gzipSync} from 'node:zlib'
import {BY_SOURCE, fileTempDir, importRows} from '../support/import.js'

const MB = 1024 * 1024
const tmp = fileTempDir()

/** gzip members of 1 MB of zeros each, concatenated: `mb` MB once inflated, about 1 KB per MB compressed. */
function gzipBomb(mb: number): Buffer {
  const member = gzipSync(Buffer.alloc(MB))
  return Buffer.concat(Array.from({length: mb}, () => member))
}

const ANSWER = {id: 'chatcmpl-ok', object: 'chat.completion', created: 1761955200, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'Fine.'}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 2, total_tokens: 7}}

function entry(i: number, content: Record<string, unknown>, encoding: string | null): Record<string, unknown> {
  return {
    startedDateTime: `2026-11-01T00:00:0${i}.000Z`,
    time: 100,
    request: {method: 'POST', url: 'https://api.openai.com/v1/chat/completions', headers: [], postData: {mimeType: 'application/json', text: JSON.stringify({model: 'gpt-4o-mini', messages: [{role: 'user', content: `Question ${i}`}]})}},
    response: {status: 200, headers: encoding ? [{name: 'content-encoding', value: encoding}] : [], content: {mimeType: 'application/json', ...content}},
    timings: {wait: 50},
  }
}

function harFile(name: string, entries: Record<string, unknown>[]): string {
  const p = join(tmp, name)
  writeFileSync(p, JSON.stringify({log: {version: '1.2', creator: {name: 'test', version: '1'}, entries}}, null, 1))
  return p
}

const b64 = (b: Buffer) => ({text: b.toString('base64'), encoding: 'base64'})

let savedCap: string | undefined
before(() => {
  savedCap = process.env.KT_MAX_DECOMPRESSED_BYTES
  process.env.KT_MAX_DECOMPRESSED_BYTES = '1M'
})
after(() => {
  if (savedCap === undefined) delete process.env.KT_MAX_DECOMPRESSED_BYTES
  else process.env.KT_MAX_DECOMPRESSED_BYTES = savedCap
})

describe('HAR bodies past the decompression cap', () => {
  test('gzip, brotli and deflate bombs (a few KB inflating to 16 MB) are rejected by entry; the good entry imports', async () => {
    const gzip = gzipBomb(16)
    const br = brotliCompressSync(Buffer.alloc(16 * MB), {params: {[constants.BROTLI_PARAM_QUALITY]: 1}})
    const deflate = deflateSync(Buffer.alloc(16 * MB))
    for (const b of [gzip, br, deflate]) assert.ok(b.length < 64 * 1024, `${b.length} bytes compressed`)
    const file = harFile('bombs.har', [
      entry(0, b64(gzip), 'gzip'),
      entry(1, b64(br), 'br'),
      entry(2, b64(deflate), 'deflate'),
      // Polly.JS: a JSON array of base64 chunks of the compressed body.
      entry(3, {text: JSON.stringify([gzip.subarray(0, 1000).toString('base64'), gzip.subarray(1000).toString('base64')]), encoding: 'base64'}, 'gzip'),
      entry(4, b64(gzipSync(JSON.stringify(ANSWER))), 'gzip'),
    ])
    const {summary, rows} = await importRows([file], {dir: tmp, orderBy: BY_SOURCE})
    const f = summary.files[0]!
    assert.equal(f.error, null)
    assert.equal(f.imported, 1)
    assert.equal(rows[0]!.response_text, 'Fine.')
    assert.equal(f.rejected, 4)
    assert.deepEqual(f.reasons, [
      {
        kind: 'reject',
        reason: 'response body inflates past the 1 MB decompression cap (KT_MAX_DECOMPRESSED_BYTES); raise it to read it; the entry is not imported',
        count: 4,
        locations: [0, 1, 2, 3].map((i) => `${file}:entry ${i}`),
      },
    ])
  })

  test('a raised cap reads the same body', async () => {
    process.env.KT_MAX_DECOMPRESSED_BYTES = String(20 * MB)
    try {
      const file = harFile('raised.har', [entry(0, b64(Buffer.concat([gzipSync(JSON.stringify(ANSWER))])), 'gzip'), entry(1, b64(gzipBomb(16)), 'gzip')])
      const {summary} = await importRows([file], {dir: tmp})
      // 16 MB of zeros is under 20 MB: decoded, then refused for what it is (not JSON), not for its size.
      assert.equal(summary.files[0]!.imported, 1)
      assert.match(summary.files[0]!.reasons[0]!.reason, /neither JSON nor an event stream/)
    } finally {
      process.env.KT_MAX_DECOMPRESSED_BYTES = '1M'
    }
  })

  test('memory stays near the cap: a body inflating to 512 MB raises peak RSS by a small fraction of that', () => {
    const script = fileURLToPath(new URL('../support/import-rss.js', import.meta.url))
    const run = (file: string) => {
      const r = spawnSync(process.execPath, [script, file], {encoding: 'utf8', env: {...process.env, KT_MAX_DECOMPRESSED_BYTES: '1M'}})
      assert.equal(r.status, 0, r.stderr)
      return JSON.parse(r.stdout) as {maxRssBytes: number; summary: {totals: {imported: number; rejected: number}}}
    }
    const inflated = 512 * MB
    const bomb = run(harFile('bomb-512.har', [entry(0, b64(gzipBomb(512)), 'gzip')]))
    const small = run(harFile('small.har', [entry(0, b64(gzipSync(JSON.stringify(ANSWER))), 'gzip')]))
    assert.equal(bomb.summary.totals.rejected, 1)
    assert.equal(small.summary.totals.imported, 1)
    const growth = (bomb.maxRssBytes - small.maxRssBytes) / inflated
    assert.ok(growth < 0.1, `peak RSS grew by ${(growth * 100).toFixed(1)}% of the inflated size`)
  })
})

describe('gzip input files past the decompression cap', () => {
  test('a gzip JSON document inflating past the cap fails its file with the file, the line and the cap', async () => {
    const padding = ' '.repeat(4 * MB)
    const file = join(tmp, 'doc.json.gz')
    writeFileSync(file, gzipSync(`[\n${JSON.stringify({request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'hi'}]}})},${padding}\n]`))
    const {summary, rows} = await importRows([file], {dir: tmp})
    assert.equal(rows.length, 0)
    assert.match(summary.files[0]!.error ?? '', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: gzip data inflates past the 1 MB decompression cap \\(KT_MAX_DECOMPRESSED_BYTES\\)`))
  })

  test('gzip JSONL is read a line at a time, so a file larger than the cap imports', async () => {
    const line = JSON.stringify({request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'x'.repeat(2000)}]}, response: ANSWER})
    const lines = Array.from({length: 1000}, (_, i) => line.replace('"x', `"${i} x`))
    const file = join(tmp, 'logs.jsonl.gz')
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`))
    const {summary} = await importRows([file], {dir: tmp})
    assert.equal(summary.files[0]!.error, null)
    assert.equal(summary.files[0]!.imported, 1000)
  })
})
