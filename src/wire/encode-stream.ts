// A whole answer body re-told as the SSE events its API streams: OpenAI `chat.completion.chunk`s ending in
// `data: [DONE]` (a usage chunk first when the request asked for `stream_options.include_usage`), Anthropic's
// message_start … message_stop, or the Responses API's response.created … response.completed. Used where kt itself
// plays an upstream (the gateway's simulated targets); the events assemble back (the wire/ assemblers) to the same
// message.
import {asArray, asObject, asString, type Json} from './json.js'

/** Text cut into about `n` pieces at word boundaries, so a stream carries several deltas. */
export function textPieces(text: string, n = 8): string[] {
  if (text.length === 0) return []
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: string[] = []
  let at = 0
  while (at < text.length) {
    let end = Math.min(text.length, at + size)
    const space = text.indexOf(' ', end)
    if (end < text.length && space !== -1 && space - end < size) end = space + 1
    out.push(text.slice(at, end))
    at = end
  }
  return out
}

const data = (v: Json | string): string => `data: ${typeof v === 'string' ? v : JSON.stringify(v)}\n\n`
const named = (type: string, v: Json): string => `event: ${type}\ndata: ${JSON.stringify({type, ...v})}\n\n`

/** A Chat Completions body as its stream. Choice 0 only: a streamed request asking for n > 1 is not modelled. */
export function openaiChatSse(body: Json, includeUsage: boolean): string[] {
  const head = {id: asString(body.id) ?? 'chatcmpl-kt', object: 'chat.completion.chunk', created: body.created ?? Math.floor(Date.now() / 1000), model: body.model ?? null, system_fingerprint: body.system_fingerprint ?? null}
  const chunk = (delta: Json, finish: string | null = null): string => data({...head, choices: [{index: 0, delta, logprobs: null, finish_reason: finish}], ...(includeUsage ? {usage: null} : {})})
  const choice = asObject(asArray(body.choices)[0])
  const message = asObject(choice.message)
  const out = [chunk({role: 'assistant', content: '', refusal: null})]
  for (const piece of textPieces(asString(message.content) ?? '')) out.push(chunk({content: piece}))
  asArray(message.tool_calls).forEach((t, index) => {
    const call = asObject(t)
    const fn = asObject(call.function)
    out.push(chunk({tool_calls: [{index, id: call.id ?? null, type: 'function', function: {name: fn.name ?? '', arguments: ''}}]}))
    for (const piece of textPieces(asString(fn.arguments) ?? '', 4)) out.push(chunk({tool_calls: [{index, function: {arguments: piece}}]}))
  })
  out.push(chunk({}, asString(choice.finish_reason) ?? 'stop'))
  if (includeUsage) out.push(data({...head, choices: [], usage: body.usage ?? null}))
  out.push(data('[DONE]'))
  return out
}

/** An Anthropic Messages body as its stream of events. */
export function anthropicSse(body: Json): string[] {
  const usage = asObject(body.usage)
  const start = {...body, content: [], stop_reason: null, stop_sequence: null, usage: {...usage, output_tokens: 1}}
  const out = [named('message_start', {message: start})]
  asArray(body.content).forEach((b, index) => {
    const block = asObject(b)
    if (block.type === 'tool_use') {
      out.push(named('content_block_start', {index, content_block: {type: 'tool_use', id: block.id ?? null, name: block.name ?? '', input: {}}}))
      for (const piece of textPieces(JSON.stringify(block.input ?? {}), 4)) out.push(named('content_block_delta', {index, delta: {type: 'input_json_delta', partial_json: piece}}))
    } else if (block.type === 'text') {
      out.push(named('content_block_start', {index, content_block: {type: 'text', text: ''}}))
      for (const piece of textPieces(asString(block.text) ?? '')) out.push(named('content_block_delta', {index, delta: {type: 'text_delta', text: piece}}))
    } else out.push(named('content_block_start', {index, content_block: block}))
    out.push(named('content_block_stop', {index}))
  })
  out.push(named('message_delta', {delta: {stop_reason: body.stop_reason ?? 'end_turn', stop_sequence: body.stop_sequence ?? null}, usage: {output_tokens: usage.output_tokens ?? 0}}))
  out.push(named('message_stop', {}))
  return out
}

/**
 * A Responses API body as its stream: response.created, then per output item its added / delta / done events
 * (text as output_text deltas, function calls as argument deltas), then response.completed carrying the whole body.
 */
export function responsesSse(body: Json): string[] {
  let seq = 0
  const ev = (type: string, v: Json): string => named(type, {...v, sequence_number: seq++})
  const pending = {...body, status: 'in_progress', output: [], usage: null}
  const out = [ev('response.created', {response: pending}), ev('response.in_progress', {response: pending})]
  asArray(body.output).forEach((o, output_index) => {
    const item = asObject(o)
    const item_id = asString(item.id) ?? `item_${output_index}`
    if (item.type === 'message') {
      out.push(ev('response.output_item.added', {output_index, item: {...item, status: 'in_progress', content: []}}))
      asArray(item.content).forEach((c, content_index) => {
        const part = asObject(c)
        const text = asString(part.text) ?? ''
        out.push(ev('response.content_part.added', {item_id, output_index, content_index, part: {...part, text: ''}}))
        for (const delta of textPieces(text)) out.push(ev('response.output_text.delta', {item_id, output_index, content_index, delta}))
        out.push(ev('response.output_text.done', {item_id, output_index, content_index, text}))
        out.push(ev('response.content_part.done', {item_id, output_index, content_index, part}))
      })
    } else if (item.type === 'function_call') {
      const args = asString(item.arguments) ?? ''
      out.push(ev('response.output_item.added', {output_index, item: {...item, status: 'in_progress', arguments: ''}}))
      for (const delta of textPieces(args, 4)) out.push(ev('response.function_call_arguments.delta', {item_id, output_index, delta}))
      out.push(ev('response.function_call_arguments.done', {item_id, output_index, arguments: args}))
    } else out.push(ev('response.output_item.added', {output_index, item}))
    out.push(ev('response.output_item.done', {output_index, item}))
  })
  out.push(ev(body.status === 'incomplete' ? 'response.incomplete' : 'response.completed', {response: body}))
  return out
}
