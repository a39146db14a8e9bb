// The judge request in the judge target's native wire shape (OpenAI strict json_schema, Anthropic forced tool call),
// with the format-repair turns that follow a malformed answer, and how a failed call is described.
import type {CallResult} from '../providers/index.js'
import {repairMessage, type JudgePrompt} from './judge-prompt.js'
import type {JudgeKind} from './judge-cache.js'

/** Fixed seed where the API takes one: with temperature 0 this is as repeatable as the provider allows. */
const JUDGE_SEED = 42
const ANTHROPIC_MAX_TOKENS = 2048

/** Knobs some models reject outright (HTTP 400); each is dropped once and the call asked again. */
export type Dropped = 'temperature' | 'seed' | 'response_format'

/** A judge's earlier answer and the repair request that follows it. */
export interface RepairTurn {
  answerText: string | null
  tool: {id: string; name: string; input: Record<string, unknown>} | null
  problem: string
}

export interface BodySpec {
  kind: JudgeKind
  prompt: JudgePrompt
  tool: string
  schema: Record<string, unknown>
}

function nonEmpty(text: string | null): string {
  return text && text.trim() ? text : '(empty answer)'
}

function anthropicBody(model: string | undefined, spec: BodySpec, turns: RepairTurn[], dropped: Set<Dropped>): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [{role: 'user', content: spec.prompt.user}]
  for (const t of turns) {
    const repair = repairMessage(t.problem, spec.kind)
    if (t.tool) {
      messages.push({role: 'assistant', content: [{type: 'tool_use', id: t.tool.id, name: t.tool.name, input: t.tool.input}]})
      messages.push({role: 'user', content: [{type: 'tool_result', tool_use_id: t.tool.id, is_error: true, content: t.problem}, {type: 'text', text: repair}]})
    } else {
      messages.push({role: 'assistant', content: [{type: 'text', text: nonEmpty(t.answerText)}]})
      messages.push({role: 'user', content: repair})
    }
  }
  const body: Record<string, unknown> = {
    model,
    max_tokens: ANTHROPIC_MAX_TOKENS,
    system: spec.prompt.system,
    messages,
    tools: [{name: spec.tool, description: spec.kind === 'pointwise' ? 'Record the rubric scores, reasoning first.' : 'Record the comparison verdict, reasoning first.', input_schema: spec.schema}],
    tool_choice: {type: 'tool', name: spec.tool},
  }
  if (!dropped.has('temperature')) body.temperature = 0
  return body
}

function openaiBody(model: string | undefined, spec: BodySpec, turns: RepairTurn[], dropped: Set<Dropped>): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [
    {role: 'system', content: spec.prompt.system},
    {role: 'user', content: spec.prompt.user},
  ]
  for (const t of turns) {
    messages.push({role: 'assistant', content: nonEmpty(t.answerText ?? (t.tool ? JSON.stringify(t.tool.input) : null))})
    messages.push({role: 'user', content: repairMessage(t.problem, spec.kind)})
  }
  const body: Record<string, unknown> = {model, messages}
  if (!dropped.has('temperature')) body.temperature = 0
  if (!dropped.has('seed')) body.seed = JUDGE_SEED
  if (!dropped.has('response_format')) body.response_format = {type: 'json_schema', json_schema: {name: spec.tool, strict: true, schema: spec.schema}}
  return body
}

/** The judge request for `api`, with the repair turns so far and without the knobs the model refused. */
export function judgeBody(api: 'openai.chat' | 'anthropic.messages', model: string | undefined, spec: BodySpec, turns: RepairTurn[], dropped: Set<Dropped>): Record<string, unknown> {
  return api === 'anthropic.messages' ? anthropicBody(model, spec, turns, dropped) : openaiBody(model, spec, turns, dropped)
}

/** The repair turn for a malformed answer: its tool-call input when that was an object, else its text. */
export function repairTurn(call: {id: string; name: string; arguments: string} | null, text: string | null, problem: string): RepairTurn {
  let input: Record<string, unknown> | null = null
  if (call) {
    try {
      const v: unknown = JSON.parse(call.arguments)
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) input = v as Record<string, unknown>
    } catch {
      input = null
    }
  }
  return {answerText: text ?? (call && !input ? call.arguments : null), tool: call && input ? {id: call.id, name: call.name, input} : null, problem}
}

export function describeFailure(r: CallResult): string {
  const parts: string[] = []
  if (r.http_status !== null) parts.push(`HTTP ${r.http_status}`)
  else if (r.status !== 'ok') parts.push(r.status)
  if (r.error?.type) parts.push(r.error.type)
  const head = parts.join(' ')
  const message = r.error?.message ?? (r.status === 'ok' ? 'the response had no content' : null)
  return message ? `${head ? `${head}: ` : ''}${message}` : head || 'unknown error'
}

/** The knob a 400 complains about, if it is one that can be dropped and has not been yet. */
export function unsupportedKnob(message: string, dropped: Set<Dropped>): Dropped | null {
  const m = message.toLowerCase()
  if (!dropped.has('response_format') && /response_format|json_schema/.test(m)) return 'response_format'
  if (!dropped.has('temperature') && m.includes('temperature')) return 'temperature'
  if (!dropped.has('seed') && /\bseed\b/.test(m)) return 'seed'
  return null
}
