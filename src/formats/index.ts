// Log formats → canonical records: sniffing, one reader per format, kt's own events export format.
// Knows nothing of the store. May import wire/, records/ and util/.
import {importNotes} from '../records/index.js'
import {KtError, oneLine} from '../util/index.js'
import {formats} from './registry.js'
import {inputLabel} from './input.js'
import {JsonLineError, openItems} from './reader.js'
import type {Format, FormatParser, Item, Outcome, Shape} from './types.js'

export type {Format, Outcome} from './types.js'
export {inputLabel} from './input.js'
export {formats} from './registry.js'

/** How many leading records must agree on a format before a JSONL file is accepted. */
const AGREE = 5

export function formatNames(): string[] {
  return formats.map((f) => f.name)
}

export function findFormat(name: string): Format {
  const f = formats.find((x) => x.name === name)
  if (!f) throw new KtError(`unknown format "${name}"; known formats: ${formatNames().join(', ')}`, 2)
  return f
}

export function detect(value: unknown, shape: Shape): Format | null {
  if (value instanceof JsonLineError) return null
  for (const f of formats) {
    if (!f.shapes.includes(shape)) continue
    try {
      if (f.detect(value, shape)) return f
    } catch {
      // A detector that chokes on odd input simply does not match.
    }
  }
  return null
}

/** Parsers are per import session so formats can join across files (OpenAI Batch input + output). */
export class ImportSession {
  private readonly parsers = new Map<string, FormatParser>()

  parserFor(format: Format): FormatParser {
    let p = this.parsers.get(format.name)
    if (!p) {
      p = format.open()
      this.parsers.set(format.name, p)
    }
    return p
  }

  /** Records held back for joins, emitted once all files are read, each with the file it came from (a record refused
   *  while settling keeps only its line, so the file is named here). */
  *finish(): Generator<{file: string; outcome: Outcome}> {
    for (const p of this.parsers.values()) {
      if (!p.finish) continue
      for (const o of p.finish()) {
        const file = o.kind === 'record' ? (o.record.source.file ?? '') : (o.locator.split(':')[0] ?? '')
        yield {file, outcome: settled(o)}
      }
    }
  }
}

/**
 * A record outcome as the importer counts it: refused when building it found an impossible value that rejects it
 * (records/sanitize.ts), with its flags when values were nulled.
 */
function settled(o: Outcome): Outcome {
  if (o.kind !== 'record') return o
  const n = importNotes(o.record)
  if (!n) return o
  if (n.reject !== null) return {kind: 'reject', reason: n.reject, locator: o.record.source.locator ?? ''}
  return n.flags.length ? {...o, flags: n.flags} : o
}

export interface ReadOptions {
  /** Force a format instead of sniffing. */
  format?: string
  /** Redact personal data in every record before it is stored (kt import --redact-pii). */
  redactPii?: boolean
}

export interface OpenedFile {
  format: Format
  shape: Shape
  outcomes: AsyncGenerator<Outcome>
}

/**
 * Opens a file, decides its format from the first records (which must agree, or the file is rejected
 * as mixed), and returns the outcomes lazily. File-level problems throw KtError before or while iterating.
 */
export async function readFile(file: string, session: ImportSession, opts: ReadOptions = {}): Promise<OpenedFile> {
  const {shape, items, mtime} = await openItems(file)
  // `-` (stdin) is named `stdin` in messages and records.
  const path = inputLabel(file)
  const head: Item[] = []
  for (;;) {
    if (head.length >= (shape === 'jsonl' ? AGREE : 1)) break
    const next = await items.next()
    if (next.done) break
    head.push(next.value)
  }
  if (head.length === 0) throw new KtError(`${path}: no records found`)
  let format: Format
  if (opts.format && opts.format !== 'auto') {
    format = findFormat(opts.format)
    if (!format.shapes.includes(shape)) {
      throw new KtError(`${path}: --format ${format.name} reads ${format.shapes.join('/')} files, but this file is ${shape}`)
    }
    const firstOk = head.find((i) => !(i.value instanceof JsonLineError))
    if (!firstOk || !format.detect(firstOk.value, shape)) {
      const actual = firstOk ? detect(firstOk.value, shape) : null
      throw new KtError(
        `${path}: ${firstOk?.locator ?? 'line 1'} is not ${format.name} data${actual ? ` (it looks like ${actual.name}; try --format ${actual.name} or --format auto)` : ''}`,
      )
    }
  } else {
    const found = head.map((i) => ({item: i, format: detect(i.value, shape)}))
    const first = found.find((f) => f.format !== null)
    if (!first || !first.format) {
      const bad = head[0]!
      if (bad.value instanceof JsonLineError) throw new KtError(`${path}:${bad.line}: invalid JSON (${oneLine(bad.value.message)})`)
      throw new KtError(`${path}: unrecognised log format (${describeShape(shape)}); use --format NAME, one of: ${formatNames().join(', ')}`)
    }
    const sameFamily = (f: Format | null) => f === first.format || (f?.family !== undefined && f.family === first.format?.family)
    const disagree = found.filter((f) => !sameFamily(f.format) && !(f.item.value instanceof JsonLineError))
    if (disagree.length > 0) {
      const parts = [first, ...disagree].map((f) => `${f.item.locator} is ${f.format?.name ?? 'unrecognised'}`)
      throw new KtError(`${path}: mixed formats in one file: ${parts.join(', ')}; split the file or pass --format`)
    }
    format = first.format
  }
  const parser = session.parserFor(format)
  const ctx = {file: path, fileMtime: mtime, redactPii: opts.redactPii === true}
  async function* outcomes(): AsyncGenerator<Outcome> {
    const run = function* (item: Item): Generator<Outcome> {
      if (item.value instanceof JsonLineError) {
        yield {kind: 'reject', reason: `invalid JSON (${oneLine(item.value.message)})`, locator: item.locator}
        return
      }
      try {
        for (const o of parser.parse(item, ctx)) yield settled(o)
      } catch (error) {
        if (error instanceof KtError) throw error
        // JSON nested thousands deep parses, but walking it overflows the stack: that record is refused, not the file.
        const deep = error instanceof RangeError && /call stack/i.test(error.message)
        yield {kind: 'reject', reason: deep ? 'cannot read record: nested too deeply' : `cannot read record: ${oneLine((error as Error).message)}`, locator: item.locator}
      }
    }
    for (const item of head) yield* run(item)
    for await (const item of items) yield* run(item)
  }
  return {format, shape, outcomes: outcomes()}
}

function describeShape(shape: Shape): string {
  return {jsonl: 'JSON lines', json: 'a JSON document', csv: 'CSV or plain text', sse: 'an SSE stream'}[shape]
}
export {boolCell, neutralize} from './kt-events/cells.js'
export {BASE_COLUMNS, BODY_COLUMNS, cellOf, selectedColumns} from './kt-events/columns.js'
export {flattenMetadata, metadataColumns} from './kt-events/metadata.js'
export type {FormatContext, StoredColumns} from './types.js'
