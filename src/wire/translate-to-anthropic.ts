// OpenAI Chat Completions request → Anthropic Messages request (docs/log-formats.md §3, §5). Every field that is
// dropped or only approximated is named in `losses`.
import {asArray, asObject, asString, isObject, type Json} from './json.js'
import {DEFAULT_ANTHROPIC_MAX_TOKENS, type Translation} from './translate.js'

/** OpenAI request keys with no Anthropic counterpart: always dropped (and named). */
const OPENAI_ONLY = [
  'seed', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'store', 'service_tier',
  'reasoning_effort', 'prediction', 'modalities', 'audio', 'web_search_options', 'verbosity', 'prompt_cache_key',
  'safety_identifier', 'prompt_cache_retention',
]

function dataUri(url: string): {media_type: string; data: string} | null {
  const m = /^data:([^;,]+)?((?:;[^;,]+)*?);base64,(.*)$/s.exec(url)
  return m ? {media_type: m[1] ?? 'application/octet-stream', data: m[3] ?? ''} : null
}

function textOfOpenAIContent(content: unknown): {text: string; nonText: number} {
  if (typeof content === 'string') return {text: content, nonText: 0}
  let nonText = 0
  const texts: string[] = []
  for (const p of asArray(content)) {
    const o = asObject(p)
    if (typeof o.text === 'string') texts.push(o.text)
    else if (o.type === 'refusal' && typeof o.refusal === 'string') texts.push(o.refusal)
    else nonText++
  }
  return {text: texts.join(''), nonText}
}

/** OpenAI user content parts → Anthropic blocks (strings stay strings). */
function userContentToAnthropic(content: unknown, at: string, losses: string[]): unknown {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  const blocks: Json[] = []
  asArray(content).forEach((p, j) => {
    const o = asObject(p)
    const where = `${at}.content[${j}]`
    switch (o.type) {
      case 'text':
        blocks.push({type: 'text', text: asString(o.text) ?? ''})
        break
      case 'image_url': {
        const iu = asObject(o.image_url)
        const url = asString(iu.url) ?? asString(o.image_url) ?? ''
        const d = dataUri(url)
        if (d) blocks.push({type: 'image', source: {type: 'base64', media_type: d.media_type, data: d.data}})
        else if (/^https?:\/\//i.test(url)) blocks.push({type: 'image', source: {type: 'url', url}})
        else {
          losses.push(`${where}: image reference "${url.slice(0, 40)}" is neither a data URI nor an http(s) URL (dropped)`)
          break
        }
        if (typeof iu.detail === 'string' && iu.detail !== 'auto') losses.push(`${where}.image_url.detail: no Anthropic equivalent (dropped)`)
        break
      }
      case 'file': {
        const f = asObject(o.file)
        const fd = asString(f.file_data)
        if (fd) {
          const d = dataUri(fd) ?? {media_type: 'application/pdf', data: fd}
          const block: Json = {type: 'document', source: {type: 'base64', media_type: d.media_type, data: d.data}}
          if (typeof f.filename === 'string') block.title = f.filename
          blocks.push(block)
        } else losses.push(`${where}: file_id reference cannot be sent to Anthropic (dropped)`)
        break
      }
      case 'input_audio':
        losses.push(`${where}: input_audio has no Anthropic equivalent (dropped)`)
        break
      default:
        losses.push(`${where}: part type "${String(o.type)}" has no Anthropic equivalent (dropped)`)
    }
  })
  return blocks
}

function parseArguments(args: unknown, where: string, losses: string[]): unknown {
  if (isObject(args)) return args
  const s = typeof args === 'string' ? args : ''
  if (s.trim() === '') return {}
  try {
    const v: unknown = JSON.parse(s)
    if (isObject(v)) return v
    losses.push(`${where}: arguments are JSON but not an object; wrapped as {"value": …}`)
    return {value: v}
  } catch {
    losses.push(`${where}: arguments are not valid JSON; sent as {} (Anthropic needs an object)`)
    return {}
  }
}

function toolChoiceToAnthropic(tc: unknown, losses: string[], key: string): Json | null {
  if (tc === 'auto') return {type: 'auto'}
  if (tc === 'none') return {type: 'none'}
  if (tc === 'required') return {type: 'any'}
  const o = asObject(tc)
  const name = asString(asObject(o.function).name) ?? asString(o.name)
  if ((o.type === 'function' || key === 'function_call') && name) return {type: 'tool', name}
  losses.push(`${key}: ${JSON.stringify(tc)} has no Anthropic equivalent (approximated as auto)`)
  return {type: 'auto'}
}

/** A system or developer message: its text joins the top-level system prompt. */
function systemText(m: Json, role: string, at: string, inConversation: boolean, losses: string[]): string {
  const {text, nonText} = textOfOpenAIContent(m.content)
  if (nonText) losses.push(`${at}: ${nonText} non-text part(s) of a ${role} message dropped (Anthropic system is text only)`)
  if (inConversation) losses.push(`${at}: ${role} message inside the conversation moved to the top-level system prompt`)
  return text
}

/** A tool (or legacy function) result → a tool_result block. */
function toolResultBlock(m: Json, role: string, i: number, at: string, losses: string[]): Json {
  const {text, nonText} = textOfOpenAIContent(m.content)
  if (nonText) losses.push(`${at}: ${nonText} non-text part(s) of a tool result dropped`)
  let id = asString(m.tool_call_id)
  if (role === 'function') {
    id = `call_${asString(m.name) ?? i}`.replace(/[^a-zA-Z0-9_-]/g, '_')
    losses.push(`${at}: legacy function result mapped to a tool_result with a synthetic id`)
  }
  return {type: 'tool_result', tool_use_id: id ?? '', content: text}
}

/** An assistant message → an Anthropic assistant turn (text and tool_use blocks); null when nothing is left. */
function assistantTurn(m: Json, i: number, at: string, losses: string[]): Json | null {
  const blocks: Json[] = []
  const {text, nonText} = textOfOpenAIContent(m.content)
  if (nonText) losses.push(`${at}: ${nonText} non-text part(s) of an assistant message dropped`)
  if (typeof m.refusal === 'string' && m.refusal && !text) blocks.push({type: 'text', text: m.refusal})
  if (text) blocks.push({type: 'text', text})
  asArray(m.tool_calls).forEach((tc, j) => {
    const t = asObject(tc)
    const fn = asObject(t.function)
    blocks.push({type: 'tool_use', id: asString(t.id) ?? `call_${i}_${j}`, name: asString(fn.name) ?? '', input: parseArguments(fn.arguments, `${at}.tool_calls[${j}]`, losses)})
  })
  const fc = asObject(m.function_call)
  if (typeof fc.name === 'string') {
    blocks.push({type: 'tool_use', id: `call_${fc.name}`.replace(/[^a-zA-Z0-9_-]/g, '_'), name: fc.name, input: parseArguments(fc.arguments, `${at}.function_call`, losses)})
    losses.push(`${at}.function_call: legacy function call mapped to tool_use with a synthetic id`)
  }
  if (blocks.length === 0) {
    losses.push(`${at}: empty assistant message dropped (Anthropic rejects empty content)`)
    return null
  }
  const onlyText = blocks.length === 1 && blocks[0]!.type === 'text' && typeof m.content === 'string'
  return {role: 'assistant', content: onlyText ? text : blocks}
}

/** Messages: system/developer → top-level system; tool results → user turns of tool_result blocks. */
function messagesToAnthropic(body: Json, losses: string[]): {system: string[]; messages: Json[]} {
  const system: string[] = []
  const messages: Json[] = []
  const toolResultTurns = new WeakSet<Json>()
  asArray(body.messages).forEach((raw, i) => {
    const m = asObject(raw)
    const role = asString(m.role)
    const at = `messages[${i}]`
    if (role !== 'tool' && role !== 'function' && typeof m.name === 'string') losses.push(`${at}.name: no Anthropic equivalent (dropped)`)
    if (role === 'system' || role === 'developer') {
      system.push(systemText(m, role, at, messages.length > 0, losses))
    } else if (role === 'tool' || role === 'function') {
      const block = toolResultBlock(m, role, i, at, losses)
      const last = messages[messages.length - 1]
      if (last && toolResultTurns.has(last)) (last.content as Json[]).push(block)
      else {
        const turn: Json = {role: 'user', content: [block]}
        toolResultTurns.add(turn)
        messages.push(turn)
      }
    } else if (role === 'assistant') {
      const turn = assistantTurn(m, i, at, losses)
      if (turn) messages.push(turn)
    } else {
      if (role !== 'user') losses.push(`${at}: role "${String(role)}" sent as user`)
      messages.push({role: 'user', content: userContentToAnthropic(m.content, at, losses)})
    }
  })
  return {system, messages}
}

/** The output budget (required by Anthropic), sampling knobs, stop sequences and streaming. */
function samplingToAnthropic(body: Json, out: Json, losses: string[], defaultMaxTokens: number | undefined): void {
  const maxTokens = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : null
  if (maxTokens !== null) out.max_tokens = maxTokens
  else {
    out.max_tokens = defaultMaxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS
    losses.push(`max_tokens: absent in the OpenAI request; set to ${String(out.max_tokens)} (Anthropic requires it)`)
  }
  if (typeof body.max_completion_tokens === 'number' && typeof body.max_tokens === 'number' && body.max_tokens !== body.max_completion_tokens) {
    losses.push('max_tokens: both max_tokens and max_completion_tokens given; max_completion_tokens used')
  }
  if (typeof body.temperature === 'number') {
    if (body.temperature > 1) {
      out.temperature = 1
      losses.push(`temperature: ${body.temperature} exceeds Anthropic's 0–1 range; clamped to 1`)
    } else out.temperature = body.temperature
  }
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p
  if (typeof body.stop === 'string') out.stop_sequences = [body.stop]
  else if (Array.isArray(body.stop) && body.stop.length) out.stop_sequences = body.stop
  if (body.stream === true) out.stream = true
  const so = asObject(body.stream_options)
  const otherSo = Object.keys(so).filter((k) => k !== 'include_usage')
  if (otherSo.length) losses.push(`stream_options.${otherSo.join(', stream_options.')}: no Anthropic equivalent (dropped)`)
}

/** Tools (and legacy functions) and the tool choice. */
function toolsToAnthropic(body: Json, out: Json, losses: string[]): void {
  const tools: Json[] = []
  const tool = (fn: Json): Json => {
    const t: Json = {name: asString(fn.name) ?? ''}
    if (typeof fn.description === 'string') t.description = fn.description
    t.input_schema = isObject(fn.parameters) ? fn.parameters : {type: 'object', properties: {}}
    return t
  }
  asArray(body.tools).forEach((t, k) => {
    const o = asObject(t)
    const fn = asObject(o.function)
    if (o.type !== 'function' && !fn.name) {
      losses.push(`tools[${k}]: tool type "${String(o.type)}" has no Anthropic equivalent (dropped)`)
      return
    }
    if (fn.strict !== undefined && fn.strict !== null && fn.strict !== false) losses.push(`tools[${k}].function.strict: no Anthropic equivalent (dropped)`)
    tools.push(tool(fn))
  })
  asArray(body.functions).forEach((f) => tools.push(tool(asObject(f))))
  if (asArray(body.functions).length) losses.push('functions: legacy functions sent as Anthropic tools')
  if (tools.length) out.tools = tools
  const rawChoice = body.tool_choice ?? body.function_call
  const choiceKey = body.tool_choice !== undefined ? 'tool_choice' : 'function_call'
  if (rawChoice !== undefined && rawChoice !== null) {
    if (tools.length) {
      const choice = toolChoiceToAnthropic(rawChoice, losses, choiceKey)
      if (choice) out.tool_choice = choice
    } else losses.push(`${choiceKey}: no tools left to choose from (dropped)`)
  }
  if (body.parallel_tool_calls === false && tools.length) {
    const choice = asObject(out.tool_choice)
    out.tool_choice = {...(Object.keys(choice).length ? choice : {type: 'auto'}), disable_parallel_tool_use: true}
  }
}

const HANDLED = new Set(['model', 'messages', 'tools', 'functions', 'tool_choice', 'function_call', 'parallel_tool_calls', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream', 'stream_options', 'user', 'metadata', 'response_format', 'n', ...OPENAI_ONLY])

export function openaiChatToAnthropic(body: Json, opts: {defaultMaxTokens?: number} = {}): Translation {
  const losses: string[] = []
  const out: Json = {}
  if (body.model !== undefined) out.model = body.model
  const {system, messages} = messagesToAnthropic(body, losses)
  if (system.length) out.system = system.join('\n\n')
  out.messages = messages
  samplingToAnthropic(body, out, losses, opts.defaultMaxTokens)
  toolsToAnthropic(body, out, losses)
  if (typeof body.user === 'string') out.metadata = {user_id: body.user}
  if (body.metadata !== undefined && body.metadata !== null) losses.push('metadata: OpenAI metadata has no Anthropic equivalent (dropped; only user → metadata.user_id is mapped)')
  const rf = asObject(body.response_format)
  if (rf.type && rf.type !== 'text') losses.push(`response_format (${String(rf.type)}): no Anthropic equivalent (dropped)`)
  if (body.n !== undefined && body.n !== null && body.n !== 1) losses.push(`n: ${String(body.n)} choices requested; Anthropic returns one (dropped)`)
  for (const k of OPENAI_ONLY) if (body[k] !== undefined && body[k] !== null) losses.push(`${k}: no Anthropic equivalent (dropped)`)
  for (const k of Object.keys(body)) if (!HANDLED.has(k)) losses.push(`${k}: unknown to the OpenAI→Anthropic translation (dropped)`)
  return {body: out, losses}
}
