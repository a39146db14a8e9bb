// What the simulated target reads from a request: the last user text (its topic words), whether a tool result came
// last, and the request in canonical form (tools, tool_choice, response format, max tokens).
import {asArray, asObject, parseAnthropicRequest, parseOpenAIChatRequest, parseResponsesRequest, type Json} from '../wire/index.js'
import type {CanonicalRequest, Message} from '../records/index.js'

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


export interface Prompt {
  canonical: CanonicalRequest
  lastUser: string
  afterToolResult: boolean
  toolResultText: string
}


/** A Responses body in canonical form, with only its function tools (built-in tools such as web search are not called). */
function responsesRequest(body: Json): CanonicalRequest {
  const r = parseResponsesRequest(body)
  const tools = asArray(body.tools)
  return {...r, tools: r.tools.filter((_t, i) => asObject(tools[i]).type === 'function')}
}

export function analyse(api: string, body: Json): Prompt {
  const canonical = api === 'anthropic.messages' ? parseAnthropicRequest(body) : api === 'openai.responses' ? responsesRequest(body) : parseOpenAIChatRequest(body)
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
