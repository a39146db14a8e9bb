// Replayable request bodies synthesised from what a log kept (a model, messages, parameters), for formats that do
// not log the provider body itself (LiteLLM, Langfuse, OTel). The caller marks the record `request_synthesized`.
import {asObject, isObject, maybeJson, type Json} from '../../wire/index.js'
import {decode} from './values.js'

// Keys that configure the client, not the model call: never part of a replayable body.
const CLIENT_ONLY = new Set([
  'max_retries', 'num_retries', 'timeout', 'request_timeout', 'extra_headers', 'api_base', 'base_url', 'api_version',
  'organization', 'mock_response', 'litellm_params', 'litellm_metadata', 'model', 'messages',
])

/** Params from logs (Langfuse stores them as strings): "0.7" → 0.7, "true" → true, "{}"/null/"Infinity" dropped. */
export function coerceParams(v: unknown): Json {
  const out: Json = {}
  for (const [k, raw] of Object.entries(asObject(decode(v)))) {
    let val: unknown = raw
    if (typeof val === 'string') {
      const t = val.trim()
      // LangChain logs max_tokens "Infinity" for "no limit": there is nothing to send.
      if (t === '' || t === 'null' || t === 'None' || t === 'undefined' || /^-?(Infinity|inf|nan)$/i.test(t)) continue
      if (t === 'true' || t === 'True') val = true
      else if (t === 'false' || t === 'False') val = false
      else if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) val = Number(t)
      else val = maybeJson(t)
    }
    if (typeof val === 'number' && !Number.isFinite(val)) continue
    if (val === null || val === undefined) continue
    if (isObject(val) && Object.keys(val).length === 0) continue
    out[k] = val
  }
  return out
}

/**
 * A request body from a model, messages and logged parameters: client-only keys dropped, `extra_body`
 * merged (that is what the SDKs do with it), nulls removed. The caller marks it `request_synthesized`.
 */
export function synthBody(model: string | null, messages: Json[], params: Json, extra: Json = {}): Json {
  const body: Json = {}
  if (model) body.model = model
  body.messages = messages
  for (const [k, v] of Object.entries({...params, ...extra})) {
    if (v === null || v === undefined || CLIENT_ONLY.has(k)) continue
    if (k === 'extra_body') {
      for (const [ek, ev] of Object.entries(asObject(decode(v)))) if (ev !== null && ev !== undefined && !CLIENT_ONLY.has(ek)) body[ek] = ev
      continue
    }
    body[k] = v
  }
  return body
}

/** A body whose prompt is not `messages`: the `prompt` of a text completion, the `input` of a Responses call. */
export function synthBodyWith(model: string | null, key: 'prompt' | 'input', prompt: unknown, params: Json, extra: Json = {}): Json {
  const {messages: _none, ...body} = synthBody(model, [], params, extra)
  return {...body, [key]: prompt}
}

/** The prompt of a text completion from chat messages: their string contents, one per line. */
export function promptText(messages: readonly Json[]): string {
  return messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')
}
