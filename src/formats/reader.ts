// Streaming reader: splits an input's bytes (input.ts: files, pipes, stdin; gzip, BOMs, UTF-16) into lines without
// ever holding more than one line (bounded) in memory, and works out the input's shape (§2 of docs/log-formats.md).
import {parse as parseCsv} from 'csv-parse'
import {KtError, oneLine} from '../util/index.js'
import {openInput, streamProblem, type Recorder} from './input.js'
import type {Item, Shape} from './types.js'

export const MAX_LINE_BYTES = 10 * 1024 * 1024
const MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024

export interface Line {
  text: string
  line: number
  /** False for a final line with no newline after it (a sign of a cut-off file). */
  terminated: boolean
}

/** Splits a byte stream into lines; a line over MAX_LINE_BYTES is an error naming the line. */
export async function* readLines(path: string, stream: AsyncIterable<Buffer>, maxLine = MAX_LINE_BYTES): AsyncGenerator<Line> {
  let pending: Buffer[] = []
  let pendingLen = 0
  let lineNo = 0
  let first = true
  try {
    for await (const chunk of stream) {
      let buf = chunk
      if (first) {
        first = false
        if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3)
      }
      let start = 0
      for (;;) {
        const nl = buf.indexOf(10, start)
        if (nl === -1) break
        lineNo++
        let piece = buf.subarray(start, nl)
        if (pendingLen > 0) {
          piece = Buffer.concat([...pending, piece])
          pending = []
          pendingLen = 0
        }
        if (piece.length > maxLine) throw new KtError(`${path}:${lineNo}: line is longer than ${maxLine / 1024 / 1024} MB`)
        let end = piece.length
        if (end > 0 && piece[end - 1] === 13) end--
        yield {text: piece.toString('utf8', 0, end), line: lineNo, terminated: true}
        start = nl + 1
      }
      if (start < buf.length) {
        pending.push(buf.subarray(start))
        pendingLen += buf.length - start
        if (pendingLen > maxLine) throw new KtError(`${path}:${lineNo + 1}: line is longer than ${maxLine / 1024 / 1024} MB`)
      }
    }
  } catch (error) {
    throw streamProblem(path, error, lineNo + 1)
  }
  if (pendingLen > 0) {
    lineNo++
    const piece = Buffer.concat(pending)
    yield {text: piece.toString('utf8').replace(/\r$/, ''), line: lineNo, terminated: false}
  }
}

function looksBinary(sample: string): boolean {
  if (sample.includes('\u0000')) return true
  let bad = 0
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i)
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) bad++
  }
  return sample.length > 0 && bad / sample.length > 0.05
}

/** Line and column of a character offset, for JSON syntax errors. */
function lineCol(text: string, offset: number): {line: number; col: number} {
  let line = 1
  let last = -1
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      last = i
    }
  }
  return {line, col: offset - last}
}

export function describeJsonError(path: string, text: string, error: unknown, baseLine = 1): KtError {
  const msg = (error as Error).message ?? String(error)
  const pos = /position (\d+)/.exec(msg)
  // A syntax error at the very end of the text means the document was cut off.
  const atEnd = pos !== null && Number(pos[1]) >= text.trimEnd().length - 1
  const truncated = atEnd || /Unexpected end of JSON input|Unterminated string|end of data/i.test(msg)
  const where = pos ? lineCol(text, Number(pos[1])) : truncated ? lineCol(text, text.length) : null
  const loc = where ? `:${where.line + baseLine - 1}` : ''
  const why = truncated ? 'invalid JSON, the file looks truncated' : `invalid JSON (${oneLine(msg.replace(/^JSON\.parse: /, ''))})`
  return new KtError(`${path}${loc}: ${why}`)
}

export interface Opened {
  shape: Shape
  /** What records are told when they have no time of their own (the file's mtime, or now for a pipe). */
  mtime: string
  /** The items, lazily; throws KtError on file-level problems (bad syntax in a whole document, over-long line…). */
  items: AsyncGenerator<Item>
}

function parseJsonLine(text: string): unknown {
  return JSON.parse(text)
}

/**
 * Opens a log file and works out its shape from the first non-space character:
 * `{` → JSONL when the first line is a whole object, else one JSON document; `[` → JSON array;
 * `data:`/`event:` → a raw SSE capture; anything else → CSV.
 */
export async function openItems(path: string): Promise<Opened> {
  const input = await openInput(path)
  const label = input.label
  const lines = readLines(label, input.content.chunks())
  // Skip leading blank lines, remembering them so JSON documents keep their line numbers.
  let first: Line | undefined
  const buffered: Line[] = []
  for (;;) {
    const next = await lines.next()
    if (next.done) break
    buffered.push(next.value)
    if (next.value.text.trim() !== '') {
      first = next.value
      break
    }
  }
  if (!first) {
    await input.content.close()
    throw new KtError(`${label}: file has no content (only blank lines)`)
  }
  const head = first.text.trimStart()
  if (looksBinary(head.slice(0, 8192))) {
    await input.content.close()
    throw new KtError(`${label}: binary data, not a text log (expected JSON, JSONL, CSV or SSE)`)
  }
  const {mtime} = input

  async function* rest(): AsyncGenerator<Line> {
    yield* buffered
    yield* lines
  }

  // Only CSV reads the content again from its start (a CSV record may span lines); the others go on from here.
  const isCsv = !head.startsWith('data:') && !head.startsWith('event:') && !head.startsWith('{') && !head.startsWith('[')
  if (!isCsv) input.content.stopRecording()
  if (head.startsWith('data:') || head.startsWith('event:')) {
    return {shape: 'sse', mtime, items: sseItems(label, rest())}
  }
  const lift = () => input.lift()
  if (head.startsWith('{')) {
    let firstValue: unknown
    try {
      firstValue = parseJsonLine(first.text)
    } catch {
      firstValue = undefined
    }
    if (firstValue !== undefined && typeof firstValue === 'object' && firstValue !== null && !Array.isArray(firstValue)) {
      lift()
      return {shape: 'jsonl', mtime, items: jsonlItems(label, rest())}
    }
    return {shape: 'json', mtime, items: documentItems(label, rest())}
  }
  if (head.startsWith('[')) return {shape: 'json', mtime, items: documentItems(label, rest())}
  lift()
  return {shape: 'csv', mtime, items: csvItems(label, input.content)}
}

async function* jsonlItems(path: string, lines: AsyncGenerator<Line>): AsyncGenerator<Item> {
  for await (const l of lines) {
    if (l.text.trim() === '') continue
    let value: unknown
    try {
      value = parseJsonLine(l.text)
    } catch (error) {
      if (!l.terminated) throw new KtError(`${path}:${l.line}: the last line is cut off (invalid JSON, no newline at the end): the file looks truncated`)
      yield {value: new JsonLineError((error as Error).message), locator: `line ${l.line}`, line: l.line}
      continue
    }
    yield {value, locator: `line ${l.line}`, line: l.line}
  }
}

/** Marks a JSONL line that is not valid JSON; the importer rejects it with this reason. */
export class JsonLineError {
  constructor(readonly message: string) {}
}

async function collectText(path: string, lines: AsyncGenerator<Line>): Promise<string> {
  const parts: string[] = []
  let size = 0
  for await (const l of lines) {
    parts.push(l.text)
    size += l.text.length + 1
    if (size > MAX_DOCUMENT_BYTES) throw new KtError(`${path}: a single JSON document over 1 GB is not supported; convert it to JSONL`)
  }
  return parts.join('\n')
}

async function* documentItems(path: string, lines: AsyncGenerator<Line>): AsyncGenerator<Item> {
  const text = await collectText(path, lines)
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw describeJsonError(path, text, error)
  }
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) yield {value: doc[i], locator: `element ${i}`, line: null}
    return
  }
  yield {value: doc, locator: 'document', line: 1}
}

async function* sseItems(path: string, lines: AsyncGenerator<Line>): AsyncGenerator<Item> {
  yield {value: await collectText(path, lines), locator: 'line 1', line: 1}
}

async function* csvItems(path: string, content: Recorder): AsyncGenerator<Item> {
  const parser = parseCsv({
    columns: true,
    bom: true,
    info: true,
    relax_column_count: false,
    max_record_size: MAX_LINE_BYTES,
    skip_empty_lines: true,
  })
  const bytes = content.replay()
  bytes.on('error', (e) => parser.destroy(e))
  bytes.pipe(parser)
  let row = 1
  try {
    for await (const rec of parser as AsyncIterable<{record: Record<string, string>; info: {lines: number}}>) {
      row++
      yield {value: rec.record, locator: `line ${rec.info.lines}`, line: rec.info.lines}
    }
  } catch (error) {
    const e = error as {code?: string; message?: string; lines?: number}
    if (e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || e.code === 'CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH') {
      throw new KtError(`${path}:${e.lines ?? row}: CSV row has a different number of cells than the header`)
    }
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') throw new KtError(`${path}:${e.lines ?? row}: CSV quote not closed: the file looks truncated`)
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw new KtError(`${path}:${e.lines ?? row}: CSV record is longer than 10 MB`)
    if (e.code && e.code.startsWith('CSV_')) throw new KtError(`${path}:${e.lines ?? row}: invalid CSV (${e.message})`)
    throw streamProblem(path, error)
  } finally {
    bytes.destroy()
  }
}
