// What the format tests share: import files the real way (format detection → records → SQLite events table)
// and read the rows back with SQL, the table-driven check of what came in (expectImport / expectRow), and the
// small lookups they all use on those rows.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
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

/** A database file and its WAL or journal as one latin1 string, byte-for-byte searchable (for secrets that must not be there). */
export function dbBytes(dbPath: string): string {
  let s = readFileSync(dbPath).toString('latin1')
  for (const extra of [`${dbPath}-wal`, `${dbPath}-journal`]) if (existsSync(extra)) s += readFileSync(extra).toString('latin1')
  return s
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

/** metadata_json parsed. */
export const meta = (r: EventRow) => JSON.parse(r.metadata_json) as Record<string, unknown>

/** The 16-hex-digit SHA-256 prefix kt stores in place of user ids and keys. */
export const h16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16)

// ---------------------------------------------------------------------------------------------
// Table-driven checks: what a file should import as, written as data.

/** A number column compared within `eps`. */
export class Near {
  constructor(
    readonly value: number,
    readonly eps: number,
  ) {}
}
export const near = (value: number, eps = 1e-9) => new Near(value, eps)

/** A JSON column compared as its parsed value: whole (`jsonIs`) or by the entries listed (`jsonHas`). */
export class JsonValue {
  constructor(
    readonly value: unknown,
    readonly partial: boolean,
  ) {}
}
export const jsonIs = (value: unknown) => new JsonValue(value, false)
export const jsonHas = (entries: Record<string, unknown>) => new JsonValue(entries, true)

/** Expected column values of one row: exact, `near(…)`, `jsonIs(…)`/`jsonHas(…)`, or a RegExp for text. */
export type RowExpect = {[K in keyof EventRow]?: EventRow[K] | Near | JsonValue | RegExp}

/** Asserts each listed column of `r`; a failure names the row and the column. */
export function expectRow(r: EventRow, expected: RowExpect, label: string = r.source_id ?? r.event_id): void {
  for (const [col, want] of Object.entries(expected)) {
    const got = (r as unknown as Record<string, unknown>)[col]
    const what = `${label}: ${col}`
    if (want instanceof Near) assert.ok(typeof got === 'number' && Math.abs(got - want.value) < want.eps, `${what}: ${String(got)} ≉ ${want.value}`)
    else if (want instanceof RegExp) assert.match(String(got), want, what)
    else if (want instanceof JsonValue) {
      const parsed: unknown = JSON.parse((got as string | null) ?? 'null')
      if (!want.partial) assert.deepEqual(parsed, want.value, what)
      else for (const [k, v] of Object.entries(want.value as Record<string, unknown>)) assert.deepEqual((parsed as Record<string, unknown>)?.[k], v, `${what}.${k}`)
    } else assert.deepEqual(got, want, what)
  }
}

export interface ImportExpect {
  /** Forces a format, as --format does. */
  format?: string
  /** Fields of each file's summary, in the order the files were given (format, error, imported, skipped…). */
  files?: Partial<ImportSummary['files'][number]>[]
  totals?: Partial<ImportSummary['totals']>
  /** How many rows the database holds afterwards. */
  count?: number
  /** Rows by source_id, or by position (`#0`, `#1`…) in the order read back. */
  rows?: Record<string, RowExpect>
  orderBy?: typeof BY_TIME | typeof BY_SOURCE
  dir?: string
}

/** The row a key of ImportExpect.rows names. */
function pick(rows: EventRow[], key: string): EventRow {
  if (!key.startsWith('#')) return row(rows, key)
  const r = rows[Number(key.slice(1))]
  assert.ok(r, `no row ${key}; ${rows.length} rows`)
  return r
}

/** Imports `files` into a new database, checks the summary and the listed rows, and returns what it read back. */
export async function expectImport(files: string[], expect: ImportExpect): Promise<Imported> {
  const imported = await importRows(files, {format: expect.format, orderBy: expect.orderBy, dir: expect.dir})
  const {summary, rows} = imported
  expect.files?.forEach((want, i) => {
    const got = summary.files[i]
    assert.ok(got, `no summary for file ${i}`)
    for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, `file ${i} (${got.file}): ${k}`)
  })
  for (const [k, v] of Object.entries(expect.totals ?? {})) assert.equal(summary.totals[k as keyof ImportSummary['totals']], v, `totals.${k}`)
  if (expect.count !== undefined) assert.equal(rows.length, expect.count, 'rows')
  for (const [key, want] of Object.entries(expect.rows ?? {})) expectRow(pick(rows, key), want, key)
  return imported
}

