// Import orchestration: formats → canonical records → events table. Each file is one write
// transaction, so a crash or a --strict failure never leaves a half-written import behind.
//
// Reading, parsing and row building (producer.ts, in this thread or a worker: source.ts) are apart from storing
// (here, through the store's ImportStore).
import type {PriceOverrides} from '../../providers/index.js'
import {IMPORT_ID_INDEX, REPLAYABLE_INDEX} from '../../records/index.js'
import {describeSqliteError, ImportStore, type DB} from '../../store/index.js'
import {KtError, oneLine} from '../../util/index.js'
import {datasetName, type Flag, type Note, type ProducerMessage, type ProducerOptions} from './producer.js'
import {inThread, inWorker, useWorker} from './source.js'

export {datasetName} from './producer.js'

export interface ImportOptions {
  format?: string
  /** Dataset name; defaults to each file's base name without extensions. */
  dataset?: string
  tags?: string[]
  strict?: boolean
  /** Price overrides (config `pricing:`) for logs that carry no cost. */
  pricing?: PriceOverrides
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
  /** Records stored with an impossible value nulled (a negative or absurd latency or cost, a number that is "NaN"). */
  flagged: number
  /** Reasons with counts, and the first few locations of each. */
  reasons: {kind: 'skip' | 'reject' | 'flag'; reason: string; count: number; locations: string[]}[]
  /** Set when the whole file failed (nothing from it stored). */
  error: string | null
}

export interface ImportSummary {
  files: FileSummary[]
  totals: {imported: number; not_replayable: number; duplicates: number; skipped: number; rejected: number; flagged: number; failed_files: number}
}

const MAX_LOCATIONS = 5
const PROGRESS_EVERY = 5000

class FileImport {
  readonly summary: FileSummary
  private readonly reasonIndex = new Map<string, FileSummary['reasons'][number]>()

  constructor(file: string, format: string, dataset: string) {
    this.summary = {file, format, dataset, imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, flagged: 0, reasons: [], error: null}
  }

  note(kind: 'skip' | 'reject' | 'flag', reason: string, locator: string): void {
    if (kind === 'skip') this.summary.skipped++
    else if (kind === 'reject') this.summary.rejected++
    else this.summary.flagged++
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

/** The file being stored: its summary, import row, outcomes so far, and whether it already failed. */
interface Current {
  index: number
  file: string
  fi: FileImport | null
  importId: number
  n: number
  failed: boolean
}

export async function importFiles(db: DB, dbPath: string, files: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const writer = new ImportStore(db, dbPath)
  const summaries: FileSummary[] = []
  const producerOpts: ProducerOptions = {format: opts.format, dataset: opts.dataset, tags: opts.tags, strict: opts.strict, pricing: opts.pricing}

  const store = (fi: FileImport, importId: number, row: unknown[]) => {
    row[IMPORT_ID_INDEX] = importId
    if (!writer.write(row)) fi.summary.duplicates++
    else if (row[REPLAYABLE_INDEX] === 1) fi.summary.imported++
    else fi.summary.not_replayable++
  }

  const rollback = () => writer.rollback()

  let cur: Current | null = null
  const fileState = (index: number, file: string): Current => {
    if (cur?.index !== index) cur = {index, file, fi: null, importId: 0, n: 0, failed: false}
    return cur
  }
  /** Nothing from the file is kept: roll back and record why (its counts reset to what is stored: none). */
  const fail = (c: Current, message: string) => {
    rollback()
    const dataset = opts.dataset ?? datasetName(c.file)
    const failed = c.fi?.summary ?? new FileImport(c.file, opts.format ?? 'auto', dataset).summary
    Object.assign(failed, {imported: 0, not_replayable: 0, duplicates: 0, flagged: 0, error: oneLine(message)})
    summaries.push(failed)
    c.failed = true
  }
  const sqliteFailure = (c: Current, error: unknown) => {
    fail(c, error instanceof KtError ? error.message : `${c.file}: ${describeSqliteError(error)}`)
    source.cancel(c.index)
  }

  /** A batch in outcome order: notes at their places, rows in between, progress after each outcome; then its flags. */
  const storeBatch = (c: Current, fi: FileImport, rows: unknown[][], notes: Note[], flags: Flag[], n: number) => {
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
    for (const [reason, locator] of flags) fi.note('flag', reason, locator)
  }

  const handle = (m: ProducerMessage) => {
    switch (m.t) {
      case 'start': {
        const c = fileState(m.index, m.file)
        c.fi = new FileImport(m.file, m.format, opts.dataset ?? datasetName(m.file))
        try {
          c.importId = writer.beginFile(m.file, m.format, c.fi.summary.dataset)
        } catch (error) {
          sqliteFailure(c, error)
        }
        return
      }
      case 'batch': {
        const c = cur
        if (!c || c.index !== m.index || c.failed || !c.fi) return
        try {
          storeBatch(c, c.fi, m.rows, m.notes, m.flags, m.n)
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
          writer.endFile(c.importId, s)
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
      const importId = writer.beginFile(file, target.summary.format, target.summary.dataset, {bulkCheck: false})
      for (const e of entries) {
        if (e.row) {
          store(target, importId, e.row)
          for (const [reason, locator] of e.flags ?? []) target.note('flag', reason, locator)
          continue
        }
        const [kind, reason, locator] = e.note
        target.note(kind, reason, locator)
        if (opts.strict && kind === 'reject') throw new KtError(`${file}: ${locator}: ${reason} (--strict)`)
      }
      // This import row counts what this pass stored, not the file's earlier pass.
      const t = target.summary
      const was = fi ?? {imported: 0, duplicates: 0, not_replayable: 0, skipped: 0, rejected: 0}
      writer.endFile(importId, {imported: t.imported - was.imported, duplicates: t.duplicates - was.duplicates, not_replayable: t.not_replayable - was.not_replayable, skipped: t.skipped - was.skipped, rejected: t.rejected - was.rejected})
    } catch (error) {
      rollback()
      target.summary.error = oneLine(error instanceof KtError ? error.message : describeSqliteError(error))
    }
    if (fi) Object.assign(fi, target.summary)
    else summaries.push((fi = target.summary))
  }

  const url = useWorker(files)
  const source = url ? inWorker(url, files, producerOpts) : inThread(files, producerOpts)
  try {
    for await (const m of source.messages) {
      handle(m)
      // cur is set inside handle(); read it through a cast, as TypeScript cannot see that.
      const c = cur as Current | null
      if (m.t === 'batch' && c && !c.failed) {
        try {
          await writer.yieldBetweenBatches()
        } catch (error) {
          sqliteFailure(c, error)
        }
      }
    }
  } finally {
    writer.close()
    await source.close()
  }

  const totals = {imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, flagged: 0, failed_files: 0}
  for (const s of summaries) {
    totals.imported += s.imported
    totals.not_replayable += s.not_replayable
    totals.duplicates += s.duplicates
    totals.skipped += s.skipped
    totals.rejected += s.rejected
    totals.flagged += s.flagged
    if (s.error) totals.failed_files++
  }
  return {files: summaries, totals}
}
