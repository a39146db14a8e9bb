// Turns whatever a call ended with (SDK errors, aborts, cut streams) into CallResult fields. Never throws.
import type * as AnthropicErrors from '@anthropic-ai/sdk'
import type * as OpenAIErrors from 'openai'
import type {RecordError} from '../records/index.js'
import {loadedSdks} from './sdk.js'

export interface Classified {
  status: 'error' | 'timeout'
  http_status: number | null
  error: RecordError
  retryable: boolean
  retry_after_ms: number | null
  request_id: string | null
}

/** 408, 409, 429 and every 5xx (incl. Anthropic 529) are transient; other 4xx are the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500
}

/** `retry-after-ms` (float ms) wins over `Retry-After` (seconds, or an HTTP date). Null when absent or unusable. */
export function retryAfterMs(headers: Headers | null | undefined, now = Date.now()): number | null {
  if (!headers) return null
  const ms = headers.get('retry-after-ms')
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const ra = headers.get('retry-after')
  if (ra === null || ra.trim() === '') return null
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000)
  const date = Date.parse(ra)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
}

/** `{error:{message,type,param,code}}` (OpenAI, whole or already unwrapped) or `{type:'error', error:{type,message}}`. */
export function errorFromBody(body: unknown): RecordError {
  const b = obj(body)
  const inner = Object.keys(obj(b.error)).length ? obj(b.error) : b
  return {
    type: str(inner.type),
    code: str(inner.code) ?? str(obj(inner.details).error_code),
    message: str(inner.message) ?? (typeof b.error === 'string' ? b.error : null),
  }
}

/** Deepest `code` on an error's cause chain (undici puts ECONNRESET / UND_ERR_SOCKET there). */
function causeCode(err: unknown): string | null {
  let cur: unknown = err
  let code: string | null = null
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as {code?: unknown}).code
    if (typeof c === 'string') code = c
    cur = (cur as {cause?: unknown}).cause
  }
  return code
}

function isApiError(err: unknown): err is OpenAIErrors.APIError | AnthropicErrors.APIError {
  const {openai, anthropic} = loadedSdks()
  return (openai !== null && err instanceof openai.APIError) || (anthropic !== null && err instanceof anthropic.APIError)
}

function isSdkTimeout(err: unknown): boolean {
  const {openai, anthropic} = loadedSdks()
  return (openai !== null && err instanceof openai.APIConnectionTimeoutError) || (anthropic !== null && err instanceof anthropic.APIConnectionTimeoutError)
}

function isSdkUserAbort(err: unknown): boolean {
  const {openai, anthropic} = loadedSdks()
  return (openai !== null && err instanceof openai.APIUserAbortError) || (anthropic !== null && err instanceof anthropic.APIUserAbortError)
}

export interface AbortState {
  timedOut: boolean
  timeoutMs: number
  userAborted: boolean
}

export function timeoutResult(timeoutMs: number): Classified {
  return {
    status: 'timeout',
    http_status: null,
    error: {type: 'timeout', code: null, message: `no complete response within ${timeoutMs} ms`},
    retryable: true,
    retry_after_ms: null,
    request_id: null,
  }
}

/** kt's own caps on an answer (its size, its decompressed size), anywhere on an error's cause chain. */
export function capError(err: unknown): Error | null {
  let cur: unknown = err
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as {code?: unknown}).code
    if (code === 'ERR_KT_ANSWER_TOO_LARGE' || code === 'ERR_KT_DECOMPRESSION_LIMIT') return cur as Error
    cur = (cur as {cause?: unknown}).cause
  }
  return null
}

/** An answer past one of kt's caps: an error result with its size, never retried (it would be as large again). */
export function capResult(cap: Error): Classified {
  const type = (cap as {code?: string}).code === 'ERR_KT_ANSWER_TOO_LARGE' ? 'answer_too_large' : 'decompression_limit'
  return {status: 'error', http_status: null, error: {type, code: null, message: cap.message}, retryable: false, retry_after_ms: null, request_id: null}
}

export function classifyError(err: unknown, abort: AbortState): Classified {
  if (abort.timedOut || isSdkTimeout(err)) {
    return timeoutResult(abort.timeoutMs)
  }
  const cap = capError(err)
  if (cap) return capResult(cap)
  if (abort.userAborted || isSdkUserAbort(err)) {
    return {status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}, retryable: false, retry_after_ms: null, request_id: null}
  }
  if (isApiError(err) && typeof err.status === 'number') {
    const headers = err.headers ?? null
    const fromBody = errorFromBody(err.error)
    const shouldRetry = headers?.get('x-should-retry')
    const retryable = shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : isRetryableStatus(err.status)
    return {
      status: 'error',
      http_status: err.status,
      error: {type: fromBody.type ?? `http_${err.status}`, code: fromBody.code, message: fromBody.message ?? err.message},
      retryable,
      retry_after_ms: retryAfterMs(headers),
      request_id: headers?.get('x-request-id') ?? headers?.get('request-id') ?? null,
    }
  }
  if (isApiError(err) || (err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message))) {
    // No status: the connection failed (reset, refused, DNS) before a response arrived.
    const code = causeCode(err)
    const chain: string[] = []
    for (let c = (err as {cause?: unknown}).cause, i = 0; c instanceof Error && i < 4; c = c.cause, i++) if (c.message) chain.push(c.message)
    return {
      status: 'error',
      http_status: null,
      error: {type: 'connection_error', code, message: chain.length ? `${err.message} (${chain.join(': ')})` : err.message},
      retryable: true,
      retry_after_ms: null,
      request_id: null,
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return {status: 'error', http_status: null, error: {type: 'client_error', code: null, message}, retryable: false, retry_after_ms: null, request_id: null}
}

/** Mid-stream error events: server-side kinds are transient, request-shaped kinds are not. */
export function isRetryableErrorType(type: string | null): boolean {
  if (type === null) return true
  return !/invalid_request|authentication|permission|not_found|invalid_api_key|request_too_large|billing/i.test(type)
}
