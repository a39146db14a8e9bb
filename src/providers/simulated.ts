// An offline, deterministic target. Everything it returns is a function of (request, style, seed), so runs are
// reproducible; two seeds give slightly different wording (the A/A noise a real model shows between runs).
//
// Latency: drawn from a seeded log-normal (p50/p95, describing a ~80-token answer, scaled by sqrt of the actual
// length so terse answers are faster) and REPORTED, not slept, unless `simulation.sleep: true`, so replay tests and
// demos over thousands of records stay fast. A drawn latency above the call's timeout is a timeout result either way. Errors (`error_rate`) are drawn per request AND per attempt on this client, so a
// retried request can succeed while a fresh client replays the same sequence.
import {createHash} from 'node:crypto'
import {asArray, asObject, asString, isObject, type Json} from '../wire/index.js'
import {parseAnthropicRequest, parseAnthropicResponse} from '../wire/index.js'
import {parseOpenAIChatRequest, parseOpenAIChatResponse, type ParsedResponse} from '../wire/index.js'
import {emptyUsage, type CanonicalRequest, type Message} from '../records/index.js'
import {parseResponsesResponse} from '../wire/index.js'
import {rng} from '../stats/index.js'
import {estimateRequestTokens} from './pricing.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, SimulationStyle, TargetSpec} from './types.js'

export const SIMULATED_STYLES: readonly SimulationStyle[] = ['faithful', 'terse', 'truncate', 'refuse', 'verbose']
const DEFAULT_LATENCY = {p50: 600, p95: 2000}
const DEFAULT_TIMEOUT_MS = 120_000
/** Fixed `created` so that the same seed gives byte-identical raw bodies. */
const SIM_CREATED = 1735689600

// ---------------------------------------------------------------- deterministic randomness
// (The generator is stats' mulberry32 `rng`; seeds from seedFrom are unsigned 32-bit, so any seed is valid.)

export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0)
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** Identity of a request for the simulator: the body without model and streaming knobs. */
export function requestDigest(body: Json): string {
  const {model: _m, stream: _s, stream_options: _so, ...rest} = body
  return createHash('sha256').update(stableStringify(rest)).digest('hex')
}

/** `latency_ms` describes an answer of about this many tokens; shorter/longer answers scale by the square root. */
const REFERENCE_OUTPUT_TOKENS = 80

export function lengthFactor(outputTokens: number): number {
  return Math.min(2, Math.max(0.5, Math.sqrt((outputTokens + 20) / (REFERENCE_OUTPUT_TOKENS + 20))))
}

/** Log-normal with the given median and 95th percentile, from two uniforms (Box–Muller). */
export function drawLatency(spec: number | {p50: number; p95: number} | undefined, u1: number, u2: number): number {
  const {p50, p95} = typeof spec === 'number' ? {p50: spec, p95: spec * 2} : spec ?? DEFAULT_LATENCY
  if (p50 <= 0) return 0
  const mu = Math.log(p50)
  const sigma = Math.max(0, (Math.log(Math.max(p95, p50)) - mu) / 1.6449)
  const z = Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2)
  return Math.round(Math.exp(mu + sigma * z))
}

// ---------------------------------------------------------------- prompt analysis

const STOPWORDS = new Set(
  ('a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing ' +
    'down during each either else even ever every few for from further get gets give given go going had has have having he her here hers him his how however i if in ' +
    'into is it its itself just know let like make many may me might more most much must my need no nor not now of off on once one only or other our out over own ' +
    'please really same say see she should show so some such tell than that the their them then there these they thing things this those through to too under until ' +
    'up us use used using very want was way we well were what when where which while who whom why will with within without would write you your yours ' +
    'answer question explain describe give provide assistant user system help following below above example examples sure okay ok ' +
    // Request verbs and prepositions make poor topics ("an overview of configure").
    'configure create build implement write compare summarize summarise list find improve choose generate translate calculate design ' +
    'plan understand learn debug setup behind across around among toward towards upon onto beside beyond inside outside along best ' +
    'good better able whether something anything everything')
    .split(' '),
)

export function contentWords(text: string, limit = 12): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const m of text.matchAll(/[\p{L}][\p{L}\p{N}'-]*/gu)) {
    const w = m[0].toLowerCase().replace(/^['-]+|['-]+$/g, '')
    if (w.length < 4 || STOPWORDS.has(w) || seen.has(w)) continue
    seen.add(w)
    out.push(w)
    if (out.length >= limit) break
  }
  return out
}

function partsText(m: Message | undefined): string {
  if (!m) return ''
  return m.parts.map((p) => (p.type === 'text' ? p.text : p.type === 'tool_result' ? p.content : '')).join(' ')
}

interface Prompt {
  canonical: CanonicalRequest
  lastUser: string
  afterToolResult: boolean
  toolResultText: string
}

function responsesToCanonical(body: Json): CanonicalRequest {
  const messages: Message[] = []
  const system = asString(body.instructions)
  if (system) messages.push({role: 'system', parts: [{type: 'text', text: system}]})
  if (typeof body.input === 'string') messages.push({role: 'user', parts: [{type: 'text', text: body.input}]})
  for (const item of asArray(body.input)) {
    const o = asObject(item)
    if (o.type === 'function_call_output') {
      messages.push({role: 'tool', parts: [{type: 'tool_result', tool_call_id: asString(o.call_id) ?? '', content: asString(o.output) ?? ''}]})
    } else if (typeof o.role === 'string') {
      const content = typeof o.content === 'string' ? o.content : asArray(o.content).map((c) => asString(asObject(c).text) ?? '').join('')
      messages.push({role: o.role as Message['role'], parts: [{type: 'text', text: content}]})
    }
  }
  const tools = asArray(body.tools)
    .map(asObject)
    .filter((t) => t.type === 'function')
    .map((t) => ({name: asString(t.name) ?? '', description: asString(t.description) ?? undefined, parameters: t.parameters}))
  return {system, messages, tools, params: {tool_choice: body.tool_choice, max_tokens: body.max_output_tokens, text: body.text}, stream: body.stream === true, raw: body}
}

function analyse(api: string, body: Json): Prompt {
  const canonical = api === 'anthropic.messages' ? parseAnthropicRequest(body) : api === 'openai.responses' ? responsesToCanonical(body) : parseOpenAIChatRequest(body)
  const msgs = canonical.messages.filter((m) => m.role !== 'system' && m.role !== 'developer')
  const last = msgs[msgs.length - 1]
  const afterToolResult = !!last && (last.role === 'tool' || last.parts.some((p) => p.type === 'tool_result'))
  let lastUser = ''
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!
    if (m.role === 'user' && m.parts.some((p) => p.type === 'text')) {
      lastUser = m.parts.map((p) => (p.type === 'text' ? p.text : '')).join(' ')
      break
    }
  }
  if (!lastUser) lastUser = partsText(last) || canonical.system || ''
  return {canonical, lastUser, afterToolResult, toolResultText: afterToolResult ? partsText(last) : ''}
}

// ---------------------------------------------------------------- text generation

/** `[x|y]` marks wording alternatives: the request fixes the template, the seed occasionally picks another option. */
const BODY = [
  'The main point about {a} is that it [depends on|is shaped by] {b}.',
  'In practice, {a} works best when {b} is [clearly defined|well understood].',
  'A [practical|sensible] first step is to look at how {a} relates to {b}.',
  'When {a} changes, {b} [usually|often] needs to be reviewed as well.',
  'Most problems with {a} come from [overlooking|underestimating] {b}.',
  'It [helps|is useful] to compare {a} with {b} before making a decision.',
  'For {a}, the [simplest|most straightforward] reliable option is [usually|often] the right one.',
  'Keep in mind that {a} and {b} can [trade off against|pull against] each other.',
  'A good way to check {a} is to test it against {b} with a few [concrete|real] examples.',
  'If {b} is a constraint, {a} should be [planned|adjusted] around it.',
  '{A} also [benefits from|gains from] attention to {b} early on.',
  'Overall, {a} is [manageable|straightforward] once {b} is [clear|settled].',
]
const OPENING = ['[Here is|This is] a [short|brief] overview of {topic}.', '[Good question|Sure]: {topic} [comes down to|is about] a few [key|main] points.']
const CLOSING = ['[Let me know|Feel free to ask] if you want more detail on {a}.', '[I hope this helps|Hopefully this helps] with {a}.']
const TERSE = ['{A} [mostly|largely] depends on {b}.', '{A}: [in short|briefly], focus on {b}.']
const REFUSALS = ["[I'm sorry, but|Unfortunately,] I can't help with [that request|this request about {a}].", "I'm not able to [assist|help] with {a}."]
const REFUSAL_TAIL = ['[Is there something else|Is there anything else] I can help with?', 'I can help with a related, [safer|different] question instead.']
const AFTER_TOOL = ['Based on the tool result, {a} [looks|appears] consistent with {b}.', 'The tool returned [information|details] about {a}, which [answers|addresses] the question about {b}.']

interface Gen {
  /** Structure choices: fixed by the request (and style). */
  base: () => number
  /** Wording choices: vary with the seed. */
  vary: () => number
  words: string[]
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length) % items.length]!
}

function fill(g: Gen, template: string, slot: number): string {
  const w = g.words
  const a = w[slot % w.length]!
  const b = w[(slot + 1 + Math.floor(g.base() * Math.max(1, w.length - 1))) % w.length] ?? a
  const topic = w.slice(0, Math.min(3, w.length)).join(', ').replace(/, ([^,]*)$/, ' and $1')
  const text = template
    .replace(/\[([^\]]+)\]/g, (_m, alts: string) => {
      const options = alts.split('|')
      // Draw both every time so that one sentence's choice never shifts the next sentence's stream.
      const baseIdx = Math.floor(g.base() * options.length) % options.length
      // ~45% of alternatives flip to a different option: two seeds nearly always differ, but only slightly.
      const flip = g.vary() < 0.45
      const alt = (baseIdx + 1 + Math.floor(g.vary() * (options.length - 1))) % options.length
      return options[flip && options.length > 1 ? alt : baseIdx]!
    })
    .replace(/\{A\}/g, cap(a))
    .replace(/\{a\}/g, a)
    .replace(/\{b\}/g, b === a ? `${a} itself` : b)
    .replace(/\{topic\}/g, topic)
  return cap(text)
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function sentences(g: Gen, n: number, offset: number): string[] {
  const out: string[] = []
  const start = Math.floor(g.base() * BODY.length)
  for (let i = 0; i < n; i++) out.push(fill(g, BODY[(start + i * 5) % BODY.length]!, offset + i))
  return out
}

function faithfulText(g: Gen): string {
  const n = 3 + Math.floor(g.base() * 3)
  const parts = [fill(g, pick(g.base, OPENING), 0), ...sentences(g, n, 1)]
  const closing = fill(g, pick(g.base, CLOSING), n + 1)
  if (g.vary() < 0.75) parts.push(closing)
  return parts.join(' ')
}

function verboseText(g: Gen): string {
  const n = 8 + Math.floor(g.base() * 3)
  const body = sentences(g, n, 1)
  const restate = (s: string) => s.charAt(0).toLowerCase() + s.slice(1)
  const parts = [fill(g, pick(g.base, OPENING), 0), ...body]
  parts.push(`To put it another way, ${restate(body[1 % body.length]!)}`)
  parts.push(`In summary, ${restate(body[0]!)}`)
  parts.push(`As mentioned above, ${restate(body[2 % body.length]!)}`)
  parts.push(fill(g, pick(g.base, CLOSING), n + 1))
  return parts.join(' ')
}

function terseText(g: Gen): string {
  return fill(g, pick(g.base, TERSE), 0)
}

function refusalText(g: Gen): string {
  return `${fill(g, pick(g.base, REFUSALS), 0)} ${fill(g, pick(g.base, REFUSAL_TAIL), 1)}`
}

/** Cut at 45–70% of the text on a word boundary, never right after a full stop. */
function cutMidSentence(text: string, u: number): string {
  let at = Math.floor(text.length * (0.45 + 0.25 * u))
  at = text.lastIndexOf(' ', at)
  if (at <= 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2)))
  let cut = text.slice(0, at)
  while (/[.!?:]$/.test(cut) && cut.lastIndexOf(' ') > 0) cut = cut.slice(0, cut.lastIndexOf(' '))
  return cut
}

// ---------------------------------------------------------------- JSON and tools

const LONG_TEXT_KEYS = /answer|summary|text|description|explanation|reason|content|response|message|body|details|comment/i

function fromSchema(schema: unknown, g: Gen, key: string, depth: number, sentence: () => string): unknown {
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

function chooseTool(p: Prompt, g: Gen): ToolChoice | null {
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
  // The tool whose name/description shares most words with the prompt; ties go to the first.
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
  return {tool: best}
}

function jsonMode(api: string, p: Prompt): {schema: unknown} | 'object' | null {
  if (api === 'openai.responses') {
    const f = asObject(asObject(p.canonical.params.text).format)
    if (f.type === 'json_schema') return {schema: f.schema}
    return f.type === 'json_object' ? 'object' : null
  }
  const rf = asObject(p.canonical.params.response_format)
  if (rf.type === 'json_schema') return {schema: asObject(rf.json_schema).schema}
  return rf.type === 'json_object' ? 'object' : null
}

// ---------------------------------------------------------------- the answer

interface SimAnswer {
  text: string | null
  toolCall: {id: string; name: string; arguments: string} | null
  finish: 'stop' | 'length' | 'tool_calls'
}

function styleOf(target: TargetSpec): SimulationStyle {
  const s = target.simulation?.style
  if (s) return s
  const fromModel = (target.model ?? '').replace(/^sim(ulated)?[-:]/, '')
  return (SIMULATED_STYLES as readonly string[]).includes(fromModel) ? (fromModel as SimulationStyle) : 'faithful'
}

export function simulateAnswer(target: TargetSpec, api: string, body: Json, digest: string): SimAnswer {
  const style = styleOf(target)
  const seed = target.simulation?.seed ?? 0
  const p = analyse(api, body)
  const words = contentWords(p.lastUser)
  const g: Gen = {
    base: rng(seedFrom('base', digest, style)),
    vary: rng(seedFrom('vary', digest, style, seed)),
    words: words.length ? words : ['this', 'request'],
  }
  const truncateRate = target.simulation?.truncate_rate ?? 0
  let truncate = style === 'truncate' || rng(seedFrom('truncate', digest, seed))() < truncateRate
  const cutU = rng(seedFrom('cut', digest, seed))()

  let text: string | null
  let toolCall: SimAnswer['toolCall'] = null
  let finish: SimAnswer['finish'] = 'stop'
  const sentence = () => (style === 'terse' ? terseText(g) : faithfulText(g))
  const choice = style === 'refuse' ? null : chooseTool(p, g)
  const json = jsonMode(api, p)
  if (style === 'refuse') text = refusalText(g)
  else if (choice) {
    const args = fromSchema(choice.tool.parameters ?? {type: 'object', properties: {}}, g, '', 0, sentence)
    const idPrefix = api === 'anthropic.messages' ? 'toolu_sim_' : 'call_sim_'
    toolCall = {id: `${idPrefix}${digest.slice(0, 20)}`, name: choice.tool.name, arguments: JSON.stringify(isObject(args) ? args : {value: args})}
    text = null
    finish = 'tool_calls'
  } else if (json) {
    const value = json === 'object' ? {answer: sentence(), topics: g.words.slice(0, 3)} : fromSchema(json.schema, g, '', 0, sentence)
    text = style === 'verbose' ? JSON.stringify(value, null, 2) : JSON.stringify(value)
  } else if (p.afterToolResult) {
    const toolWords = contentWords(p.toolResultText)
    const g2: Gen = {...g, words: [...new Set([...g.words.slice(0, 3), ...toolWords.slice(0, 3)])]}
    text = fill(g2, pick(g.base, AFTER_TOOL), 0)
    if (style !== 'terse') text += ` ${sentences(g2, style === 'verbose' ? 5 : 2, 1).join(' ')}`
  } else text = style === 'terse' ? terseText(g) : style === 'verbose' ? verboseText(g) : faithfulText(g)

  // max_tokens is honoured like a real model: the answer stops there.
  const maxTokens = [p.canonical.params.max_completion_tokens, p.canonical.params.max_tokens].find((v): v is number => typeof v === 'number')
  const produced = (text?.length ?? 0) + (toolCall?.arguments.length ?? 0)
  if (maxTokens !== undefined && Math.ceil(produced / 4) > maxTokens) truncate = true
  if (truncate && style !== 'refuse') {
    if (toolCall) toolCall = {...toolCall, arguments: cutMidSentence(toolCall.arguments, cutU)}
    else if (text !== null) text = cutMidSentence(text, cutU)
    if (maxTokens !== undefined) {
      if (text !== null && text.length > maxTokens * 4) text = text.slice(0, Math.max(1, maxTokens * 4))
      if (toolCall && toolCall.arguments.length > maxTokens * 4) toolCall = {...toolCall, arguments: toolCall.arguments.slice(0, Math.max(1, maxTokens * 4))}
    }
    finish = 'length'
  }
  return {text, toolCall, finish}
}

// ---------------------------------------------------------------- wire shapes

function rawFor(api: string, model: string, id: string, a: SimAnswer, inTokens: number, outTokens: number): Json {
  if (api === 'anthropic.messages') {
    const content: Json[] = []
    if (a.text !== null) content.push({type: 'text', text: a.text})
    if (a.toolCall) {
      let input: unknown
      try {
        input = JSON.parse(a.toolCall.arguments)
      } catch {
        input = {}
      }
      content.push({type: 'tool_use', id: a.toolCall.id, name: a.toolCall.name, input})
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
    if (a.toolCall) output.push({type: 'function_call', id: `fc_sim_${id}`, call_id: a.toolCall.id, name: a.toolCall.name, arguments: a.toolCall.arguments, status: 'completed'})
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
  if (a.toolCall) message.tool_calls = [{id: a.toolCall.id, type: 'function', function: {name: a.toolCall.name, arguments: a.toolCall.arguments}}]
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

function parseRaw(api: string, raw: Json): ParsedResponse {
  return api === 'anthropic.messages' ? parseAnthropicResponse(raw) : api === 'openai.responses' ? parseResponsesResponse(raw) : parseOpenAIChatResponse(raw)
}

const SIM_ERRORS = [
  {status: 429, openai: {type: 'requests', code: 'rate_limit_exceeded'}, anthropic: {type: 'rate_limit_error', code: null}, message: 'simulated rate limit', retry_after_ms: 1000},
  {status: 500, openai: {type: 'server_error', code: null}, anthropic: {type: 'api_error', code: null}, message: 'simulated internal error', retry_after_ms: null},
  {status: 503, openai: {type: 'server_error', code: 'service_unavailable'}, anthropic: {type: 'api_error', code: null}, message: 'simulated service unavailable', retry_after_ms: null},
  {status: 529, openai: {type: 'server_error', code: 'overloaded'}, anthropic: {type: 'overloaded_error', code: null}, message: 'simulated overload', retry_after_ms: null},
] as const

function abortable(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      resolve(false)
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

export function createSimulatedClient(target: TargetSpec): ProviderClient {
  const attempts = new Map<string, number>()
  return {
    target,
    nativeApi: 'any',
    async call(req: CallRequest, opts: CallOptions = {}): Promise<CallResult> {
      const api = req.api === 'anthropic.messages' || req.api === 'openai.responses' ? req.api : 'openai.chat'
      // A target without a model answers as the model the request names.
      const model = target.model ?? (typeof req.body.model === 'string' ? req.body.model : `simulated-${styleOf(target)}`)
      const base: CallResult = {
        status: 'ok',
        http_status: 200,
        error: null,
        retryable: false,
        retry_after_ms: null,
        response: null,
        usage: emptyUsage(),
        response_model: model,
        request_id: null,
        latency_ms: 0,
        ttft_ms: null,
        translation_losses: [],
        api,
        simulated: true,
      }
      if (opts.signal?.aborted) return {...base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}, response_model: null}
      if (req.api !== api && req.api !== 'openai.chat' && !Array.isArray(req.body.messages)) {
        return {...base, status: 'error', http_status: null, error: {type: 'kt_unsupported', code: null, message: `simulated target "${target.id}" cannot answer api "${req.api}"`}, response_model: null}
      }
      const sim = target.simulation ?? {}
      const seed = sim.seed ?? 0
      const digest = requestDigest(req.body)
      const attempt = attempts.get(digest) ?? 0
      attempts.set(digest, attempt + 1)
      // Style is part of the draw: two styles must not show identical latencies on every request.
      const draw = rng(seedFrom('call', digest, seed, attempt, styleOf(target)))
      const baseLatency = drawLatency(sim.latency_ms, draw(), draw())
      const stream = req.stream ?? req.body.stream === true
      const timeoutMs = opts.timeoutMs ?? target.timeout_ms ?? DEFAULT_TIMEOUT_MS
      const requestId = `sim_${digest.slice(0, 16)}`

      if ((sim.error_rate ?? 0) > 0 && draw() < (sim.error_rate ?? 0)) {
        const e = SIM_ERRORS[Math.floor(draw() * SIM_ERRORS.length) % SIM_ERRORS.length]!
        const kind = api === 'anthropic.messages' ? e.anthropic : e.openai
        const errLatency = Math.max(1, Math.round(baseLatency * 0.1))
        if (sim.sleep && !(await abortable(errLatency, opts.signal))) return {...base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}}
        return {
          ...base,
          status: 'error',
          http_status: e.status,
          error: {type: kind.type, code: kind.code, message: e.message},
          retryable: true,
          retry_after_ms: e.retry_after_ms,
          response_model: null,
          request_id: requestId,
          latency_ms: errLatency,
        }
      }
      const answer = simulateAnswer(target, api, req.body, digest)
      const inTokens = Math.max(1, estimateRequestTokens(req.body))
      const outTokens = Math.max(1, Math.ceil(((answer.text?.length ?? 0) + (answer.toolCall ? answer.toolCall.arguments.length + answer.toolCall.name.length : 0)) / 4))
      const latency = Math.round(baseLatency * lengthFactor(outTokens))
      if (latency > timeoutMs) {
        if (sim.sleep && !(await abortable(timeoutMs, opts.signal))) return {...base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}}
        return {...base, status: 'timeout', http_status: null, error: {type: 'timeout', code: null, message: `no complete response within ${timeoutMs} ms`}, retryable: true, response_model: null, latency_ms: timeoutMs}
      }
      if (sim.sleep && !(await abortable(latency, opts.signal))) return {...base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}}

      const raw = rawFor(api, model, `${digest.slice(0, 20)}${seed ? `_${seed}` : ''}`, answer, inTokens, outTokens)
      const parsed = parseRaw(api, raw)
      return {
        ...base,
        response: parsed.response,
        usage: parsed.usage,
        response_model: parsed.model,
        request_id: requestId,
        latency_ms: latency,
        ttft_ms: stream ? Math.round(latency * (0.15 + 0.2 * draw())) : null,
      }
    },
  }
}
