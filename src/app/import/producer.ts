// The database-free half of `kt import`: files → formats → canonical records → event rows (as arrays in
// EVENT_COLUMNS order), as a stream of messages. The importer (import.ts) stores what this produces; the
// two halves run in one thread for small imports and in two (import-worker.ts) for large ones, so the
// same code decides every count, reason and error either way.
import {basename} from 'node:path'
import {ImportSession, readFile} from '../../formats/index.js'
import {requestHash} from '../../wire/index.js'
import type {Outcome} from '../../formats/index.js'
import type {StoredColumns} from '../../formats/index.js'
import {importNotes, type CanonicalRecord, type PiiCounts} from '../../records/index.js'
import {estimateCost, type PriceOverrides} from '../../providers/index.js'
import {KtError} from '../../util/index.js'
import {applyStoredColumns, recordToRow, recordToValues, rowValues} from '../../records/index.js'

export interface ProducerOptions {
  format?: string
  dataset?: string
  tags?: string[]
  strict?: boolean
  /** Price overrides (config `pricing:`) for records whose log carried no cost. */
  pricing?: PriceOverrides
  /** Redact personal data in every record before it is stored (kt import --redact-pii). */
  redactPii?: boolean
}

/** A skip or reject: kind, reason, locator, and its place among the batch's outcomes (rows fill the others). */
export type Note = ['skip' | 'reject', string, string, number]

/** A stored record's impossible value, nulled: reason and locator (counted, takes no place among the outcomes). */
export type Flag = [string, string]

/** What --redact-pii replaced in a batch's row, by the row's place among the batch's rows. */
export type PiiNote = [number, PiiCounts]

/** One held-back outcome (cross-file joins), in order: a row (with its flags and redactions) or a note. */
export type PendingEntry = {row: unknown[]; flags?: Flag[]; pii?: PiiCounts; note?: undefined} | {note: Note; row?: undefined}

export type ProducerMessage =
  /** The file opened and its format is known: the importer starts its transaction. */
  | {t: 'start'; index: number; file: string; format: string}
  /** Rows (import_id still to fill in), notes, flags and redactions, and how many outcomes they count for progress. */
  | {t: 'batch'; index: number; rows: unknown[][]; notes: Note[]; flags: Flag[]; pii: PiiNote[]; n: number}
  /** The file was read to its end (or given up, after cancel). */
  | {t: 'end'; index: number}
  /** Nothing from the file may be kept: a KtError's message, or another error's message and code. */
  | {t: 'fail'; index: number; kt: boolean; message: string; code?: string}
  /** Records held for cross-file joins, for one source file, once every file is read. */
  | {t: 'pending'; file: string; entries: PendingEntry[]}

/**
 * Rows per batch (small enough that a batch being filled rarely outlives a young-generation GC, large
 * enough that messages stay few), and a size bound so that a few huge bodies do not make one batch huge.
 */
const BATCH_ROWS = 128
const BATCH_CHARS = 1024 * 1024

export function datasetName(file: string): string {
  if (file === '-') return 'stdin'
  return basename(file).replace(/(\.(gz|jsonl|json|csv|har|sse|txt|ndjson))+$/i, '') || basename(file)
}

function rowChars(v: unknown[]): number {
  let n = 200
  for (const x of v) if (typeof x === 'string') n += x.length
  return n
}

export class ImportProducer {
  private readonly session = new ImportSession()
  private readonly tags: string[]
  private readonly cancelled = new Set<number>()

  constructor(private readonly opts: ProducerOptions) {
    this.tags = opts.tags ?? []
  }

  /** The importer gave up on file `index` (a database error): stop reading it at the next batch. */
  cancel(index: number): void {
    this.cancelled.add(index)
  }

  private row(record: CanonicalRecord, dataset: string, columns: StoredColumns | undefined): unknown[] {
    if (this.tags.length) record.tags = [...new Set([...record.tags, ...this.tags])]
    // A log without cost is priced from its usage (config pricing:, else the shipped table), marked as estimated,
    // so cost per model and per variant can be summed over every event.
    // A failed call that logged no usage was not billed: it costs 0.
    if (record.cost_usd === null && record.model) {
      const unbilled = record.status !== 'ok' && record.usage.input_tokens === null && record.usage.output_tokens === null
      const cost = unbilled ? 0 : estimateCost(record.response_model ?? record.model, record.usage, this.opts.pricing) ?? estimateCost(record.model, record.usage, this.opts.pricing)
      if (cost !== null) {
        record.cost_usd = cost
        record.cost_source = 'estimated'
      }
    }
    // The hash of the stored (redacted, if so) body: buildRecord has already sanitized the record.
    const extra = {dataset, import_id: null, request_hash: requestHash(record.api, record.model, record.request.raw)}
    if (!columns) return recordToValues(record, extra)
    // A kt export's request_hash is of the body it exported: once that body is redacted, the hash is recomputed.
    if (importNotes(record)?.pii && columns.request_hash !== undefined) columns = {...columns, request_hash: undefined}
    // kt's own exports carry columns a record cannot express (their dataset, kind, request_hash…).
    return rowValues(applyStoredColumns(recordToRow(record, extra), columns, this.opts.dataset))
  }

  async *run(files: string[]): AsyncGenerator<ProducerMessage> {
    for (let index = 0; index < files.length; index++) yield* this.file(index, files[index]!)
    yield* this.pending()
  }

  private async *file(index: number, file: string): AsyncGenerator<ProducerMessage> {
    const dataset = this.opts.dataset ?? datasetName(file)
    let rows: unknown[][] = []
    let notes: Note[] = []
    let flags: Flag[] = []
    let pii: PiiNote[] = []
    let n = 0
    let chars = 0
    const batch = (): ProducerMessage => ({t: 'batch', index, rows, notes, flags, pii, n})
    try {
      const opened = await readFile(file, this.session, {format: this.opts.format, redactPii: this.opts.redactPii})
      yield {t: 'start', index, file, format: opened.format.name}
      for await (const o of opened.outcomes) {
        if (o.kind === 'record') {
          const v = this.row(o.record, dataset, o.columns)
          const redacted = importNotes(o.record)?.pii
          if (redacted) pii.push([rows.length, redacted])
          rows.push(v)
          chars += rowChars(v)
          if (o.flags) for (const f of o.flags) flags.push([f, o.record.source.locator ?? ''])
        } else {
          notes.push([o.kind, o.reason, o.locator, n])
          if (this.opts.strict && o.kind === 'reject') {
            yield batch()
            yield {t: 'fail', index, kt: true, message: `${file}:${o.locator.replace(/^line /, '')}: ${o.reason} (--strict: nothing from this file was stored)`}
            return
          }
        }
        n++
        if (rows.length >= BATCH_ROWS || notes.length >= BATCH_ROWS || chars >= BATCH_CHARS) {
          yield batch()
          rows = []
          notes = []
          flags = []
          pii = []
          n = 0
          chars = 0
          if (this.cancelled.has(index)) {
            yield {t: 'end', index}
            return
          }
        }
      }
      yield batch()
      yield {t: 'end', index}
    } catch (error) {
      // What was produced before the error still counts its skips and rejects (as when stored one by one).
      if (rows.length || notes.length || n) yield batch()
      const e = error as {code?: unknown; message?: unknown}
      yield {
        t: 'fail',
        index,
        kt: error instanceof KtError,
        message: typeof e?.message === 'string' ? e.message : String(error),
        code: typeof e?.code === 'string' ? e.code : undefined,
      }
    }
  }

  /** Records held for cross-file joins (Batch requests without output lines), grouped per source file. */
  private *pending(): Generator<ProducerMessage> {
    const pending = [...this.session.finish()]
    if (!pending.length) return
    const byFile = new Map<string, Outcome[]>()
    for (const {file, outcome} of pending) byFile.set(file, [...(byFile.get(file) ?? []), outcome])
    for (const [file, outcomes] of byFile) {
      const dataset = this.opts.dataset ?? datasetName(file)
      const entries: PendingEntry[] = outcomes.map((o) =>
        o.kind === 'record'
          ? {row: this.row(o.record, dataset, o.columns), flags: o.flags?.map((f): Flag => [f, o.record.source.locator ?? '']), pii: importNotes(o.record)?.pii}
          : {note: [o.kind, o.reason, o.locator, 0]},
      )
      yield {t: 'pending', file, entries}
    }
  }
}
