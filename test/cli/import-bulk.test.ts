// Bulk loads (a file large next to the table): the import drops and rebuilds the hash index and, when it has the
// database to itself, runs under a rollback journal instead of the WAL. KT_IMPORT_BULK_BYTES lowers the size at
// which a file counts as bulk, so that these tests run on a few MB. What must hold: the same rows as a plain
// import, the file back in WAL mode afterwards, and nothing stored or half-written after a failure or a kill -9.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {benchLine} from '../../bench/import.js'
import {rng} from '../../src/stats/rng.js'
import {BIN, kt, ROOT, tempDir} from '../support/cli.js'

const FIXTURE = join(ROOT, 'fixtures', 'prod-sample.jsonl')
const BULK = {KT_IMPORT_BULK_BYTES: '1'}

function benchFile(dir: string, n: number, seed = 5): string {
  const u = rng(seed)
  const file = join(dir, `bulk-${n}.jsonl`)
  writeFileSync(file, `${Array.from({length: n}, (_, i) => benchLine(u, i)).join('\n')}\n`)
  return file
}

interface DbState {
  journal: string
  events: number
  imports: number
  indexes: string[]
  integrity: string
}

function state(path: string): DbState {
  const db = new Database(path)
  try {
    return {
      journal: db.pragma('journal_mode', {simple: true}) as string,
      events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
      imports: db.prepare('SELECT count(*) FROM imports').pluck().get() as number,
      indexes: db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name").pluck().all() as string[],
      integrity: db.pragma('integrity_check', {simple: true}) as string,
    }
  } finally {
    db.close()
  }
}

function eventDigest(path: string): unknown[] {
  const db = new Database(path, {readonly: true})
  try {
    return db
      .prepare('SELECT event_id, source_id, request_hash, model, timestamp, input_tokens, output_tokens, request_json, response_json, response_text FROM events ORDER BY event_id')
      .raw()
      .all()
  } finally {
    db.close()
  }
}

describe('import: bulk loads', () => {
  test('a bulk load stores exactly what a plain import stores, and leaves the file in WAL mode with every index', () => {
    const dir = tempDir()
    const file = benchFile(dir, 3000)
    const bulk = join(dir, 'bulk.db')
    const plain = join(dir, 'plain.db')
    const a = kt(['import', file, '--db', bulk, '--json'], {env: BULK})
    assert.equal(a.code, 0, a.stderr)
    const b = kt(['import', file, '--db', plain, '--json'], {env: {...BULK, KT_IMPORT_BULK_JOURNAL: '0'}})
    assert.equal(b.code, 0, b.stderr)
    assert.deepEqual(JSON.parse(a.stdout).totals, JSON.parse(b.stdout).totals)
    const sa = state(bulk)
    const sb = state(plain)
    assert.deepEqual(sa, {...sb})
    assert.equal(sa.journal, 'wal')
    assert.equal(sa.events, 3000)
    assert.ok(sa.indexes.includes('events_request_hash'), sa.indexes.join(', '))
    assert.equal(sa.integrity, 'ok')
    assert.ok(!existsSync(`${bulk}-journal`))
    assert.deepEqual(eventDigest(bulk), eventDigest(plain))
    // Importing it again is all duplicates, through the rebuilt indexes.
    const again = kt(['import', file, '--db', bulk, '--json'], {env: BULK})
    assert.equal(again.code, 0, again.stderr)
    assert.equal(JSON.parse(again.stdout).totals.duplicates, 3000)
  })

  test('a bulk load that fails (--strict, a bad last line) stores nothing and puts the journal and the index back', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', FIXTURE, '--db', db]).code, 0)
    const before = state(db)
    const file = benchFile(dir, 2000)
    writeFileSync(file, '{"request": {"model": "gpt-4o"}, "response": \n', {flag: 'a'})
    const r = kt(['import', file, '--db', db, '--strict'], {env: BULK})
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /bulk-2000\.jsonl/)
    assert.deepEqual(state(db), before)
    assert.equal(before.journal, 'wal')
  })

  test('with another connection open the import keeps the WAL (and still imports)', () => {
    const dir = tempDir()
    const path = join(dir, 'kt.db')
    assert.equal(kt(['import', FIXTURE, '--db', path]).code, 0)
    const reader = new Database(path, {readonly: true})
    try {
      const n0 = reader.prepare('SELECT count(*) FROM events').pluck().get() as number
      const file = benchFile(dir, 1500)
      const r = kt(['import', file, '--db', path, '--json'], {env: BULK})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(JSON.parse(r.stdout).totals.imported, 1500)
      assert.equal(reader.prepare('SELECT count(*) FROM events').pluck().get(), n0 + 1500)
    } finally {
      reader.close()
    }
    assert.equal(state(path).journal, 'wal')
  })

  test('kill -9 in the middle of a bulk load: the next open rolls it back, and the file is whole and in WAL mode', async () => {
    const dir = tempDir()
    const path = join(dir, 'kt.db')
    assert.equal(kt(['import', FIXTURE, '--db', path]).code, 0)
    const before = state(path)
    const size0 = statSync(path).size
    // Enough rows to overflow the 64 MB import cache, so pages are already in the database file when killed.
    const file = benchFile(dir, 45_000)
    const child = spawn(process.execPath, [BIN, 'import', file, '--db', path], {env: {...process.env, ...BULK, KT_NO_PROGRESS: '1'}, stdio: 'ignore'})
    const exited = new Promise((r) => child.once('exit', r))
    let sawJournal = false
    let spilled = false
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 5))
      sawJournal ||= existsSync(`${path}-journal`)
      if (sawJournal && statSync(path).size > size0 + 16 * 1024 * 1024) {
        spilled = true
        break
      }
    }
    child.kill('SIGKILL')
    await exited
    assert.ok(sawJournal, 'the bulk load ran under a rollback journal')
    assert.ok(spilled, 'killed after the import had written into the database file')
    // Any kt command opens (and repairs) it; then the file is exactly what it was.
    const list = kt(['events', 'list', '--db', path, '--format', 'json', '--last', '1'])
    assert.equal(list.code, 0, list.stderr)
    assert.deepEqual(state(path), before)
    assert.ok(!existsSync(`${path}-journal`))
  })
})
