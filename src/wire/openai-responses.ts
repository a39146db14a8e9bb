// OpenAI Responses API wire format (docs/log-formats.md §4): request bodies to canonical, the response object
// to canonical (§1.2 finish reasons), and typed SSE events reduced to the terminal response object.
import {normalizeFinishReason, num, usageFromOpenAIChat} from '../records/index.js'
import type {CanonicalRequest, Message, Part, ToolCall, ToolDef} from '../records/index.js'
import {asArray, asObject, asString, isObject, type Json} from './json.js'
import {argString, eventData, type AssembledStream, type ParsedResponse, type SseEvent} from './openai-chat.js'
import {imagePart, partsOf} from './parts.js'

const RESPONSES_PARAM_KEYS = [
  'temperature', 'top_p', 'max_output_tokens', 'max_tool_calls', 'reasoning', 'text', 'tool_choice', 'parallel_tool_calls',
  'store', 'metadata', 'truncation', 'previous_response_id', 'conversation', 'service_tier', 'user', 'top_logprobs',
  'include', 'prompt_cache_key', 'background', 'safety_identifier',
]

function responsesPart(o: Json): Part | null {
  switch (o.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return {type: 'text', text: asString(o.text) ?? ''}
    case 'refusal':
      return {type: 'text', text: asString(o.refusal) ?? ''}
    case 'input_image': {
      const url = asString(o.image_url) ?? asString(asObject(o.image_url).url)
      return url ? imagePart(url) : {type: 'file', file_id: asString(o.file_id) ?? undefined}
    }
    case 'input_file':
      return {type: 'file', file_id: asString(o.file_id) ?? undefined, filename: asString(o.filename) ?? undefined}
    case 'input_audio':
      return {type: 'audio', format: asString(asObject(o.input_audio).format) ?? undefined}
    default:
      return typeof o.text === 'string' ? {type: 'text', text: o.text} : null
  }
}

function responsesParts(content: unknown): Part[] {
  return partsOf(content, responsesPart)
}

function textOfParts(parts: Part[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('')
}

function reasoningText(item: Json): string {
  const summary = asArray(item.summary).map((s) => asString(asObject(s).text) ?? '')
  const content = asArray(item.content).map((s) => asString(asObject(s).text) ?? '')
  return [...summary, ...content].filter((t) => t !== '').join('\n')
}

export function parseResponsesRequest(body: Json): CanonicalRequest {
  const messages: Message[] = []
  const systemTexts: string[] = []
  const instructions = asString(body.instructions)
  if (instructions) {
    systemTexts.push(instructions)
    messages.push({role: 'system', parts: [{type: 'text', text: instructions}]})
  }
  if (typeof body.input === 'string') messages.push({role: 'user', parts: [{type: 'text', text: body.input}]})
  // Function calls of one assistant turn arrive as separate items; they are folded into one assistant message.
  const assistantTurn = (): Message => {
    const last = messages[messages.length - 1]
    if (last && last.role === 'assistant') return last
    const m: Message = {role: 'assistant', parts: []}
    messages.push(m)
    return m
  }
  for (const it of asArray(body.input)) {
    const o = asObject(it)
    const type = asString(o.type) ?? (o.role !== undefined ? 'message' : null)
    switch (type) {
      case 'message': {
        const role = (asString(o.role) ?? 'user') as Message['role']
        const parts = responsesParts(o.content)
        if (role === 'system' || role === 'developer') systemTexts.push(textOfParts(parts))
        messages.push({role, parts})
        break
      }
      case 'function_call':
      case 'custom_tool_call':
        assistantTurn().parts.push({
          type: 'tool_call',
          id: asString(o.call_id) ?? asString(o.id) ?? '',
          name: asString(o.name) ?? '',
          arguments: argString(o.arguments ?? o.input),
        })
        break
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const id = asString(o.call_id) ?? ''
        const out = typeof o.output === 'string' ? o.output : textOfParts(responsesParts(o.output)) || argString(o.output)
        messages.push({role: 'tool', tool_call_id: id, parts: [{type: 'tool_result', tool_call_id: id, content: out}]})
        break
      }
      case 'reasoning':
        assistantTurn().parts.push({type: 'reasoning', text: reasoningText(o)})
        break
      default:
        break
    }
  }
  const tools: ToolDef[] = asArray(body.tools).map((t) => {
    const o = asObject(t)
    if (o.type === 'function') return {name: asString(o.name) ?? '', description: asString(o.description) ?? undefined, parameters: o.parameters}
    return {name: asString(o.name) ?? asString(o.type) ?? 'tool', parameters: o}
  })
  const params: Record<string, unknown> = {}
  for (const k of RESPONSES_PARAM_KEYS) if (body[k] !== undefined && body[k] !== null) params[k] = body[k]
  return {system: systemTexts.length ? systemTexts.join('\n') : null, messages, tools, params, stream: body.stream === true, raw: body}
}

export function isResponsesResponse(v: unknown): boolean {
  const o = asObject(v)
  return o.object === 'response' && Array.isArray(o.output)
}

/** §1.2: completed → stop (tool_calls when a function_call item is present); incomplete → by its reason; failed → error. */
export function parseResponsesResponse(body: Json): ParsedResponse {
  const texts: string[] = []
  const reasoning: string[] = []
  const toolCalls: ToolCall[] = []
  let refused = false
  for (const it of asArray(body.output)) {
    const o = asObject(it)
    switch (o.type) {
      case 'message':
        for (const c of asArray(o.content)) {
          const co = asObject(c)
          if (co.type === 'output_text') texts.push(asString(co.text) ?? '')
          else if (co.type === 'refusal') {
            refused = true
            texts.push(asString(co.refusal) ?? '')
          }
        }
        break
      case 'function_call':
      case 'custom_tool_call':
        toolCalls.push({id: asString(o.call_id) ?? asString(o.id) ?? '', name: asString(o.name) ?? '', arguments: argString(o.arguments ?? o.input)})
        break
      case 'reasoning': {
        const t = reasoningText(o)
        if (t) reasoning.push(t)
        break
      }
      default:
        break
    }
  }
  const status = asString(body.status)
  const raw = asString(asObject(body.incomplete_details).reason) ?? status
  let finish = normalizeFinishReason(raw)
  if (status === 'completed') finish = toolCalls.length ? 'tool_calls' : refused ? 'content_filter' : 'stop'
  return {
    id: asString(body.id),
    model: asString(body.model),
    created: num(body.created_at),
    response: {
      text: texts.length ? texts.join('') : null,
      tool_calls: toolCalls,
      reasoning: reasoning.length ? reasoning.join('\n') : null,
      finish_reason: finish,
      finish_reason_raw: raw,
      raw: body,
    },
    usage: usageFromOpenAIChat(body.usage),
  }
}

const RESPONSES_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/** Typed Responses events: the full response object is taken from the terminal event (§4), not re-assembled. */
export function assembleResponsesStream(events: SseEvent[]): AssembledStream {
  let response: Json | null = null
  let complete = false
  let error: AssembledStream['error'] = null
  let chunks = 0
  const deltas: string[] = []
  for (const ev of events) {
    const data = eventData(ev)
    if (!data) continue
    chunks++
    const type = asString(data.type) ?? ev.event
    if (type && RESPONSES_TERMINAL.has(type)) {
      response = asObject(data.response)
      complete = true
      if (type === 'response.failed') {
        const e = asObject(response.error)
        error = {type: asString(e.code) ?? asString(e.type) ?? 'response_failed', message: asString(e.message)}
      }
    } else if (type === 'response.created' || type === 'response.in_progress') {
      if (!complete) response = asObject(data.response)
    } else if (type === 'response.output_text.delta') {
      deltas.push(asString(data.delta) ?? '')
    } else if (type === 'error') {
      const e = isObject(data.error) ? data.error : data
      error = {type: asString(e.type) ?? asString(e.code) ?? 'error', message: asString(e.message)}
    }
  }
  let body: Json = response ?? {object: 'response', output: []}
  // A cut stream has no final object: keep what text arrived.
  if (!complete && deltas.length && asArray(body.output).length === 0) {
    body = {...body, output: [{type: 'message', role: 'assistant', content: [{type: 'output_text', text: deltas.join('')}]}]}
  }
  return {body, complete, error, chunks}
}

export function isResponsesSse(events: SseEvent[]): boolean {
  return events.some((e) => (e.event ?? '').startsWith('response.') || /"type"\s*:\s*"response\.created"/.test(e.data))
}

