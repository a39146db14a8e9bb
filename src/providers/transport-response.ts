// The `Response` nodeFetch resolves to: a real `Response` whose body members read the socket (NodeBody), plus what
// kt's runner asks of it (when the request was sent, whether the body has fully arrived, its text under an abort).
import {abortReason, AnswerTooLargeError, maxAnswerBytes, NodeBody, utf8} from './transport-body.js'

const kBody = Symbol('kt.nodeBody')
const kUrl = Symbol('kt.url')
const kSentAt = Symbol('kt.sentAt')

/**
 * A real `Response` (status, headers, `instanceof`, ok… are the built-in ones) built with a null body, whose body
 * members are redefined below to read the socket: the bytes directly, or a web stream made on first use.
 */
export class NodeResponse extends Response {
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
    const limit = maxAnswerBytes()
    let seen = 0
    let text = ''
    for (;;) {
      const {done, value} = await reader.read()
      if (done) break
      seen += value.byteLength
      if (seen > limit) {
        const error = new TypeError('terminated', {cause: new AnswerTooLargeError(limit, seen, false)})
        reader.cancel(error).catch(() => undefined)
        throw error
      }
      text += decoder.decode(value, {stream: true})
    }
    // A cancelled reader just ends: the abort is what happened.
    if (signal.aborted) throw abortReason(signal)
    return text + decoder.decode()
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
