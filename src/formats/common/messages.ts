// Any logged prompt → OpenAI chat messages: OpenAI messages (with Anthropic blocks or Responses parts in them), OTel
// GenAI `{role, parts}` messages, Responses input items, plain strings. LiteLLM, Langfuse and OTel logs all carry
// prompts in one of these shapes; a synthesised OpenAI chat body makes them replayable.
import {argString, asArray, asObject, asString, isObject, type Json} from '../../wire/index.js'
import {decode, str} from './values.js'

const ROLE_ALIASES: Record<string, string> = {human: 'user', ai: 'assistant', model: 'assistant', function: 'tool', chatbot: 'assistant'}
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])

function roleOf(m: Json, fallback = 'user'): string {
  const r = asString(m.role) ?? (typeof m.type === 'string' && (ROLES.has(m.type) || m.type in ROLE_ALIASES) ? m.type : null) ?? fallback
  const lower = r.toLowerCase()
  return ROLE_ALIASES[lower] ?? lower
}

function jsonText(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  if (Array.isArray(v) && v.every((p) => isObject(p) && typeof p.text === 'string')) return v.map((p) => (p as Json).text).join('')
  return JSON.stringify(v)
}

function toolCall(id: unknown, name: unknown, args: unknown): Json {
  return {id: str(id) ?? '', type: 'function', function: {name: str(name) ?? '', arguments: argString(decode(args))}}
}

/** OpenAI content parts (or a plain string when all text) from OpenAI / Anthropic / Responses parts. */
function chatContent(parts: Json[]): unknown {
  if (parts.length === 0) return null
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => p.text).join('')
  return parts
}

/** OTel GenAI message (`{role, parts:[…]}`) → OpenAI chat messages (tool results become `role: tool`). */
export function fromOtelParts(role: string, parts: unknown[]): Json[] {
  const content: Json[] = []
  const calls: Json[] = []
  const results: Json[] = []
  for (const raw of parts) {
    const p = asObject(raw)
    switch (p.type) {
      case 'text':
        content.push({type: 'text', text: jsonText(p.content ?? p.text)})
        break
      case 'tool_call':
        calls.push(toolCall(p.id, p.name, p.arguments))
        break
      case 'tool_call_response':
        results.push({role: 'tool', tool_call_id: str(p.id) ?? '', content: jsonText(p.response ?? p.result)})
        break
      case 'uri':
        if (p.modality === 'image' && typeof p.uri === 'string') content.push({type: 'image_url', image_url: {url: p.uri}})
        break
      case 'blob':
        if (p.modality === 'image' && typeof p.content === 'string') {
          content.push({type: 'image_url', image_url: {url: `data:${str(p.mime_type) ?? 'image/png'};base64,${p.content}`}})
        }
        break
      case 'reasoning':
        break
      default:
        if (typeof p.content === 'string') content.push({type: 'text', text: p.content})
    }
  }
  const out: Json[] = []
  if (content.length || calls.length) {
    const msg: Json = {role, content: chatContent(content)}
    if (calls.length) msg.tool_calls = calls
    out.push(msg)
  }
  return [...out, ...results]
}

/** An OpenAI-ish message whose content may hold OpenAI, Responses or Anthropic parts → OpenAI chat messages. */
export function fromChatLike(m: Json, fallbackRole = 'user'): Json[] {
  const role = roleOf(m, fallbackRole)
  const content = decode(m.content)
  const parts: Json[] = []
  const calls: Json[] = asArray(m.tool_calls).map((tc) => {
    const t = asObject(tc)
    const fn = asObject(t.function)
    return toolCall(t.id, fn.name ?? t.name, fn.arguments ?? t.arguments)
  })
  const results: Json[] = []
  if (Array.isArray(content)) {
    for (const raw of content) {
      if (typeof raw === 'string') {
        parts.push({type: 'text', text: raw})
        continue
      }
      const b = asObject(raw)
      switch (b.type) {
        case 'text':
        case 'input_text':
        case 'output_text':
          parts.push({type: 'text', text: asString(b.text) ?? ''})
          break
        case 'image_url':
          parts.push({type: 'image_url', image_url: isObject(b.image_url) ? b.image_url : {url: b.image_url}})
          break
        case 'image': {
          const src = asObject(b.source)
          if (src.type === 'base64') parts.push({type: 'image_url', image_url: {url: `data:${str(src.media_type) ?? 'image/png'};base64,${str(src.data) ?? ''}`}})
          else if (typeof src.url === 'string') parts.push({type: 'image_url', image_url: {url: src.url}})
          break
        }
        case 'tool_use':
          calls.push(toolCall(b.id, b.name, b.input ?? {}))
          break
        case 'tool_result':
          results.push({role: 'tool', tool_call_id: str(b.tool_use_id) ?? '', content: jsonText(b.content)})
          break
        case 'thinking':
        case 'redacted_thinking':
          break
        default:
          if (typeof b.text === 'string') parts.push({type: 'text', text: b.text})
      }
    }
  } else if (typeof content === 'string') {
    parts.push({type: 'text', text: content})
  } else if (isObject(content)) {
    parts.push({type: 'text', text: JSON.stringify(content)})
  }
  const fc = asObject(m.function_call)
  if (typeof fc.name === 'string') calls.push(toolCall('', fc.name, fc.arguments))
  const out: Json[] = []
  if (role === 'tool') {
    out.push({role: 'tool', tool_call_id: str(m.tool_call_id) ?? '', content: parts.map((p) => (p.type === 'text' ? p.text : '')).join('')})
  } else if (parts.length || calls.length || results.length === 0) {
    const msg: Json = {role, content: chatContent(parts)}
    if (calls.length) msg.tool_calls = calls
    if (typeof m.name === 'string' && m.name !== '') msg.name = m.name
    out.push(msg)
  }
  return [...out, ...results]
}

/**
 * Any logged prompt → OpenAI chat messages, or null when it is not recognisably a prompt.
 * Accepts: a string; `[{role, content}]` (OpenAI, with Anthropic blocks or Responses parts); OTel
 * `[{role, parts}]`; Responses input items (`function_call`, `function_call_output`); `{messages: […]}`.
 */
export function toChatMessages(value: unknown): Json[] | null {
  const v = decode(value)
  if (typeof v === 'string') return v.trim() === '' ? null : [{role: 'user', content: v}]
  if (isObject(v)) {
    if (Array.isArray(v.messages)) return toChatMessages(v.messages)
    if (typeof v.role === 'string') return toChatMessages([v])
    if (typeof v.prompt === 'string') return toChatMessages(v.prompt)
    return null
  }
  if (!Array.isArray(v) || v.length === 0) return null
  const out: Json[] = []
  for (const item of v) {
    if (typeof item === 'string') {
      out.push({role: 'user', content: item})
      continue
    }
    if (!isObject(item)) return null
    if (item.type === 'function_call') {
      out.push({role: 'assistant', content: null, tool_calls: [toolCall(item.call_id ?? item.id, item.name, item.arguments)]})
    } else if (item.type === 'function_call_output') {
      out.push({role: 'tool', tool_call_id: str(item.call_id) ?? '', content: jsonText(item.output)})
    } else if (Array.isArray(item.parts)) {
      out.push(...fromOtelParts(roleOf(item), item.parts))
    } else if ('role' in item || 'content' in item || 'tool_calls' in item || (typeof item.type === 'string' && item.type in ROLE_ALIASES)) {
      out.push(...fromChatLike(item))
    } else {
      return null
    }
  }
  return out.length ? out : null
}
