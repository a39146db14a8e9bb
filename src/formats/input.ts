// Opening one import input as a stream of UTF-8 bytes: a regular file, a FIFO or `<(zcat f.gz)`, `/dev/stdin` or `-`
// (stdin). Everything is read once, front to back (a pipe cannot be read twice): the first bytes are peeked to tell
// gzip, a byte-order mark or binary data apart, then the content is handed on. gzip is inflated under the
// decompression cap, UTF-16 (with a BOM) is transcoded to UTF-8, and every failure is a KtError naming the input.
import {createReadStream, type Stats, statSync} from 'node:fs'
import {Readable, Transform, type TransformCallback} from 'node:stream'
import {pipeline} from 'node:stream'
import {TextDecoder} from 'node:util'
import {createGunzip} from 'node:zlib'
import {KtError} from '../util/index.js'
import {DecompressionLimitError, maxDecompressedBytes, OutputLimit} from '../wire/index.js'

/** How an input is named in messages and stored records: `-` is stdin. */
export function inputLabel(path: string): string {
  return path === '-' ? 'stdin' : path
}

/** A user-facing reason for a file system error. */
export function fileProblem(label: string, error: unknown): KtError {
  if (error instanceof KtError) return error
  const e = error as {code?: string; message?: string}
  switch (e.code) {
    case 'ENOENT':
      return new KtError(`${label}: no such file`)
    case 'EACCES':
    case 'EPERM':
      return new KtError(`${label}: permission denied`)
    case 'EISDIR':
      return new KtError(`${label}: is a directory, not a log file`)
    case 'ELOOP':
      return new KtError(`${label}: too many symbolic links`)
    case 'EIO':
      return new KtError(`${label}: input/output error while reading`)
    case 'ENXIO':
      return new KtError(`${label}: a socket or device kt cannot open by name (pipe it to kt import - instead)`)
    default:
      return new KtError(`${label}: cannot read (${e.code ?? e.message ?? String(error)})`)
  }
}

/** Turns a stream failure into a KtError naming the input (and the line, when known). */
export function streamProblem(label: string, error: unknown, line?: number): KtError {
  const e = error as {code?: string; message?: string; syscall?: string}
  if (error instanceof DecompressionLimitError) return new KtError(`${label}${line ? `:${line}` : ''}: ${error.message}; the file is not imported`)
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR') return new KtError(`${label}: corrupt or truncated gzip data`)
  if (error instanceof KtError) return error
  // An open or read that failed (the file vanished, lost its permissions, is a directory after all).
  if (e.syscall === 'open' || e.syscall === 'read' || e.syscall === 'stat') return fileProblem(label, error)
  return new KtError(`${label}: read failed: ${e.message ?? String(error)}`)
}

export interface Input {
  label: string
  /** The timestamp of last resort for records without their own: the file's mtime, or now for a pipe. */
  mtime: string
  /** The content as UTF-8 bytes (decompressed, transcoded, without a BOM). */
  content: Recorder
  /** Lifts the decompression cap (JSONL and CSV, read a bounded line or record at a time); a no-op for plain input. */
  lift(): void
}

/** How much is peeked before the content is handed on: enough for gzip magic, a BOM and a binary check. */
const PEEK_BYTES = 8192

/**
 * Reads chunks from a source; what has been read can be replayed (with the rest after it) for a second reader that
 * needs the whole content from its start (CSV, after the shape was sniffed from the first lines).
 */
export class Recorder {
  private recorded: Buffer[] | null = []
  private handedOver = false

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Chunks as they come, remembered until `stopRecording` or `replay`. Ending early (an error) closes the input. */
  chunks(): AsyncIterable<Buffer> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const r = await this.it.next()
          if (!r.done) this.recorded?.push(r.value)
          return r
        },
        return: async () => {
          if (!this.handedOver) await this.close()
          return {done: true as const, value: undefined}
        },
      }),
    }
  }

  /** The shape is known and nothing will be replayed: what was kept can go. */
  stopRecording(): void {
    this.recorded = null
  }

  /** Everything from the start: the chunks read so far, then the rest (the first reader must not read any more). */
  replay(): Readable {
    const head = this.recorded ?? []
    this.recorded = null
    this.handedOver = true
    const it = this.it
    return Readable.from(
      (async function* () {
        yield* head
        for (;;) {
          const r = await it.next()
          if (r.done) return
          yield r.value
        }
      })(),
      {objectMode: false},
    )
  }

  async close(): Promise<void> {
    await this.it.return?.().catch(() => undefined)
  }
}

/** Reads from `it` until `n` bytes (or the end): the bytes, and an iterator that yields them again before the rest. */
async function peek(it: AsyncIterator<Buffer>, n: number): Promise<{head: Buffer; rest: AsyncIterator<Buffer>}> {
  const parts: Buffer[] = []
  let size = 0
  while (size < n) {
    const r = await it.next()
    if (r.done) break
    parts.push(r.value)
    size += r.value.length
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  let given = head.length === 0
  const rest: AsyncIterator<Buffer> = {
    next: async () => {
      if (!given) {
        given = true
        return {done: false, value: head}
      }
      return it.next()
    },
    return: async () => (await it.return?.()) ?? {done: true, value: undefined},
  }
  return {head, rest}
}

function iterate(stream: Readable): AsyncIterator<Buffer> {
  return (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
}

/** Names of this process's stdin: read from the stream kt already has (a socket cannot be opened by name). */
const STDIN_NAMES = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0'])

/** The raw bytes of an input: stdin, or a file of any kind opened for reading (never stat-sized: a pipe has no size). */
function rawInput(path: string, label: string): {stream: Readable; mtime: string} {
  if (STDIN_NAMES.has(path)) return {stream: process.stdin, mtime: new Date().toISOString()}
  let st: Stats
  try {
    st = statSync(path)
  } catch (error) {
    throw fileProblem(label, error)
  }
  if (st.isDirectory()) throw new KtError(`${label}: is a directory, not a log file`)
  if (st.isFile() && st.size === 0) throw new KtError(`${label}: file is empty`)
  const stream = createReadStream(path, {highWaterMark: 1 << 20})
  // Errors (the open failing, the file vanishing) reach the reader through its iterator; this listener only makes
  // sure one emitted before the reader starts can never become an "Unhandled 'error' event".
  stream.on('error', () => undefined)
  return {stream, mtime: st.isFile() ? st.mtime.toISOString() : new Date().toISOString()}
}

/** UTF-16 to UTF-8, chunk by chunk (a pair split across chunks is kept by the streaming decoder). */
class Utf16ToUtf8 extends Transform {
  private readonly decoder: TextDecoder
  constructor(encoding: 'utf-16le' | 'utf-16be') {
    super()
    this.decoder = new TextDecoder(encoding, {ignoreBOM: false})
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(chunk, {stream: true}), 'utf8'))
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(), 'utf8'))
  }
}

/** The encoding a byte-order mark (or the tell-tale zero bytes of UTF-16/32 without one) says, or null for UTF-8. */
function encodingOf(head: Buffer, label: string): 'utf-8-bom' | 'utf-16le' | 'utf-16be' | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom'
  if (head.length >= 4 && ((head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) || (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff))) {
    throw new KtError(`${label}: the file is UTF-32 text; kt reads UTF-8 or UTF-16 (convert it, e.g. iconv -f UTF-32 -t UTF-8)`)
  }
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le'
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be'
  // ASCII text in UTF-16 without a BOM has a zero byte in every other place.
  if (head.length >= 4 && head[0] !== 0 && head[1] === 0 && head[2] !== 0 && head[3] === 0) {
    throw new KtError(`${label}: the file looks like UTF-16 (little-endian) without a byte-order mark; add one or convert it to UTF-8 (iconv -f UTF-16LE -t UTF-8)`)
  }
  if (head.length >= 4 && head[0] === 0 && head[1] !== 0 && head[2] === 0 && head[3] !== 0) {
    throw new KtError(`${label}: the file looks like UTF-16 (big-endian) without a byte-order mark; add one or convert it to UTF-8 (iconv -f UTF-16BE -t UTF-8)`)
  }
  return null
}

function fromIterator(it: AsyncIterator<Buffer>): Readable {
  return Readable.from({[Symbol.asyncIterator]: () => it}, {objectMode: false})
}

/**
 * Opens an input: its bytes, decompressed when gzip (under KT_MAX_DECOMPRESSED_BYTES until lifted), transcoded when
 * UTF-16, without a BOM; binary data is refused here. Nothing is read twice, so pipes and stdin work like files.
 */
export async function openInput(path: string): Promise<Input> {
  const label = inputLabel(path)
  const raw = rawInput(path, label)
  let it = iterate(raw.stream)
  let limit: OutputLimit | null = null
  try {
    let peeked = await peek(it, 2)
    if (peeked.head.length >= 2 && peeked.head[0] === 0x1f && peeked.head[1] === 0x8b) {
      const cap = new OutputLimit(maxDecompressedBytes(), 'gzip data')
      limit = cap
      // A failure anywhere (reading, inflating, the cap) ends the whole chain and reaches the reader as one error.
      it = iterate(pipeline(fromIterator(peeked.rest), createGunzip(), cap, () => undefined))
    } else it = peeked.rest
    peeked = await peek(it, PEEK_BYTES)
    const head = peeked.head
    if (head.length === 0) throw new KtError(STDIN_NAMES.has(path) ? `${label}: no input (stdin is empty)` : `${label}: file is empty`)
    const encoding = encodingOf(head, label)
    it = peeked.rest
    if (encoding === 'utf-8-bom') {
      let first = true
      const inner = it
      it = {
        next: async () => {
          const r = await inner.next()
          if (first && !r.done) {
            first = false
            return {done: false, value: r.value.subarray(3)}
          }
          return r
        },
        return: async () => (await inner.return?.()) ?? {done: true, value: undefined},
      }
    } else if (encoding === 'utf-16le' || encoding === 'utf-16be') {
      it = iterate(pipeline(fromIterator(it), new Utf16ToUtf8(encoding), () => undefined))
    } else if (head.includes(0)) {
      throw new KtError(`${label}: binary data, not a text log (expected JSON, JSONL, CSV or SSE)`)
    }
  } catch (error) {
    await it.return?.().catch(() => undefined)
    raw.stream.destroy()
    throw streamProblem(label, error)
  }
  const cap = limit
  return {label, mtime: raw.mtime, content: new Recorder(it), lift: () => cap?.lift()}
}
