// One response body of nodeFetch (transport.ts), read once: as a whole or as a web stream, made only when asked for.
import type {IncomingMessage} from 'node:http'
import type {Readable} from 'node:stream'
import {formatBytes, sizeSetting} from '../util/index.js'

export const MAX_ANSWER_ENV = 'KT_MAX_ANSWER_BYTES'
/** Far above any real answer (a 128k-token answer is well under 1 MB), far below what breaks SQLite or memory. */
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024

/** The largest answer body kept (after decompression), KT_MAX_ANSWER_BYTES (bytes, or with K, M or G), else 16 MB. */
export function maxAnswerBytes(): number {
  return sizeSetting(MAX_ANSWER_ENV, DEFAULT_MAX_ANSWER_BYTES)
}

/** An answer body past the cap: reading stopped there, and the call is an error result saying how large it was. */
export class AnswerTooLargeError extends Error {
  readonly code = 'ERR_KT_ANSWER_TOO_LARGE'
  constructor(
    readonly limit: number,
    /** Bytes read when kt stopped, or the size the server declared (Content-Length) when it said so up front. */
    readonly size: number,
    readonly declared: boolean,
  ) {
    super(
      declared
        ? `the answer is ${formatBytes(size)} (Content-Length), over the ${formatBytes(limit)} answer size cap (${MAX_ANSWER_ENV}); not read, not retried`
        : `the answer is over the ${formatBytes(limit)} answer size cap (${MAX_ANSWER_ENV}): ${formatBytes(size)} read when kt stopped reading; not retried`,
    )
  }
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

export const unusable = () => new TypeError('Body is unusable: Body has already been read')

/**
 * One response body, read once: as a whole (`buffer()`: kt's runner and `response.text()`/`json()`…) or through the
 * web stream of `response.body` (SSE), made only when asked for. A ReadableStream costs ~25 µs to construct in
 * Node 20 (and `new Response(bytes)` makes one too), a tenth of a whole call, so the common path never makes one.
 * Until read, the socket is paused, as undici leaves an unread body.
 */
export class NodeBody {
  mode: 'unread' | 'buffer' | 'stream' = 'unread'
  private error: unknown = null
  private ended = false
  /** Bytes read so far (decoded), against the answer size cap. */
  private seen = 0
  private settleBuffer: {resolve: (b: Buffer) => void; reject: (e: unknown) => void} | null = null
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null
  private stream: ReadableStream<Uint8Array> | null = null

  constructor(
    private readonly res: IncomingMessage,
    /** `res`, or the decompressor it is piped through. */
    private readonly source: Readable,
    private readonly onDone: () => void,
    /** Bytes read (decoded) before the body fails as too large. */
    private readonly limit: number = maxAnswerBytes(),
  ) {
    // Listened to at once: an 'error' without a listener would crash the process.
    const onError = (err: unknown) => this.fail(new TypeError('terminated', {cause: err}))
    res.on('error', onError)
    if (source !== res) source.on('error', onError)
    source.on('close', () => {
      if (!this.ended) this.fail(new TypeError('terminated', {cause: new Error('other side closed')}))
    })
    // A server that says up front that the answer is too large is not read at all (an encoded size is a lower bound
    // of nothing, so only a plain body's length counts).
    const declared = Number(res.headers['content-length'])
    if (source === res && Number.isFinite(declared) && declared > this.limit) this.fail(new TypeError('terminated', {cause: new AnswerTooLargeError(this.limit, declared, true)}))
  }

  /** Counts a chunk against the cap; false (and the body failed) past it. */
  private within(chunk: Buffer): boolean {
    this.seen += chunk.length
    if (this.seen <= this.limit) return true
    this.fail(new TypeError('terminated', {cause: new AnswerTooLargeError(this.limit, this.seen, false)}))
    return false
  }

  /** Every byte has arrived (nothing left to wait for on the network) and nobody has read them yet. */
  get complete(): boolean {
    return this.mode === 'unread' && this.error === null && this.res.complete
  }

  get locked(): boolean {
    return this.mode !== 'unread' || (this.stream?.locked ?? false)
  }

  /** Ends the body with `err` (read error, abort): pending readers reject, the socket is not reused. */
  fail(err: unknown): void {
    if (this.ended || this.error !== null) return
    this.error = err
    this.onDone()
    if (this.settleBuffer) this.settleBuffer.reject(err)
    if (this.controller) this.controller.error(err)
    this.res.destroy()
    if (this.source !== this.res) this.source.destroy()
  }

  buffer(): Promise<Buffer> {
    if (this.locked) return Promise.reject(unusable())
    this.mode = 'buffer'
    if (this.error !== null) return Promise.reject(this.error)
    return new Promise<Buffer>((resolve, reject) => {
      this.settleBuffer = {resolve, reject}
      let chunks: Buffer[] = []
      this.source.on('data', (c: Buffer) => {
        if (this.error !== null) return
        if (this.within(c)) chunks.push(c)
        else chunks = []
      })
      this.source.on('end', () => {
        if (this.error !== null) return
        this.ended = true
        this.onDone()
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
      })
    })
  }

  webStream(): ReadableStream<Uint8Array> {
    this.stream ??= new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          if (this.mode === 'stream') {
            this.source.resume()
            return
          }
          if (this.mode === 'buffer') {
            controller.error(unusable())
            return
          }
          this.mode = 'stream'
          this.controller = controller
          if (this.error !== null) {
            controller.error(this.error)
            return
          }
          this.source.on('data', (c: Buffer) => {
            // Nothing may reach an errored stream (enqueue would throw inside an event handler).
            if (this.error !== null || !this.within(c)) return
            controller.enqueue(c)
            // A few unread chunks are fine (SSE events are small); beyond that let TCP push back.
            if ((controller.desiredSize ?? 0) < -16) this.source.pause()
          })
          this.source.on('end', () => {
            if (this.error !== null) return
            this.ended = true
            this.onDone()
            controller.close()
          })
        },
        cancel: (reason) => {
          this.fail(reason ?? new DOMException('The body was cancelled', 'AbortError'))
        },
      },
      // Pull only when read: an unread body stays on the socket.
      {highWaterMark: 0},
    )
    return this.stream
  }
}

export function utf8(buf: Buffer): string {
  // Like Response.text(): a leading BOM is dropped.
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.toString('utf8', 3) : buf.toString('utf8')
}
