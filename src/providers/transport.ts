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
import {Readable} from 'node:stream'
import {abortReason, maxAnswerBytes, NodeBody} from './transport-body.js'
import {decodedBody} from './transport-decode.js'
import {NodeResponse} from './transport-response.js'

export {bodyComplete, readBodyText, sentAt} from './transport-response.js'
export {AnswerTooLargeError, DEFAULT_MAX_ANSWER_BYTES, MAX_ANSWER_ENV, maxAnswerBytes} from './transport-body.js'

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

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', {cause})
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
  /** The largest body read (decoded) before the response fails as too large. */
  maxBytes: number
}

/** A redirect to follow as the fetch standard says, or the reason it cannot be followed. */
function redirected(a: Attempt, status: number, location: string): Attempt | Error {
  if (a.redirect === 'error') return new Error('unexpected redirect')
  if (a.redirectsLeft <= 0) return new Error('redirect count exceeded')
  if (a.body instanceof Readable) return new Error('cannot replay a streamed body on redirect')
  let next: URL
  try {
    next = new URL(location, a.url)
  } catch (err) {
    return err as Error
  }
  // 303, and 301/302 after a POST, become a GET without a body.
  const toGet = status === 303 ? a.method !== 'HEAD' : (status === 301 || status === 302) && a.method === 'POST'
  const headers = {...a.headers}
  if (toGet) for (const h of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) delete headers[h]
  if (next.origin !== a.url.origin) for (const h of CREDENTIAL_HEADERS) delete headers[h]
  return {...a, url: next, method: toGet ? 'GET' : a.method, headers, body: toGet ? null : a.body, redirectsLeft: a.redirectsLeft - 1}
}

/** The Response for `res`; its body (when it may have one) is read through NodeBody, decompressed on the way. */
function responseOf(a: Attempt, res: IncomingMessage, done: () => void): {response: Response; body: NodeBody | null} {
  const status = res.statusCode ?? 0
  // Name/value pairs, filled into the Response's own Headers once (a Headers built here would be copied again).
  const raw = res.rawHeaders
  const headers: [string, string][] = []
  for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!])
  const init = {status, statusText: res.statusMessage ?? '', headers}
  if (NULL_BODY.has(status) || a.method === 'HEAD') {
    res.resume()
    done()
    const response = new Response(null, init)
    Object.defineProperty(response, 'url', {value: a.url.href})
    return {response, body: null}
  }
  const body = new NodeBody(res, decodedBody(res, res.headers['content-encoding']), done, a.maxBytes)
  return {response: new NodeResponse(body, a.url.href, a.sentAt, init), body}
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
        const next = redirected(a, status, location)
        if (next instanceof Error) reject(fetchFailed(next))
        else resolve(send(next))
        return
      }
      try {
        const made = responseOf(a, res, done)
        body = made.body
        resolve(made.response)
      } catch (err) {
        // A status, reason phrase or header that `Response` refuses (e.g. a status of 600+).
        done()
        res.destroy()
        reject(fetchFailed(err))
      }
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

/**
 * A `fetch` on node:http(s) keep-alive sockets; request kinds it does not handle go to the built-in fetch. An answer
 * past KT_MAX_ANSWER_BYTES fails as too large.
 */
export function nodeFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return cappedFetch(input, init, maxAnswerBytes())
}

/**
 * The same fetch for a Batch API's files, which are no answer: an output file of 50,000 answers is far past the
 * answer cap, and kt streams it line by line, never holding it whole. Their size is bounded by the provider's limits.
 */
export function batchFileFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return cappedFetch(input, init, Number.POSITIVE_INFINITY)
}

function cappedFetch(input: string | URL | Request, init: RequestInit | undefined, maxBytes: number): Promise<Response> {
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
  return send({url, method, headers, body, signal, redirect: init?.redirect ?? 'follow', redirectsLeft: MAX_REDIRECTS, sentAt: 0, maxBytes})
}
