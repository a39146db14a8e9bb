// A batch result line's answer as the CallResult a live call would have made: the same wire parsers, the same
// error fields. Latency is not measured (a batched request waits in the provider's queue), so it is 0 here and
// stored as null by the replay.
import type {Json} from '../wire/index.js'
import {emptyResult} from './body.js'
import {errorFromBody, isRetryableStatus} from './classify.js'
import {parseBody, type WireApi} from './runner.js'
import type {CallResult} from './types.js'

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** The answer `body` of one batched request, which the provider answered with `httpStatus` (null: not said). */
export function resultOfBody(wire: WireApi, httpStatus: number | null, body: unknown, requestId: string | null): CallResult {
  const base = emptyResult(wire)
  const failed = (type: string, code: string | null, message: string | null, retryable: boolean): CallResult => ({
    ...base,
    status: 'error',
    http_status: httpStatus,
    request_id: requestId,
    retryable,
    error: {type, code, message},
  })
  if (httpStatus !== null && (httpStatus < 200 || httpStatus >= 300)) {
    const e = errorFromBody(body)
    return failed(e.type ?? `http_${httpStatus}`, e.code, e.message ?? `HTTP ${httpStatus}`, isRetryableStatus(httpStatus))
  }
  if (!isObj(body)) return failed('invalid_response', null, 'the batch result line holds no response body object', false)
  // Some compatible servers answer 200 with an error object.
  if (body.error && !body.choices && !body.content && !body.output) {
    const e = errorFromBody(body)
    return failed(e.type ?? 'upstream_error', e.code, e.message ?? JSON.stringify(body.error), false)
  }
  const parsed = parseBody(wire, body)
  return {...base, http_status: httpStatus ?? 200, request_id: requestId, response: parsed.response, usage: parsed.usage, response_model: parsed.model}
}

/** An error the provider recorded for a request instead of an answer. */
export function errorResult(wire: WireApi, type: string, code: string | null, message: string | null): CallResult {
  return {...emptyResult(wire), status: 'error', error: {type, code, message}}
}
