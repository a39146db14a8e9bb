// The imports table and the write side of an import. A file appears whole or not at all: its imports row says
// 'loading' while its events are written, and events of an import that is not 'done' are never listed (VISIBLE in
// events.ts). The rows go in by batches, each its own short transaction, so readers and other writers (a replay
// saving results, `kt report` scoring a run) get the database between batches; a failed file's rows are deleted,
// and a killed import's rows are deleted by the next import. A bulk load (a file larger than the table) is the
// exception: it takes the database to itself, writes its pages once (rollback journal) and builds its
// random-keyed indexes by one sort, in one transaction.
import {statSync} from 'node:fs'
import {KtError} from '../util/index.js'
import {describeSqliteError, type DB} from './db.js'
import {EventWriter} from './events.js'
import {OWNER, ownerAlive} from './owner.js'

/** SQLite page cache while importing (KiB, as a negative cache_size): the random-keyed indexes stay cached longer. */
const IMPORT_CACHE_KIB = 65536
/**
 * Indexes whose keys arrive in random order (a hash), so that keeping them up to date row by row touches
 * a random page per row. For a bulk load they are dropped and created again inside the file's own
 * transaction (atomic: a failure or crash rolls the drop back too), which builds them by one sort.
 */
const BULK_DEFERRED_INDEXES = ['events_request_hash']
/** A bulk load: a file this large (KT_IMPORT_BULK_BYTES overrides it, for tests), holding at least as many rows as the table has. */
const BULK_MIN_BYTES = 256 * 1024 * 1024
const BULK_BYTES_PER_ROW = 2048
/** Page cache (KiB) while the deferred indexes are built: the build sorts in memory up to it, so peak memory stays flat. */
const INDEX_BUILD_CACHE_KIB = 8192
/**
 * A batch ends after this many rows or milliseconds, whichever comes first, and the import then leaves the
 * database alone for PAUSE_MS. SQLite has no queue for its write lock: a connection waiting on it retries every
 * 1 to 100 ms, so without a pause the importer would take the lock again before any waiter woke up. Half a second
 * keeps another writer's wait well inside its busy timeout (5 s by default) while each commit carries enough rows:
 * at 250 ms and 5,000 rows, commits took half the importing thread's time (`npm run bench`, import: kt/floor 0.41
 * against 0.47–0.51 now). A 30 ms pause every 500 ms costs about 6%; a bulk load never pauses (it runs alone).
 */
const BATCH_ROWS = 20_000
const BATCH_MS = 500
const PAUSE_MS = 30


export interface ImportCounts {
  imported: number
  duplicates: number
  not_replayable: number
  skipped: number
  rejected: number
}

/** Writes the events of an import session, one file (one transaction) at a time. */
export class ImportStore {
  private readonly events: EventWriter
  private readonly insertImport
  private readonly updateImport
  private bulkJournal = false
  private deferred: string[] = []
  private readonly cacheSize: number
  /** The file being written: its imports row, whether it is a bulk load, and the open batch. */
  private current: {id: number; bulk: boolean; rows: number; since: number} | null = null

  constructor(
    private readonly db: DB,
    private readonly dbPath: string,
  ) {
    this.events = new EventWriter(db)
    this.insertImport = db.prepare(
      `INSERT INTO imports (started_at, file, format, dataset, imported, duplicates, not_replayable, skipped, rejected, status, owner)
       VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 'loading', ?)`,
    )
    this.updateImport = db.prepare("UPDATE imports SET imported=?, duplicates=?, not_replayable=?, skipped=?, rejected=?, status='done' WHERE id=?")
    // A bigger page cache while importing, put back by close() (the connection may live on).
    this.cacheSize = db.pragma('cache_size', {simple: true}) as number
    db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`)
    removeAbandonedImports(db)
  }

  private begin(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      throw new KtError(`database ${this.dbPath}: ${describeSqliteError(error)}`)
    }
  }

  /**
   * Starts a file: its imports row ('loading'), committed at once so that readers leave its rows out while it
   * loads; then the first batch. A bulk load keeps one transaction for the whole file instead. Returns the import
   * id its events carry.
   */
  beginFile(file: string, format: string, dataset: string, opts: {bulkCheck?: boolean} = {}): number {
    const bulk = opts.bulkCheck !== false && this.isBulkLoad(file)
    if (bulk) this.bulkJournal = enterRollbackJournal(this.db)
    this.begin()
    const id = Number(this.insertImport.run(new Date().toISOString(), file, format, dataset, OWNER).lastInsertRowid)
    this.deferred = bulk ? deferIndexes(this.db) : []
    if (!bulk) {
      this.db.exec('COMMIT')
      this.begin()
    }
    this.current = {id, bulk, rows: 0, since: Date.now()}
    return id
  }

  /** One event row in EVENT_COLUMNS order; false when an event with its id is already stored. */
  write(row: unknown[]): boolean {
    const stored = this.events.writeValues(row)
    if (this.current) this.current.rows++
    return stored
  }

  /**
   * Between batches of rows: when the open batch is large or old enough, commit it, leave the database to others
   * for a moment, and open the next.
   */
  async yieldBetweenBatches(): Promise<void> {
    const c = this.current
    if (!c || c.bulk || !this.db.inTransaction || (c.rows < BATCH_ROWS && Date.now() - c.since < BATCH_MS)) return
    this.db.exec('COMMIT')
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
    this.begin()
    c.rows = 0
    c.since = Date.now()
  }

  /** Builds deferred indexes, records the counts, marks the import done (its events appear) and commits. */
  endFile(importId: number, c: ImportCounts): void {
    if (this.deferred.length) {
      this.db.pragma(`cache_size = ${-INDEX_BUILD_CACHE_KIB}`)
      try {
        for (const sql of this.deferred) this.db.exec(sql)
      } finally {
        this.db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`)
      }
      this.deferred = []
    }
    this.updateImport.run(c.imported, c.duplicates, c.not_replayable, c.skipped, c.rejected, importId)
    this.db.exec('COMMIT')
    this.current = null
    this.endBulkJournal()
  }

  /** Drops whatever the open file wrote: the open batch, and the batches already committed with its imports row. */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK')
    this.deferred = []
    this.endBulkJournal()
    const c = this.current
    this.current = null
    if (c && !c.bulk) deleteImport(this.db, c.id)
  }

  close(): void {
    this.rollback()
    this.db.pragma(`cache_size = ${this.cacheSize}`)
  }

  private endBulkJournal(): void {
    if (!this.bulkJournal) return
    this.bulkJournal = false
    leaveRollbackJournal(this.db)
  }

  /** A bulk load: the file is large, and expected to hold at least as many rows as the table already has. */
  private isBulkLoad(file: string): boolean {
    let bytes = 0
    try {
      bytes = statSync(file).size
    } catch {
      return false
    }
    const threshold = Number(process.env.KT_IMPORT_BULK_BYTES) || BULK_MIN_BYTES
    if (bytes < threshold) return false
    const rows = (this.db.prepare('SELECT coalesce(max(rowid), 0) AS n FROM events').get() as {n: number}).n
    return rows <= bytes / BULK_BYTES_PER_ROW
  }
}

/**
 * For a bulk load, drops BULK_DEFERRED_INDEXES (inside the open transaction) and returns their CREATE
 * statements, to be run before COMMIT. Anything unusual (statistics from ANALYZE, which a drop would lose;
 * a drop that fails) keeps the indexes as they are.
 */
function deferIndexes(db: DB): string[] {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get()) return []
  const deferred: string[] = []
  for (const name of BULK_DEFERRED_INDEXES) {
    const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ? AND tbl_name = 'events'").get(name) as {sql: string | null} | undefined
    if (!row?.sql) continue
    try {
      db.exec(`DROP INDEX ${name}`)
    } catch {
      continue
    }
    deferred.push(row.sql)
  }
  return deferred
}

/**
 * A bulk load runs under a rollback journal instead of the WAL: new pages are then written once, straight into
 * the database file, instead of twice (into the WAL, then again by the checkpoint at COMMIT), which is a fifth
 * of a 1 GB import's time. Crash safety is the same (a hot journal is rolled back by the next open), but the
 * file is the import's alone until it ends, so this is done only when no other connection has it open (the
 * switch needs an exclusive lock: it is tried without waiting, and the import stays in WAL mode otherwise).
 * Returns whether the journal was switched. KT_IMPORT_BULK_JOURNAL=0 keeps the WAL.
 */
function enterRollbackJournal(db: DB): boolean {
  if (process.env.KT_IMPORT_BULK_JOURNAL === '0') return false
  const busy = db.pragma('busy_timeout', {simple: true}) as number
  db.pragma('busy_timeout = 0')
  try {
    return db.pragma('journal_mode = DELETE', {simple: true}) === 'delete'
  } catch {
    return false
  } finally {
    db.pragma(`busy_timeout = ${busy}`)
  }
}

/** Back to WAL after a bulk load. Should it fail (a reader holds the file), the next openDb switches it back. */
function leaveRollbackJournal(db: DB): void {
  try {
    db.pragma('journal_mode = WAL')
  } catch {
    // Not an import failure: the rows are committed.
  }
}

/** Deletes an unfinished import's events and row. */
function deleteImport(db: DB, id: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM events WHERE import_id = ?').run(id)
    db.prepare('DELETE FROM imports WHERE id = ?').run(id)
  }).immediate()
}

/** Imports left 'loading' by a process of this host that no longer runs (kill -9): their rows were never shown. */
function removeAbandonedImports(db: DB): void {
  const loading = db.prepare("SELECT id, owner FROM imports WHERE status = 'loading'").all() as {id: number; owner: string | null}[]
  for (const l of loading) if (!ownerAlive(l.owner)) deleteImport(db, l.id)
}
