// Streamed answers translated between OpenAI Chat Completions chunks and Anthropic Messages events, event by event as
// they arrive (the gateway writes each translated event before the next upstream byte is read). SseSplitter cuts a
// byte stream into complete SSE events across chunk boundaries; the two translators keep the little state a stream
// needs (open content blocks, tool indexes, usage, the finish reason).
import {asArray, asObject, asString, type Json} from './json.js'
import {parseSse, type SseEvent} from './openai-chat.js'
import {anthropicStopReason, openaiFinishReason} from './translate-response.js'

const BOUNDARY = /\r?\n\r?\n/

/** Cuts SSE bytes into events; only complete events (ended by a blank line) come out. */
export class SseSplitter {
  private readonly decoder = new TextDecoder()
  private buffer = ''

  push(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, {stream: true})
    const out: SseEvent[] = []
    for (;;) {
      const m = BOUNDARY.exec(this.buffer)
      if (!m) break
      const block = this.buffer.slice(0, m.index)
      this.buffer = this.buffer.slice(m.index + m[0].length)
      out.push(...parseSse(block))
    }
    return out
  }

  /** What is left when the stream ends: a last event without its blank line still counts. */
  end(): SseEvent[] {
    const rest = this.buffer + this.decoder.decode()
    this.buffer = ''
    return rest.trim() ? parseSse(rest) : []
  }
}

function parseData(ev: SseEvent): Json | null {
  if (!ev.data || ev.data.trim() === '[DONE]') return null
  try {
    const v: unknown = JSON.parse(ev.data)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null
  } catch {
    return null
  }
}

/** Anthropic Messages events in, OpenAI `chat.completion.chunk` SSE text out (`data: [DONE]` after message_stop). */
export class AnthropicToOpenAIStream {
  private id = 'chatcmpl-kt'
  private model: unknown = null
  private readonly created = Math.floor(Date.now() / 1000)
  private readonly tools = new Map<number, number>()
  private usage = {input: 0, output: 0, cached: 0}
  private finish: string | null = null
  /** message_stop arrived: the translated stream is complete. */
  done = false

  constructor(private readonly opts: {includeUsage: boolean}) {}

  private chunk(delta: Json, finish: string | null = null): string {
    const c: Json = {id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{index: 0, delta, logprobs: null, finish_reason: finish}]}
    if (this.opts.includeUsage) c.usage = null
    return `data: ${JSON.stringify(c)}\n\n`
  }

  push(ev: SseEvent): string {
    const d = parseData(ev)
    if (!d) return ''
    const type = asString(d.type) ?? ev.event
    switch (type) {
      case 'message_start': {
        const m = asObject(d.message)
        const id = asString(m.id)
        if (id) this.id = `chatcmpl-${id}`
        this.model = m.model ?? null
        this.takeUsage(m.usage)
        return this.chunk({role: 'assistant', content: ''})
      }
      case 'content_block_start': {
        const b = asObject(d.content_block)
        if (b.type === 'tool_use') {
          const index = this.tools.size
          this.tools.set(Number(d.index ?? 0), index)
          return this.chunk({tool_calls: [{index, id: asString(b.id) ?? '', type: 'function', function: {name: asString(b.name) ?? '', arguments: ''}}]})
        }
        if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') return this.chunk({content: b.text})
        return ''
      }
      case 'content_block_delta': {
        const delta = asObject(d.delta)
        if (delta.type === 'text_delta') return this.chunk({content: asString(delta.text) ?? ''})
        if (delta.type === 'input_json_delta') {
          const index = this.tools.get(Number(d.index ?? 0)) ?? 0
          return this.chunk({tool_calls: [{index, function: {arguments: asString(delta.partial_json) ?? ''}}]})
        }
        return ''
      }
      case 'message_delta':
        this.finish = openaiFinishReason(asObject(d.delta).stop_reason) ?? this.finish
        this.takeUsage(d.usage)
        return ''
      case 'message_stop': {
        this.done = true
        let out = this.chunk({}, this.finish ?? 'stop')
        if (this.opts.includeUsage) {
          const prompt = this.usage.input
          const usage = {prompt_tokens: prompt, completion_tokens: this.usage.output, total_tokens: prompt + this.usage.output, prompt_tokens_details: {cached_tokens: this.usage.cached}}
          out += `data: ${JSON.stringify({id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage})}\n\n`
        }
        return `${out}data: [DONE]\n\n`
      }
      case 'error': {
        const e = asObject(d.error)
        return `data: ${JSON.stringify({error: {message: asString(e.message) ?? 'upstream error', type: asString(e.type) ?? 'api_error', param: null, code: null}})}\n\n`
      }
      default:
        return ''
    }
  }

  private takeUsage(u: unknown): void {
    const o = asObject(u)
    const num = (v: unknown) => (typeof v === 'number' ? v : null)
    const cached = num(o.cache_read_input_tokens)
    const input = num(o.input_tokens)
    if (input !== null) this.usage.input = input + (cached ?? 0) + (num(o.cache_creation_input_tokens) ?? 0)
    if (cached !== null) this.usage.cached = cached
    const output = num(o.output_tokens)
    if (output !== null) this.usage.output = output
  }
}

/** OpenAI `chat.completion.chunk` events in, Anthropic Messages SSE text out (message_stop after `[DONE]`). */
export class OpenAIToAnthropicStream {
  private started = false
  private id = 'msg_kt'
  private model: unknown = null
  private open: {index: number; kind: 'text' | 'tool'; tool: number | null} | null = null
  private nextIndex = 0
  private readonly toolBlocks = new Map<number, number>()
  private stopReason: string | null = null
  private usage = {input: 0, output: 0, cached: 0}
  /** `[DONE]` arrived: the translated stream is complete. */
  done = false

  private event(type: string, data: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({type, ...data})}\n\n`
  }

  private start(chunk: Json): string {
    if (this.started) return ''
    this.started = true
    const id = asString(chunk.id)
    if (id) this.id = `msg_${id.replace(/^chatcmpl-/, '')}`
    this.model = chunk.model ?? null
    return this.event('message_start', {
      message: {id: this.id, type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage: {input_tokens: 0, output_tokens: 0}},
    })
  }

  private close(): string {
    if (!this.open) return ''
    const out = this.event('content_block_stop', {index: this.open.index})
    this.open = null
    return out
  }

  push(ev: SseEvent): string {
    if (ev.data.trim() === '[DONE]') return this.finish()
    const d = parseData(ev)
    if (!d) return ''
    if (d.error) {
      const e = asObject(d.error)
      return this.event('error', {error: {type: asString(e.type) ?? 'api_error', message: asString(e.message) ?? 'upstream error'}})
    }
    let out = this.start(d)
    if (d.usage) {
      const u = asObject(d.usage)
      const cached = typeof asObject(u.prompt_tokens_details).cached_tokens === 'number' ? (asObject(u.prompt_tokens_details).cached_tokens as number) : 0
      if (typeof u.prompt_tokens === 'number') this.usage.input = Math.max(0, u.prompt_tokens - cached)
      if (typeof u.completion_tokens === 'number') this.usage.output = u.completion_tokens
      this.usage.cached = cached
    }
    const choice = asObject(asArray(d.choices)[0])
    const delta = asObject(choice.delta)
    if (typeof delta.content === 'string' && delta.content !== '') out += this.text(delta.content)
    for (const tc of asArray(delta.tool_calls)) out += this.tool(asObject(tc))
    if (typeof choice.finish_reason === 'string') this.stopReason = anthropicStopReason(choice.finish_reason)
    return out
  }

  private text(text: string): string {
    let out = ''
    if (this.open?.kind !== 'text') {
      out += this.close()
      const index = this.nextIndex++
      this.open = {index, kind: 'text', tool: null}
      out += this.event('content_block_start', {index, content_block: {type: 'text', text: ''}})
    }
    return out + this.event('content_block_delta', {index: this.open!.index, delta: {type: 'text_delta', text}})
  }

  private tool(tc: Json): string {
    let out = ''
    const toolIndex = typeof tc.index === 'number' ? tc.index : 0
    const fn = asObject(tc.function)
    let block = this.toolBlocks.get(toolIndex)
    if (block === undefined) {
      out += this.close()
      block = this.nextIndex++
      this.toolBlocks.set(toolIndex, block)
      this.open = {index: block, kind: 'tool', tool: toolIndex}
      out += this.event('content_block_start', {index: block, content_block: {type: 'tool_use', id: asString(tc.id) ?? '', name: asString(fn.name) ?? '', input: {}}})
    }
    const args = asString(fn.arguments)
    if (args) out += this.event('content_block_delta', {index: block, delta: {type: 'input_json_delta', partial_json: args}})
    return out
  }

  private finish(): string {
    if (this.done) return ''
    this.done = true
    let out = this.start({})
    out += this.close()
    const usage: Json = {output_tokens: this.usage.output, input_tokens: this.usage.input}
    if (this.usage.cached) usage.cache_read_input_tokens = this.usage.cached
    out += this.event('message_delta', {delta: {stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null}, usage})
    return out + this.event('message_stop', {})
  }
}
