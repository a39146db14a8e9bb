// Import orchestration: formats → canonical records → events table. Each file is one write
// transaction, so a crash or a --strict failure never leaves a half-written import behind.
//
// Reading, parsing and row building (ImportProducer) are apart from storing (here): a large import runs
// the producer in a worker thread (import-worker.ts) so that the two overlap on two cores; a small one
// runs it in this thread, where a worker's start-up would cost more than it saves. Both paths share
// every decision, so counts, reasons, errors and stored rows are the same either way.
import {existsSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {KtError} from '../../util/index.js'
import {describeSqliteError, type DB} from '../../store/index.js'
import {EventWriter, IMPORT_ID_INDEX, REPLAYABLE_INDEX} from '../../store/index.js'
import {datasetName, ImportProducer, type Note, type ProducerMessage, type ProducerOptions} from './producer.js'
import type {FromWorker, ToWorker, WorkerInput} from './worker.js'

export {datasetName} from './producer.js'

export interface ImportOptions {
  format?: string
  /** Dataset name; defaults to each file's base name without extensions. */
  dataset?: string
  tags?: string[]
  strict?: boolean
  /** Called every so often with the running count (for progress output). */
  onProgress?: (file: string, records: number) => void
}

export interface FileSummary {
  file: string
  format: string
  dataset: string
  imported: number
  not_replayable: number
  duplicates: number
  skipped: number
  rejected: number
  /** Reasons with counts, and the first few locations of each. */
  reasons: {kind: 'skip' | 'reject'; reason: string; count: number; locations: string[]}[]
  /** Set when the whole file failed (nothing from it stored). */
  error: string | null
}

export interface ImportSummary {
  files: FileSummary[]
  totals: {imported: number; not_replayable: number; duplicates: number; skipped: number; rejected: number; failed_files: number}
}

const MAX_LOCATIONS = 5
const PROGRESS_EVERY = 5000

/** Below this many bytes of input the producer runs in this thread (KT_IMPORT_WORKER=1/0 forces either way). */
const WORKER_MIN_BYTES = 8 * 1024 * 1024
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
/** Page cache (KiB) while the deferred indexes are built. */
const INDEX_BUILD_CACHE_KIB = 8192

class FileImport {
  readonly summary: FileSummary
  private readonly reasonIndex = new Map<string, FileSummary['reasons'][number]>()

  constructor(file: string, format: string, dataset: string) {
    this.summary = {file, format, dataset, imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, reasons: [], error: null}
  }

  note(kind: 'skip' | 'reject', reason: string, locator: string): void {
    if (kind === 'skip') this.summary.skipped++
    else this.summary.rejected++
    const key = `${kind}\u0000${reason}`
    let r = this.reasonIndex.get(key)
    if (!r) {
      r = {kind, reason, count: 0, locations: []}
      this.reasonIndex.set(key, r)
      this.summary.reasons.push(r)
    }
    r.count++
    if (r.locations.length < MAX_LOCATIONS) r.locations.push(`${this.summary.file}:${locator.replace(/^line /, '')}`)
  }
}

/** The producer's messages, from this thread or a worker, and how to tell it to give up on a file. */
interface Source {
  messages: AsyncGenerator<ProducerMessage>
  cancel(index: number): void
  close(): Promise<void>
}

function inputBytes(files: string[]): number {
  let total = 0
  for (const f of files) {
    try {
      total += statSync(f).size
    } catch {
      // Missing or unreadable: the producer reports it.
    }
  }
  return total
}

function workerUrl(): URL | null {
  const url = new URL('./worker.js', import.meta.url)
  // Only the compiled tree has the worker next to this module.
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null
}

function useWorker(files: string[]): URL | null {
  const setting = process.env.KT_IMPORT_WORKER
  if (setting === '0' || files.length === 0) return null
  const url = workerUrl()
  if (!url) return null
  return setting === '1' || inputBytes(files) >= WORKER_MIN_BYTES ? url : null
}

function inThread(files: string[], opts: ProducerOptions): Source {
  const producer = new ImportProducer(opts)
  return {messages: producer.run(files), cancel: (i) => producer.cancel(i), close: async () => {}}
}

function inWorker(url: URL, files: string[], opts: ProducerOptions): Source {
  const worker = new Worker(url, {workerData: {files, opts} satisfies WorkerInput})
  const send = (m: ToWorker) => worker.postMessage(m)
  const queue: FromWorker[] = []
  let wake: (() => void) | null = null
  let failure: Error | null = null
  worker.on('message', (m: FromWorker) => {
    queue.push(m)
    wake?.()
  })
  worker.on('error', (e: Error) => {
    failure ??= e
    wake?.()
  })
  worker.on('exit', (code) => {
    failure ??= new Error(`import worker exited (code ${code}) before finishing`)
    wake?.()
  })
  async function* messages(): AsyncGenerator<ProducerMessage> {
    for (;;) {
      const m = queue.shift()
      if (m === undefined) {
        if (failure) throw failure
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
        continue
      }
      if (m.t === 'done') return
      if (m.t === 'fatal') {
        const e = m.kt ? new KtError(m.message) : new Error(m.message)
        if (m.stack) e.stack = m.stack
        throw e
      }
      yield m
      send({t: 'ack'})
    }
  }
  return {
    messages: messages(),
    cancel: (index) => send({t: 'cancel', index}),
    close: async () => {
      worker.removeAllListeners('exit')
      await worker.terminate()
    },
  }
}

/** The file being stored: its summary, import row, outcomes so far, and whether it already failed. */
interface Current {
  index: number
  file: string
  fi: FileImport | null
  importId: number
  n: number
  failed: boolean
  /** CREATE INDEX statements to run before COMMIT (indexes dropped for a bulk load). */
  deferred: string[]
}

/** A bulk load: the file is large, and expected to hold at least as many rows as the table already has. */
function isBulkLoad(db: DB, file: string): boolean {
  let bytes = 0
  try {
    bytes = statSync(file).size
  } catch {
    return false
  }
  const threshold = Number(process.env.KT_IMPORT_BULK_BYTES) || BULK_MIN_BYTES
  if (bytes < threshold) return false
  const rows = (db.prepare('SELECT coalesce(max(rowid), 0) AS n FROM events').get() as {n: number}).n
  return rows <= bytes / BULK_BYTES_PER_ROW
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

export async function importFiles(db: DB, dbPath: string, files: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const writer = new EventWriter(db)
  const insertImport = db.prepare(
    `INSERT INTO imports (started_at, file, format, dataset, imported, duplicates, not_replayable, skipped, rejected)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const summaries: FileSummary[] = []
  const producerOpts: ProducerOptions = {format: opts.format, dataset: opts.dataset, tags: opts.tags, strict: opts.strict}

  const store = (fi: FileImport, importId: number, row: unknown[]) => {
    row[IMPORT_ID_INDEX] = importId
    if (!writer.writeValues(row)) fi.summary.duplicates++
    else if (row[REPLAYABLE_INDEX] === 1) fi.summary.imported++
    else fi.summary.not_replayable++
  }

  const begin = () => {
    try {
      db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      throw new KtError(`database ${dbPath}: ${describeSqliteError(error)}`)
    }
  }
  /** Set while a bulk load runs under a rollback journal (see enterRollbackJournal). */
  let bulkJournal = false
  const endBulkJournal = () => {
    if (!bulkJournal) return
    bulkJournal = false
    leaveRollbackJournal(db)
  }
  const rollback = () => {
    if (db.inTransaction) db.exec('ROLLBACK')
    endBulkJournal()
  }

  let cur: Current | null = null
  const fileState = (index: number, file: string): Current => {
    if (cur?.index !== index) cur = {index, file, fi: null, importId: 0, n: 0, failed: false, deferred: []}
    return cur
  }
  /** Nothing from the file is kept: roll back and record why (its counts reset to what is stored: none). */
  const fail = (c: Current, message: string) => {
    rollback()
    const dataset = opts.dataset ?? datasetName(c.file)
    const failed = c.fi?.summary ?? new FileImport(c.file, opts.format ?? 'auto', dataset).summary
    Object.assign(failed, {imported: 0, not_replayable: 0, duplicates: 0, error: message})
    summaries.push(failed)
    c.failed = true
  }
  const sqliteFailure = (c: Current, error: unknown) => {
    fail(c, error instanceof KtError ? error.message : `${c.file}: ${describeSqliteError(error)}`)
    source.cancel(c.index)
  }

  /** A batch in outcome order: notes at their places, rows in between, progress after each outcome. */
  const storeBatch = (c: Current, fi: FileImport, rows: unknown[][], notes: Note[], n: number) => {
    let r = 0
    let k = 0
    for (let at = 0; at < n; at++) {
      const note = notes[k]
      if (note && note[3] === at) {
        fi.note(note[0], note[1], note[2])
        k++
      } else store(fi, c.importId, rows[r++]!)
      if (++c.n % PROGRESS_EVERY === 0) opts.onProgress?.(c.file, c.n)
    }
    // A --strict reject comes after the counted outcomes; the failure that follows it is its own message.
    for (; k < notes.length; k++) fi.note(notes[k]![0], notes[k]![1], notes[k]![2])
  }

  const handle = (m: ProducerMessage) => {
    switch (m.t) {
      case 'start': {
        const c = fileState(m.index, m.file)
        c.fi = new FileImport(m.file, m.format, opts.dataset ?? datasetName(m.file))
        try {
          const bulk = isBulkLoad(db, m.file)
          if (bulk) bulkJournal = enterRollbackJournal(db)
          begin()
          c.importId = Number(insertImport.run(new Date().toISOString(), m.file, m.format, c.fi.summary.dataset, 0, 0, 0, 0, 0).lastInsertRowid)
          c.deferred = bulk ? deferIndexes(db) : []
        } catch (error) {
          sqliteFailure(c, error)
        }
        return
      }
      case 'batch': {
        const c = cur
        if (!c || c.index !== m.index || c.failed || !c.fi) return
        try {
          storeBatch(c, c.fi, m.rows, m.notes, m.n)
        } catch (error) {
          sqliteFailure(c, error)
        }
        return
      }
      case 'end': {
        const c = cur
        if (!c || c.index !== m.index || c.failed || !c.fi) return
        const s = c.fi.summary
        try {
          if (c.deferred.length) {
            // The index build sorts in memory up to the cache size; a small cache then keeps peak memory flat.
            db.pragma(`cache_size = ${-INDEX_BUILD_CACHE_KIB}`)
            try {
              for (const sql of c.deferred) db.exec(sql)
            } finally {
              db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`)
            }
          }
          db.prepare('UPDATE imports SET imported=?, duplicates=?, not_replayable=?, skipped=?, rejected=? WHERE id=?').run(
            s.imported, s.duplicates, s.not_replayable, s.skipped, s.rejected, c.importId,
          )
          db.exec('COMMIT')
          endBulkJournal()
          opts.onProgress?.(c.file, c.n)
        } catch (error) {
          sqliteFailure(c, error)
          return
        }
        summaries.push(s)
        return
      }
      case 'fail': {
        const c = fileState(m.index, files[m.index]!)
        if (c.failed) return
        fail(c, m.kt ? m.message : `${c.file}: ${describeSqliteError({code: m.code, message: m.message})}`)
        return
      }
      case 'pending':
        storePending(m.file, m.entries)
        return
    }
  }

  // Records held for cross-file joins (Batch requests without output lines) land last, per source file.
  const storePending = (file: string, entries: Extract<ProducerMessage, {t: 'pending'}>['entries']) => {
    let fi = summaries.find((s) => s.file === file)
    const target = new FileImport(file, fi?.format ?? 'unknown', fi?.dataset ?? opts.dataset ?? datasetName(file))
    if (fi) Object.assign(target.summary, fi)
    try {
      begin()
      const importId = Number(insertImport.run(new Date().toISOString(), file, target.summary.format, target.summary.dataset, 0, 0, 0, 0, 0).lastInsertRowid)
      for (const e of entries) {
        if (e.row) {
          store(target, importId, e.row)
          continue
        }
        const [kind, reason, locator] = e.note
        target.note(kind, reason, locator)
        if (opts.strict && kind === 'reject') throw new KtError(`${file}: ${locator}: ${reason} (--strict)`)
      }
      db.exec('COMMIT')
    } catch (error) {
      rollback()
      target.summary.error = error instanceof KtError ? error.message : describeSqliteError(error)
    }
    if (fi) Object.assign(fi, target.summary)
    else summaries.push((fi = target.summary))
  }

  const url = useWorker(files)
  const source = url ? inWorker(url, files, producerOpts) : inThread(files, producerOpts)
  // A bigger page cache while importing, put back afterwards (the connection may live on).
  const cacheSize = db.pragma('cache_size', {simple: true}) as number
  db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`)
  try {
    for await (const m of source.messages) handle(m)
  } finally {
    rollback()
    db.pragma(`cache_size = ${cacheSize}`)
    await source.close()
  }

  const totals = {imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, failed_files: 0}
  for (const s of summaries) {
    totals.imported += s.imported
    totals.not_replayable += s.not_replayable
    totals.duplicates += s.duplicates
    totals.skipped += s.skipped
    totals.rejected += s.rejected
    if (s.error) totals.failed_files++
  }
  return {files: summaries, totals}
}
