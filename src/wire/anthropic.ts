// Anthropic Messages wire format (docs/log-formats.md §5): request/response bodies to canonical, and the
// `event:`/`data:` stream assembled into one `message` object.
import {normalizeFinishReason, usageFromAnthropic} from '../records/index.js'
import type {CanonicalRequest, Message, Part, ToolCall, ToolDef} from '../records/index.js'
import {asArray, asObject, asString, type Json} from './json.js'
import {eventData, type AssembledStream, type ParsedResponse, type SseEvent} from './openai-chat.js'
import {imagePart, partsOf} from './parts.js'

const PARAM_KEYS = ['max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'tool_choice', 'thinking', 'metadata', 'service_tier']

export function isAnthropicResponse(v: unknown): boolean {
  const o = asObject(v)
  return o.type === 'message' && Array.isArray(o.content) && 'stop_reason' in o
}

function blockPart(o: Json): Part | null {
  switch (o.type) {
    case 'text':
      return {type: 'text', text: asString(o.text) ?? ''}
    case 'image': {
      const src = asObject(o.source)
      if (src.type === 'url') return imagePart(asString(src.url) ?? undefined)
      return {type: 'image', mime: asString(src.media_type) ?? undefined, bytes: Math.floor((asString(src.data)?.length ?? 0) * 0.75)}
    }
    case 'document':
      return {type: 'file', filename: asString(o.title) ?? undefined}
    case 'tool_use':
      return {type: 'tool_call', id: asString(o.id) ?? '', name: asString(o.name) ?? '', arguments: JSON.stringify(o.input ?? {})}
    case 'tool_result': {
      const text = blockParts(o.content).map((p) => (p.type === 'text' ? p.text : '')).join('')
      return {type: 'tool_result', tool_call_id: asString(o.tool_use_id) ?? '', content: text, is_error: o.is_error === true}
    }
    case 'thinking':
      return {type: 'reasoning', text: asString(o.thinking) ?? '', signature: asString(o.signature) ?? undefined}
    case 'redacted_thinking':
      return {type: 'reasoning', text: ''}
    default:
      return null
  }
}

function blockParts(content: unknown): Part[] {
  return partsOf(content, blockPart)
}

export function systemText(system: unknown): string | null {
  if (typeof system === 'string') return system
  const texts = asArray(system)
    .map((b) => asString(asObject(b).text))
    .filter((t): t is string => t !== null)
  return texts.length ? texts.join('\n') : null
}

export function parseAnthropicRequest(body: Json): CanonicalRequest {
  const system = systemText(body.system)
  const messages: Message[] = []
  if (system !== null) messages.push({role: 'system', parts: [{type: 'text', text: system}]})
  for (const m of asArray(body.messages)) {
    const o = asObject(m)
    messages.push({role: (asString(o.role) ?? 'user') as Message['role'], parts: blockParts(o.content)})
  }
  const tools: ToolDef[] = asArray(body.tools).map((t) => {
    const o = asObject(t)
    if (o.input_schema !== undefined || !o.type || o.type === 'custom') {
      return {name: asString(o.name) ?? '', description: asString(o.description) ?? undefined, parameters: o.input_schema}
    }
    return {name: asString(o.name) ?? asString(o.type) ?? 'tool', parameters: o}
  })
  const params: Record<string, unknown> = {}
  for (const k of PARAM_KEYS) if (body[k] !== undefined) params[k] = body[k]
  return {system, messages, tools, params, stream: body.stream === true, raw: body}
}

export function parseAnthropicResponse(body: Json): ParsedResponse {
  const parts = blockParts(body.content)
  const texts = parts.filter((p): p is Extract<Part, {type: 'text'}> => p.type === 'text')
  const reasoning = parts.filter((p): p is Extract<Part, {type: 'reasoning'}> => p.type === 'reasoning')
  const toolCalls: ToolCall[] = parts
    .filter((p): p is Extract<Part, {type: 'tool_call'}> => p.type === 'tool_call')
    .map((p) => ({id: p.id, name: p.name, arguments: p.arguments}))
  const raw = asString(body.stop_reason)
  return {
    id: asString(body.id),
    model: asString(body.model),
    created: null,
    response: {
      text: texts.length ? texts.map((t) => t.text).join('') : null,
      tool_calls: toolCalls,
      reasoning: reasoning.length ? reasoning.map((r) => r.text).join('') : null,
      finish_reason: normalizeFinishReason(raw),
      finish_reason_raw: raw,
      raw: body,
    },
    usage: usageFromAnthropic(body.usage),
  }
}

export function isAnthropicSse(events: SseEvent[]): boolean {
  return events.some((e) => e.event === 'message_start' || /"type"\s*:\s*"message_start"/.test(e.data))
}

/**
 * Assembles an Anthropic stream (§5): blocks by index, tool input from concatenated partial_json,
 * usage = message_start.usage overlaid by the last message_delta.usage. `complete` needs message_stop.
 */
export function assembleAnthropicStream(events: SseEvent[]): AssembledStream {
  let message: Json = {}
  const blocks = new Map<number, Json & {_json?: string[]}>()
  let usage: Json = {}
  let complete = false
  let error: AssembledStream['error'] = null
  let chunks = 0
  for (const ev of events) {
    const data = eventData(ev)
    if (!data) continue
    const type = asString(data.type) ?? ev.event
    chunks++
    switch (type) {
      case 'message_start':
        message = {...asObject(data.message)}
        usage = {...asObject(message.usage)}
        break
      case 'content_block_start':
        blocks.set(Number(data.index ?? 0), {...asObject(data.content_block)})
        break
      case 'content_block_delta': {
        const idx = Number(data.index ?? 0)
        const block = blocks.get(idx) ?? {type: 'text', text: ''}
        blocks.set(idx, block)
        const delta = asObject(data.delta)
        if (delta.type === 'text_delta') block.text = `${asString(block.text) ?? ''}${asString(delta.text) ?? ''}`
        else if (delta.type === 'thinking_delta') block.thinking = `${asString(block.thinking) ?? ''}${asString(delta.thinking) ?? ''}`
        else if (delta.type === 'signature_delta') block.signature = `${asString(block.signature) ?? ''}${asString(delta.signature) ?? ''}`
        else if (delta.type === 'input_json_delta') (block._json ??= []).push(asString(delta.partial_json) ?? '')
        break
      }
      case 'message_delta': {
        const d = asObject(data.delta)
        if ('stop_reason' in d) message.stop_reason = d.stop_reason
        if ('stop_sequence' in d) message.stop_sequence = d.stop_sequence
        usage = {...usage, ...asObject(data.usage)}
        break
      }
      case 'message_stop':
        complete = true
        break
      case 'error': {
        const e = asObject(data.error)
        error = {type: asString(e.type), message: asString(e.message)}
        break
      }
      default:
        break
    }
  }
  const content = [...blocks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, b]) => {
      const {_json, ...rest} = b
      if (_json) {
        const text = _json.join('')
        try {
          rest.input = text === '' ? {} : JSON.parse(text)
        } catch {
          rest.input = text
        }
      }
      return rest
    })
  const body: Json = {...message, type: 'message', role: 'assistant', content, usage}
  return {body, complete, error, chunks}
}
