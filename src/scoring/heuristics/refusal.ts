// Refusal detection: a refusing sentence in the first two sentences, "mixed" when substantive content follows.
import {splitSentences, stripCode} from '../text.js'
import {MIXED_REFUSAL_WORDS} from './thresholds.js'

const CANT =
  "(?:can't|cannot|can not|won't|will not|am unable to|'m unable to|am not able to|'m not able to|am not going to|'m not going to)"
const HELP_VERBS =
  '(?:help|assist|provide|comply|fulfil|fulfill|do that|do this|create|generate|write|produce|answer|share|support|engage|' +
  'give|offer|complete|continue|participate|discuss|facilitate|process|make|respond)'
const REFUSAL_PATTERNS: RegExp[] = [
  // "I can't help with that", "I won't be able to provide …" (not the idiom "can't help but").
  new RegExp(`\\bi ${CANT} (?:[a-z']+ ){0,3}?${HELP_VERBS}\\b(?! but\\b)`),
  // "I'm sorry, but I can't …", "I'm afraid that's not something I …"
  /\bi(?:'m| am) (?:sorry|afraid),? (?:but )?(?:i|that's|that is|this is|it's|it is)\b[^.!?]{0,40}?\b(?:can't|cannot|won't|unable|not able|not something i|not allowed|not permitted|not possible)\b/,
  /\bas an ai(?: language model| assistant| model)?,? i (?:can't|cannot|don't|do not|am not able|'m not able|am unable|'m unable|won't)\b/,
  /\bi (?:must|have to|need to|will have to) (?:respectfully |politely )?(?:decline|refuse)\b/,
  /\b(?:this|that|your) request (?:violates|goes against|is against|is not something i)\b/,
  /\bi(?:'m| am) not (?:able|allowed|permitted|comfortable)(?: [a-z']+){0,2} (?:to )?(?:help|assist|provide|share|give|create|generate|write|discuss|answer|fulfil|fulfill|comply)\b/,
  /\bit(?:'s| is|'d be| would be) (?:not appropriate|inappropriate|against my (?:guidelines|policies|programming)) (?:for me )?to\b/,
]

export interface RefusalResult {
  refusal: boolean
  mixed: boolean
}

/**
 * Refusal = one of the sentence-level patterns in the first two sentences (apostrophes and
 * quotes normalised, quoted text masked, word boundaries). Mixed = at least 40 words follow the
 * refusing sentence. "Sorry for the delay, here's …" does not match: no pattern is a bare prefix.
 */
export function detectRefusal(text: string | null): RefusalResult {
  if (!text) return {refusal: false, mixed: false}
  // The first two sentences live in the first few hundred characters.
  const head = prepareHead(text.slice(0, 1200))
  const sentences = splitSentences(head).slice(0, 2)
  let at = -1
  for (let i = 0; i < sentences.length && at < 0; i++) {
    const s = sentences[i]!
    if (REFUSAL_PATTERNS.some((re) => re.test(s))) at = i
  }
  if (at < 0) return {refusal: false, mixed: false}
  // Words after the refusing sentence decide "mixed".
  const sentence = sentences[at]!
  const pos = head.indexOf(sentence)
  const rest = head.slice(pos + sentence.length) + text.slice(1200)
  let words = 0
  for (const _ of rest.matchAll(/[\p{L}\p{N}]+/gu)) if (++words >= MIXED_REFUSAL_WORDS) break
  return {refusal: true, mixed: words >= MIXED_REFUSAL_WORDS}
}

function prepareHead(text: string): string {
  return (
    stripCode(text)
      .replace(/[\u2018\u2019\u02bc`\u00b4]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      .toLowerCase()
      // Quoted text is someone else's words ("the phrase "I can't help" means …").
      .replace(/"[^"\n]{0,300}"/g, '""')
      .replace(/^\s*>.*$/gm, ' ')
  )
}
