// Import orchestration: formats → canonical records → events table. Each file is one write
// transaction, so a crash or a --strict failure never leaves a half-written import behind.
import {basename} from 'node:path'
import {ImportSession, readFile, requestHash} from '../formats/index.js'
import type {Outcome} from '../formats/index.js'
import type {StoredColumns} from '../formats/types.js'
import type {CanonicalRecord} from '../records/types.js'
import {KtError} from '../util/errors.js'
import {describeSqliteError, type DB} from './db.js'
import {applyStoredColumns, EventWriter, recordToRow} from './events.js'

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

export function datasetName(file: string): string {
  return basename(file).replace(/(\.(gz|jsonl|json|csv|har|sse|txt|ndjson))+$/i, '') || basename(file)
}

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

export async function importFiles(db: DB, dbPath: string, files: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const session = new ImportSession()
  const writer = new EventWriter(db)
  const insertImport = db.prepare(
    `INSERT INTO imports (started_at, file, format, dataset, imported, duplicates, not_replayable, skipped, rejected)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const summaries: FileSummary[] = []
  const tags = opts.tags ?? []

  const store = (fi: FileImport, importId: number | bigint, record: CanonicalRecord, columns?: StoredColumns) => {
    if (tags.length) record.tags = [...new Set([...record.tags, ...tags])]
    const row = recordToRow(record, {
      dataset: fi.summary.dataset,
      import_id: Number(importId),
      request_hash: requestHash(record.api, record.model, record.request.raw),
    })
    // kt's own exports carry columns a record cannot express (their dataset, kind, request_hash…).
    applyStoredColumns(row, columns, opts.dataset)
    if (!writer.write(row)) fi.summary.duplicates++
    else if (record.replayable) fi.summary.imported++
    else fi.summary.not_replayable++
  }

  const apply = (fi: FileImport, importId: number | bigint, o: Outcome) => {
    if (o.kind === 'record') store(fi, importId, o.record, o.columns)
    else fi.note(o.kind, o.reason, o.locator)
  }

  const begin = () => {
    try {
      db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      throw new KtError(`database ${dbPath}: ${describeSqliteError(error)}`)
    }
  }
  const rollback = () => {
    if (db.inTransaction) db.exec('ROLLBACK')
  }

  for (const file of files) {
    const dataset = opts.dataset ?? datasetName(file)
    let fi: FileImport | null = null
    try {
      const opened = await readFile(file, session, {format: opts.format})
      fi = new FileImport(file, opened.format.name, dataset)
      begin()
      const importId = insertImport.run(new Date().toISOString(), file, opened.format.name, dataset, 0, 0, 0, 0, 0).lastInsertRowid
      let n = 0
      for await (const o of opened.outcomes) {
        apply(fi, importId, o)
        if (opts.strict && o.kind === 'reject') {
          throw new KtError(`${file}:${o.locator.replace(/^line /, '')}: ${o.reason} (--strict: nothing from this file was stored)`)
        }
        if (++n % 5000 === 0) opts.onProgress?.(file, n)
      }
      const s = fi.summary
      db.prepare('UPDATE imports SET imported=?, duplicates=?, not_replayable=?, skipped=?, rejected=? WHERE id=?').run(
        s.imported, s.duplicates, s.not_replayable, s.skipped, s.rejected, importId,
      )
      db.exec('COMMIT')
      opts.onProgress?.(file, n)
    } catch (error) {
      rollback()
      const message = error instanceof KtError ? error.message : `${file}: ${describeSqliteError(error)}`
      const failed = fi?.summary ?? new FileImport(file, opts.format ?? 'auto', dataset).summary
      // Nothing from a failed file is kept, so its counts are reset to what is actually stored.
      Object.assign(failed, {imported: 0, not_replayable: 0, duplicates: 0, error: message})
      summaries.push(failed)
      continue
    }
    summaries.push(fi.summary)
  }

  // Records held for cross-file joins (Batch requests without output lines) land last, per source file.
  const pending = [...session.finish()]
  if (pending.length) {
    const byFile = new Map<string, Outcome[]>()
    for (const o of pending) {
      const f = o.kind === 'record' ? (o.record.source.file ?? '') : (o.locator.split(':')[0] ?? '')
      byFile.set(f, [...(byFile.get(f) ?? []), o])
    }
    for (const [file, outcomes] of byFile) {
      let fi = summaries.find((s) => s.file === file)
      const target = new FileImport(file, fi?.format ?? 'unknown', fi?.dataset ?? opts.dataset ?? datasetName(file))
      if (fi) Object.assign(target.summary, fi)
      try {
        begin()
        const importId = insertImport.run(new Date().toISOString(), file, target.summary.format, target.summary.dataset, 0, 0, 0, 0, 0).lastInsertRowid
        for (const o of outcomes) {
          apply(target, importId, o)
          if (opts.strict && o.kind === 'reject') throw new KtError(`${file}: ${o.locator}: ${o.reason} (--strict)`)
        }
        db.exec('COMMIT')
      } catch (error) {
        rollback()
        target.summary.error = error instanceof KtError ? error.message : describeSqliteError(error)
      }
      if (fi) Object.assign(fi, target.summary)
      else summaries.push((fi = target.summary))
    }
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
