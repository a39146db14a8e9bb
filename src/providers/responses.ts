// OpenAI Responses API (log-formats.md §4), only what a replay needs: the terminal response object to canonical,
// and the full object taken from a stream's terminal event (not re-assembled from deltas).
import {asArray, asObject, asString, type Json} from '../formats/bodies/json.js'
import type {ParsedResponse, SseEvent} from '../formats/bodies/openai-chat.js'
import {usageFromOpenAIChat} from '../records/normalize.js'
import type {FinishReason, ToolCall} from '../records/types.js'

export function parseOpenAIResponsesResponse(body: Json): ParsedResponse {
  const texts: string[] = []
  const reasoning: string[] = []
  const toolCalls: ToolCall[] = []
  let refused = false
  for (const item of asArray(body.output)) {
    const o = asObject(item)
    if (o.type === 'message') {
      for (const c of asArray(o.content)) {
        const p = asObject(c)
        if (p.type === 'output_text' && typeof p.text === 'string') texts.push(p.text)
        else if (p.type === 'refusal' && typeof p.refusal === 'string') {
          texts.push(p.refusal)
          refused = true
        }
      }
    } else if (o.type === 'function_call') {
      toolCalls.push({id: asString(o.call_id) ?? asString(o.id) ?? '', name: asString(o.name) ?? '', arguments: asString(o.arguments) ?? ''})
    } else if (o.type === 'reasoning') {
      for (const s of asArray(o.summary)) {
        const t = asString(asObject(s).text)
        if (t) reasoning.push(t)
      }
    }
  }
  const status = asString(body.status)
  const reason = asString(asObject(body.incomplete_details).reason)
  let finish: FinishReason | null = null
  let raw: string | null = status
  if (status === 'completed') finish = toolCalls.length ? 'tool_calls' : refused ? 'content_filter' : 'stop'
  else if (status === 'incomplete') {
    raw = reason ?? status
    finish = reason === 'max_output_tokens' ? 'length' : reason === 'content_filter' ? 'content_filter' : 'other'
  } else if (status === 'failed' || status === 'cancelled') finish = 'error'
  else if (status !== null) finish = 'other'
  return {
    id: asString(body.id),
    model: asString(body.model),
    created: typeof body.created_at === 'number' ? body.created_at : null,
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

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/** The response object of the terminal event; `error` from an `error` event or a failed response. */
export function assembleResponsesStream(events: SseEvent[]): {body: Json | null; complete: boolean; error: {type: string | null; message: string | null} | null} {
  let body: Json | null = null
  let complete = false
  let error: {type: string | null; message: string | null} | null = null
  for (const ev of events) {
    let data: Json
    try {
      data = asObject(JSON.parse(ev.data))
    } catch {
      continue
    }
    const type = asString(data.type) ?? ev.event
    if (type && TERMINAL.has(type)) {
      body = asObject(data.response)
      complete = true
      if (type === 'response.failed') {
        const e = asObject(body.error)
        error = {type: asString(e.code) ?? 'response_failed', message: asString(e.message)}
      }
    } else if (type === 'response.created' || type === 'response.in_progress') {
      body ??= asObject(data.response)
    } else if (type === 'error') {
      error = {type: asString(data.code) ?? 'error', message: asString(data.message)}
    }
  }
  return {body, complete, error}
}
