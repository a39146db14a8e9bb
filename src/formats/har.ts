// HAR 1.2 captures (docs/log-formats.md §11): browser DevTools, mitmproxy, Polly.JS/VCR recordings. Each POST to an
// LLM generation endpoint becomes a record; every other entry is counted as a skip with its reason.
// Credentials never leave this file: only a short allowlist of harmless headers is kept in metadata.
import {num, toIso} from '../records/index.js'
import {stripSecretHeaders} from '../records/index.js'
import {asArray, asObject, asString, isObject, type Json} from '../wire/index.js'
import {applyHttpStatus, DecompressionLimitError, decompressSync, draftForApi, endpointOf, type Encoding, type Endpoint} from '../wire/index.js'
import {buildRecord, providerFromUrl, type RecordDraft} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'

/** Request headers worth keeping (none carries a credential). */
const KEEP_REQUEST_HEADERS = ['anthropic-version', 'anthropic-beta', 'openai-beta']
/** Query parameters worth keeping in the stored URL; others (e.g. `key=`) may be credentials. */
const KEEP_QUERY = new Set(['api-version', 'beta'])

function isHar(v: unknown): boolean {
  const log = asObject(asObject(v).log)
  return Array.isArray(log.entries) && (typeof log.version === 'string' || isObject(log.creator))
}

function header(headers: unknown, name: string): string | null {
  for (const h of asArray(headers)) {
    const o = asObject(h)
    if (typeof o.name === 'string' && o.name.toLowerCase() === name) return asString(o.value) ?? (o.value === undefined ? null : String(o.value))
  }
  return null
}

/** The URL without credentials: origin + path, and only allowlisted query parameters. */
function safeUrl(raw: string): string {
  try {
    const u = new URL(raw)
    const kept = [...u.searchParams.entries()].filter(([k]) => KEEP_QUERY.has(k))
    const q = kept.length ? `?${new URLSearchParams(kept).toString()}` : ''
    return `${u.origin}${u.pathname}${q}`
  } catch {
    return raw.split('?')[0] ?? raw
  }
}

/**
 * The decompressed bytes, by gzip magic or the content-encoding header; the bytes as they are when none applies or
 * decompression fails (recorders often store the already-decoded body while keeping the header). Past the cap
 * (KT_MAX_DECOMPRESSED_BYTES) it throws: the entry is rejected, never inflated whole.
 */
function decompress(bytes: Buffer, contentEncoding: string | null): Buffer {
  const enc = (contentEncoding ?? '').toLowerCase()
  const attempts: Encoding[] = []
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) attempts.push('gzip')
  if (enc.includes('br')) attempts.push('br')
  if (enc.includes('deflate')) attempts.push('deflate', 'deflate-raw')
  if (enc.includes('gzip')) attempts.push('gzip')
  for (const e of attempts) {
    try {
      return decompressSync(bytes, e, 'response body')
    } catch (error) {
      if (error instanceof DecompressionLimitError) throw error
    }
  }
  return bytes
}

/**
 * The response body as text. `encoding: base64` bodies are decoded; Polly.JS stores `text` as a JSON array of
 * base64 chunks of the still-compressed body (each chunk decoded on its own, then joined and decompressed).
 */
export function decodeContent(content: Json, contentEncoding: string | null): string | null {
  const text = asString(content.text)
  if (text === null) return null
  if (content.encoding !== 'base64') return text
  let bytes: Buffer
  const trimmed = text.trimStart()
  let chunks: unknown = null
  if (trimmed.startsWith('[')) {
    try {
      chunks = JSON.parse(trimmed)
    } catch {
      chunks = null
    }
  }
  if (Array.isArray(chunks) && chunks.every((c) => typeof c === 'string')) bytes = Buffer.concat(chunks.map((c: string) => Buffer.from(c, 'base64')))
  else bytes = Buffer.from(text, 'base64')
  return decompress(bytes, contentEncoding).toString('utf8')
}

function looksSse(text: string, mime: string | null): boolean {
  const t = text.trimStart()
  if (t.startsWith('data:') || t.startsWith('event:')) return true
  return (mime ?? '').toLowerCase().startsWith('text/event-stream') && !t.startsWith('{')
}

type EntryResult = {kind: 'skip' | 'reject'; reason: string} | {kind: 'draft'; draft: RecordDraft}

/** Why an entry is not a generation call to import (null: it is one). */
function skipReason(method: string, endpoint: Endpoint | null, status: number | null): string | null {
  if (!endpoint) return 'not an LLM API endpoint'
  if ('skip' in endpoint) return endpoint.skip
  if (method === 'OPTIONS') return 'CORS preflight (OPTIONS)'
  if (method !== 'POST') return `${method || 'unknown'} request to an LLM endpoint (only POST is a generation)`
  if (status === 0 || status === null) return 'aborted request (no HTTP status)'
  if (status >= 300 && status < 400) return 'redirect (HTTP 3xx)'
  return null
}

/** The request body: the JSON object in postData.text (null when the tool kept none). */
function requestBody(req: Json): {body: Json | null} | {reject: string} {
  const postText = asString(asObject(req.postData).text)
  if (postText === null || postText.trim() === '') return {body: null}
  let parsed: unknown
  try {
    parsed = JSON.parse(postText)
  } catch {
    return {reject: 'request body is not JSON'}
  }
  return isObject(parsed) ? {body: parsed} : {reject: 'request body is not a JSON object'}
}

interface ResponseBody {
  /** A JSON object, or SSE text. */
  body: Json | string | null
  /** Text that is neither (kept as the error message of a failed call). */
  unparsed: string | null
  streamed: boolean
}

/** The response body: JSON or SSE text, possibly base64 and compressed. */
function responseBody(res: Json): ResponseBody | {reject: string} {
  const content = asObject(res.content)
  let text: string | null
  try {
    text = decodeContent(content, header(res.headers, 'content-encoding'))
  } catch (error) {
    if (error instanceof DecompressionLimitError) return {reject: `${error.message}; the entry is not imported`}
    return {reject: `cannot decode response body: ${(error as Error).message}`}
  }
  if (text === null || text.trim() === '') return {body: null, unparsed: null, streamed: false}
  if (looksSse(text, asString(content.mimeType))) return {body: text, unparsed: null, streamed: true}
  try {
    const parsed = JSON.parse(text) as unknown
    if (isObject(parsed)) return {body: parsed, unparsed: null, streamed: false}
  } catch {
    // not JSON: below
  }
  return {body: null, unparsed: text, streamed: false}
}

/** Entry id, request id, processing time and the harmless request headers, for metadata. */
function entryMetadata(e: Json, req: Json, res: Json, url: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = {url: safeUrl(url)}
  const entryId = asString(e._id)
  if (entryId) metadata.har_entry_id = entryId
  const requestId = header(res.headers, 'x-request-id') ?? header(res.headers, 'request-id')
  if (requestId) metadata.request_id = requestId
  const processing = num(header(res.headers, 'openai-processing-ms'))
  if (processing !== null) metadata.openai_processing_ms = processing
  const kept: Record<string, unknown> = {}
  for (const name of KEEP_REQUEST_HEADERS) {
    const v = header(req.headers, name)
    if (v !== null) kept[name] = v
  }
  if (Object.keys(kept).length) metadata.request_headers = stripSecretHeaders(kept)
  return metadata
}

/** A W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<flags>`) → its trace id. */
function traceparentId(v: string | null): string | null {
  const m = v ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i.exec(v.trim()) : null
  return m && !/^0+$/.test(m[1]!) ? m[1]!.toLowerCase() : null
}

/**
 * Session and trace ids the client sent as request headers: a `*-session-id` header (x-session-id, Helicone's
 * helicone-session-id, x-litellm-session-id…) and the W3C `traceparent` or an `x-trace-id`.
 */
function correlation(req: Json): {session_id: string | null; trace_id: string | null} {
  let session: string | null = null
  for (const h of asArray(req.headers)) {
    const o = asObject(h)
    if (typeof o.name === 'string' && /(^|-)session-id$/i.test(o.name) && typeof o.value === 'string' && o.value.trim()) {
      session = o.value.trim()
      break
    }
  }
  return {session_id: session, trace_id: traceparentId(header(req.headers, 'traceparent')) ?? header(req.headers, 'x-trace-id')}
}

function entryDraft(e: Json, locator: string): EntryResult {
  const req = asObject(e.request)
  const res = asObject(e.response)
  const url = asString(req.url) ?? ''
  const endpoint = endpointOf(url)
  const status = num(res.status)
  const skip = skipReason((asString(req.method) ?? '').toUpperCase(), endpoint, status)
  if (skip || !endpoint || 'skip' in endpoint || status === null) return {kind: 'skip', reason: skip ?? 'not an LLM API endpoint'}
  const request = requestBody(req)
  if ('reject' in request) return {kind: 'reject', reason: request.reject}
  const reqBody = request.body
  const response = responseBody(res)
  if ('reject' in response) return {kind: 'reject', reason: response.reject}
  if (response.unparsed !== null && status < 400) return {kind: 'reject', reason: 'response body is neither JSON nor an event stream'}
  if (!reqBody && response.body === null && status < 400) return {kind: 'reject', reason: 'entry has neither a request nor a response body'}
  const time = num(e.time)
  const wait = num(asObject(e.timings).wait)
  const deployment = /\/openai\/deployments\/([^/?#]+)\//.exec(url)?.[1]
  const draft = draftForApi(endpoint.api, reqBody, response.body, {
    format: 'har',
    locator,
    timestamp: toIso(e.startedDateTime),
    provider: providerFromUrl(url) ?? undefined,
    // Azure puts the deployment in the URL instead of the body.
    model: (reqBody && asString(reqBody.model)) ?? (deployment ? decodeURIComponent(deployment) : undefined),
    latency_ms: time !== null && time >= 0 ? time : null,
    // Time to first byte: for an event stream that is about the time to the first token.
    ttft_ms: response.streamed && wait !== null && wait >= 0 ? wait : null,
    metadata: entryMetadata(e, req, res, url),
    event: correlation(req),
  })
  const entryId = asString(e._id)
  if (!draft.source_id && entryId) draft.source_id = entryId
  applyHttpStatus(draft, status, response.unparsed ? response.unparsed.slice(0, 500) : null)
  return {kind: 'draft', draft}
}

export const harFormat: Format = {
  name: 'har',
  title: 'HAR 1.2 captures (DevTools, mitmproxy, Polly.JS): LLM API calls; credentials dropped',
  // A HAR written on one line reads as a one-line JSONL file.
  shapes: ['json', 'jsonl'],
  detect: (v) => isHar(v),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      if (!isHar(item.value)) {
        yield {kind: 'reject', reason: 'not a HAR document (expected log.entries)', locator: item.locator}
        return
      }
      const entries = asArray(asObject(asObject(item.value).log).entries)
      for (let i = 0; i < entries.length; i++) {
        const locator = item.locator === 'document' ? `entry ${i}` : `${item.locator} entry ${i}`
        const e = entries[i]
        if (!isObject(e)) {
          yield {kind: 'reject', reason: 'HAR entry is not an object', locator}
          continue
        }
        let r: EntryResult
        try {
          r = entryDraft(e, locator)
        } catch (error) {
          r = {kind: 'reject', reason: `cannot read HAR entry: ${(error as Error).message}`}
        }
        if (r.kind === 'draft') yield {kind: 'record', record: buildRecord(r.draft, ctx)}
        else yield {kind: r.kind, reason: r.reason, locator}
      }
    },
  }),
}
