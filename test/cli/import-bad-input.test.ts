// Bad input never crashes and never changes what is stored: one clear message, non-zero exit.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {gzipSync} from 'node:zlib'
import Database from 'better-sqlite3'
import {kt, tempDir} from '../support/cli.js'

const PAIR = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `question ${i}`}]},
    response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1763600000 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `answer ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 3, total_tokens: 8}},
    latency_ms: 100 + i,
    ...extra,
  })

function count(db: string): number {
  const d = new Database(db, {readonly: true})
  try {
    return (d.prepare('SELECT count(*) AS n FROM events').get() as {n: number}).n
  } finally {
    d.close()
  }
}

describe('import: bad input', () => {
  let dir: string
  let db: string
  before(() => {
    dir = tempDir()
    db = join(dir, 'kt.db')
    const seed = join(dir, 'seed.jsonl')
    writeFileSync(seed, `${PAIR(1)}\n${PAIR(2)}\n`)
    const r = kt(['import', seed, '--db', db])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(count(db), 2)
  })
  after(() => undefined)

  const expectFailure = (file: string, pattern: RegExp, args: string[] = []) => {
    const before = readFileSync(db)
    const r = kt(['import', file, '--db', db, ...args])
    assert.notEqual(r.code, 0, `expected failure, got: ${r.stderr}`)
    assert.match(r.stderr, pattern)
    assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
    assert.equal(count(db), 2, 'database unchanged')
    return {r, before}
  }

  test('nonexistent file', () => {
    expectFailure(join(dir, 'nope.jsonl'), /nope\.jsonl: no such file/)
  })

  test('empty file', () => {
    const f = join(dir, 'empty.jsonl')
    writeFileSync(f, '')
    expectFailure(f, /empty\.jsonl: file is empty/)
  })

  test('only blank lines', () => {
    const f = join(dir, 'blank.jsonl')
    writeFileSync(f, '\n\n  \n')
    expectFailure(f, /blank\.jsonl: file has no content/)
  })

  test('binary file', () => {
    const f = join(dir, 'blob.bin')
    const buf = Buffer.alloc(4096)
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) % 256
    writeFileSync(f, buf)
    expectFailure(f, /blob\.bin: binary data, not a text log/)
  })

  test('truncated JSONL (last line cut off) stores nothing from the file', () => {
    const f = join(dir, 'cut.jsonl')
    const full = `${PAIR(10)}\n${PAIR(11)}\n${PAIR(12)}`
    writeFileSync(f, full.slice(0, full.length - 40))
    expectFailure(f, /cut\.jsonl:3: the last line is cut off .*truncated/)
  })

  test('truncated JSON document names the line', () => {
    const f = join(dir, 'cut.json')
    const doc = JSON.stringify({log: {version: '1.2', entries: [{a: 1}, {b: 2}]}}, null, 2)
    writeFileSync(f, doc.slice(0, doc.length - 10))
    expectFailure(f, /cut\.json:\d+: invalid JSON, the file looks truncated/)
  })

  test('truncated gzip', () => {
    const f = join(dir, 'cut.jsonl.gz')
    const gz = gzipSync(Buffer.from(`${PAIR(20)}\n${PAIR(21)}\n`.repeat(50)))
    writeFileSync(f, gz.subarray(0, gz.length - 30))
    expectFailure(f, /cut\.jsonl\.gz: (corrupt or truncated gzip data|.*truncated)/)
  })

  test('mixed formats in one file', () => {
    const f = join(dir, 'mixed.jsonl')
    const other = JSON.stringify({hello: 'world', n: 1})
    writeFileSync(f, `${PAIR(30)}\n${other}\n${PAIR(31)}\n`)
    const r = expectFailure(f, /mixed\.jsonl: mixed formats in one file: line 1 is openai-chat, line 2 is unrecognised/).r
    assert.ok(r.stderr.length < 600, 'one short message')
  })

  test('over-long line (> 10 MB)', () => {
    const f = join(dir, 'long.jsonl')
    const big = JSON.stringify({request: {model: 'gpt-4o', messages: [{role: 'user', content: 'x'.repeat(11 * 1024 * 1024)}]}})
    writeFileSync(f, `${PAIR(40)}\n${big}\n`)
    expectFailure(f, /long\.jsonl:2: line is longer than 10 MB/)
  })

  test('wrong forced format', () => {
    const f = join(dir, 'pairs.jsonl')
    writeFileSync(f, `${PAIR(50)}\n`)
    expectFailure(f, /pairs\.jsonl: --format har reads json files, but this file is jsonl|pairs\.jsonl: line 1 is not har data/, ['--format', 'har'])
    expectFailure(f, /pairs\.jsonl: line 1 is not anthropic-messages data \(it looks like openai-chat/, ['--format', 'anthropic-messages'])
  })

  test('unrecognised JSON', () => {
    const f = join(dir, 'weird.json')
    writeFileSync(f, JSON.stringify({totally: 'unrelated'}))
    expectFailure(f, /weird\.json: unrecognised log format/)
  })

  test('a bad line in the middle: rejected with file:line, exit 1; --strict stores nothing', () => {
    const f = join(dir, 'badline.jsonl')
    writeFileSync(f, `${PAIR(60)}\n${PAIR(61)}\n${PAIR(62)}\n${PAIR(63)}\n${PAIR(64)}\n{"broken": \n${PAIR(65)}\n`)
    const strict = kt(['import', f, '--db', db, '--strict'])
    assert.equal(strict.code, 1)
    assert.match(strict.stderr, /badline\.jsonl:6: invalid JSON .*--strict: nothing from this file was stored/)
    assert.equal(count(db), 2)
    const lenient = kt(['import', f, '--db', db, '--json'])
    assert.equal(lenient.code, 1, 'rejections make the exit non-zero')
    const summary = JSON.parse(lenient.stdout) as {totals: {imported: number; rejected: number}; files: {reasons: {locations: string[]}[]}[]}
    assert.equal(summary.totals.imported, 6)
    assert.equal(summary.totals.rejected, 1)
    assert.deepEqual(summary.files[0]!.reasons[0]!.locations, [`${f}:6`])
    assert.equal(count(db), 8)
    // Put the shared database back to its two records for the other tests.
    const d = new Database(db)
    d.prepare("DELETE FROM events WHERE source_file = ?").run(f)
    d.close()
  })

  test('unknown JSON keys are ignored', () => {
    const f = join(dir, 'extra.jsonl')
    writeFileSync(f, `${PAIR(70, {some_new_field: {nested: true}, another: [1, 2]})}\n`)
    const r = kt(['import', f, '--db', db, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as {totals: {imported: number}}).totals.imported, 1)
    const d = new Database(db)
    d.prepare("DELETE FROM events WHERE source_file = ?").run(f)
    d.close()
  })

  test('a locked database: clear message, nothing written', async () => {
    const f = join(dir, 'more.jsonl')
    writeFileSync(f, `${PAIR(80)}\n`)
    // Another process holds the write lock for a while.
    const holder = spawn(process.execPath, [
      '-e',
      `const D=require(${JSON.stringify(require_resolve('better-sqlite3'))});const d=new D(${JSON.stringify(db)});d.exec('BEGIN IMMEDIATE');process.stdout.write('locked\\n');setTimeout(()=>{d.exec('ROLLBACK');d.close()},4000)`,
    ])
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()))
    const r = kt(['import', f, '--db', db], {env: {KT_BUSY_TIMEOUT_MS: '300'}})
    holder.kill()
    assert.equal(r.code, 1)
    assert.match(r.stderr, /kt\.db.*locked by another process/)
    assert.equal(count(db), 2)
  })

  test('a read-only database: clear message, nothing written', (t) => {
    const ro = join(dir, 'ro.db')
    copyFileSync(db, ro)
    const f = join(dir, 'ro.jsonl')
    writeFileSync(f, `${PAIR(90)}\n`)
    chmodSync(ro, 0o444)
    chmodSync(dir, 0o755)
    chmodSync(f, 0o644)
    // root ignores file modes, so run as an unprivileged user when we are root.
    const asRoot = process.getuid?.() === 0
    const r = asRoot ? runAsNobody(['import', f, '--db', ro]) : kt(['import', f, '--db', ro])
    if (r === null) return t.skip('runuser unavailable')
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /ro\.db.*read-only/)
    assert.equal(count(ro), 2)
  })
})

function require_resolve(name: string): string {
  return join(ROOT, 'node_modules', name)
}

import {spawnSync} from 'node:child_process'
import {BIN, ROOT} from '../support/cli.js'
function runAsNobody(args: string[]): {code: number; stdout: string; stderr: string} | null {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], {encoding: 'utf8', env: {...process.env, KT_NO_PROGRESS: '1', HOME: '/tmp'}})
  if (r.error) return null
  return {code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr}
}

describe('import: logged errors', () => {
  test('a pair with a status code and an error object keeps the provider error type', () => {
    const dir = tempDir()
    const f = join(dir, 'errors.jsonl')
    writeFileSync(
      f,
      [
        JSON.stringify({request: {model: 'claude-3-5-haiku-20241022', max_tokens: 50, messages: [{role: 'user', content: 'hi'}]}, status_code: 529, error: {type: 'error', error: {type: 'overloaded_error', message: 'Overloaded'}}}),
        JSON.stringify({request: {model: 'gpt-4o', messages: [{role: 'user', content: 'hi'}]}, status_code: 500}),
      ].join('\n') + '\n',
    )
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', f, '--db', db]).code, 0)
    const d = new Database(db, {readonly: true})
    const rows = d.prepare('SELECT model, status, error_type, error_code, error_message FROM events ORDER BY model').all()
    d.close()
    assert.deepEqual(rows, [
      {model: 'claude-3-5-haiku-20241022', status: 'error', error_type: 'overloaded_error', error_code: '529', error_message: 'Overloaded'},
      {model: 'gpt-4o', status: 'error', error_type: 'http_error', error_code: '500', error_message: null},
    ])
  })
})
