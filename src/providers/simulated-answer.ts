// What the simulated target answers, by style: faithful (like the recorded model), terse, verbose, truncate,
// refuse. Everything is a function of (request, style, seed) and, for a faithful target given the request's logged
// answer, of that answer: the same kind of answer (text or tool calls), worded with a little seeded noise.
import {rng} from '../stats/index.js'
import {isObject, responseFromBody, type Json} from '../wire/index.js'
import type {Api} from '../records/index.js'
import {seedFrom} from './simulated-draw.js'
import {analyse, contentWords, type Prompt} from './simulated-prompt.js'
import {AFTER_TOOL, cutMidSentence, faithfulText, fill, pick, refusalText, rephrase, sentences, terseText, verboseText, type Gen} from './simulated-text.js'
import {chooseTool, fromSchema, jsonMode} from './simulated-tools.js'
import type {RecordedAnswer, SimulationStyle, TargetSpec} from './types.js'

export const SIMULATED_STYLES: readonly SimulationStyle[] = ['faithful', 'terse', 'truncate', 'refuse', 'verbose']

export interface SimToolCall {
  id: string
  name: string
  arguments: string
}

export interface SimAnswer {
  text: string | null
  toolCalls: SimToolCall[]
  finish: 'stop' | 'length' | 'tool_calls'
}

export function styleOf(target: TargetSpec): SimulationStyle {
  const s = target.simulation?.style
  if (s) return s
  const fromModel = (target.model ?? '').replace(/^sim(ulated)?[-:]/, '')
  return (SIMULATED_STYLES as readonly string[]).includes(fromModel) ? (fromModel as SimulationStyle) : 'faithful'
}

function toolIdPrefix(api: string): string {
  return api === 'anthropic.messages' ? 'toolu_sim_' : 'call_sim_'
}

/** The tool calls of a logged answer (none when it has none or cannot be read). */
function recordedToolCalls(recorded: RecordedAnswer): {name: string; arguments: string}[] {
  if (!recorded.response_json) return []
  try {
    return responseFromBody(recorded.api as Api, JSON.parse(recorded.response_json) as Json).response.tool_calls
  } catch {
    return []
  }
}

/**
 * A faithful answer to a request whose logged answer is known: tool calls exactly when the logged answer made them
 * (same tools, same arguments), else its text reworded with the seed's noise, cut where it was cut. null when the
 * logged answer has neither (an error): the answer is then generated like any other.
 */
function fromRecorded(recorded: RecordedAnswer, api: string, digest: string, g: Gen): SimAnswer | null {
  const calls = recordedToolCalls(recorded)
  const text = recorded.text ? rephrase(recorded.text, g.vary) : null
  if (calls.length) {
    const toolCalls = calls.map((c, i) => ({id: `${toolIdPrefix(api)}${digest.slice(0, 18)}${i}`, name: c.name, arguments: c.arguments}))
    return {text, toolCalls, finish: 'tool_calls'}
  }
  if (text === null) return null
  return {text, toolCalls: [], finish: recorded.finish_reason === 'length' ? 'length' : 'stop'}
}

/** A generated answer in the target's style. */
function generated(style: SimulationStyle, api: string, p: Prompt, digest: string, g: Gen): SimAnswer {
  const sentence = () => (style === 'terse' ? terseText(g) : faithfulText(g))
  // Faithful calls a tool when the prompt is about what a tool does (or one is forced); the other styles always do.
  const choice = style === 'refuse' ? null : chooseTool(p, g, style === 'faithful')
  const json = jsonMode(api, p)
  if (style === 'refuse') return {text: refusalText(g), toolCalls: [], finish: 'stop'}
  if (choice) {
    const args = fromSchema(choice.tool.parameters ?? {type: 'object', properties: {}}, g, '', 0, sentence)
    const call = {id: `${toolIdPrefix(api)}${digest.slice(0, 20)}`, name: choice.tool.name, arguments: JSON.stringify(isObject(args) ? args : {value: args})}
    return {text: null, toolCalls: [call], finish: 'tool_calls'}
  }
  let text: string
  if (json) {
    const value = json === 'object' ? {answer: sentence(), topics: g.words.slice(0, 3)} : fromSchema(json.schema, g, '', 0, sentence)
    text = style === 'verbose' ? JSON.stringify(value, null, 2) : JSON.stringify(value)
  } else if (p.afterToolResult) {
    const toolWords = contentWords(p.toolResultText)
    const g2: Gen = {...g, words: [...new Set([...g.words.slice(0, 3), ...toolWords.slice(0, 3)])]}
    text = fill(g2, pick(g.base, AFTER_TOOL), 0)
    if (style !== 'terse') text += ` ${sentences(g2, style === 'verbose' ? 5 : 2, 1).join(' ')}`
  } else text = style === 'terse' ? terseText(g) : style === 'verbose' ? verboseText(g) : faithfulText(g)
  return {text, toolCalls: [], finish: 'stop'}
}

/** Cuts the answer mid-sentence (finish `length`), within `maxTokens` (~4 characters a token) when there is one. */
function cut(a: SimAnswer, u: number, maxTokens: number | undefined): SimAnswer {
  const limit = (s: string) => (maxTokens !== undefined && s.length > maxTokens * 4 ? s.slice(0, Math.max(1, maxTokens * 4)) : s)
  const [first, ...rest] = a.toolCalls
  if (first) return {text: a.text, toolCalls: [{...first, arguments: limit(cutMidSentence(first.arguments, u))}, ...rest], finish: 'length'}
  return {text: a.text === null ? null : limit(cutMidSentence(a.text, u)), toolCalls: [], finish: 'length'}
}

export function simulateAnswer(target: TargetSpec, api: string, body: Json, digest: string, recorded?: RecordedAnswer | null): SimAnswer {
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
  const maxTokens = [p.canonical.params.max_completion_tokens, p.canonical.params.max_tokens, p.canonical.params.max_output_tokens].find((v): v is number => typeof v === 'number')
  const logged = style === 'faithful' && recorded ? fromRecorded(recorded, api, digest, g) : null
  if (logged) return truncate ? cut(logged, cutU, maxTokens) : logged
  const answer = generated(style, api, p, digest, g)
  // max_tokens is honoured like a real model: the answer stops there.
  const produced = (answer.text?.length ?? 0) + answer.toolCalls.reduce((n, c) => n + c.arguments.length, 0)
  if (maxTokens !== undefined && Math.ceil(produced / 4) > maxTokens) truncate = true
  return truncate && style !== 'refuse' ? cut(answer, cutU, maxTokens) : answer
}
