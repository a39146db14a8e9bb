// The fuzz corpus (issue 11): malformed and hostile files kept in test/data/fuzz/ (truncated, binary, mixed formats, a
// huge line, small zip bombs, bad UTF-8, UTF-16 and UTF-32, impossible values, deep nesting, secret-bearing…, each with
// its expected outcome in expect.json), and seeded mutations of the public samples. Each is imported with the real kt
// binary, and checked for: its exit code, one line (never a stack trace) when the file fails, a database unchanged by
// a failed file, and a peak RSS within a small ratio of kt's own baseline.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {BIN, PUBLIC_DATA, ROOT, tempDir} from '../support/cli.js'

const CORPUS = join(ROOT, 'test', 'data', 'fuzz')
const EXPECT = JSON.parse(readFileSync(join(CORPUS, 'expect.json'), 'utf8')) as Record<string, {code: number; failed: boolean; message?: string}>
/** Small enough that the corpus's bombs (16 MB inflated) hit it while staying small files. */
const CAP = '4M'
/** Peak RSS of an import, as a multiple of kt's peak on a one-line file. */
const MAX_RSS_RATIO = 2

interface Run {
  code: number
  stdout: string
  stderr: string
  rss: number
}

let probe: string

/** kt import, with a preload that records the process's peak RSS when it exits. */
function ktImport(args: string[], dir: string): Promise<Run> {
  const rssFile = join(dir, `rss-${Math.random().toString(36).slice(2)}`)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', probe, BIN, 'import', ...args], {env: {...process.env, KT_NO_PROGRESS: '1', KT_MAX_DECOMPRESSED_BYTES: CAP, KT_TEST_RSS_FILE: rssFile, KT_DB: undefined}, cwd: dir})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code, signal) => {
      let rss = 0
      try {
        rss = Number(readFileSync(rssFile, 'utf8'))
      } catch {
        // A process killed by a signal wrote nothing: the exit code says it.
      }
      resolve({code: code ?? (signal ? 128 : 1), stdout, stderr, rss})
    })
  })
}

/** What a database holds: every event and import row, hashed. */
function digest(db: string): string {
  const d = new Database(db, {readonly: true})
  try {
    const h = createHash('sha256')
    for (const r of d.prepare('SELECT * FROM events ORDER BY event_id').raw().iterate()) h.update(JSON.stringify(r))
    for (const r of d.prepare('SELECT file, format, imported, rejected FROM imports ORDER BY id').raw().iterate()) h.update(JSON.stringify(r))
    return h.digest('hex')
  } finally {
    d.close()
  }
}

/** Runs `tasks` two at a time (two cores, shared). */
async function inPairs<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all([0, 1].map(async () => {
    while (next < tasks.length) {
      const i = next++
      out[i] = await tasks[i]!()
    }
  }))
  return out
}

const STACK = /\n\s+at .*:\d+|Unhandled 'error' event|node:internal|RangeError|TypeError|SyntaxError/

describe('fuzz: malformed, hostile and mutated files through the real kt binary', () => {
  let dir: string
  let seed: string
  let seedDigest: string
  let baselineRss: number

  before(async () => {
    dir = tempDir('kt-fuzz-')
    probe = join(dir, 'rss-probe.cjs')
    writeFileSync(probe, "process.on('exit', () => { require('fs').writeFileSync(process.env.KT_TEST_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)) })\n")
    const good = join(dir, 'seed.jsonl')
    writeFileSync(good, `${JSON.stringify({request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'seed question'}]}, response: {id: 'chatcmpl-seed', object: 'chat.completion', created: 1763600000, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'seed answer.'}, finish_reason: 'stop'}]}})}\n`)
    seed = join(dir, 'seed.db')
    const r = await ktImport([good, '--db', seed], dir)
    assert.equal(r.code, 0, r.stderr)
    baselineRss = r.rss
    assert.ok(baselineRss > 0, 'the RSS probe works')
    seedDigest = digest(seed)
  })

  test('every corpus file: exit code, one line without a stack when it fails, database unchanged then, bounded memory', async () => {
    const files = readdirSync(CORPUS).filter((f) => f !== 'expect.json' && f !== 'README.md')
    assert.deepEqual(files.filter((f) => !EXPECT[f]), [], 'every corpus file has an expectation')
    assert.ok(files.length >= 30)
    const results = await inPairs(
      files.map((f) => async () => {
        const own = join(dir, `db-${f}`)
        mkdirSync(own)
        const db = join(own, 'kt.db')
        copyFileSync(seed, db)
        const r = await ktImport([join(CORPUS, f), '--db', db], own)
        return {f, r, after: digest(db)}
      }),
    )
    const problems: string[] = []
    for (const {f, r, after} of results) {
      const e = EXPECT[f]!
      if (r.code !== e.code) problems.push(`${f}: exit ${r.code}, expected ${e.code}: ${r.stderr.slice(0, 300)}`)
      if (STACK.test(r.stderr)) problems.push(`${f}: a stack trace or raw error: ${r.stderr.slice(0, 300)}`)
      if (e.message && !new RegExp(e.message).test(r.stderr)) problems.push(`${f}: stderr lacks /${e.message}/: ${r.stderr.slice(0, 300)}`)
      if (e.failed) {
        const lines = r.stderr.trimEnd().split('\n')
        if (lines.length !== 1 || !lines[0]!.startsWith(`kt: ${join(CORPUS, f)}`)) problems.push(`${f}: expected one line naming the file, got: ${r.stderr.slice(0, 300)}`)
        if (after !== seedDigest) problems.push(`${f}: the file failed but the database changed`)
      }
      if (!(r.rss > 0 && r.rss / baselineRss < MAX_RSS_RATIO)) problems.push(`${f}: peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MB is ${(r.rss / baselineRss).toFixed(2)}× the baseline`)
    }
    assert.deepEqual(problems, [])
  })

  test('seeded mutations of the public samples: never a crash, failed files store nothing, bounded memory', async () => {
    // mulberry32: the same mutations on every run.
    let s = 0x6b74
    const rand = () => {
      s = (s + 0x6d2b79f5) | 0
      let t = Math.imul(s ^ (s >>> 15), 1 | s)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const pick = (n: number) => Math.floor(rand() * n)
    const samples: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d, {withFileTypes: true})) {
        if (e.isDirectory()) {
          if (e.name !== 'prompts' && e.name !== 'licenses') walk(join(d, e.name))
        } else if (/\.(json|jsonl|har)$/.test(e.name)) samples.push(join(d, e.name))
      }
    }
    walk(PUBLIC_DATA)
    assert.ok(samples.length >= 10)
    const mutations: [string, (b: Buffer) => Buffer][] = [
      ['truncate', (b) => b.subarray(0, pick(b.length))],
      ['flip bytes', (b) => {
        const c = Buffer.from(b)
        for (let i = 0; i < 8; i++) c[pick(c.length)] = pick(256)
        return c
      }],
      ['insert junk', (b) => {
        const at = pick(b.length)
        return Buffer.concat([b.subarray(0, at), Buffer.from([0, 0xff, 0x22, 0x7b, 0x5d, 0x0a, 0xc3]), b.subarray(at)])
      }],
      ['drop a slice', (b) => {
        const at = pick(b.length)
        return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(200)))])
      }],
      ['hostile numbers', (b) => Buffer.from(b.toString('utf8').replace(/(":\s*)(\d+)(?=[,}\]])/g, (m, p: string) => (rand() < 0.3 ? `${p}${['-1e20', '1e308', '-500', '1e400'][pick(4)]}` : m)))],
      ['duplicate a slice', (b) => {
        const at = pick(b.length)
        const piece = b.subarray(at, at + pick(4096))
        return Buffer.concat([b.subarray(0, at), piece, piece, b.subarray(at)])
      }],
    ]
    const mutated: string[] = []
    for (const sample of samples) {
      const bytes = readFileSync(sample)
      for (let k = 0; k < 2; k++) {
        const [name, fn] = mutations[pick(mutations.length)]!
        const out = join(dir, `mut-${mutated.length}-${name.replace(/ /g, '-')}-${sample.split('/').pop()}`)
        writeFileSync(out, fn(bytes))
        mutated.push(out)
      }
    }
    const db = join(dir, 'mutations.db')
    copyFileSync(seed, db)
    const r = await ktImport([...mutated, '--db', db, '--json'], dir)
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr.slice(0, 500)}`)
    assert.doesNotMatch(r.stderr, STACK)
    const summary = JSON.parse(r.stdout) as {files: {file: string; error: string | null}[]}
    assert.equal(summary.files.length, mutated.length)
    const failed = summary.files.filter((f) => f.error !== null)
    for (const f of failed) assert.ok(f.error!.startsWith(f.file) && !f.error!.includes('\n'), f.error!)
    const d = new Database(db, {readonly: true})
    const stored = new Set(d.prepare('SELECT DISTINCT source_file FROM events').pluck().all() as string[])
    d.close()
    for (const f of failed) assert.ok(!stored.has(f.file), `${f.file} failed but stored events`)
    assert.ok(r.rss / baselineRss < MAX_RSS_RATIO, `peak RSS ${(r.rss / baselineRss).toFixed(2)}× the baseline`)
  })
})
