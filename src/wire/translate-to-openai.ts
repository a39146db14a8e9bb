// Anthropic Messages request → OpenAI Chat Completions request (docs/log-formats.md §3, §5). Every field that is
// dropped or only approximated is named in `losses`.
import {asArray, asObject, asString, isObject, type Json} from './json.js'
import type {Translation} from './translate.js'

function anthropicBlocksText(content: unknown, where: string, losses: string[]): string {
  if (typeof content === 'string') return content
  const texts: string[] = []
  asArray(content).forEach((b, k) => {
    const o = asObject(b)
    if (o.type === 'text') texts.push(asString(o.text) ?? '')
    else losses.push(`${where}[${k}]: ${String(o.type)} block inside a tool result dropped (OpenAI tool results are text)`)
  })
  return texts.join('')
}

function countCacheControl(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + countCacheControl(x), 0)
  if (!isObject(v)) return 0
  let n = v.cache_control !== undefined ? 1 : 0
  for (const [k, x] of Object.entries(v)) if (k !== 'cache_control' && (Array.isArray(x) || isObject(x))) n += countCacheControl(x)
  return n
}

export interface AnthropicToOpenAIOptions {
  /** `max_completion_tokens` for OpenAI/Azure (o-series reject max_tokens); `max_tokens` (default) for compatible servers. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens'
}

/** An assistant turn's blocks → one OpenAI assistant message (text and tool_calls); null when nothing is left. */
function assistantMessage(blocks: unknown[], at: string, losses: string[]): Json | null {
  const texts: string[] = []
  const toolCalls: Json[] = []
  blocks.forEach((b, k) => {
    const o = asObject(b)
    if (o.type === 'text') texts.push(asString(o.text) ?? '')
    else if (o.type === 'tool_use') toolCalls.push({id: asString(o.id) ?? '', type: 'function', function: {name: asString(o.name) ?? '', arguments: JSON.stringify(o.input ?? {})}})
    else if (o.type === 'thinking' || o.type === 'redacted_thinking') losses.push(`${at}.content[${k}]: ${o.type} block dropped (no OpenAI Chat equivalent)`)
    else losses.push(`${at}.content[${k}]: ${String(o.type)} block has no OpenAI Chat equivalent (dropped)`)
  })
  if (!texts.length && !toolCalls.length) {
    losses.push(`${at}: assistant turn with nothing translatable dropped`)
    return null
  }
  const msg: Json = {role: 'assistant', content: texts.length ? texts.join('') : null}
  if (toolCalls.length) msg.tool_calls = toolCalls
  return msg
}

/** A user turn's blocks: tool results first (they must follow the assistant's tool_calls), then the remaining parts. */
function userMessages(blocks: unknown[], at: string, losses: string[]): Json[] {
  const messages: Json[] = []
  const parts: Json[] = []
  blocks.forEach((b, k) => {
    const o = asObject(b)
    const where = `${at}.content[${k}]`
    switch (o.type) {
      case 'tool_result': {
        if (o.is_error === true) losses.push(`${where}.is_error: no OpenAI equivalent (content kept, error flag dropped)`)
        messages.push({role: 'tool', tool_call_id: asString(o.tool_use_id) ?? '', content: anthropicBlocksText(o.content, `${where}.content`, losses)})
        break
      }
      case 'text':
        parts.push({type: 'text', text: asString(o.text) ?? ''})
        break
      case 'image': {
        const src = asObject(o.source)
        if (src.type === 'base64') parts.push({type: 'image_url', image_url: {url: `data:${asString(src.media_type) ?? 'image/png'};base64,${asString(src.data) ?? ''}`}})
        else if (src.type === 'url') parts.push({type: 'image_url', image_url: {url: asString(src.url) ?? ''}})
        else losses.push(`${where}: image source "${String(src.type)}" has no OpenAI equivalent (dropped)`)
        break
      }
      case 'document': {
        const src = asObject(o.source)
        if (src.type === 'base64') {
          parts.push({type: 'file', file: {filename: asString(o.title) ?? 'document.pdf', file_data: `data:${asString(src.media_type) ?? 'application/pdf'};base64,${asString(src.data) ?? ''}`}})
        } else if (src.type === 'text') {
          parts.push({type: 'text', text: asString(src.data) ?? ''})
          losses.push(`${where}: text document sent as a plain text part (citations and title dropped)`)
        } else losses.push(`${where}: document source "${String(src.type)}" has no OpenAI equivalent (dropped)`)
        break
      }
      default:
        losses.push(`${where}: ${String(o.type)} block has no OpenAI Chat equivalent (dropped)`)
    }
  })
  if (parts.length) messages.push({role: 'user', content: parts})
  return messages
}

function messagesToOpenAI(body: Json, losses: string[]): Json[] {
  const messages: Json[] = []
  if (body.system !== undefined && body.system !== null) {
    const text = typeof body.system === 'string' ? body.system : asArray(body.system).map((b) => asString(asObject(b).text) ?? '').join('\n')
    messages.push({role: 'system', content: text})
  }
  asArray(body.messages).forEach((raw, i) => {
    const m = asObject(raw)
    const role = asString(m.role) ?? 'user'
    const at = `messages[${i}]`
    if (typeof m.content === 'string') messages.push({role: role === 'assistant' ? 'assistant' : 'user', content: m.content})
    else if (role === 'assistant') {
      const msg = assistantMessage(asArray(m.content), at, losses)
      if (msg) messages.push(msg)
    } else messages.push(...userMessages(asArray(m.content), at, losses))
  })
  return messages
}

/** Tools (server tools have no OpenAI equivalent) and the tool choice. */
function toolsToOpenAI(body: Json, out: Json, losses: string[]): void {
  const tools: Json[] = []
  asArray(body.tools).forEach((t, k) => {
    const o = asObject(t)
    if (o.input_schema === undefined && typeof o.type === 'string' && o.type !== 'custom') {
      losses.push(`tools[${k}]: server tool "${o.type}" has no OpenAI equivalent (dropped)`)
      return
    }
    const fn: Json = {name: asString(o.name) ?? ''}
    if (typeof o.description === 'string') fn.description = o.description
    fn.parameters = isObject(o.input_schema) ? o.input_schema : {type: 'object', properties: {}}
    tools.push({type: 'function', function: fn})
  })
  if (tools.length) out.tools = tools
  const tc = asObject(body.tool_choice)
  if (Object.keys(tc).length) {
    if (!tools.length) losses.push('tool_choice: no tools left to choose from (dropped)')
    else if (tc.type === 'auto') out.tool_choice = 'auto'
    else if (tc.type === 'any') out.tool_choice = 'required'
    else if (tc.type === 'none') out.tool_choice = 'none'
    else if (tc.type === 'tool' && typeof tc.name === 'string') out.tool_choice = {type: 'function', function: {name: tc.name}}
    else losses.push(`tool_choice: ${JSON.stringify(body.tool_choice)} has no OpenAI equivalent (dropped)`)
    if (tc.disable_parallel_tool_use === true && tools.length) out.parallel_tool_calls = false
  }
}

const HANDLED = new Set(['model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'thinking', 'metadata', 'service_tier'])

export function anthropicToOpenAIChat(body: Json, opts: AnthropicToOpenAIOptions = {}): Translation {
  const losses: string[] = []
  const out: Json = {}
  if (body.model !== undefined) out.model = body.model
  out.messages = messagesToOpenAI(body, losses)
  if (typeof body.max_tokens === 'number') out[opts.maxTokensField ?? 'max_tokens'] = body.max_tokens
  if (body.temperature !== undefined && body.temperature !== null) out.temperature = body.temperature
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p
  if (body.top_k !== undefined && body.top_k !== null) losses.push('top_k: no OpenAI equivalent (dropped)')
  const stops = asArray(body.stop_sequences).filter((s): s is string => typeof s === 'string')
  if (stops.length) {
    out.stop = stops.slice(0, 4)
    if (stops.length > 4) losses.push(`stop_sequences: ${stops.length} given, OpenAI accepts 4 (extra dropped)`)
  }
  if (body.stream === true) {
    out.stream = true
    // Anthropic streams always report usage; ask OpenAI for the same.
    out.stream_options = {include_usage: true}
  }
  toolsToOpenAI(body, out, losses)
  if (body.thinking !== undefined && body.thinking !== null) losses.push(`thinking: ${JSON.stringify(body.thinking)} has no OpenAI Chat equivalent (dropped)`)
  const md = asObject(body.metadata)
  if (typeof md.user_id === 'string') out.user = md.user_id
  const otherMd = Object.keys(md).filter((k) => k !== 'user_id')
  if (otherMd.length) losses.push(`metadata.${otherMd.join(', metadata.')}: no OpenAI equivalent (dropped)`)
  if (body.service_tier !== undefined) losses.push('service_tier: Anthropic tiers do not map to OpenAI tiers (dropped)')
  const cc = countCacheControl(body.system) + countCacheControl(body.messages) + countCacheControl(body.tools)
  if (cc) losses.push(`cache_control: ${cc} prompt-caching marker(s) dropped (OpenAI caches automatically)`)
  for (const k of Object.keys(body)) if (!HANDLED.has(k)) losses.push(`${k}: unknown to the Anthropic→OpenAI translation (dropped)`)
  return {body: out, losses}
}
