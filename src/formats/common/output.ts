// Any logged completion → a parsed provider response: a whole OpenAI or Anthropic body as it is, or one assistant
// message (string, OpenAI message, choice, OTel output message, content blocks) wrapped in a chat.completion.
import {isAnthropicResponse, parseAnthropicResponse} from '../../wire/index.js'
import {asObject, isObject, type Json} from '../../wire/index.js'
import {isOpenAIChatResponse, parseOpenAIChatResponse, type ParsedResponse} from '../../wire/index.js'
import {fromChatLike, fromOtelParts} from './messages.js'
import {decode, str} from './values.js'

/** What a logged output turned out to be: a whole provider response, or one assistant message. */
export type OutputShape =
  | {kind: 'body'; which: 'openai' | 'anthropic'; body: Json}
  | {kind: 'message'; message: Json; finish: string | null}

/** Any logged completion (string, OpenAI message, choice, response body, OTel output message, …) or null. */
export function outputFrom(value: unknown): OutputShape | null {
  const v = decode(value)
  if (typeof v === 'string') return v === '' ? null : {kind: 'message', message: {role: 'assistant', content: v}, finish: null}
  if (Array.isArray(v)) {
    if (v.length === 0) return null
    const first = asObject(v[0])
    // A bare list of content blocks is one message; otherwise a list of choices/messages: choice 0.
    if (['text', 'tool_use', 'output_text', 'thinking'].includes(String(first.type)) && !('role' in first)) {
      return outputFrom({role: 'assistant', content: v})
    }
    return outputFrom(v[0])
  }
  if (!isObject(v)) return null
  if (isOpenAIChatResponse(v)) return {kind: 'body', which: 'openai', body: v}
  if (isAnthropicResponse(v)) return {kind: 'body', which: 'anthropic', body: v}
  const finish = str(v.finish_reason) ?? str(v.stop_reason)
  if (isObject(v.message)) return {kind: 'message', message: fromChatLike(v.message, 'assistant')[0] ?? {role: 'assistant', content: null}, finish}
  if (Array.isArray(v.parts)) return {kind: 'message', message: fromOtelParts('assistant', v.parts)[0] ?? {role: 'assistant', content: null}, finish}
  if ('role' in v || 'content' in v || 'tool_calls' in v) {
    return {kind: 'message', message: fromChatLike({...v, role: 'assistant'}, 'assistant')[0] ?? {role: 'assistant', content: null}, finish}
  }
  for (const k of ['text', 'completion', 'output']) {
    if (typeof v[k] === 'string') return {kind: 'message', message: {role: 'assistant', content: v[k]}, finish}
  }
  return null
}

/** Parsed response from an output shape; a bare message is wrapped in a chat.completion (flagged synthesized). */
export function responseFromOutput(out: OutputShape, ids: {id?: string | null; model?: string | null}): {parsed: ParsedResponse; synthesized: boolean} {
  if (out.kind === 'body') return {parsed: out.which === 'anthropic' ? parseAnthropicResponse(out.body) : parseOpenAIChatResponse(out.body), synthesized: false}
  const message = {...out.message}
  if (message.content === undefined) message.content = null
  const body: Json = {object: 'chat.completion', choices: [{index: 0, message, finish_reason: out.finish}]}
  if (ids.id) body.id = ids.id
  if (ids.model) body.model = ids.model
  return {parsed: parseOpenAIChatResponse(body), synthesized: true}
}
