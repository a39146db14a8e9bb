// content_filter on a streamed answer, event by event, in the API the events are in (Chat Completions chunks or
// Messages events): each text or tool-argument delta goes through its channel's hold-back (answer-filter.ts HeldText)
// and the event is rewritten when what may go out differs; what a channel still holds goes out when it ends (a
// choice's finish chunk, a content block's stop, the end of the stream). A blocking match stops the stream: what
// went out before it cannot be taken back.
import {asArray, isObject, type Json, type SseEvent} from '../wire/index.js'
import {HeldText, Hits, type Blocked, type ContentMatcher} from './answer-filter.js'
import type {CallerApi} from './exchange.js'

interface Channel {
  text: HeldText
  /** Chat Completions: the choice; Messages: the content block's index. */
  choice: number
  /** Messages: `content` for a text block, `tool` for a tool_use block's input. */
  field: 'content' | 'refusal' | 'tool'
  /** Chat Completions: the tool call's index (-1 otherwise). */
  tool: number
}

function parse(ev: SseEvent): Json | null {
  try {
    const v: unknown = JSON.parse(ev.data)
    return isObject(v) ? v : null
  } catch {
    return null
  }
}

/** The events of one streamed answer in, the events the caller may have out (or the block that ends the stream). */
export class AnswerStreamFilter {
  readonly hits: Hits
  private readonly channels = new Map<string, Channel>()
  /** Chat Completions: the last chunk, the model for chunks made up to flush held text. */
  private last: Json = {}

  constructor(
    private readonly matcher: ContentMatcher,
    private readonly api: CallerApi,
  ) {
    this.hits = new Hits(matcher)
  }

  push(ev: SseEvent): SseEvent[] | Blocked {
    const d = ev.data.trim() === '[DONE]' ? null : parse(ev)
    if (d === null) return ev.data.trim() === '[DONE]' ? [...this.end(), ev] : [ev]
    return this.api === 'anthropic.messages' ? this.messagesEvent(ev, d) : this.chatChunk(ev, d)
  }

  /** What every channel still holds, as events (the stream ends). */
  end(): SseEvent[] {
    const out: SseEvent[] = []
    for (const [key, ch] of this.channels) {
      const r = ch.text.push('', true)
      this.channels.delete(key)
      if ('text' in r && r.text !== '') out.push(this.api === 'anthropic.messages' ? messagesDelta(ch, r.text) : this.chatDelta(ch, r.text))
    }
    return out
  }

  private channel(key: string, init: Omit<Channel, 'text'>): Channel {
    let ch = this.channels.get(key)
    if (!ch) this.channels.set(key, (ch = {...init, text: new HeldText(this.matcher, this.hits, init.field === 'tool')}))
    return ch
  }

  /** A delta through its channel: the text to send instead (undefined: unchanged, no such field). */
  private take(key: string, init: Omit<Channel, 'text'>, value: unknown, final: boolean): string | undefined | Blocked {
    if (typeof value !== 'string' && !(final && this.channels.has(key))) return undefined
    const ch = this.channel(key, init)
    const r = ch.text.push(typeof value === 'string' ? value : '', final)
    if (final) this.channels.delete(key)
    if ('block' in r) return r.block
    return r.text === value || (value === undefined && r.text === '') ? undefined : r.text
  }

  private chatChunk(ev: SseEvent, d: Json): SseEvent[] | Blocked {
    if (d.error !== undefined) return [...this.end(), ev]
    this.last = d
    let changed = false
    for (const c of asArray(d.choices)) {
      if (!isObject(c)) continue
      const choice = typeof c.index === 'number' ? c.index : 0
      const final = c.finish_reason !== null && c.finish_reason !== undefined
      const delta: Json = isObject(c.delta) ? c.delta : {}
      for (const field of ['content', 'refusal'] as const) {
        const r = this.take(`${choice}:${field}`, {choice, field, tool: -1}, delta[field], final)
        if (r !== undefined && typeof r !== 'string') return r
        if (r === undefined) continue
        delta[field] = r
        changed = true
      }
      const calls = asArray(delta.tool_calls).filter(isObject)
      for (const tc of calls) {
        const tool = typeof tc.index === 'number' ? tc.index : 0
        const fn = isObject(tc.function) ? tc.function : {}
        const r = this.take(`${choice}:tool:${tool}`, {choice, field: 'tool', tool}, fn.arguments, final)
        if (r !== undefined && typeof r !== 'string') return r
        if (r === undefined) continue
        tc.function = {...fn, arguments: r}
        changed = true
      }
      if (final) {
        // Tool calls that held text and are not in this chunk: their rest rides on it.
        for (const [key, ch] of this.channels) {
          if (ch.choice !== choice || ch.field !== 'tool') continue
          const r = this.take(key, ch, undefined, true)
          if (r !== undefined && typeof r !== 'string') return r
          if (!r) continue
          delta.tool_calls = [...asArray(delta.tool_calls), {index: ch.tool, function: {arguments: r}}]
          changed = true
        }
      }
      if (changed) c.delta = delta
    }
    return changed ? [{event: ev.event, data: JSON.stringify(d)}] : [ev]
  }

  private chatDelta(ch: Channel, text: string): SseEvent {
    const {choices: _choices, usage, ...base} = this.last
    const delta = ch.field === 'tool' ? {tool_calls: [{index: ch.tool, function: {arguments: text}}]} : {[ch.field]: text}
    const chunk: Json = {...base, choices: [{index: ch.choice, delta, logprobs: null, finish_reason: null}]}
    if (usage !== undefined) chunk.usage = null
    return {event: null, data: JSON.stringify(chunk)}
  }

  private messagesEvent(ev: SseEvent, d: Json): SseEvent[] | Blocked {
    const type = typeof d.type === 'string' ? d.type : ev.event
    const index = typeof d.index === 'number' ? d.index : 0
    if (type === 'content_block_stop') {
      const ch = this.channels.get(String(index))
      const r = ch ? this.take(String(index), ch, undefined, true) : undefined
      if (r !== undefined && typeof r !== 'string') return r
      return r ? [messagesDelta(ch!, r), ev] : [ev]
    }
    if (type === 'message_delta' || type === 'message_stop' || type === 'error') return [...this.end(), ev]
    let r: string | undefined | Blocked
    if (type === 'content_block_start' && isObject(d.content_block) && d.content_block.type === 'text') {
      r = this.take(String(index), {choice: index, field: 'content', tool: -1}, d.content_block.text || undefined, false)
      if (typeof r === 'string') d.content_block = {...d.content_block, text: r}
    } else if (type === 'content_block_delta' && isObject(d.delta)) {
      const args = d.delta.type === 'input_json_delta'
      const field = args ? 'partial_json' : d.delta.type === 'text_delta' ? 'text' : null
      if (field === null) return [ev]
      r = this.take(String(index), {choice: index, field: args ? 'tool' : 'content', tool: -1}, d.delta[field], false)
      if (typeof r === 'string') d.delta = {...d.delta, [field]: r}
    }
    if (r !== undefined && typeof r !== 'string') return r
    return r === undefined ? [ev] : [{event: ev.event, data: JSON.stringify(d)}]
  }
}

function messagesDelta(ch: Channel, text: string): SseEvent {
  const delta = ch.field === 'tool' ? {type: 'input_json_delta', partial_json: text} : {type: 'text_delta', text}
  return {event: 'content_block_delta', data: JSON.stringify({type: 'content_block_delta', index: ch.choice, delta})}
}

/** An event as SSE text (a `data:` line per line of data). */
export function sseText(ev: SseEvent): string {
  return `${ev.event !== null ? `event: ${ev.event}\n` : ''}${ev.data
    .split('\n')
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`
}
