// The `fetch` given to both SDKs (their `fetch` client option): node:http(s) with one keep-alive pool per process
// instead of Node's built-in fetch (undici). A replay is thousands of small calls at high concurrency; through undici
// (its WHATWG streams, Headers, Response bodies) kt's calls cost ~5× the CPU of a bare node:http client, and at
// concurrency 64+ CPU is what limits throughput (bench/replay.ts).
//
// What callers see is still fetch: a real `Response` resolved when the headers arrive, rejections shaped like
// undici's (`TypeError('fetch failed', {cause})` before a response, `TypeError('terminated', {cause})` for a body cut
// short, the signal's reason on abort — an `AbortError`, which the SDKs map to their timeout/abort errors).
// The body is not turned into a web stream unless someone reads `response.body`: kt's runner takes the bytes
// directly (`readBodyText`), SSE readers get a ReadableStream fed chunk by chunk as the socket delivers them.
import {Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {Readable, type Transform} from 'node:stream'
import {constants as zlibConstants, createBrotliDecompress, createGunzip, createInflate} from 'node:zlib'

/** Above any replay concurrency; the pool is per host and shared by all targets. */
const MAX_SOCKETS = 1024
/** Like undici's default keep-alive timeout (a server's own `Keep-Alive: timeout=` hint still wins when shorter). */
const IDLE_SOCKET_MS = 4000
const agentOptions = {keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const}
const httpAgent = new HttpAgent(agentOptions)
const httpsAgent = new HttpsAgent(agentOptions)

/** Looked up per call, so that whoever replaces the global fetch (a proxy setup, a test) is still honoured. */
const builtinFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => globalThis.fetch(input, init)
const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 20
/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])
/** Credentials that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key']

type SendBody = string | Uint8Array | Readable | null

/** The request body as node:http can send it; undefined for kinds left to the built-in fetch (FormData, Blob). */
function toSendBody(body: unknown): SendBody | undefined {
  if (body === undefined || body === null) return null
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (body instanceof URLSearchParams) return body.toString()
  if (body instanceof ReadableStream) return Readable.fromWeb(body as import('node:stream/web').ReadableStream)
  if (typeof body === 'object' && Symbol.asyncIterator in body) return Readable.from(body as AsyncIterable<Uint8Array>)
  return undefined
}

function headerRecord(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  if (!init) return out
  if (Array.isArray(init)) {
    for (const [k, v] of init as [string, string][]) {
      const key = k.toLowerCase()
      out[key] = key in out ? `${out[key]}, ${v}` : v
    }
  } else if (typeof (init as Headers).forEach === 'function') {
    // Headers (names already lower-case, repeated values joined), or anything shaped like it.
    ;(init as Headers).forEach((v, k) => {
      out[k.toLowerCase()] = v
    })
  } else {
    for (const [k, v] of Object.entries(init as Record<string, string>)) out[k.toLowerCase()] = v
  }
  return out
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', {cause})
}

const unusable = () => new TypeError('Body is unusable: Body has already been read')

/**
 * One response body, read once: as a whole (`buffer()`: kt's runner and `response.text()`/`json()`…) or through the
 * web stream of `response.body` (SSE), made only when asked for. A ReadableStream costs ~25 µs to construct in
 * Node 20 (and `new Response(bytes)` makes one too), a tenth of a whole call, so the common path never makes one.
 * Until read, the socket is paused, as undici leaves an unread body.
 */
class NodeBody {
  mode: 'unread' | 'buffer' | 'stream' = 'unread'
  private error: unknown = null
  private ended = false
  private settleBuffer: {resolve: (b: Buffer) => void; reject: (e: unknown) => void} | null = null
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null
  private stream: ReadableStream<Uint8Array> | null = null

  constructor(
    private readonly res: IncomingMessage,
    /** `res`, or the decompressor it is piped through. */
    private readonly source: Readable,
    private readonly onDone: () => void,
  ) {
    // Listened to at once: an 'error' without a listener would crash the process.
    const onError = (err: unknown) => this.fail(new TypeError('terminated', {cause: err}))
    res.on('error', onError)
    if (source !== res) source.on('error', onError)
    source.on('close', () => {
      if (!this.ended) this.fail(new TypeError('terminated', {cause: new Error('other side closed')}))
    })
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
      const chunks: Buffer[] = []
      this.source.on('data', (c: Buffer) => chunks.push(c))
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
            if (this.error !== null) return
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

function utf8(buf: Buffer): string {
  // Like Response.text(): a leading BOM is dropped.
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.toString('utf8', 3) : buf.toString('utf8')
}

const kBody = Symbol('kt.nodeBody')
const kUrl = Symbol('kt.url')
const kSentAt = Symbol('kt.sentAt')

/**
 * A real `Response` (status, headers, `instanceof`, ok… are the built-in ones) built with a null body, whose body
 * members are redefined below to read the socket: the bytes directly, or a web stream made on first use.
 */
class NodeResponse extends Response {
  declare [kBody]: NodeBody
  declare [kUrl]: string
  declare [kSentAt]: number
  constructor(body: NodeBody, url: string, sentAt: number, init: ResponseInit) {
    super(null, init)
    this[kBody] = body
    this[kUrl] = url
    this[kSentAt] = sentAt
  }
}

function bodyOf(r: Response): NodeBody {
  return (r as NodeResponse)[kBody]
}

async function bytesOf(r: Response): Promise<Buffer> {
  return bodyOf(r).buffer()
}

// The `lib` types declare these members as properties, so they are redefined on the prototype, not in the class.
Object.defineProperties(NodeResponse.prototype, {
  body: {configurable: true, get(this: NodeResponse) {
    return this[kBody].webStream()
  }},
  bodyUsed: {configurable: true, get(this: NodeResponse) {
    return this[kBody].mode !== 'unread'
  }},
  url: {configurable: true, get(this: NodeResponse) {
    return this[kUrl]
  }},
  text: {configurable: true, writable: true, value: async function text(this: NodeResponse) {
    return utf8(await bytesOf(this))
  }},
  json: {configurable: true, writable: true, value: async function json(this: NodeResponse) {
    return JSON.parse(utf8(await bytesOf(this))) as unknown
  }},
  arrayBuffer: {configurable: true, writable: true, value: async function arrayBuffer(this: NodeResponse) {
    const b = await bytesOf(this)
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
  }},
  bytes: {configurable: true, writable: true, value: async function bytes(this: NodeResponse) {
    return new Uint8Array(await bytesOf(this))
  }},
  blob: {configurable: true, writable: true, value: async function blob(this: NodeResponse) {
    return new Blob([await bytesOf(this)], {type: this.headers.get('content-type') ?? ''})
  }},
  formData: {configurable: true, writable: true, value: async function formData(this: NodeResponse) {
    return new Response(await bytesOf(this), {headers: this.headers}).formData()
  }},
  clone: {configurable: true, writable: true, value: function clone(this: NodeResponse) {
    if (this[kBody].locked) throw new TypeError('Response.clone: Body has already been consumed.')
    const [mine, theirs] = this[kBody].webStream().tee()
    // From here on this response reads its half of the tee.
    const copy = new Response(theirs, {status: this.status, statusText: this.statusText, headers: this.headers})
    Object.defineProperty(copy, 'url', {value: this[kUrl]})
    Object.defineProperty(this, 'body', {value: mine})
    for (const m of ['text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData'] as const) {
      Object.defineProperty(this, m, {value: () => (new Response(mine) as unknown as Record<typeof m, () => Promise<unknown>>)[m]()})
    }
    Object.defineProperty(this, 'bodyUsed', {get: () => mine.locked})
    return copy
  }},
})

function decoderFor(encoding: string | undefined): Transform | null {
  // Flushing like undici so that a compressed SSE stream still arrives event by event.
  const opts = {flush: zlibConstants.Z_SYNC_FLUSH, finishFlush: zlibConstants.Z_SYNC_FLUSH}
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip(opts)
    case 'deflate':
      return createInflate(opts)
    case 'br':
      return createBrotliDecompress({flush: zlibConstants.BROTLI_OPERATION_FLUSH, finishFlush: zlibConstants.BROTLI_OPERATION_FLUSH})
    default:
      return null
  }
}

interface Attempt {
  url: URL
  method: string
  headers: Record<string, string>
  body: SendBody
  signal: AbortSignal | null
  redirect: NonNullable<RequestInit['redirect']>
  redirectsLeft: number
  /** performance.now() when the first request of the chain was handed to its socket (0 until then). */
  sentAt: number
}

function send(a: Attempt): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const {url, method, signal} = a
    let body: NodeBody | null = null
    let settled = false
    const onAbort = () => {
      const reason = abortReason(signal!)
      if (body) body.fail(reason)
      else {
        settled = true
        reject(reason)
        req.destroy()
      }
    }
    const done = () => signal?.removeEventListener('abort', onAbort)
    const headers: OutgoingHttpHeaders = a.headers
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {method, headers, agent: url.protocol === 'https:' ? httpsAgent : httpAgent})
    req.on('error', (err) => {
      // After the response, failures surface on the body (NodeBody listens to the response).
      if (settled) return
      settled = true
      done()
      reject(fetchFailed(err))
    })
    req.on('response', (res) => {
      if (settled) {
        res.destroy()
        return
      }
      settled = true
      const status = res.statusCode ?? 0
      const location = res.headers.location
      if (REDIRECTS.has(status) && location !== undefined && a.redirect !== 'manual') {
        res.resume()
        done()
        if (a.redirect === 'error' || a.redirectsLeft <= 0 || a.body instanceof Readable) {
          reject(fetchFailed(new Error(a.redirect === 'error' ? 'unexpected redirect' : a.body instanceof Readable ? 'cannot replay a streamed body on redirect' : 'redirect count exceeded')))
          return
        }
        let next: URL
        try {
          next = new URL(location, url)
        } catch (err) {
          reject(fetchFailed(err))
          return
        }
        // The fetch standard: 303, and 301/302 after a POST, become a GET without a body.
        const toGet = status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST'
        const nextHeaders = {...a.headers}
        if (toGet) for (const h of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) delete nextHeaders[h]
        if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) delete nextHeaders[h]
        resolve(send({...a, url: next, method: toGet ? 'GET' : method, headers: nextHeaders, body: toGet ? null : a.body, redirectsLeft: a.redirectsLeft - 1}))
        return
      }
      // Name/value pairs, filled into the Response's own Headers once (a Headers built here would be copied again).
      const raw = res.rawHeaders
      const responseHeaders: [string, string][] = []
      for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.push([raw[i]!, raw[i + 1]!])
      const nullBody = NULL_BODY.has(status) || method === 'HEAD'
      let response: Response
      try {
        if (nullBody) {
          res.resume()
          done()
          response = new Response(null, {status, statusText: res.statusMessage ?? '', headers: responseHeaders})
        } else {
          const decoder = decoderFor(res.headers['content-encoding'])
          body = new NodeBody(res, decoder ? res.pipe(decoder) : res, done)
          response = new NodeResponse(body, url.href, a.sentAt, {status, statusText: res.statusMessage ?? '', headers: responseHeaders})
        }
      } catch (err) {
        // A status, reason phrase or header that `Response` refuses (e.g. a status of 600+).
        done()
        res.destroy()
        reject(fetchFailed(err))
        return
      }
      if (nullBody) Object.defineProperty(response, 'url', {value: url.href})
      resolve(response)
    })
    signal?.addEventListener('abort', onAbort, {once: true})
    const b = a.body
    a.sentAt ||= performance.now()
    if (b instanceof Readable) {
      b.on('error', (err) => req.destroy(err))
      b.pipe(req)
    } else if (b === null) req.end()
    else req.end(b)
  })
}

/** A `fetch` on node:http(s) keep-alive sockets; request kinds it does not handle go to the built-in fetch. */
export function nodeFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  if (!(typeof input === 'string' || input instanceof URL)) return builtinFetch(input, init)
  const body = toSendBody(init?.body)
  if (body === undefined) return builtinFetch(input, init)
  let url: URL
  try {
    url = typeof input === 'string' ? new URL(input) : input
  } catch (err) {
    return Promise.reject(new TypeError('Failed to parse URL', {cause: err}))
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return builtinFetch(input, init)
  const signal = init?.signal ?? null
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  const headers = headerRecord(init?.headers)
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (headers['content-length'] === undefined) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
    if (init?.body instanceof URLSearchParams && headers['content-type'] === undefined) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
  }
  // As the built-in fetch asks; compressed answers are decoded above.
  if (headers['accept-encoding'] === undefined) headers['accept-encoding'] = 'gzip, deflate'
  const method = (init?.method ?? 'GET').toUpperCase()
  return send({url, method, headers, body, signal, redirect: init?.redirect ?? 'follow', redirectsLeft: MAX_REDIRECTS, sentAt: 0})
}

/**
 * performance.now() when the request behind `response` was handed to its socket (nodeFetch responses; null for
 * others). Timing a call from here leaves out the time the SDK and a busy event loop took before sending it.
 */
export function sentAt(response: Response): number | null {
  return response instanceof NodeResponse ? response[kSentAt] : null
}

/** True when `response` came from nodeFetch, is unread and has fully arrived: reading it cannot take any time. */
export function bodyComplete(response: Response): boolean {
  return response instanceof NodeResponse && response[kBody].complete
}

/**
 * `response.text()` that ends (rejecting with the signal's reason) when `signal` aborts. Straight from the socket
 * for nodeFetch responses; through a cancellable reader for any other.
 */
export async function readBodyText(response: Response, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) throw abortReason(signal)
  if (response instanceof NodeResponse && !response[kBody].locked) {
    const body = response[kBody]
    if (!signal || body.complete) return utf8(await body.buffer())
    const onAbort = () => body.fail(abortReason(signal))
    signal.addEventListener('abort', onAbort, {once: true})
    try {
      return utf8(await body.buffer())
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }
  if (!signal || !response.body) return response.text()
  const reader = response.body.getReader()
  const onAbort = () => {
    reader.cancel(abortReason(signal)).catch(() => undefined)
  }
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    const decoder = new TextDecoder()
    let text = ''
    for (;;) {
      const {done, value} = await reader.read()
      if (done) break
      text += decoder.decode(value, {stream: true})
    }
    // A cancelled reader just ends: the abort is what happened.
    if (signal.aborted) throw abortReason(signal)
    return text + decoder.decode()
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
