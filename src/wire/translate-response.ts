// Answer translation between OpenAI Chat Completions and Anthropic Messages (docs/log-formats.md §3, §5): a whole
// response body, and an error body. The gateway uses it when a caller speaking one API is served by a target speaking
// the other; request translation is translate.ts, streamed answers translate-stream.ts.
import {asArray, asObject, asString, isObject, type Json} from './json.js'

const ANTHROPIC_TO_OPENAI_FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
}

const OPENAI_TO_ANTHROPIC_STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
}

/** Anthropic `stop_reason` → OpenAI `finish_reason` (unknown values read as `stop`). */
export function openaiFinishReason(stopReason: unknown): string | null {
  if (typeof stopReason !== 'string') return null
  return ANTHROPIC_TO_OPENAI_FINISH[stopReason] ?? 'stop'
}

/** OpenAI `finish_reason` → Anthropic `stop_reason` (unknown values read as `end_turn`). */
export function anthropicStopReason(finishReason: unknown): string | null {
  if (typeof finishReason !== 'string') return null
  return OPENAI_TO_ANTHROPIC_STOP[finishReason] ?? 'end_turn'
}

function n(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

/** Anthropic usage (input excludes cache reads and writes) → OpenAI usage (prompt includes them). */
export function openaiUsageFromAnthropic(u: unknown): Json {
  const o = asObject(u)
  const cached = n(o.cache_read_input_tokens)
  const prompt = n(o.input_tokens) + cached + n(o.cache_creation_input_tokens)
  const completion = n(o.output_tokens)
  return {prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: {cached_tokens: cached}}
}

/** OpenAI usage → Anthropic usage (cached prompt tokens become cache reads). */
export function anthropicUsageFromOpenAI(u: unknown): Json {
  const o = asObject(u)
  const cached = n(asObject(o.prompt_tokens_details).cached_tokens)
  return {input_tokens: Math.max(0, n(o.prompt_tokens) - cached), cache_creation_input_tokens: 0, cache_read_input_tokens: cached, output_tokens: n(o.completion_tokens)}
}

/** An Anthropic `message` body as an OpenAI `chat.completion` (text, tool calls, finish reason, usage). */
export function anthropicMessageToOpenAIChat(body: Json, created = Math.floor(Date.now() / 1000)): Json {
  const texts: string[] = []
  const toolCalls: Json[] = []
  for (const b of asArray(body.content)) {
    const o = asObject(b)
    if (o.type === 'text') texts.push(asString(o.text) ?? '')
    else if (o.type === 'tool_use') toolCalls.push({id: asString(o.id) ?? '', type: 'function', function: {name: asString(o.name) ?? '', arguments: JSON.stringify(o.input ?? {})}})
  }
  const message: Json = {role: 'assistant', content: texts.length ? texts.join('') : null, refusal: null}
  if (toolCalls.length) message.tool_calls = toolCalls
  const id = asString(body.id)
  return {
    id: id ? `chatcmpl-${id}` : 'chatcmpl-kt',
    object: 'chat.completion',
    created,
    model: body.model ?? null,
    choices: [{index: 0, message, logprobs: null, finish_reason: openaiFinishReason(body.stop_reason) ?? 'stop'}],
    usage: openaiUsageFromAnthropic(body.usage),
  }
}

function toolInput(args: unknown): unknown {
  if (isObject(args)) return args
  if (typeof args !== 'string' || args.trim() === '') return {}
  try {
    const v: unknown = JSON.parse(args)
    return isObject(v) ? v : {value: v}
  } catch {
    return {}
  }
}

/** An OpenAI `chat.completion` body (its first choice) as an Anthropic `message`. */
export function openaiChatToAnthropicMessage(body: Json): Json {
  const choice = asObject(asArray(body.choices)[0])
  const message = asObject(choice.message)
  const content: Json[] = []
  const text = typeof message.content === 'string' ? message.content : asString(message.refusal)
  if (text) content.push({type: 'text', text})
  for (const tc of asArray(message.tool_calls)) {
    const t = asObject(tc)
    const fn = asObject(t.function)
    content.push({type: 'tool_use', id: asString(t.id) ?? '', name: asString(fn.name) ?? '', input: toolInput(fn.arguments)})
  }
  const id = asString(body.id)
  return {
    id: id ? `msg_${id.replace(/^chatcmpl-/, '')}` : 'msg_kt',
    type: 'message',
    role: 'assistant',
    model: body.model ?? null,
    content,
    stop_reason: anthropicStopReason(choice.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage: anthropicUsageFromOpenAI(body.usage),
  }
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
}

/** The error `type` each API uses for an HTTP status. */
export function errorTypeFor(api: 'openai' | 'anthropic', status: number): string {
  if (api === 'anthropic') return ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error')
  return OPENAI_ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
}

/** An error body in OpenAI's shape: `{error: {message, type, param, code}}`. */
export function openaiErrorBody(status: number, message: string, type = errorTypeFor('openai', status), code: string | null = null): Json {
  return {error: {message, type, param: null, code}}
}

/** An error body in Anthropic's shape: `{type: 'error', error: {type, message}}`. */
export function anthropicErrorBody(status: number, message: string, type = errorTypeFor('anthropic', status)): Json {
  return {type: 'error', error: {type, message}}
}

/** The message and type of an error body in either shape (or of a plain `{message}`); null when it has none. */
export function readErrorBody(body: unknown): {message: string; type: string | null; code: string | null} | null {
  const o = asObject(body)
  const e = o.error
  if (isObject(e)) {
    const message = asString(e.message) ?? JSON.stringify(e)
    return {message, type: asString(e.type), code: asString(e.code) ?? (typeof e.code === 'number' ? String(e.code) : null)}
  }
  if (typeof e === 'string') return {message: e, type: null, code: null}
  if (typeof o.message === 'string') return {message: o.message, type: asString(o.type), code: null}
  return null
}

/** An upstream error body (either API, or not JSON at all) re-shaped for a caller speaking `to`. */
export function translateErrorBody(to: 'openai' | 'anthropic', status: number, text: string): Json {
  let parsed: unknown = null
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = null
  }
  const e = readErrorBody(parsed)
  const message = e?.message ?? (text.trim() ? text.trim().slice(0, 500) : `upstream returned HTTP ${status}`)
  return to === 'anthropic' ? anthropicErrorBody(status, message) : openaiErrorBody(status, message, errorTypeFor('openai', status), e?.code ?? null)
}
