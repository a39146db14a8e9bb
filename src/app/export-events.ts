// Streaming export of events as CSV (docs/log-formats.md §12 columns + metadata.* + optional bodies), one JSON array, or JSONL.
// Rows are read one at a time from SQLite and written in 64 KB chunks with backpressure, so memory stays
// flat however many events there are. File output goes to a temp file next to the target and is renamed
// into place only when complete.
import {basename, resolve} from 'node:path'
import {stringify} from 'csv-stringify/sync'
import type {DB} from '../store/index.js'
import {countEvents, eventSelect, iterateEvents, iterateEventsRaw, metadataNodes, readSnapshot, type EventQuery} from '../store/index.js'
import {rowToEvent, type EventRow} from '../records/index.js'
import {CSV_QUOTING, KtError, streamFileAtomic, writeFileAtomic} from '../util/index.js'
import {boolCell, neutralize} from '../formats/index.js'
import {BASE_COLUMNS, BODY_COLUMNS, cellOf, selectedColumns} from '../formats/index.js'
import {flattenMetadata, metadataColumns} from '../formats/index.js'

export const EXPORT_FORMATS = ['csv', 'json', 'jsonl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface StreamOptions {
  format: ExportFormat
  /** Adds request/response bodies and the response text. */
  includeBodies?: boolean
  /**
   * `replayable` as stored. By default an export writes "replayable from this file", i.e. false without
   * bodies: importing a metrics-only file gives metrics-only events, so export → import → export is exact.
   */
  storedReplayable?: boolean
  /** Called every 5,000 events with the running count. */
  onProgress?: (count: number) => void
  /** Checked between events (SIGINT/SIGTERM): the export stops with exit status 130. */
  signal?: AbortSignal
}

export interface StreamResult {
  count: number
  bytes: number
  /** CSV only: the metadata.* columns in the header. */
  metadataColumns: string[]
}

const CSV_OPTIONS = {record_delimiter: 'windows', ...CSV_QUOTING} as const // RFC 4180: CRLF between records
const CHUNK = 64 * 1024

/** Buffers small writes into chunks and waits for 'drain' when the stream is full; remembers stream errors. */
class Sink {
  private parts: string[] = []
  private size = 0
  bytes = 0
  private error: Error | null = null
  private readonly onError = (e: Error) => {
    this.error ??= e
  }

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError)
  }

  push(text: string): Promise<void> | undefined {
    this.parts.push(text)
    this.size += text.length
    return this.size >= CHUNK ? this.flush() : undefined
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error
    if (this.size === 0) return
    const chunk = this.parts.join('')
    this.parts = []
    this.size = 0
    this.bytes += Buffer.byteLength(chunk)
    if (this.out.write(chunk)) return
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        this.out.off('drain', onDrain)
        this.out.off('error', onErr)
        this.out.off('close', onClose)
        if (err) reject(err)
        else resolve()
      }
      const onDrain = () => done()
      const onErr = (e: Error) => done(e)
      const onClose = () => done(this.error ?? new Error('output closed'))
      this.out.on('drain', onDrain)
      this.out.on('error', onErr)
      this.out.on('close', onClose)
    })
    if (this.error) throw this.error
  }

  detach(): void {
    this.out.off('error', this.onError)
  }
}

type Encoder<R> = {head: string; encode: (row: R) => string; tail: (count: number) => string}

/** Works on raw rows (`[rowid, ...columns]`), positions resolved once, for speed on millions of rows. */
function csvEncoder(columns: readonly string[], metaCols: string[], includeBodies: boolean, storedReplayable: boolean): Encoder<unknown[]> {
  const header = [...BASE_COLUMNS.map((c) => c.name), ...metaCols, ...(includeBodies ? BODY_COLUMNS.map((c) => c.name) : [])]
  const metaIndex = new Map(metaCols.map((c, i) => [c, BASE_COLUMNS.length + i]))
  const bodyStart = BASE_COLUMNS.length + metaCols.length
  const pos = (c: string) => {
    const i = columns.indexOf(c)
    if (i < 0) throw new Error(`internal: column ${c} not selected`)
    return i + 1
  }
  const basePos = BASE_COLUMNS.map((c) => pos(c.column))
  const replayablePos = BASE_COLUMNS.findIndex((c) => c.name === 'replayable')
  const idPos = pos('event_id')
  const metaPos = pos('metadata_json')
  const bodyPos = includeBodies ? BODY_COLUMNS.map((c) => pos(c.column)) : []
  const fileReplayable = storedReplayable || includeBodies
  return {
    head: stringify([header], CSV_OPTIONS),
    encode(row) {
      const cells: string[] = new Array<string>(header.length).fill('')
      for (let i = 0; i < basePos.length; i++) cells[i] = cellOf(BASE_COLUMNS[i]!, row[basePos[i]!])
      cells[replayablePos] = boolCell(row[basePos[replayablePos]!] === 1 && fileReplayable)
      const metaJson = row[metaPos]
      if (typeof metaJson === 'string' && metaJson !== '{}' && metaJson !== '') {
        let meta: unknown
        try {
          meta = JSON.parse(metaJson)
        } catch {
          meta = {}
        }
        for (const [column, cell] of flattenMetadata(meta as Record<string, unknown>)) {
          const idx = metaIndex.get(column)
          // Cannot happen inside one read snapshot; fail loudly rather than drop data.
          if (idx === undefined) throw new KtError(`event ${String(row[idPos])}: metadata column ${column} is missing from the CSV header`)
          cells[idx] = neutralize(cell)
        }
      }
      for (let i = 0; i < bodyPos.length; i++) cells[bodyStart + i] = cellOf(BODY_COLUMNS[i]!, row[bodyPos[i]!])
      return stringify([cells], CSV_OPTIONS)
    },
    tail: () => '',
  }
}

function jsonEncoder(includeBodies: boolean, storedReplayable: boolean, array: boolean): Encoder<EventRow> {
  let first = true
  const json = (row: EventRow) => {
    const ev = rowToEvent(row, includeBodies)
    if (!storedReplayable) ev.replayable = ev.replayable && includeBodies
    return JSON.stringify(ev)
  }
  if (!array) return {head: '', encode: (row) => `${json(row)}\n`, tail: () => ''}
  return {
    head: '[',
    encode(row) {
      const sep = first ? '\n' : ',\n'
      first = false
      return sep + json(row)
    },
    tail: (count) => (count > 0 ? '\n]\n' : ']\n'),
  }
}

/** Writes the matching events to `out` (not ended). Both passes (CSV header, rows) read one snapshot. */
export async function streamEvents(db: DB, query: EventQuery, out: NodeJS.WritableStream, opts: StreamOptions): Promise<StreamResult> {
  const includeBodies = Boolean(opts.includeBodies)
  const storedReplayable = Boolean(opts.storedReplayable)
  const columns = selectedColumns(includeBodies)
  const sink = new Sink(out)
  try {
    return await readSnapshot(db, async () => {
    let metaCols: string[] = []
    let count = 0
    const each = async <R>(rows: Iterable<R>, enc: Encoder<R>) => {
      if (enc.head) sink.push(enc.head)
      for (const row of rows) {
        if (opts.signal?.aborted) throw new KtError('export interrupted', 130)
        const p = sink.push(enc.encode(row))
        if (p) await p
        if (++count % 5000 === 0) opts.onProgress?.(count)
      }
      sink.push(enc.tail(count))
    }
    if (opts.format === 'csv') {
      metaCols = metadataColumns(metadataNodes(db, eventSelect(query, ['metadata_json'])))
      await each(iterateEventsRaw(db, query, columns), csvEncoder(columns, metaCols, includeBodies, storedReplayable))
    } else {
      await each(iterateEvents(db, query, columns), jsonEncoder(includeBodies, storedReplayable, opts.format === 'json'))
    }
    await sink.flush()
    opts.onProgress?.(count)
    return {count, bytes: sink.bytes, metadataColumns: metaCols}
    })
  } finally {
    sink.detach()
  }
}


/** Exports into `path` atomically: the file appears complete, or (on failure or Ctrl-C) not at all. */
export async function exportEventsToFile(db: DB, query: EventQuery, path: string, opts: StreamOptions): Promise<StreamResult & {path: string}> {
  try {
    return await streamFileAtomic(path, (out) => streamEvents(db, query, out, opts))
  } catch (error) {
    if (error instanceof KtError && error.exitCode === 130) throw new KtError(`export interrupted; ${path} was not written`, 130)
    throw error
  }
}

export interface RunExportOptions extends StreamOptions {
  query: EventQuery
  /** File to write; stdout when absent. */
  output?: string
  /** The database file, so an export never overwrites it. */
  dbPath: string
  /** Recorded in the summary and, with --output, in `<output>.manifest.json`. */
  description?: string
  /** Write `<output>.manifest.json` (kt export create). */
  manifest?: boolean
  /** The filters as given, for the manifest. */
  filters?: Record<string, unknown>
  /** stderr lines. */
  note: (line: string) => void
  /** Progress reporting for file output, given the number of matching events. */
  progress?: (total: number) => {update(n: number): void; stop(): void}
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

/** What `kt events export` and `kt export create` do: stdout or an atomic file, progress, summary, Ctrl-C. */
export async function runExport(db: DB, o: RunExportOptions): Promise<StreamResult> {
  if (o.output && resolve(o.output) === resolve(o.dbPath)) throw new KtError(`--output ${o.output} is the kt database itself; choose another file`, 2)
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  const started = Date.now()
  const progress = o.output && o.progress ? o.progress(countEvents(db, o.query)) : null
  try {
    const opts: StreamOptions = {...o, signal: controller.signal, onProgress: progress ? (n) => progress.update(n) : undefined}
    const result = o.output ? await exportEventsToFile(db, o.query, o.output, opts) : await streamEvents(db, o.query, process.stdout, opts)
    progress?.stop()
    const secs = (Date.now() - started) / 1000
    const where = o.output ? ` to ${o.output}` : ''
    const about = o.description ? ` — ${JSON.stringify(o.description)}` : ''
    o.note(`exported ${result.count} event${result.count === 1 ? '' : 's'}${where} (${o.format}, ${humanBytes(result.bytes)}, ${secs.toFixed(1)} s)${about}`)
    if (result.count === 0) o.note(`no events matched the filters${o.output ? `; the file holds ${{csv: 'only the header row', json: 'an empty array', jsonl: 'nothing'}[o.format]}` : ''}`)
    if (o.output && o.manifest) {
      const manifestPath = `${o.output}.manifest.json`
      const manifest = {
        type: 'events',
        format: o.format,
        file: basename(o.output),
        description: o.description ?? null,
        created_at: new Date().toISOString(),
        events: result.count,
        bytes: result.bytes,
        include_bodies: Boolean(o.includeBodies),
        filters: o.filters ?? {},
      }
      writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
      o.note(`manifest: ${manifestPath}`)
    }
    return result
  } finally {
    progress?.stop()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
