// Legacy OpenAI Completions (`/v1/completions`): prompt in, text out. Imported for reports, never replayed.
import {normalizeFinishReason, num, usageFromOpenAIChat} from '../records/index.js'
import type {CanonicalRequest} from '../records/index.js'
import {asArray, asObject, asString, type Json} from './json.js'
import {readOpenAIChunks, type AssembledStream, type ParsedResponse, type SseEvent} from './openai-chat.js'

export function parseCompletionsRequest(body: Json): CanonicalRequest {
  const prompt = Array.isArray(body.prompt) ? body.prompt.filter((p): p is string => typeof p === 'string').join('\n') : asString(body.prompt)
  const params: Record<string, unknown> = {}
  for (const k of ['max_tokens', 'temperature', 'top_p', 'n', 'stop', 'seed', 'logprobs', 'echo', 'suffix', 'presence_penalty', 'frequency_penalty', 'best_of', 'user']) {
    if (body[k] !== undefined) params[k] = body[k]
  }
  return {
    system: null,
    messages: prompt !== null ? [{role: 'user', parts: [{type: 'text', text: prompt}]}] : [],
    tools: [],
    params,
    stream: body.stream === true,
    raw: body,
  }
}

export function isCompletionsResponse(v: unknown): boolean {
  const o = asObject(v)
  return o.object === 'text_completion' || (Array.isArray(o.choices) && typeof asObject(asArray(o.choices)[0]).text === 'string')
}

export function parseCompletionsResponse(body: Json): ParsedResponse {
  const choice = asObject(asArray(body.choices)[0])
  const raw = asString(choice.finish_reason)
  return {
    id: asString(body.id),
    model: asString(body.model),
    created: num(body.created),
    response: {text: asString(choice.text), tool_calls: [], reasoning: null, finish_reason: normalizeFinishReason(raw), finish_reason_raw: raw, raw: body},
    usage: usageFromOpenAIChat(body.usage),
  }
}

export function assembleCompletionsStream(events: SseEvent[]): AssembledStream {
  const stream = readOpenAIChunks(events)
  const choices = new Map<number, {text: string[]; finish: string | null}>()
  for (const chunk of stream.chunks) {
    for (const c of asArray(chunk.choices)) {
      const co = asObject(c)
      const index = num(co.index) ?? 0
      const st = choices.get(index) ?? {text: [], finish: null}
      choices.set(index, st)
      if (typeof co.text === 'string') st.text.push(co.text)
      if (typeof co.finish_reason === 'string') st.finish = co.finish_reason
    }
  }
  const out = [...choices.entries()].sort((a, b) => a[0] - b[0]).map(([index, st]) => ({index, text: st.text.join(''), finish_reason: st.finish}))
  const body: Json = {id: stream.id, object: 'text_completion', created: stream.created, model: stream.model, choices: out}
  if (stream.usage) body.usage = stream.usage
  return {body, complete: stream.complete, error: stream.error, chunks: stream.chunks.length}
}

