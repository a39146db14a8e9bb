// What the format tests share: import files the real way (format detection → records → SQLite events table)
// and read the rows back with SQL, plus the small lookups and asserts they all use on those rows.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after} from 'node:test'
import {ImportSession, readFile} from '../../src/formats/index.js'
import type {CanonicalRecord} from '../../src/records/types.js'
import {openDb} from '../../src/store/db.js'
import type {EventRow} from '../../src/records/index.js'
import {importFiles, type ImportSummary} from '../../src/app/import/import-files.js'
import {PUBLIC_DATA, ROOT, tempDir} from './cli.js'

export {PUBLIC_DATA, ROOT}
/** Synthetic format samples kept in this repo (the public ones are under PUBLIC_DATA). */
export const DATA = join(ROOT, 'test', 'data', 'formats')

/** Row orders the tests read back in: by time, or in file order (file, then place in the file). */
export const BY_TIME = 'timestamp'
export const BY_SOURCE = 'source_file, source_locator'

export interface Imported {
  summary: ImportSummary
  rows: EventRow[]
  /** The database file, closed again, for tests that look at it themselves. */
  dbPath: string
}

let dbCount = 0

/**
 * Imports `files` into a new SQLite database and reads every event row back.
 * `format` forces one importer (as --format does); `dir` is where the database goes (a new temp dir when omitted).
 */
export async function importRows(files: string[], opts: {format?: string; orderBy?: typeof BY_TIME | typeof BY_SOURCE; dir?: string} = {}): Promise<Imported> {
  const dbPath = join(opts.dir ?? tempDir(), `kt-${dbCount++}.db`)
  const db = openDb(dbPath)
  try {
    const summary = await importFiles(db, dbPath, files, opts.format ? {format: opts.format} : {})
    const rows = db.prepare(`SELECT * FROM events ORDER BY ${opts.orderBy ?? BY_TIME}`).all() as EventRow[]
    return {summary, rows, dbPath}
  } finally {
    db.close()
  }
}

/** One temp dir for a whole test file, removed after its tests. Call it at the file's top level. */
export function fileTempDir(): string {
  const dir = tempDir()
  after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Writes `text` to a file called `name` in a new temp dir and returns its path. */
export function tmpFile(name: string, text: string): string {
  const p = join(tempDir(), name)
  writeFileSync(p, text)
  return p
}

/** The format auto-detection picks for `file`. */
export async function detected(file: string): Promise<string> {
  return (await readFile(file, new ImportSession())).format.name
}

/** The canonical records one file yields straight from the format layer (for fields the events table has no column for). */
export async function recordsOf(file: string): Promise<CanonicalRecord[]> {
  const opened = await readFile(file, new ImportSession())
  const out: CanonicalRecord[] = []
  for await (const o of opened.outcomes) if (o.kind === 'record') out.push(o.record)
  return out
}

/** The row with this source_id; fails the test (listing the ids there are) when there is none. */
export function row(rows: EventRow[], sourceId: string): EventRow {
  const r = rows.find((x) => x.source_id === sourceId)
  assert.ok(r, `no row with source_id ${sourceId}; have ${rows.map((x) => x.source_id).join(', ')}`)
  return r
}

/** A JSON column parsed (NULL → null). */
export const json = (s: string | null) => JSON.parse(s ?? 'null')

/** metadata_json parsed. */
export const meta = (r: EventRow) => JSON.parse(r.metadata_json) as Record<string, unknown>

/** An assert that a nullable number is within `eps` of the expected one; each test file picks its tolerance. */
export const closeWithin = (eps: number) => (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≉ ${b}`)

/** The 16-hex-digit SHA-256 prefix kt stores in place of user ids and keys. */
export const h16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16)
