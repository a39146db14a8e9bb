// A realistically noisy model for simulations (issue 12): every call writes a different answer to the same prompt
// (other sentences, other length, another share of the prompt's terms), so two runs of it agree about as little as
// a sampled LLM does (A/A Dice ≈ 0.5) and its heuristic scores move from call to call. Regressions are planted on
// top: a share of answers cut off mid-sentence, refused, or slower. Used in memory (scored-run.ts) and behind the
// fake HTTP upstream (its `answer` callback) for end-to-end runs.
import type {Answer} from './scored-run.js'

export interface NoisyBehaviour {
  /** Share of answers cut off mid-sentence (finish_reason length). */
  truncate?: number
  /** Share of answers that refuse. */
  refuse?: number
  /** Latency multiplier (1: the baseline model). */
  slower?: number
}

const FILLER = (
  'first second also then because which often usually this that these approach option result example case step part ' +
  'simple clear useful common important main key general specific practical'
).split(' ')

const TEMPLATES: ((a: string, b: string, c: string) => string)[] = [
  (a, b) => `The ${a} depends mostly on ${b}, so start there.`,
  (a, b) => `A good way to handle ${a} is to look at ${b} first.`,
  (a, b, c) => `In practice, ${a} and ${b} interact through ${c}.`,
  (a) => `Keep in mind that ${a} can change over time.`,
  (a, b) => `Compare ${a} with ${b} before deciding.`,
  (a, b, c) => `Many people find that ${a} matters more than ${b} or ${c}.`,
  (a) => `To sum up, ${a} is the part to get right.`,
]

const REFUSALS = ["I'm sorry, but I can't help with that request.", "I can't assist with that. Is there something else I can help you with?"]

function contentWords(prompt: string): string[] {
  const seen = new Set<string>()
  for (const m of prompt.toLowerCase().matchAll(/[a-z][a-z'-]{3,}/g)) {
    if (seen.size >= 10) break
    seen.add(m[0])
  }
  return seen.size ? [...seen] : ['topic', 'question']
}

function pick<T>(u: () => number, xs: readonly T[]): T {
  return xs[Math.floor(u() * xs.length)]!
}

/** Log-normal latency with median 700 ms × √(length/400) and σ 0.5 (p95 ≈ 2.3× the median). */
function latency(u: () => number, chars: number, slower: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
  return Math.round(slower * 700 * Math.sqrt(Math.max(40, chars) / 400) * Math.exp(0.5 * z))
}

/** The answer text alone (for the fake upstream): `truncated` says whether it was cut. */
export function noisyText(prompt: string, u: () => number, b: NoisyBehaviour = {}): {text: string; truncated: boolean; refused: boolean} {
  if (u() < (b.refuse ?? 0)) return {text: pick(u, REFUSALS), truncated: false, refused: true}
  const words = contentWords(prompt)
  // A word from the prompt two times in three, else a filler word: answers cover a varying share of the prompt.
  const word = () => (u() < 0.67 ? pick(u, words) : pick(u, FILLER))
  const sentences: string[] = []
  const count = 2 + Math.floor(u() * 6)
  for (let i = 0; i < count; i++) sentences.push(pick(u, TEMPLATES)(word(), word(), word()))
  if (u() < 0.3) sentences.push(['', ...Array.from({length: 2 + Math.floor(u() * 3)}, (_, k) => `${k + 1}. Check the ${word()}.`)].join('\n'))
  let text = sentences.join(' ')
  const truncate = u() < (b.truncate ?? 0)
  if (truncate) {
    // Cut mid-sentence, past the first 60 characters, with no closing punctuation: what a length stop looks like.
    const at = Math.max(60, Math.floor(text.length * (0.4 + 0.4 * u())))
    text = `${text.slice(0, at).replace(/[\s.!?:;,\d]+$/, '')} and the`
  }
  return {text, truncated: truncate, refused: false}
}

/** One call to the noisy model: text, finish reason, latency, tokens and cost. */
export function noisyAnswer(prompt: string, u: () => number, b: NoisyBehaviour = {}): Answer {
  const {text, truncated} = noisyText(prompt, u, b)
  const out = Math.ceil(text.length / 4)
  const inp = Math.ceil(prompt.length / 4)
  return {
    status: 'ok',
    text,
    finish_reason: truncated ? 'length' : 'stop',
    latency_ms: latency(u, text.length, b.slower ?? 1),
    input_tokens: inp,
    output_tokens: out,
    cost_usd: (inp * 0.15 + out * 0.6) / 1e6,
  }
}
