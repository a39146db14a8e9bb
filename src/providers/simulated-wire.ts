// The simulated answer in the wire shape of the api it was asked in (Chat Completions, Messages, Responses), parsed
// back the way a real answer is, so everything downstream treats it alike.
import {parseAnthropicResponse, parseOpenAIChatResponse, parseResponsesResponse, type Json, type ParsedResponse} from '../wire/index.js'
import type {SimAnswer} from './simulated-answer.js'

/** Fixed `created` so that the same seed gives byte-identical raw bodies. */
const SIM_CREATED = 1735689600

export function rawFor(api: string, model: string, id: string, a: SimAnswer, inTokens: number, outTokens: number): Json {
  if (api === 'anthropic.messages') {
    const content: Json[] = []
    if (a.text !== null) content.push({type: 'text', text: a.text})
    for (const call of a.toolCalls) {
      let input: unknown
      try {
        input = JSON.parse(call.arguments)
      } catch {
        input = {}
      }
      content.push({type: 'tool_use', id: call.id, name: call.name, input})
    }
    return {
      id: `msg_sim_${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: a.finish === 'length' ? 'max_tokens' : a.finish === 'tool_calls' ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: {input_tokens: inTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outTokens},
      x_kt_simulated: true,
    }
  }
  if (api === 'openai.responses') {
    const output: Json[] = []
    if (a.text !== null) output.push({type: 'message', id: `msg_sim_${id}`, status: 'completed', role: 'assistant', content: [{type: 'output_text', text: a.text, annotations: []}]})
    a.toolCalls.forEach((call, i) => output.push({type: 'function_call', id: `fc_sim_${id}${i || ''}`, call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed'}))
    return {
      id: `resp_sim_${id}`,
      object: 'response',
      created_at: SIM_CREATED,
      status: a.finish === 'length' ? 'incomplete' : 'completed',
      incomplete_details: a.finish === 'length' ? {reason: 'max_output_tokens'} : null,
      error: null,
      model,
      output,
      usage: {input_tokens: inTokens, input_tokens_details: {cached_tokens: 0}, output_tokens: outTokens, output_tokens_details: {reasoning_tokens: 0}, total_tokens: inTokens + outTokens},
      x_kt_simulated: true,
    }
  }
  const message: Json = {role: 'assistant', content: a.text, refusal: null}
  if (a.toolCalls.length) message.tool_calls = a.toolCalls.map((call) => ({id: call.id, type: 'function', function: {name: call.name, arguments: call.arguments}}))
  return {
    id: `chatcmpl-sim-${id}`,
    object: 'chat.completion',
    created: SIM_CREATED,
    model,
    choices: [{index: 0, message, logprobs: null, finish_reason: a.finish}],
    usage: {prompt_tokens: inTokens, completion_tokens: outTokens, total_tokens: inTokens + outTokens},
    system_fingerprint: 'kt-simulated',
    x_kt_simulated: true,
  }
}

export function parseRaw(api: string, raw: Json): ParsedResponse {
  return api === 'anthropic.messages' ? parseAnthropicResponse(raw) : api === 'openai.responses' ? parseResponsesResponse(raw) : parseOpenAIChatResponse(raw)
}
