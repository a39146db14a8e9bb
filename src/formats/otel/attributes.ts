// Span attributes → record fields (docs/log-formats.md §10 table): provider, tokens, request parameters, tools and
// the finish reason, from whichever convention set them.
import {num, type Provider, type Usage} from '../../records/index.js'
import {asArray, asObject, isObject, type Json} from '../../wire/index.js'
import {decode, str} from '../common/values.js'
import {indexed, unflatten} from './messages.js'

const PROVIDERS: Record<string, Provider> = {
  openai: 'openai',
  'azure.ai.openai': 'azure_openai',
  'az.ai.openai': 'azure_openai',
  azure_openai: 'azure_openai',
  azure: 'azure_openai',
  anthropic: 'anthropic',
  'aws.bedrock': 'bedrock',
  bedrock: 'bedrock',
  'gcp.vertex_ai': 'vertex',
  vertex_ai: 'vertex',
  vertexai: 'vertex',
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  gemini: 'google',
  google: 'google',
  groq: 'groq',
}

export function providerOf(a: Json): Provider | null {
  const raw = str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']) ?? str(a['llm.provider']) ?? str(a['llm.system'])
  if (!raw) return null
  const s = raw.toLowerCase()
  return PROVIDERS[s] ?? s
}

export function first(a: Json, keys: string[]): number | null {
  for (const k of keys) {
    const n = num(a[k])
    if (n !== null) return n
  }
  return null
}

export function usageOf(a: Json): Partial<Usage> {
  return {
    input_tokens: first(a, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens']),
    output_tokens: first(a, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens']),
    cached_input_tokens: first(a, ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt_details.cache_read']),
    cache_write_tokens: first(a, ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write']),
    reasoning_tokens: first(a, ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'llm.token_count.completion_details.reasoning']),
    total_tokens: first(a, ['llm.token_count.total', 'llm.usage.total_tokens', 'gen_ai.usage.total_tokens']),
  }
}

const PARAM_ATTRS: [string, string][] = [
  ['gen_ai.request.temperature', 'temperature'],
  ['gen_ai.request.top_p', 'top_p'],
  ['gen_ai.request.max_tokens', 'max_tokens'],
  ['gen_ai.request.stop_sequences', 'stop'],
  ['gen_ai.request.seed', 'seed'],
  ['gen_ai.request.frequency_penalty', 'frequency_penalty'],
  ['gen_ai.request.presence_penalty', 'presence_penalty'],
  ['gen_ai.request.choice.count', 'n'],
  ['llm.frequency_penalty', 'frequency_penalty'],
  ['llm.presence_penalty', 'presence_penalty'],
]

export function paramsOf(a: Json): {params: Json; invocation: Json} {
  const params: Json = {}
  for (const [attr, key] of PARAM_ATTRS) {
    const v = decode(a[attr])
    if (v === undefined || v === null || v === '') continue
    if (key === 'n' && num(v) === 1) continue
    params[key] ??= v
  }
  // OpenInference records the actual request parameters as one JSON string: they take precedence.
  const invocation = asObject(decode(a['llm.invocation_parameters']))
  for (const [k, v] of Object.entries(invocation)) if (v !== null && k !== 'messages' && k !== 'tools') params[k] = v
  if (a['gen_ai.request.stream'] === true || a['llm.is_streaming'] === true) params.stream = true
  return {params, invocation}
}

function normTool(t: unknown): Json | null {
  const o = asObject(decode(t))
  if (o.type === 'function' && isObject(o.function)) return o
  const name = str(o.name)
  if (!name) return null
  const fn: Json = {name}
  if (str(o.description)) fn.description = o.description
  const params = decode(o.parameters ?? o.input_schema)
  if (params !== undefined && params !== null) fn.parameters = params
  return {type: 'function', function: fn}
}

export function toolsOf(a: Json, invocation: Json): Json[] {
  const raw: unknown[] = [...asArray(decode(a['gen_ai.tool.definitions'])), ...asArray(invocation.tools)]
  for (const t of indexed(unflatten(a, 'llm.tools.'))) raw.push(asObject(t.tool).json_schema)
  for (const f of indexed(unflatten(a, 'llm.request.functions.'))) raw.push(f)
  return raw.map(normTool).filter((t): t is Json => t !== null)
}

export function finishReasons(a: Json): string | null {
  const v = decode(a['gen_ai.response.finish_reasons'])
  if (Array.isArray(v)) return str(v[0])
  return str(v)?.split(',')[0]?.trim() ?? null
}
