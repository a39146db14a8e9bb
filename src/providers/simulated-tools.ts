// Structured answers: JSON that fits the request's schema, and which of the offered tools to call.
import {asArray, asObject, asString, isObject, type Json} from '../wire/index.js'
import {contentWords, type Prompt} from './simulated-prompt.js'
import {pick, type Gen} from './simulated-text.js'

const LONG_TEXT_KEYS = /answer|summary|text|description|explanation|reason|content|response|message|body|details|comment/i

export function fromSchema(schema: unknown, g: Gen, key: string, depth: number, sentence: () => string): unknown {
  const s = asObject(schema)
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length) return pick(g.base, s.enum)
  const variants = asArray(s.anyOf).length ? asArray(s.anyOf) : asArray(s.oneOf)
  if (variants.length) return fromSchema(variants.find((v) => asObject(v).type !== 'null') ?? variants[0], g, key, depth, sentence)
  let type = s.type
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0]
  if (type === undefined) type = isObject(s.properties) ? 'object' : s.items !== undefined ? 'array' : 'string'
  const word = () => g.words[Math.floor(g.base() * g.words.length) % g.words.length]!
  switch (type) {
    case 'object': {
      const out: Json = {}
      if (depth > 5) return out
      for (const [k, v] of Object.entries(asObject(s.properties))) out[k] = fromSchema(v, g, k, depth + 1, sentence)
      return out
    }
    case 'array': {
      if (depth > 5) return []
      const n = Math.max(typeof s.minItems === 'number' ? s.minItems : 0, Math.min(2, typeof s.maxItems === 'number' ? s.maxItems : 2))
      return Array.from({length: n}, () => fromSchema(s.items, g, key, depth + 1, sentence))
    }
    case 'integer':
      return Math.max(typeof s.minimum === 'number' ? s.minimum : 1, 1 + Math.floor(g.base() * 10))
    case 'number':
      return Math.round((typeof s.minimum === 'number' ? s.minimum : 0) * 100 + g.base() * 1000) / 100
    case 'boolean':
      return g.base() < 0.5
    case 'null':
      return null
    default:
      if (s.format === 'date') return '2025-01-01'
      if (s.format === 'date-time') return '2025-01-01T00:00:00Z'
      if (s.format === 'email') return 'user@example.com'
      if (LONG_TEXT_KEYS.test(key)) return sentence()
      // Search-like arguments get a phrase from the prompt, as a model would pass them on.
      if (/^(q|query|search|search_query|prompt|input|question|keywords?|topic|terms?)$/i.test(key)) return g.words.slice(0, 4).join(' ')
      return word()
  }
}

interface ToolChoice {
  tool: {name: string; description?: string; parameters?: unknown}
}

/**
 * The tool to call: the one tool_choice names, else the tool whose name/description shares most words with the
 * prompt (ties go to the first). `onlyWhenRelevant`: with tool_choice auto, no call when no tool shares a word
 * with the prompt (a model calls a tool when the question is about what the tool does). None after a tool result.
 */
export function chooseTool(p: Prompt, g: Gen, onlyWhenRelevant = false): ToolChoice | null {
  const tools = p.canonical.tools.filter((t) => t.name)
  if (!tools.length || p.afterToolResult) return null
  const tc = p.canonical.params.tool_choice
  const tco = asObject(tc)
  if (tc === 'none' || tco.type === 'none') return null
  const forced = asString(asObject(tco.function).name) ?? (tco.type === 'tool' || tco.type === 'function' ? asString(tco.name) : null)
  if (forced) {
    const t = tools.find((x) => x.name === forced)
    if (t) return {tool: t}
  }
  const mustCall = tc === 'required' || tco.type === 'any'
  const words = new Set(g.words)
  let best = tools[0]!
  let bestScore = -1
  for (const t of tools) {
    const score = contentWords(`${t.name.replace(/[_-]/g, ' ')} ${t.description ?? ''}`, 50).filter((w) => words.has(w)).length
    if (score > bestScore) {
      best = t
      bestScore = score
    }
  }
  if (onlyWhenRelevant && !mustCall && bestScore === 0) return null
  return {tool: best}
}

export function jsonMode(api: string, p: Prompt): {schema: unknown} | 'object' | null {
  if (api === 'openai.responses') {
    const f = asObject(asObject(p.canonical.params.text).format)
    if (f.type === 'json_schema') return {schema: f.schema}
    return f.type === 'json_object' ? 'object' : null
  }
  const rf = asObject(p.canonical.params.response_format)
  if (rf.type === 'json_schema') return {schema: asObject(rf.json_schema).schema}
  return rf.type === 'json_object' ? 'object' : null
}
