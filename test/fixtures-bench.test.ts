// The import benchmark and the bench runner, on a few hundred records in a temp dir: the generated
// data imports cleanly through kt, both measurements run in child processes and report sane numbers,
// and run-all finds bench modules by their `run` export.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {benchLine, ensureData, run, summarizeProfile} from '../bench/import.js'
import {benchNames, runAll} from '../bench/run-all.js'
import {rng} from '../src/stats/rng.js'
import {openDb} from '../src/store/db.js'
import {importFiles} from '../src/store/import.js'

const made: string[] = []
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-'))
  made.push(dir)
  return dir
}
after(() => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

describe('bench: import', () => {
  test('generated lines are deterministic, distinct and about 1 KB of OpenAI chat pairs', () => {
    const a = Array.from({length: 500}, (_, i) => benchLine(rng(7), i))
    const b = Array.from({length: 500}, (_, i) => benchLine(rng(7), i))
    assert.deepEqual(a, b)
    const u = rng(7)
    const lines = Array.from({length: 2000}, (_, i) => benchLine(u, i))
    assert.equal(new Set(lines).size, lines.length)
    const avg = lines.reduce((s, l) => s + l.length + 1, 0) / lines.length
    assert.ok(avg > 900 && avg < 1500, `average line ${avg} bytes`)
    const o = JSON.parse(lines[3]!) as {request: {messages: unknown[]}; response: {object: string}; timestamp: string; tags: string[]}
    assert.equal(o.response.object, 'chat.completion')
    assert.equal(o.request.messages.length, 2)
    assert.match(o.timestamp, /^2026-11-16T/)
    assert.ok(o.tags.includes('env=prod'))
  })

  test('ensureData writes the file once, and kt imports every line', async () => {
    const dir = temp()
    const file = await ensureData(300, dir)
    const mtime = statSync(file).mtimeMs
    assert.equal(await ensureData(300, dir), file)
    assert.equal(statSync(file).mtimeMs, mtime, 'an existing data file is reused, not rewritten')
    assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, 300)
    const dbPath = join(dir, 'kt.db')
    const db = openDb(dbPath)
    try {
      const s = await importFiles(db, dbPath, [file])
      assert.deepEqual(s.totals, {imported: 300, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, failed_files: 0})
    } finally {
      db.close()
    }
  })

  test('run() measures kt and the floor in child processes', async () => {
    const saved = {records: process.env.KT_BENCH_RECORDS, data: process.env.KT_BENCH_DATA, profile: process.env.KT_BENCH_PROFILE}
    process.env.KT_BENCH_RECORDS = '400'
    process.env.KT_BENCH_DATA = temp()
    delete process.env.KT_BENCH_PROFILE
    try {
      const r = await run()
      assert.equal(r.records, 400)
      for (const m of [r.kt, r.floor]) {
        assert.equal(m.records, 400, `${m.what} stored ${m.records}`)
        assert.ok(m.seconds > 0 && m.recordsPerSecond > 0)
        assert.ok(m.maxRssMb > 20 && m.maxRssMb < 2000, `${m.what} maxRSS ${m.maxRssMb}`)
        assert.ok(m.dbBytes > 400 * 500, `${m.what} db ${m.dbBytes} bytes`)
      }
      assert.equal(r.kt.note, undefined)
      assert.ok(Math.abs(r.ratio - r.kt.recordsPerSecond / r.floor.recordsPerSecond) < 1e-9)
    } finally {
      for (const [k, v] of [['KT_BENCH_RECORDS', saved.records], ['KT_BENCH_DATA', saved.data], ['KT_BENCH_PROFILE', saved.profile]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })

  test('summarizeProfile ranks self time and kt-inclusive time', () => {
    const frame = (functionName: string, url: string) => ({functionName, url, lineNumber: 9})
    const profile = {
      nodes: [
        {id: 1, callFrame: frame('(root)', ''), children: [2]},
        {id: 2, callFrame: frame('importFiles', 'file:///x/dist/src/store/import.js'), children: [3, 4]},
        {id: 3, callFrame: frame('stableStringify', 'file:///x/dist/src/records/hash.js'), children: []},
        {id: 4, callFrame: frame('run', 'file:///x/node_modules/better-sqlite3/lib/methods/wrappers.js'), children: []},
      ],
      samples: [3, 3, 3, 4, 2],
      timeDeltas: [1000, 1000, 1000, 1000, 1000],
    }
    const s = summarizeProfile(profile, 3)
    assert.equal(s.totalMs, 5)
    assert.match(s.self[0]!.fn, /^stableStringify .*hash\.js:10$/)
    assert.equal(s.self[0]!.ms, 3)
    assert.equal(Math.round(s.self[0]!.pct), 60)
    assert.match(s.inclusive[0]!.fn, /^importFiles /)
    assert.equal(s.inclusive[0]!.ms, 5)
    assert.ok(!s.inclusive.some((h) => h.fn.includes('better-sqlite3')), 'inclusive view lists only kt code')
  })
})

describe('bench: run-all', () => {
  test('runs modules that export run(), skips the rest, and keeps going after a failure', async () => {
    const dir = temp()
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'a.js'), 'export async function run() { globalThis.__ktBenchA = (globalThis.__ktBenchA ?? 0) + 1 }\n')
    writeFileSync(join(dir, 'b.js'), 'export function run() { throw new Error("b broke") }\n')
    writeFileSync(join(dir, 'helpers.js'), 'export const x = 1\n')
    writeFileSync(join(dir, 'a.js.map'), '{}')
    assert.deepEqual(benchNames(dir), ['a', 'b', 'helpers'])
    const lines: string[] = []
    const outcomes = await runAll([], dir, (l) => lines.push(l))
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.status]),
      [
        ['a', 'ok'],
        ['b', 'failed'],
        ['helpers', 'no-run'],
      ],
    )
    assert.equal((globalThis as {__ktBenchA?: number}).__ktBenchA, 1)
    assert.ok(lines.includes('\n=== bench: a ==='))
    assert.ok(lines.some((l) => l.startsWith('=== b: FAILED') && l.includes('b broke')))
    await assert.rejects(runAll(['nope'], dir, () => {}), /unknown bench "nope"; available: a, b, helpers/)
  })

  test('the real bench directory lists import and not the runner itself', () => {
    const names = benchNames()
    assert.ok(names.includes('import'))
    assert.ok(!names.includes('run-all'))
  })
})
