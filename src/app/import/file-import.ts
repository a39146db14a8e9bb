// The storing side of an import (import-files.ts runs it): the producer's messages, file by file, into the
// store's ImportStore, each file in its own write transaction, with its summary (counts, reasons, error).
import {IMPORT_ID_INDEX, REPLAYABLE_INDEX, type PiiCounts} from '../../records/index.js'
import {describeSqliteError, type ImportStore} from '../../store/index.js'
import {KtError, oneLine} from '../../util/index.js'
import {datasetName, type Flag, type Note, type PiiNote, type ProducerMessage, type ProducerOptions} from './producer.js'
import type {Source} from './source.js'

/** What the producer reads files with (format, dataset, tags, strict, pricing, redactPii), and progress. */
export interface ImportOptions extends ProducerOptions {
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
  /** With --redact-pii: the stored records where something was redacted, and the values redacted by kind. */
  pii_redacted?: PiiSummary
}

export interface PiiSummary {
  records: number
  kinds: PiiCounts
}

/** Adds one record's (or one summary's) redactions to `into`. */
export function addPii(into: PiiSummary, kinds: PiiCounts, records = 1): void {
  into.records += records
  for (const [k, v] of Object.entries(kinds) as [keyof PiiCounts, number][]) into.kinds[k] = (into.kinds[k] ?? 0) + v
}

const MAX_LOCATIONS = 5
const PROGRESS_EVERY = 5000

class FileImport {
  readonly summary: FileSummary
  private readonly reasonIndex = new Map<string, FileSummary['reasons'][number]>()

  constructor(file: string, format: string, dataset: string, redactPii: boolean | undefined) {
    this.summary = {file, format, dataset, imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, flagged: 0, reasons: [], error: null}
    if (redactPii) this.summary.pii_redacted = {records: 0, kinds: {}}
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

type PendingEntries = Extract<ProducerMessage, {t: 'pending'}>['entries']

/** Stores the producer's messages in arrival order; `summaries` lists the files as they end or fail. */
export class ImportReceiver {
  readonly summaries: FileSummary[] = []
  private cur: Current | null = null

  constructor(
    private readonly writer: ImportStore,
    private readonly source: Source,
    private readonly files: string[],
    private readonly opts: ImportOptions,
  ) {}

  /** True while the current file is still being stored (not failed): the caller then yields between its batches. */
  storing(): boolean {
    return this.cur !== null && !this.cur.failed
  }

  /** A database error on the current file (see storing()): the file fails and its reading stops. */
  failCurrent(error: unknown): void {
    this.sqliteFailure(this.cur!, error)
  }

  handle(m: ProducerMessage): void {
    switch (m.t) {
      case 'start': {
        const c = this.fileState(m.index, m.file)
        c.fi = new FileImport(m.file, m.format, this.opts.dataset ?? datasetName(m.file), this.opts.redactPii)
        try {
          c.importId = this.writer.beginFile(m.file, m.format, c.fi.summary.dataset)
        } catch (error) {
          this.sqliteFailure(c, error)
        }
        return
      }
      case 'batch': {
        const c = this.cur
        if (!c || c.index !== m.index || c.failed || !c.fi) return
        try {
          this.storeBatch(c, c.fi, m)
        } catch (error) {
          this.sqliteFailure(c, error)
        }
        return
      }
      case 'end':
        this.endFile(m.index)
        return
      case 'fail': {
        const c = this.fileState(m.index, this.files[m.index]!)
        if (c.failed) return
        this.fail(c, m.kt ? m.message : `${c.file}: ${describeSqliteError({code: m.code, message: m.message})}`)
        return
      }
      case 'pending':
        this.storePending(m.file, m.entries)
        return
    }
  }

  private fileState(index: number, file: string): Current {
    if (this.cur?.index !== index) this.cur = {index, file, fi: null, importId: 0, n: 0, failed: false}
    return this.cur
  }

  /** Stores a row; its redactions count only when it was stored (a duplicate adds nothing). */
  private store(fi: FileImport, importId: number, row: unknown[], pii?: PiiCounts): void {
    row[IMPORT_ID_INDEX] = importId
    if (!this.writer.write(row)) {
      fi.summary.duplicates++
      return
    }
    if (row[REPLAYABLE_INDEX] === 1) fi.summary.imported++
    else fi.summary.not_replayable++
    if (pii && fi.summary.pii_redacted) addPii(fi.summary.pii_redacted, pii)
  }

  /** Nothing from the file is kept: roll back and record why (its counts reset to what is stored: none). */
  private fail(c: Current, message: string): void {
    this.writer.rollback()
    const dataset = this.opts.dataset ?? datasetName(c.file)
    const failed = c.fi?.summary ?? new FileImport(c.file, this.opts.format ?? 'auto', dataset, this.opts.redactPii).summary
    Object.assign(failed, {imported: 0, not_replayable: 0, duplicates: 0, flagged: 0, error: oneLine(message)})
    if (failed.pii_redacted) failed.pii_redacted = {records: 0, kinds: {}}
    this.summaries.push(failed)
    c.failed = true
  }

  private sqliteFailure(c: Current, error: unknown): void {
    this.fail(c, error instanceof KtError ? error.message : `${c.file}: ${describeSqliteError(error)}`)
    this.source.cancel(c.index)
  }

  /** A batch in outcome order: notes at their places, rows in between, progress after each outcome; then its flags. */
  private storeBatch(c: Current, fi: FileImport, batch: {rows: unknown[][]; notes: Note[]; flags: Flag[]; pii: PiiNote[]; n: number}): void {
    const {rows, notes, flags, pii, n} = batch
    let r = 0
    let k = 0
    let p = 0
    for (let at = 0; at < n; at++) {
      const note = notes[k]
      if (note && note[3] === at) {
        fi.note(note[0], note[1], note[2])
        k++
      } else {
        const redacted = pii[p]?.[0] === r ? pii[p++]![1] : undefined
        this.store(fi, c.importId, rows[r++]!, redacted)
      }
      if (++c.n % PROGRESS_EVERY === 0) this.opts.onProgress?.(c.file, c.n)
    }
    // A --strict reject comes after the counted outcomes; the failure that follows it is its own message.
    for (; k < notes.length; k++) fi.note(notes[k]![0], notes[k]![1], notes[k]![2])
    for (const [reason, locator] of flags) fi.note('flag', reason, locator)
  }

  /** The file's import row gets its counts and the file's transaction commits; the file is then summarised. */
  private endFile(index: number): void {
    const c = this.cur
    if (!c || c.index !== index || c.failed || !c.fi) return
    const s = c.fi.summary
    try {
      this.writer.endFile(c.importId, s)
      this.opts.onProgress?.(c.file, c.n)
    } catch (error) {
      this.sqliteFailure(c, error)
      return
    }
    this.summaries.push(s)
  }

  // Records held for cross-file joins (Batch requests without output lines) land last, per source file.
  private storePending(file: string, entries: PendingEntries): void {
    let fi = this.summaries.find((s) => s.file === file)
    const target = new FileImport(file, fi?.format ?? 'unknown', fi?.dataset ?? this.opts.dataset ?? datasetName(file), this.opts.redactPii)
    if (fi) Object.assign(target.summary, fi, fi.pii_redacted ? {pii_redacted: {records: fi.pii_redacted.records, kinds: {...fi.pii_redacted.kinds}}} : {})
    try {
      const importId = this.writer.beginFile(file, target.summary.format, target.summary.dataset, {bulkCheck: false})
      for (const e of entries) {
        if (e.row) {
          this.store(target, importId, e.row, e.pii)
          for (const [reason, locator] of e.flags ?? []) target.note('flag', reason, locator)
          continue
        }
        const [kind, reason, locator] = e.note
        target.note(kind, reason, locator)
        if (this.opts.strict && kind === 'reject') throw new KtError(`${file}: ${locator}: ${reason} (--strict)`)
      }
      // This import row counts what this pass stored, not the file's earlier pass.
      const t = target.summary
      const was = fi ?? {imported: 0, duplicates: 0, not_replayable: 0, skipped: 0, rejected: 0}
      this.writer.endFile(importId, {imported: t.imported - was.imported, duplicates: t.duplicates - was.duplicates, not_replayable: t.not_replayable - was.not_replayable, skipped: t.skipped - was.skipped, rejected: t.rejected - was.rejected})
    } catch (error) {
      this.writer.rollback()
      target.summary.error = oneLine(error instanceof KtError ? error.message : describeSqliteError(error))
    }
    if (fi) Object.assign(fi, target.summary)
    else this.summaries.push((fi = target.summary))
  }
}
