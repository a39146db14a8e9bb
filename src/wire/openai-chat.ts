// OpenAI Chat Completions wire format (docs/log-formats.md §3): request and response bodies to the
// canonical shape, and SSE chunk streams assembled into one `chat.completion` object.
import {normalizeFinishReason, num, usageFromOpenAIChat} from '../records/index.js'
import type {CanonicalRequest, CanonicalResponse, Message, Part, ToolCall, ToolDef, Usage} from '../records/index.js'
import {asArray, asObject, asString, type Json} from './json.js'
import {imagePart, partsOf} from './parts.js'

const PARAM_KEYS = [
  'temperature', 'top_p', 'n', 'stop', 'max_tokens', 'max_completion_tokens', 'seed', 'presence_penalty',
  'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'response_format', 'tool_choice',
  'parallel_tool_calls', 'reasoning_effort', 'stream_options', 'user', 'metadata', 'store', 'service_tier',
]

export function isOpenAIChatRequest(v: unknown): boolean {
  const o = asObject(v)
  return Array.isArray(o.messages) && !looksAnthropicMessages(o)
}

/**
 * Both APIs take `{model, messages}`; Anthropic bodies are told apart by top-level `system`,
 * `stop_sequences`/`top_k`/`thinking`, or content blocks only Anthropic has. Roles only OpenAI has win.
 */
export function looksAnthropicMessages(o: Json): boolean {
  for (const m of asArray(o.messages)) {
    const role = asObject(m).role
    if (role === 'system' || role === 'developer' || role === 'tool') return false
  }
  if ('system' in o || 'stop_sequences' in o || 'top_k' in o || 'thinking' in o) return true
  for (const m of asArray(o.messages)) {
    for (const b of asArray(asObject(m).content)) {
      const blk = asObject(b)
      if (blk.type === 'tool_use' || blk.type === 'tool_result' || blk.type === 'thinking' || (blk.type === 'image' && 'source' in blk)) return true
    }
  }
  return typeof o.model === 'string' && /^claude/i.test(o.model) && !('max_completion_tokens' in o)
}

export function isOpenAIChatResponse(v: unknown): boolean {
  const o = asObject(v)
  return o.object === 'chat.completion' || (Array.isArray(o.choices) && asObject(asArray(o.choices)[0]).message !== undefined)
}

function contentPart(o: Json): Part | null {
  switch (o.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return {type: 'text', text: asString(o.text) ?? ''}
    case 'image_url':
      return imagePart(asString(asObject(o.image_url).url) ?? asString(o.image_url) ?? undefined)
    case 'input_audio':
      return {type: 'audio', format: asString(asObject(o.input_audio).format) ?? undefined}
    case 'file':
      return {type: 'file', file_id: asString(asObject(o.file).file_id) ?? undefined, filename: asString(asObject(o.file).filename) ?? undefined}
    case 'refusal':
      return {type: 'text', text: asString(o.refusal) ?? ''}
    default:
      return typeof o.text === 'string' ? {type: 'text', text: o.text} : null
  }
}

const contentParts = (content: unknown): Part[] => partsOf(content, contentPart)


export function parseOpenAIChatRequest(body: Json): CanonicalRequest {
  const messages: Message[] = []
  const systemTexts: string[] = []
  for (const m of asArray(body.messages)) {
    const o = asObject(m)
    const role = (asString(o.role) ?? 'user') as Message['role']
    const parts = contentParts(o.content)
    if (role === 'assistant') {
      for (const tc of asArray(o.tool_calls)) {
        const t = asObject(tc)
        const fn = asObject(t.function)
        parts.push({type: 'tool_call', id: asString(t.id) ?? '', name: asString(fn.name) ?? '', arguments: argString(fn.arguments)})
      }
      const fc = asObject(o.function_call)
      if (fc.name) parts.push({type: 'tool_call', id: '', name: asString(fc.name) ?? '', arguments: argString(fc.arguments)})
    }
    const msg: Message = {role, parts}
    if (role === 'tool') {
      msg.tool_call_id = asString(o.tool_call_id) ?? undefined
      msg.parts = [{type: 'tool_result', tool_call_id: msg.tool_call_id ?? '', content: textOf(parts)}]
    }
    if (typeof o.name === 'string') msg.name = o.name
    if (role === 'system' || role === 'developer') systemTexts.push(textOf(parts))
    messages.push(msg)
  }
  const tools: ToolDef[] = []
  for (const t of asArray(body.tools)) {
    const o = asObject(t)
    const fn = asObject(o.function)
    if (o.type === 'function' || fn.name) tools.push({name: asString(fn.name) ?? '', description: asString(fn.description) ?? undefined, parameters: fn.parameters})
    else tools.push({name: asString(o.type) ?? 'tool', parameters: o})
  }
  for (const f of asArray(body.functions)) {
    const fn = asObject(f)
    tools.push({name: asString(fn.name) ?? '', description: asString(fn.description) ?? undefined, parameters: fn.parameters})
  }
  const params: Record<string, unknown> = {}
  for (const k of PARAM_KEYS) if (body[k] !== undefined) params[k] = body[k]
  return {
    system: systemTexts.length ? systemTexts.join('\n') : null,
    messages,
    tools,
    params,
    stream: body.stream === true,
    raw: body,
  }
}

export function textOf(parts: Part[]): string {
  return parts
    .map((p) => (p.type === 'text' ? p.text : p.type === 'tool_result' ? p.content : ''))
    .join('')
}

export function argString(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === undefined || v === null) return ''
  return JSON.stringify(v)
}

export interface ParsedResponse {
  id: string | null
  model: string | null
  created: number | null
  response: CanonicalResponse
  usage: Usage
}

export function parseOpenAIChatResponse(body: Json): ParsedResponse {
  const choice = asObject(asArray(body.choices)[0])
  const message = asObject(choice.message)
  const parts = contentParts(message.content)
  const refusal = asString(message.refusal)
  let text: string | null = parts.length ? textOf(parts) : null
  if (text === null && refusal) text = refusal
  const toolCalls: ToolCall[] = asArray(message.tool_calls).map((tc) => {
    const t = asObject(tc)
    const fn = asObject(t.function)
    return {id: asString(t.id) ?? '', name: asString(fn.name) ?? '', arguments: argString(fn.arguments)}
  })
  const fc = asObject(message.function_call)
  if (fc.name) toolCalls.push({id: '', name: asString(fc.name) ?? '', arguments: argString(fc.arguments)})
  const raw = asString(choice.finish_reason)
  const reasoning = asString(message.reasoning_content) ?? asString(message.reasoning)
  return {
    id: asString(body.id),
    model: asString(body.model),
    created: num(body.created),
    response: {
      text,
      tool_calls: toolCalls,
      reasoning,
      finish_reason: refusal && !raw ? 'content_filter' : normalizeFinishReason(raw),
      finish_reason_raw: raw,
      raw: body,
    },
    usage: usageFromOpenAIChat(body.usage),
  }
}

export interface SseEvent {
  event: string | null
  data: string
}

/** An event's data as a JSON object ({} for other JSON values); null when it is not JSON ([DONE], a cut line). */
export function eventData(ev: SseEvent): Json | null {
  try {
    return asObject(JSON.parse(ev.data))
  } catch {
    return null
  }
}

/** Splits an SSE text into events (blank-line separated; `data:` lines joined with \n). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = []
  let event: string | null = null
  let data: string[] = []
  const flush = () => {
    if (data.length || event) events.push({event, data: data.join('\n')})
    event = null
    data = []
  }
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine === '') {
      flush()
      continue
    }
    if (rawLine.startsWith(':')) continue
    const idx = rawLine.indexOf(':')
    const field = idx === -1 ? rawLine : rawLine.slice(0, idx)
    let value = idx === -1 ? '' : rawLine.slice(idx + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
  }
  flush()
  return events
}

export interface AssembledStream {
  body: Json
  complete: boolean
  error: {type: string | null; message: string | null} | null
  chunks: number
}

/**
 * Assembles `chat.completion.chunk` events into one `chat.completion` body (§3): content concatenated per
 * choice, tool-call fragments joined per index, usage from the include_usage chunk. `complete` is false
 * when the stream ended without `[DONE]` (a cut stream).
 */
/** What every OpenAI chunk stream (chat and legacy completions) carries besides its choices. */
export interface OpenAIChunkStream {
  /** The data chunks in order: not `[DONE]`, not unparsable data, not error events. */
  chunks: Json[]
  /** `[DONE]` arrived. */
  complete: boolean
  /** The last error event. */
  error: AssembledStream['error']
  /** The first id, model and created a chunk names; the last usage. */
  id: string | null
  model: string | null
  created: number | null
  usage: unknown
}

export function readOpenAIChunks(events: SseEvent[]): OpenAIChunkStream {
  const out: OpenAIChunkStream = {chunks: [], complete: false, error: null, id: null, model: null, created: null, usage: null}
  for (const ev of events) {
    if (ev.data.trim() === '[DONE]') {
      out.complete = true
      continue
    }
    const chunk = eventData(ev)
    if (!chunk) continue
    if (chunk.error) {
      const e = asObject(chunk.error)
      out.error = {type: asString(e.type) ?? asString(e.code), message: asString(e.message)}
      continue
    }
    out.chunks.push(chunk)
    out.id ??= asString(chunk.id)
    out.model ??= asString(chunk.model)
    out.created ??= num(chunk.created)
    if (chunk.usage) out.usage = chunk.usage
  }
  return out
}

export function assembleOpenAIChatStream(events: SseEvent[]): AssembledStream {
  const stream = readOpenAIChunks(events)
  let fingerprint: string | null = null
  const choices = new Map<number, {content: string[]; refusal: string[]; role: string; finish: string | null; tools: Map<number, {id: string; type: string; name: string; args: string[]}>; reasoning: string[]}>()
  for (const chunk of stream.chunks) {
    fingerprint ??= asString(chunk.system_fingerprint)
    for (const c of asArray(chunk.choices)) {
      const co = asObject(c)
      const index = num(co.index) ?? 0
      let st = choices.get(index)
      if (!st) {
        st = {content: [], refusal: [], role: 'assistant', finish: null, tools: new Map(), reasoning: []}
        choices.set(index, st)
      }
      const delta = asObject(co.delta)
      if (typeof delta.role === 'string') st.role = delta.role
      if (typeof delta.content === 'string') st.content.push(delta.content)
      if (typeof delta.refusal === 'string') st.refusal.push(delta.refusal)
      if (typeof delta.reasoning_content === 'string') st.reasoning.push(delta.reasoning_content)
      for (const tc of asArray(delta.tool_calls)) {
        const t = asObject(tc)
        const ti = num(t.index) ?? 0
        let tool = st.tools.get(ti)
        if (!tool) {
          tool = {id: '', type: 'function', name: '', args: []}
          st.tools.set(ti, tool)
        }
        const fn = asObject(t.function)
        if (!tool.id && typeof t.id === 'string') tool.id = t.id
        if (!tool.name && typeof fn.name === 'string') tool.name = fn.name
        if (typeof fn.arguments === 'string') tool.args.push(fn.arguments)
      }
      if (typeof co.finish_reason === 'string') st.finish = co.finish_reason
    }
  }
  const outChoices = [...choices.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, st]) => {
      const message: Json = {role: st.role, content: st.content.length ? st.content.join('') : null}
      if (st.refusal.length) message.refusal = st.refusal.join('')
      if (st.reasoning.length) message.reasoning_content = st.reasoning.join('')
      if (st.tools.size) {
        message.tool_calls = [...st.tools.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([, t]) => ({id: t.id, type: t.type, function: {name: t.name, arguments: t.args.join('')}}))
      }
      return {index, message, finish_reason: st.finish}
    })
  const body: Json = {id: stream.id, object: 'chat.completion', created: stream.created, model: stream.model, choices: outChoices}
  if (fingerprint) body.system_fingerprint = fingerprint
  if (stream.usage) body.usage = stream.usage
  return {body, complete: stream.complete, error: stream.error, chunks: stream.chunks.length}
}

export function isOpenAIChatSse(events: SseEvent[]): boolean {
  const first = events.find((e) => e.data && e.data !== '[DONE]')
  if (!first) return false
  try {
    const o = asObject(JSON.parse(first.data))
    return o.object === 'chat.completion.chunk' || Array.isArray(o.choices)
  } catch {
    return false
  }
}
