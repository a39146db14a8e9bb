// Faithful replay: the stored body goes out as it was, with only `model` replaced (and the stream flag when the
// caller asks for a different mode than the stored one).
import {emptyUsage} from '../records/index.js'
import type {CallResult, TargetSpec} from './types.js'

export function prepareBody(body: Record<string, unknown>, model: string | undefined, stream: boolean, openaiChat: boolean): Record<string, unknown> {
  // A target without a model serves whatever model the request names.
  const out: Record<string, unknown> = model === undefined ? {...body} : {...body, model}
  if (stream && body.stream !== true) {
    out.stream = true
    // We turned streaming on ourselves, so also ask for the usage chunk the stored call never needed.
    if (openaiChat && out.stream_options === undefined) out.stream_options = {include_usage: true}
  } else if (!stream && body.stream === true) {
    delete out.stream
    delete out.stream_options
  }
  return out
}

/** A result with nothing in it yet: every call outcome starts from this. */
export function emptyResult(api: string, losses: string[] = []): CallResult {
  return {
    status: 'ok',
    http_status: null,
    error: null,
    retryable: false,
    retry_after_ms: null,
    response: null,
    usage: emptyUsage(),
    response_model: null,
    request_id: null,
    latency_ms: 0,
    ttft_ms: null,
    translation_losses: losses,
    api,
  }
}

export function unsupportedApi(target: TargetSpec, api: string): CallResult {
  return {
    ...emptyResult(api),
    status: 'error',
    error: {type: 'kt_unsupported', code: null, message: `target "${target.id}" (${target.provider}) cannot replay requests of api "${api}"`},
  }
}
