// What LiteLLM logged about the answer: the response dict (an OpenAI ModelResponse, a text completion, a Responses
// object or an Anthropic body), OpenAI-normalised usage (§1.1), and the metadata worth keeping.
import {num, usageFromOpenAIChat, type Api, type Usage} from '../../records/index.js'
import {isAnthropicResponse, parseAnthropicResponse} from '../../wire/index.js'
import {asArray, asObject, type Json} from '../../wire/index.js'
import {parseOpenAIChatResponse, responseFromBody, type ParsedResponse} from '../../wire/index.js'
import {hashIdentifier, str} from '../common/values.js'
import {nonEmpty} from './request.js'


/** Response dict LiteLLM logged (OpenAI ModelResponse, text completion, Responses or Anthropic body). */
export function parseResponse(api: Api, body: Json): ParsedResponse | null {
  if (api === 'openai.responses' && (body.object === 'response' || Array.isArray(body.output))) return responseFromBody(api, body)
  if (isAnthropicResponse(body)) return parseAnthropicResponse(body)
  const choice = asObject(asArray(body.choices)[0])
  if (typeof choice.text === 'string') {
    // Text completion: `choices[0].text`.
    const parsed = parseOpenAIChatResponse({...body, choices: [{...choice, message: {role: 'assistant', content: choice.text}}]})
    return {...parsed, response: {...parsed.response, raw: body}}
  }
  if (Array.isArray(body.choices)) return parseOpenAIChatResponse(body)
  return null
}

/** LiteLLM usage is OpenAI-normalised: prompt_tokens already includes cache reads and writes (§1.1). */
export function litellmUsage(usageObj: unknown, flat: Json): Partial<Usage> {
  const u = asObject(usageObj)
  const base = usageFromOpenAIChat(u)
  const details = asObject(u.prompt_tokens_details)
  return {
    input_tokens: base.input_tokens ?? num(flat.prompt_tokens),
    output_tokens: base.output_tokens ?? num(flat.completion_tokens),
    cached_input_tokens: base.cached_input_tokens ?? num(u.cache_read_input_tokens),
    cache_write_tokens: num(u.cache_creation_input_tokens) ?? num(details.cache_creation_tokens),
    reasoning_tokens: base.reasoning_tokens,
    total_tokens: num(u.total_tokens) ?? num(flat.total_tokens),
  }
}

// LiteLLM metadata worth keeping as is; everything user_api_key_* is hashed, IPs and headers dropped.
const KEEP_META = [
  'requester_metadata', 'spend_logs_metadata', 'applied_guardrails', 'guardrail_information', 'attempted_fallbacks',
  'attempted_retries', 'max_retries', 'original_model_group', 'prompt_management_metadata', 'mcp_tool_call_metadata',
]

export function litellmMeta(m: Json, into: Json): void {
  for (const [k, v] of Object.entries(m)) {
    if (!nonEmpty(v)) continue
    if (k.startsWith('user_api_key') && k !== 'user_api_key_hash') {
      const h = hashIdentifier(v)
      if (h) into[`${k}_hash`] = h
    } else if (k === 'user_api_key_hash') {
      into.user_api_key_hash = hashIdentifier(v)
    } else if (KEEP_META.includes(k)) {
      into[k] = v
    }
  }
}

export function cacheHit(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  const s = str(v)?.toLowerCase()
  return s === 'true' ? true : s === 'false' ? false : null
}
