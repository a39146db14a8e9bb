// What LiteLLM logged about the request (docs/log-formats.md §7): the call type (which api, or a skip), the provider,
// whether message logging was off, and a request body in the call's own shape synthesised from the messages and
// the optional params, which LiteLLM logs separately.
import type {Api, Provider} from '../../records/index.js'
import {asArray, asObject, isObject, type Json} from '../../wire/index.js'
import {promptText, synthBody, synthBodyWith} from '../common/body.js'
import {toChatMessages} from '../common/messages.js'
import {decode, str} from '../common/values.js'


/** What LiteLLM writes in place of prompts and completions when message logging is off. */
export const LITELLM_REDACTED = 'redacted-by-litellm'

const CALL_APIS: Record<string, Api> = {
  completion: 'openai.chat',
  acompletion: 'openai.chat',
  text_completion: 'openai.completions',
  atext_completion: 'openai.completions',
  responses: 'openai.responses',
  aresponses: 'openai.responses',
  anthropic_messages: 'anthropic.messages',
  aanthropic_messages: 'anthropic.messages',
}

export function apiOf(callType: string | null): Api | {skip: string} {
  if (callType && CALL_APIS[callType]) return CALL_APIS[callType]!
  return {skip: `LiteLLM call_type "${callType ?? '(none)'}" is not a chat or text generation (embeddings, images, audio, moderation, rerank, batches are not imported)`}
}

const PROVIDERS: Record<string, Provider> = {
  azure: 'azure_openai',
  azure_openai: 'azure_openai',
  vertex_ai: 'vertex',
  vertex_ai_beta: 'vertex',
  gemini: 'google',
  google: 'google',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  text_completion_openai: 'openai',
}

/** kt provider from LiteLLM's `custom_llm_provider` (unknown names are kept as they are). */
export function providerFromLitellm(p: unknown): Provider | null {
  const s = str(p)?.toLowerCase()
  if (!s) return null
  return PROVIDERS[s] ?? s
}

function isRedactedText(v: unknown): boolean {
  if (v === LITELLM_REDACTED) return true
  return Array.isArray(v) && v.length > 0 && v.every((p) => asObject(p).text === LITELLM_REDACTED)
}

/** Message logging off: LiteLLM replaces the prompt (string or every message's content) with its sentinel. */
export function isRedacted(messages: unknown): boolean {
  if (messages === LITELLM_REDACTED) return true
  const list = asArray(messages)
  return list.length > 0 && list.every((m) => isRedactedText(asObject(m).content))
}

export function nonEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return false
  if (typeof v === 'string') return v.trim() !== '' && v.trim() !== '{}' && v.trim() !== '[]'
  if (Array.isArray(v)) return v.length > 0
  return isObject(v) ? Object.keys(v).length > 0 : true
}

/** Request body from what LiteLLM logged: `{model, messages, ...model_parameters}` in the call's own shape. */
export function synthesise(api: Api, model: string | null, messages: unknown, params: Json, stream: boolean): Json | null {
  const extra: Json = stream ? {stream: true} : {}
  if (api === 'openai.completions') {
    const chat = typeof messages === 'string' ? null : toChatMessages(messages)
    const prompt = typeof messages === 'string' ? messages : chat ? promptText(chat) : null
    if (!prompt) return null
    return synthBodyWith(model, 'prompt', prompt, params, extra)
  }
  if (api === 'openai.responses') {
    if (!nonEmpty(messages)) return null
    return synthBodyWith(model, 'input', messages, params, extra)
  }
  // Chat and Anthropic messages are logged in their own wire format: kept verbatim.
  const list = typeof messages === 'string' ? [{role: 'user', content: messages}] : asArray(messages)
  if (list.length === 0 || !list.every(isObject)) return null
  return synthBody(model, list as Json[], params, extra)
}

/**
 * The session id of a call: LiteLLM's own `session_id` (SpendLogs column, payload field), else the metadata's
 * `session_id` or `litellm_session_id`, else the one the client sent in `requester_metadata`.
 */
export function sessionOf(o: Json, meta: Json): string | null {
  return str(o.session_id) ?? str(meta.session_id) ?? str(meta.litellm_session_id) ?? str(asObject(decode(meta.requester_metadata)).session_id)
}

/** `metadata.is_silent_experiment`: LiteLLM's shadow call to another model, made beside the one the user got. */
export function isSilentExperiment(meta: Json): boolean {
  const v = meta.is_silent_experiment
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true')
}
