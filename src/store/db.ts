import Database from 'better-sqlite3'
import {closeSync, mkdirSync, openSync, readSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {KtError} from '../util/index.js'
import {migrations} from './migrations.js'

export type DB = Database.Database

/** `--db`, else `KT_DB`, else `$KT_HOME/kt.db` with `KT_HOME` defaulting to `~/.kt`. */
export function resolveDbPath(flag?: string): string {
  if (flag) return resolve(flag)
  if (process.env.KT_DB) return resolve(process.env.KT_DB)
  const home = process.env.KT_HOME ? resolve(process.env.KT_HOME) : join(homedir(), '.kt')
  return join(home, 'kt.db')
}

export interface OpenOptions {
  readonly?: boolean
  /** Milliseconds to wait on a lock held by another process before giving up. */
  busyTimeoutMs?: number
}

/** Opens (creating and migrating when writable) the kt database. Errors name the file and the cause. */
export function openDb(path: string, opts: OpenOptions = {}): DB {
  let db: DB
  try {
    if (!opts.readonly) mkdirSync(dirname(path), {recursive: true})
    db = new Database(path, {readonly: Boolean(opts.readonly), fileMustExist: Boolean(opts.readonly)})
  } catch (error) {
    throw new KtError(`cannot open database ${path}: ${describeSqliteError(error)}`)
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? (Number(process.env.KT_BUSY_TIMEOUT_MS) || 5000)}`)
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    }
    db.pragma('foreign_keys = ON')
    if (!opts.readonly) migrate(db)
    else checkVersion(db, path)
  } catch (error) {
    db.close()
    if (error instanceof KtError) throw error
    throw new KtError(`cannot use database ${path}: ${describeSqliteError(error)}`)
  }
  return db
}

export function schemaVersion(db: DB): number {
  return db.pragma('user_version', {simple: true}) as number
}

function checkVersion(db: DB, path: string): void {
  const version = schemaVersion(db)
  if (version > migrations.length) {
    throw new KtError(`database ${path} has schema version ${version}, newer than this kt understands (${migrations.length}); upgrade kt`)
  }
}

/** Applies each pending migration in its own transaction, so a failure leaves the previous version intact. */
export function migrate(db: DB): void {
  const current = schemaVersion(db)
  if (current > migrations.length) {
    throw new KtError(`database has schema version ${current}, newer than this kt understands (${migrations.length}); upgrade kt`)
  }
  for (let v = current; v < migrations.length; v++) {
    const step = migrations[v]!
    db.transaction(() => {
      db.exec(step)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

export function describeSqliteError(error: unknown): string {
  const e = error as {code?: string; message?: string}
  // Extended result codes (SQLITE_READONLY_DIRECTORY, SQLITE_BUSY_SNAPSHOT…) map to their base code.
  const base = e.code?.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')
  switch (base) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'the database is locked by another process; try again when it finishes'
    case 'SQLITE_READONLY':
      return 'the database is read-only (check file permissions)'
    case 'SQLITE_CANTOPEN':
      return 'the file cannot be opened (check the path and permissions)'
    case 'SQLITE_NOTADB':
      return 'the file is not a kt (SQLite) database'
    case 'SQLITE_CORRUPT':
      return 'the database file is corrupt'
    case 'SQLITE_FULL':
      return 'the disk is full'
    default:
      return e.message ?? String(error)
  }
}

/** Runs fn inside BEGIN IMMEDIATE … COMMIT, mapping SQLite errors to one readable message. */
export function withWriteTransaction<T>(db: DB, path: string, fn: () => T): T {
  try {
    return db.transaction(fn).immediate()
  } catch (error) {
    if (error instanceof KtError) throw error
    const code = (error as {code?: string}).code
    if (code && code.startsWith('SQLITE_')) throw new KtError(`database ${path}: ${describeSqliteError(error)}`)
    throw error
  }
}

/**
 * Whether the database file can really be written: a schema change inside a transaction that is rolled back
 * (a write to the main file that leaves no trace). Throws the SQLite error when it cannot.
 */
export function probeWrite(db: DB): void {
  db.exec('BEGIN IMMEDIATE')
  try {
    db.exec('CREATE TABLE kt_doctor_probe (x); INSERT INTO kt_doctor_probe VALUES (1)')
  } finally {
    db.exec('ROLLBACK')
  }
}

/**
 * Runs fn (which may await) inside one read transaction, so every query it makes sees the same snapshot even
 * while others write (an export's CSV header pass and its row pass agree). Nested in an open transaction, it
 * simply runs.
 */
export async function readSnapshot<T>(db: DB, fn: () => Promise<T>): Promise<T> {
  const began = !db.inTransaction
  if (began) db.exec('BEGIN')
  try {
    return await fn()
  } finally {
    if (began && db.inTransaction) db.exec('COMMIT')
  }
}

/** Version on disk before openDb migrates it; null when unreadable. */
export function versionOnDisk(path: string): number | null {
  try {
    const ro = new Database(path, {readonly: true, fileMustExist: true})
    try {
      return ro.pragma('user_version', {simple: true}) as number
    } finally {
      ro.close()
    }
  } catch {
    // A WAL database in a directory we cannot write cannot be opened even read-only (no -shm): the header still
    // says its version (user_version is bytes 60..63), possibly behind an unmerged WAL, which is fine for a message.
    return headerVersion(path)
  }
}

function headerVersion(path: string): number | null {
  let fd: number | null = null
  try {
    fd = openSync(path, 'r')
    const header = Buffer.alloc(100)
    if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return null
    return header.readUInt32BE(60)
  } catch {
    return null
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

/**
 * Sets how long a statement waits on another connection's lock before SQLITE_BUSY, and returns the previous
 * value. The wait blocks the thread, so a process with calls in flight (a replay) keeps it short and retries
 * asynchronously instead.
 */
export function setBusyTimeout(db: DB, ms: number): number {
  const prev = db.pragma('busy_timeout', {simple: true}) as number
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`)
  return prev
}
