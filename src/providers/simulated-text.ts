// The simulated target's wording: templates filled with the prompt's topic words. `[x|y]` marks alternatives: the
// request fixes the template, the seed occasionally picks another option (the A/A noise of a real model).


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
export const AFTER_TOOL = ['Based on the tool result, {a} [looks|appears] consistent with {b}.', 'The tool returned [information|details] about {a}, which [answers|addresses] the question about {b}.']

export interface Gen {
  /** Structure choices: fixed by the request (and style). */
  base: () => number
  /** Wording choices: vary with the seed. */
  vary: () => number
  words: string[]
}

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length) % items.length]!
}

export function fill(g: Gen, template: string, slot: number): string {
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

export function sentences(g: Gen, n: number, offset: number): string[] {
  const out: string[] = []
  const start = Math.floor(g.base() * BODY.length)
  for (let i = 0; i < n; i++) out.push(fill(g, BODY[(start + i * 5) % BODY.length]!, offset + i))
  return out
}

export function faithfulText(g: Gen): string {
  const n = 3 + Math.floor(g.base() * 3)
  const parts = [fill(g, pick(g.base, OPENING), 0), ...sentences(g, n, 1)]
  const closing = fill(g, pick(g.base, CLOSING), n + 1)
  if (g.vary() < 0.75) parts.push(closing)
  return parts.join(' ')
}

export function verboseText(g: Gen): string {
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

export function terseText(g: Gen): string {
  return fill(g, pick(g.base, TERSE), 0)
}

export function refusalText(g: Gen): string {
  return `${fill(g, pick(g.base, REFUSALS), 0)} ${fill(g, pick(g.base, REFUSAL_TAIL), 1)}`
}

/** Cut at 45–70% of the text on a word boundary, never right after a full stop. */
export function cutMidSentence(text: string, u: number): string {
  let at = Math.floor(text.length * (0.45 + 0.25 * u))
  at = text.lastIndexOf(' ', at)
  if (at <= 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2)))
  let cut = text.slice(0, at)
  while (/[.!?:]$/.test(cut) && cut.lastIndexOf(' ') > 0) cut = cut.slice(0, cut.lastIndexOf(' '))
  return cut
}

/**
 * Interchangeable wordings: a faithful target rewording a logged answer swaps some of them (about a third, chosen by
 * the seed), as a real model's second answer differs from its first without changing what it says.
 */
const SWAPS: [string, string][] = [
  ['usually', 'typically'],
  ['often', 'frequently'],
  ['quickly', 'promptly'],
  ['right away', 'immediately'],
  ['however', 'that said'],
  ['roughly', 'approximately'],
  ['check', 'verify'],
  ['make sure', 'ensure'],
  ['a lot of', 'many'],
  ['also', 'additionally'],
]
const SWAP_TO = new Map<string, string>(SWAPS.flatMap(([a, b]) => [[a, b], [b, a]]))
const SWAP_RE = new RegExp(`\\b(${[...SWAP_TO.keys()].map((k) => k.replace(/ /g, '\\s')).join('|')})\\b`, 'gi')

/** `text` with some interchangeable wordings swapped (case of the first letter kept); the rest untouched. */
export function rephrase(text: string, vary: () => number): string {
  return text.replace(SWAP_RE, (m: string) => {
    if (vary() >= 0.35) return m
    const to = SWAP_TO.get(m.toLowerCase().replace(/\s+/g, ' '))
    if (!to) return m
    return m[0] === m[0]!.toUpperCase() ? to[0]!.toUpperCase() + to.slice(1) : to
  })
}
