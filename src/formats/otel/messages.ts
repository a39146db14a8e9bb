// Prompt and completion in the four conventions LLM instrumentations use: current GenAI semconv (`gen_ai.input.messages`
// parts JSON), OpenInference (`llm.input_messages.N.message.*`), OpenLLMetry (`gen_ai.prompt.N.*`), deprecated GenAI
// (`gen_ai.prompt`/`gen_ai.completion`) and the events-based semconv. The first that has content wins.
import {num} from '../../records/index.js'
import {argString, asArray, asObject, isObject, type Json} from '../../wire/index.js'
import {toChatMessages} from '../common/messages.js'
import {outputFrom, type OutputShape} from '../common/output.js'
import {decode, str} from '../common/values.js'
import type {SpanEvent} from './otlp.js'

/** Dotted keys under a prefix → nested objects (`a.0.b` → `{0: {b}}`). */
export function unflatten(a: Json, prefix: string): Json {
  const root: Json = {}
  for (const [k, v] of Object.entries(a)) {
    if (!k.startsWith(prefix)) continue
    const path = k.slice(prefix.length).split('.')
    let cur = root
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!
      if (!isObject(cur[seg])) cur[seg] = {}
      cur = cur[seg] as Json
    }
    cur[path[path.length - 1]!] = v
  }
  return root
}

/** `{0: …, 1: …}` → array in index order. */
export function indexed(o: unknown): Json[] {
  return Object.entries(asObject(o))
    .filter(([k]) => /^\d+$/.test(k))
    .sort((x, y) => Number(x[0]) - Number(y[0]))
    .map(([, v]) => asObject(v))
}

/** OpenInference `llm.{input,output}_messages.N.message.*` → OpenAI-shaped messages. */
function openInferenceMessages(a: Json, which: 'input' | 'output'): Json[] {
  return indexed(unflatten(a, `llm.${which}_messages.`)).map((entry) => {
    const m = asObject(entry.message)
    const msg: Json = {role: str(m.role) ?? (which === 'output' ? 'assistant' : 'user')}
    const contents = indexed(m.contents).map((c) => {
      const mc = asObject(c.message_content)
      if (mc.type === 'image') return {type: 'image_url', image_url: {url: str(asObject(asObject(mc.image).image).url) ?? ''}}
      return {type: 'text', text: str(mc.text) ?? ''}
    })
    msg.content = contents.length ? contents : (m.content ?? null)
    const calls = indexed(m.tool_calls).map((t) => {
      const tc = asObject(t.tool_call)
      const fn = asObject(tc.function)
      return {id: str(tc.id) ?? '', type: 'function', function: {name: str(fn.name) ?? '', arguments: argString(fn.arguments)}}
    })
    if (calls.length) msg.tool_calls = calls
    if (str(m.tool_call_id)) msg.tool_call_id = m.tool_call_id
    if (str(m.name)) msg.name = m.name
    return msg
  })
}

/** OpenLLMetry `gen_ai.{prompt,completion}.N.*` → OpenAI-shaped messages (+ finish reasons). */
function openLlmetryMessages(a: Json, which: 'prompt' | 'completion'): Json[] {
  return indexed(unflatten(a, `gen_ai.${which}.`)).map((m) => {
    const msg: Json = {role: str(m.role) ?? (which === 'completion' ? 'assistant' : 'user'), content: decode(m.content) ?? null}
    const calls = indexed(m.tool_calls).map((t) => ({id: str(t.id) ?? '', type: 'function', function: {name: str(t.name) ?? '', arguments: argString(t.arguments)}}))
    if (calls.length) msg.tool_calls = calls
    if (str(m.tool_call_id)) msg.tool_call_id = m.tool_call_id
    if (str(m.finish_reason)) msg.finish_reason = m.finish_reason
    return msg
  })
}

const MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}

/** Span events of the events-based semconv (body as `content`/`gen_ai.event.content` attributes). */
function eventMessages(events: SpanEvent[]): {input: Json[]; output: unknown} {
  const input: Json[] = []
  let output: unknown = null
  for (const ev of events) {
    const body = decode(ev.attrs['gen_ai.event.content'] ?? ev.attrs.body)
    const fields = isObject(body) ? {...ev.attrs, ...body} : ev.attrs
    const role = MESSAGE_EVENTS[ev.name]
    if (role) {
      const m: Json = {role, content: decode(fields.content) ?? null}
      if (fields.tool_calls) m.tool_calls = decode(fields.tool_calls)
      if (role === 'tool') m.tool_call_id = str(fields.id) ?? str(fields.tool_call_id) ?? ''
      input.push(m)
    } else if (ev.name === 'gen_ai.choice' && output === null && (num(fields.index) ?? 0) === 0) {
      output = {...asObject(decode(fields.message)), finish_reason: fields.finish_reason}
    }
  }
  return {input, output}
}

function systemInstructions(v: unknown): string | null {
  const d = decode(v)
  if (typeof d === 'string') return d || null
  const texts = asArray(d)
    .map((p) => (typeof p === 'string' ? p : str(asObject(p).content) ?? str(asObject(p).text)))
    .filter((t): t is string => t !== null)
  return texts.length ? texts.join('\n') : null
}

export interface Content {
  messages: Json[] | null
  output: OutputShape | null
  convention: string
}

/** Prompt and completion in whichever convention the span uses (first that has content wins). */
export function content(a: Json, events: SpanEvent[]): Content {
  let convention = 'genai'
  let messages: Json[] | null = null
  let output: unknown = null
  if (a['gen_ai.input.messages'] !== undefined || a['gen_ai.output.messages'] !== undefined) {
    messages = toChatMessages(a['gen_ai.input.messages'])
    output = a['gen_ai.output.messages'] ?? null
  } else if (Object.keys(a).some((k) => k.startsWith('llm.input_messages.') || k.startsWith('llm.output_messages.'))) {
    convention = 'openinference'
    messages = toChatMessages(openInferenceMessages(a, 'input'))
    const outs = openInferenceMessages(a, 'output')
    output = outs.length ? outs[0] : null
  } else if (Object.keys(a).some((k) => k.startsWith('gen_ai.prompt.') || k.startsWith('gen_ai.completion.'))) {
    convention = 'openllmetry'
    messages = toChatMessages(openLlmetryMessages(a, 'prompt'))
    const outs = openLlmetryMessages(a, 'completion')
    output = outs.length ? outs[0] : null
  } else if (a['gen_ai.prompt'] !== undefined || a['gen_ai.completion'] !== undefined) {
    convention = 'genai-deprecated'
    messages = toChatMessages(a['gen_ai.prompt'])
    output = a['gen_ai.completion'] ?? null
  }
  if (messages === null && output === null && events.length) {
    const ev = eventMessages(events)
    if (ev.input.length || ev.output) convention = 'genai-events'
    messages = toChatMessages(ev.input)
    output = ev.output
  }
  // OpenInference also keeps the raw request/response text in input.value / output.value.
  if (messages === null && str(a['input.value'])) messages = toChatMessages(a['input.value'])
  if (output === null && a['output.value'] !== undefined) output = a['output.value']
  const system = systemInstructions(a['gen_ai.system_instructions'])
  if (system && messages && messages[0]?.role !== 'system') messages = [{role: 'system', content: system}, ...messages]
  return {messages, output: outputFrom(output), convention}
}
