import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {migrate, openDb, resolveDbPath, schemaVersion} from '../../src/store/db.js'
import {migrations} from '../../src/store/migrations.js'
import {tempDir} from '../support/cli.js'

describe('store', () => {
  test('a database at an old schema version upgrades in place and keeps its data', () => {
    const path = join(tempDir(), 'old.db')
    const old = new Database(path)
    old.exec(migrations[0]!)
    old.pragma('user_version = 1')
    old.prepare("INSERT INTO events (event_id, timestamp, status, model) VALUES ('ev_old', '2026-01-01T00:00:00.000Z', 'ok', 'gpt-4o')").run()
    old.close()

    const db = openDb(path)
    assert.equal(schemaVersion(db), migrations.length)
    assert.equal((db.prepare("SELECT model FROM events WHERE event_id = 'ev_old'").get() as {model: string}).model, 'gpt-4o')
    // The v2 tables exist and work against the old rows.
    db.prepare("INSERT INTO runs (id, created_at, updated_at, status, primary_json, candidate_json, options_json, total) VALUES ('r1', 'x', 'x', 'running', '\"recorded\"', '{}', '{}', 1)").run()
    db.prepare("INSERT INTO run_items (run_id, seq, event_id) VALUES ('r1', 0, 'ev_old')").run()
    assert.equal(db.pragma('journal_mode', {simple: true}), 'wal')
    assert.equal(db.pragma('foreign_keys', {simple: true}), 1)
    // Foreign keys are enforced: a run item for an unknown event is refused.
    assert.throws(() => db.prepare("INSERT INTO run_items (run_id, seq, event_id) VALUES ('r1', 1, 'nope')").run(), /FOREIGN KEY/)
    db.close()
  })

  test('migrating twice is a no-op', () => {
    const db = openDb(join(tempDir(), 'x.db'))
    migrate(db)
    assert.equal(schemaVersion(db), migrations.length)
    db.close()
  })

  test('a database from a newer kt is refused with a clear message', () => {
    const path = join(tempDir(), 'new.db')
    const d = new Database(path)
    d.pragma(`user_version = ${migrations.length + 5}`)
    d.close()
    assert.throws(() => openDb(path), /newer than this kt understands/)
  })

  test('location: --db, else KT_DB, else $KT_HOME/kt.db', () => {
    const saved = {db: process.env.KT_DB, home: process.env.KT_HOME}
    try {
      process.env.KT_DB = '/tmp/a/kt-env.db'
      process.env.KT_HOME = '/tmp/khome'
      assert.equal(resolveDbPath('/tmp/flag.db'), '/tmp/flag.db')
      assert.equal(resolveDbPath(), '/tmp/a/kt-env.db')
      delete process.env.KT_DB
      assert.equal(resolveDbPath(), '/tmp/khome/kt.db')
      delete process.env.KT_HOME
      assert.match(resolveDbPath(), /\.kt\/kt\.db$/)
    } finally {
      if (saved.db === undefined) delete process.env.KT_DB
      else process.env.KT_DB = saved.db
      if (saved.home === undefined) delete process.env.KT_HOME
      else process.env.KT_HOME = saved.home
    }
  })
})
