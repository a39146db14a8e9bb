// Offline, deterministic heuristic scorers (docs/scoring-and-gates.md §2). They are regression detectors, not
// quality meters: gate on the paired difference candidate − primary, never on absolute values.
// No clock, no randomness, no network. Every dimension carries `heuristic/<dim>@<version>`;
// change the version when a formula or threshold here changes.

import type {CanonicalRequest, Part} from '../records/index.js'
import {contentStems, scriptProfile, splitSentences, stripCode, wordTokens} from './text.js'
import type {Script, ScriptProfile} from './text.js'

export const SCORERS = {
  relevance: 'heuristic/relevance@1',
  coherence: 'heuristic/coherence@1',
  completeness: 'heuristic/completeness@1',
} as const

export type Dimension = keyof typeof SCORERS
export const DIMENSIONS: readonly Dimension[] = ['relevance', 'coherence', 'completeness']

export interface ScorePrompt {
  system: string | null
  /** Text of the last user turn (what the response must address). */
  lastUser: string
  /** All user turns joined, for script detection when the last turn is too short. */
  allUserText: string
  /** The request asked for JSON output (response_format json_object / json_schema). */
  wantsJson: boolean
  /** JSON Schema the output must satisfy, when the request carried one. */
  jsonSchema?: unknown
}

export interface ScoreResponse {
  text: string | null
  finish_reason: string | null
  status: 'ok' | 'error' | (string & {})
  /** Number of tool calls in the response. */
  tool_calls: number
}

export interface ScoreInput {
  prompt: ScorePrompt
  response: ScoreResponse
  /** responseLength() of the other arm's answer to the same request; null when unknown. */
  otherLength: number | null
}

/** Document frequencies of content stems over the run's prompts (one document per prompt). */
export interface IdfTable {
  readonly documents: number
  readonly df: ReadonlyMap<string, number>
}

export interface ScoreContext {
  idf: IdfTable
}

export type Details = Record<string, number | boolean | null>

export interface DimScore {
  /** In [0, 1]; null when the dimension does not apply (error, content filter, tool-call turn). */
  score: number | null
  scorer: string
  details: Details
}

/**
 * Per-response flags. For a response whose status is not 'ok' they are all "nothing found"
 * (false / null / 0 / true): errors are counted by status, not by these flags.
 */
export interface ResponseFlags {
  empty: boolean
  /** The opening (first two sentences) is a refusal; includes mixed refusals. */
  refusal: boolean
  /** A refusal opening followed by substantive content ("I can't do X, but here is Y …"). */
  refusal_mixed: boolean
  truncated: boolean
  /** JSON.parse (and the schema, when given) succeeded; null when JSON was not requested. */
  json_valid: boolean | null
  /** Code fences paired and brackets inside code blocks balanced. */
  fences_ok: boolean
  /** 1 − distinct/total word 4-grams. */
  repetition_rep4: number
  /** Response is written in the user's script (or the prompt asks for another language). */
  script_match: boolean
}

export interface ResponseScores {
  flags: ResponseFlags
  dimensions: Record<Dimension, DimScore>
}

// ---------------------------------------------------------------------------------------------
// Thresholds (part of @1)

/** Recall of the prompt's IDF-weighted content terms that counts as fully on topic. */
const RELEVANCE_FULL_RECALL = 0.5
/** At most this many (highest-IDF) query terms: bounds cost, and long pasted context does not dilute. */
const MAX_QUERY_TERMS = 64
const REP4_ALLOWANCE = 0.1
const FENCE_PENALTY = 0.7
const TRUNCATED_COHERENCE = 0.6
const TRUNCATED_COMPLETENESS = 0.3
const LINE_LOOP_RUN = 3
const LINE_LOOP_PENALTY = 0.5
const MIXED_REFUSAL_COMPLETENESS = 0.7
/** Words after the refusal sentence that make a refusal "mixed". */
const MIXED_REFUSAL_WORDS = 40
const PART_ANSWERED_RECALL = 0.3
const MAX_PARTS = 12
/** Below this length the "no terminal punctuation" fallback stays quiet (terse answers like "42"). */
const TRUNCATION_MIN_CHARS = 60
/** A script switch needs the user's script to be (almost) absent from the response. */
const SCRIPT_MIN_SHARE = 0.15

// ---------------------------------------------------------------------------------------------
// IDF

function promptStems(prompt: string): string[] {
  return contentStems(wordTokens(prompt))
}

/** Document frequencies over the run's prompts, one document per request (its user text, optionally with the system prompt). */
export function buildIdf(prompts: readonly string[]): IdfTable {
  const df = new Map<string, number>()
  for (const p of prompts) {
    for (const s of new Set(promptStems(p))) df.set(s, (df.get(s) ?? 0) + 1)
  }
  return {documents: prompts.length, df}
}

/** BM25-style IDF, always > 0; unseen terms get the largest weight. */
export function idfWeight(table: IdfTable, term: string): number {
  const n = table.documents
  const d = table.df.get(term) ?? 0
  return Math.log(1 + (n - d + 0.5) / (d + 0.5))
}

/** Length measure used for length adequacy: UTF-16 length of the trimmed text. */
export function responseLength(text: string | null): number {
  return text ? text.trim().length : 0
}

// ---------------------------------------------------------------------------------------------
// Individual detectors (exported for reuse and tests)

const EMPTY_LITERALS = new Set(['', '{}', '[]', 'null', '""', "''", 'undefined'])

export function isEmptyText(text: string | null): boolean {
  return text === null || EMPTY_LITERALS.has(text.trim())
}

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

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/

interface CodeBlock {
  lang: string
  body: string
}

interface FenceScan {
  fences: number
  /** The text ends inside an unclosed fence. */
  openAtEnd: boolean
  blocks: CodeBlock[]
}

function scanFences(text: string): FenceScan {
  const lines = text.split('\n')
  let fences = 0
  let open: {marker: string; lang: string; start: number} | null = null
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_LINE.exec(lines[i]!)
    if (!m) continue
    const marker = m[1]!
    if (!open) {
      fences++
      open = {marker, lang: (m[2] ?? '').toLowerCase(), start: i + 1}
    } else if (marker[0] === open.marker[0] && marker.length >= open.marker.length && !m[2]) {
      fences++
      blocks.push({lang: open.lang, body: lines.slice(open.start, i).join('\n')})
      open = null
    }
  }
  if (open) blocks.push({lang: open.lang, body: lines.slice(open.start).join('\n')})
  return {fences, openAtEnd: open !== null, blocks}
}

const HASH_COMMENT_LANGS = new Set(['python', 'py', 'ruby', 'rb', 'sh', 'bash', 'shell', 'zsh', 'yaml', 'yml', 'r', 'perl'])
const SLASH_COMMENT_LANGS = new Set([
  'js', 'javascript', 'jsx', 'ts', 'typescript', 'tsx', 'java', 'c', 'cpp', 'c++', 'cs', 'csharp', 'go', 'kotlin',
  'swift', 'php', 'scala', 'dart', 'json', 'jsonc',
])

/**
 * Bracket balance inside one code block, skipping strings and line comments. Only for
 * languages where that is well defined; other blocks (prose, markdown, rust lifetimes, lisp
 * quotes…) are not judged.
 */
export function bracketsBalanced(code: string, lang: string): boolean | null {
  const hash = HASH_COMMENT_LANGS.has(lang)
  const slash = SLASH_COMMENT_LANGS.has(lang)
  if (!hash && !slash) return null
  const stack: string[] = []
  const pairs: Record<string, string> = {')': '(', ']': '[', '}': '{'}
  let i = 0
  const n = code.length
  while (i < n) {
    const ch = code[i]!
    if ((hash && ch === '#') || (slash && ch === '/' && code[i + 1] === '/')) {
      while (i < n && code[i] !== '\n') i++
      continue
    }
    if (slash && ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
      continue
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      const triple = code.startsWith(ch.repeat(3), i)
      const close = triple ? ch.repeat(3) : ch
      let j = i + close.length
      while (j < n) {
        if (code[j] === '\\') {
          j += 2
          continue
        }
        if (code.startsWith(close, j)) break
        if (!triple && ch !== '`' && code[j] === '\n') break
        j++
      }
      i = j + close.length
      continue
    }
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch)
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (stack.pop() !== pairs[ch]) return false
    }
    i++
  }
  return stack.length === 0
}

/** Stack depth left open at the end of a JSON-looking text (strings skipped). */
function openJsonDepth(text: string): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
    } else if (ch === '"') inString = true
    else if (ch === '{' || ch === '[') depth++
    else if (ch === '}' || ch === ']') depth--
  }
  return inString ? depth + 1 : depth
}

export interface TruncationResult {
  truncated: boolean
  by_finish_reason: boolean
  /** The text ends inside an unclosed code fence. */
  open_fence: boolean
  /** A JSON-looking answer stops with brackets (or a string) still open. */
  open_json: boolean
  /** Prose that stops without terminal punctuation. */
  no_terminal: boolean
}

const TERMINAL_END = /[.!?\u2026\u3002\uff01\uff1f\u061f\u0964"'`)\]}*_~>|\u300d\u300f\u00bb]$/u
const EMOJI_END = /\p{Extended_Pictographic}\uFE0F?$/u
const STRUCTURAL_LINE = /^\s*(?:[-*+\u2022]\s|\d+[.)]\s|#{1,6}\s|>|\||-{3,}|={3,}|\*{3,})/

function looksLikeCode(lines: string[]): boolean {
  const nonEmpty = lines.filter((l) => l.trim() !== '')
  if (nonEmpty.length < 3) return false
  let codeish = 0
  for (const l of nonEmpty) if (/[;{}]\s*$|^\s{2,}\S|^\t|^\s*(?:def|class|import|from|return|const|let|var|function)\b/.test(l)) codeish++
  return codeish / nonEmpty.length >= 0.4
}

/**
 * Truncation: finish_reason 'length', or the text ends inside a code fence, or a JSON-looking
 * answer ends with open brackets, or (fallback) prose of at least 60 characters ends without
 * terminal punctuation. Lists, tables, headings, URLs, emoji and code count as ended.
 */
export function detectTruncation(text: string | null, finishReason: string | null): TruncationResult {
  const result: TruncationResult = {
    truncated: false,
    by_finish_reason: false,
    open_fence: false,
    open_json: false,
    no_terminal: false,
  }
  if (finishReason === 'length') {
    result.by_finish_reason = true
    result.truncated = true
  }
  const t = (text ?? '').trimEnd()
  if (t.trim() === '' || finishReason === 'tool_calls' || finishReason === 'content_filter') return result
  const fences = scanFences(t)
  if (fences.openAtEnd) result.open_fence = true
  const start = t.trimStart()[0]
  if (result.open_fence) {
    // Already truncated inside a code block.
  } else if (start === '{' || start === '[') {
    if (!safeJsonParse(t).ok && openJsonDepth(t) > 0) result.open_json = true
  } else {
    // Only the prose after the last closing fence can be cut mid-sentence.
    const lines = t.split('\n')
    let from = 0
    if (fences.fences > 0) {
      for (let i = lines.length - 1; i >= 0; i--) {
        if (FENCE_LINE.test(lines[i]!)) {
          from = i + 1
          break
        }
      }
    }
    const prose = lines.slice(from)
    const proseText = prose.join('\n').trim()
    const last = (prose[prose.length - 1] ?? '').trim()
    const minChars = fences.fences > 0 ? 20 : TRUNCATION_MIN_CHARS
    const ended =
      proseText.length < minChars ||
      TERMINAL_END.test(last) ||
      EMOJI_END.test(last) ||
      /\bhttps?:\/\/\S+$/.test(last) ||
      STRUCTURAL_LINE.test(last) ||
      looksLikeCode(prose)
    result.no_terminal = !ended
  }
  result.truncated = result.by_finish_reason || result.open_fence || result.open_json || result.no_terminal
  return result
}

function safeJsonParse(text: string): {ok: true; value: unknown} | {ok: false} {
  try {
    return {ok: true, value: JSON.parse(text)}
  } catch {
    return {ok: false}
  }
}

export interface JsonCheck {
  valid: boolean
  parsed: boolean
  /** The JSON was wrapped in a single ``` fence (accepted, recorded). */
  fenced: boolean
  /** Schema result; null when no schema was given. */
  schema_valid: boolean | null
}

/** JSON validity for a response that was asked to be JSON; validates a JSON Schema subset when given. */
export function checkJson(text: string | null, schema?: unknown): JsonCheck {
  const t = (text ?? '').trim()
  let parsed = safeJsonParse(t)
  let fenced = false
  if (!parsed.ok) {
    const m = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n```$/.exec(t)
    if (m) {
      parsed = safeJsonParse(m[1]!)
      fenced = parsed.ok
    }
  }
  if (!parsed.ok) return {valid: false, parsed: false, fenced: false, schema_valid: schema === undefined || schema === null ? null : false}
  const schemaValid = schema === undefined || schema === null ? null : validateSchema(parsed.value, schema, 0)
  return {valid: schemaValid !== false, parsed: true, fenced, schema_valid: schemaValid}
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'null':
      return value === null
    case 'array':
      return Array.isArray(value)
    case 'object':
      return isRecord(value)
    default:
      return true
  }
}

/**
 * The JSON Schema subset that structured-output schemas use: type, enum, const, properties,
 * required, additionalProperties: false, items, anyOf/oneOf (as "any"), allOf. Unknown keywords
 * and $ref are not checked (they pass).
 */
export function validateSchema(value: unknown, schema: unknown, depth: number): boolean {
  if (!isRecord(schema) || depth > 64) return true
  const type = schema.type
  if (typeof type === 'string' && !typeMatches(value, type)) return false
  if (Array.isArray(type) && !type.some((t) => typeof t === 'string' && typeMatches(value, t))) return false
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return false
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) return false
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key]
    if (Array.isArray(options) && options.length > 0 && !options.some((s) => validateSchema(value, s, depth + 1))) {
      return false
    }
  }
  if (Array.isArray(schema.allOf) && !schema.allOf.every((s) => validateSchema(value, s, depth + 1))) return false
  if (isRecord(value)) {
    const props = isRecord(schema.properties) ? schema.properties : {}
    if (Array.isArray(schema.required)) {
      for (const k of schema.required) if (typeof k === 'string' && !(k in value)) return false
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        if (!validateSchema(v, props[k], depth + 1)) return false
      } else if (schema.additionalProperties === false) {
        return false
      } else if (isRecord(schema.additionalProperties) && !validateSchema(v, schema.additionalProperties, depth + 1)) {
        return false
      }
    }
  }
  if (Array.isArray(value) && isRecord(schema.items)) {
    for (const item of value) if (!validateSchema(item, schema.items, depth + 1)) return false
  }
  return true
}

export interface RepetitionResult {
  rep4: number
  /** Longest run of identical consecutive non-trivial lines. */
  max_line_run: number
  loop: boolean
}

const FOUR_ALNUM = /(?:[^\p{L}\p{N}]*[\p{L}\p{N}]){4}/u

/** rep-4 = 1 − distinct/total word 4-grams (0 under 10 four-grams), plus repeated-line runs. */
export function detectRepetition(text: string | null): RepetitionResult {
  if (!text) return {rep4: 0, max_line_run: 0, loop: false}
  const tokens = wordTokens(text)
  const total = tokens.length - 3
  let rep4 = 0
  if (total >= 10) {
    // Tokens → small integer ids; four 13-bit ids pack exactly into one double (< 2^53).
    const ids = new Map<string, number>()
    const seq = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      let id = ids.get(tokens[i]!)
      if (id === undefined) ids.set(tokens[i]!, (id = ids.size))
      seq[i] = id
    }
    let distinct = 0
    if (ids.size < 8192) {
      // Sorting packed keys counts distinct 4-grams without allocating a Set entry per 4-gram.
      const keys = new Float64Array(total)
      for (let i = 0; i < total; i++) keys[i] = ((seq[i]! * 8192 + seq[i + 1]!) * 8192 + seq[i + 2]!) * 8192 + seq[i + 3]!
      keys.sort()
      for (let i = 0; i < total; i++) if (i === 0 || keys[i] !== keys[i - 1]) distinct++
    } else {
      const seen = new Set<string>()
      for (let i = 0; i < total; i++) seen.add(`${seq[i]},${seq[i + 1]},${seq[i + 2]},${seq[i + 3]}`)
      distinct = seen.size
    }
    rep4 = 1 - distinct / total
  }
  let maxRun = 0
  let run = 0
  let prev: string | null = null
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    // Blank lines, braces, separators and table rules repeat legitimately.
    if (line.length < 4 || !FOUR_ALNUM.test(line)) continue
    run = line === prev ? run + 1 : 1
    prev = line
    if (run > maxRun) maxRun = run
  }
  return {rep4, max_line_run: maxRun, loop: maxRun >= LINE_LOOP_RUN}
}

export interface FenceResult {
  fences_ok: boolean
  fences: number
  /** Brackets in code blocks balanced; null when no block was in a checkable language. */
  brackets_ok: boolean | null
}

export function checkFences(text: string | null): FenceResult {
  if (!text) return {fences_ok: true, fences: 0, brackets_ok: null}
  const scan = scanFences(text)
  let brackets: boolean | null = null
  for (const b of scan.blocks) {
    const ok = bracketsBalanced(b.body, b.lang)
    if (ok === null) continue
    brackets = brackets === null ? ok : brackets && ok
  }
  return {fences_ok: scan.fences % 2 === 0 && brackets !== false, fences: scan.fences, brackets_ok: brackets}
}

const LANGUAGE_SCRIPTS: Record<string, Script[]> = {
  english: ['Latin'], spanish: ['Latin'], french: ['Latin'], german: ['Latin'], portuguese: ['Latin'], italian: ['Latin'],
  dutch: ['Latin'], polish: ['Latin'], turkish: ['Latin'], vietnamese: ['Latin'], indonesian: ['Latin'],
  swedish: ['Latin'], czech: ['Latin'], romanian: ['Latin'], latin: ['Latin'],
  russian: ['Cyrillic'], ukrainian: ['Cyrillic'], bulgarian: ['Cyrillic'], serbian: ['Cyrillic', 'Latin'],
  greek: ['Greek'], hebrew: ['Hebrew'], arabic: ['Arabic'], persian: ['Arabic'], farsi: ['Arabic'], urdu: ['Arabic'],
  hindi: ['Devanagari'], marathi: ['Devanagari'], nepali: ['Devanagari'], bengali: ['Bengali'], thai: ['Thai'],
  korean: ['Hangul'], japanese: ['Japanese', 'Han'], chinese: ['Han'], mandarin: ['Han'], cantonese: ['Han'],
  georgian: ['Georgian'], armenian: ['Armenian'],
}
const TRANSLATE_RE = /translat|traduc|übersetz|перев[ео]д|переведи|翻译|翻譯|翻訳|번역|ترجم/i
const LANGUAGE_RE = new RegExp(`\\b(?:in|into|to|using)\\s+(${Object.keys(LANGUAGE_SCRIPTS).join('|')})\\b`, 'i')

const promptScripts = new Map<string, ScriptProfile>()

/** scriptProfile of a prompt text, cached (both arms of a pair share the prompt). */
function promptScript(text: string): ScriptProfile {
  let hit = promptScripts.get(text)
  if (!hit) {
    hit = scriptProfile(text)
    if (promptScripts.size >= 256) promptScripts.delete(promptScripts.keys().next().value as string)
    promptScripts.set(text, hit)
  }
  return hit
}

export interface ScriptResult {
  script_match: boolean
  /** The prompt names a target language or asks for a translation: any script is accepted. */
  skipped: boolean
  /** The response's dominant script differs from the user's (allowed or not). */
  cross_script: boolean
  /** Share of the response's letters in the user's dominant script (null when undetermined). */
  user_script_share: number | null
}

/**
 * Language switch detection by writing system: mismatch when the response has a clear
 * dominant script, the user's text has a different one, and the user's script makes up less
 * than 15% of the response's letters. Code, URLs and inline code are ignored. A prompt that
 * asks for a translation, or names a language whose script the response uses ("answer in
 * Japanese"), is not judged.
 */
export function checkScript(prompt: ScorePrompt, text: string | null): ScriptResult {
  const none: ScriptResult = {script_match: true, skipped: false, cross_script: false, user_script_share: null}
  if (!text) return none
  const response = scriptProfile(text)
  if (response.dominant === null) return none
  let user = promptScript(prompt.lastUser)
  if (user.dominant === null) user = promptScript(prompt.allUserText)
  if (user.dominant === null) return none
  const share = response.shares[user.dominant] ?? 0
  // Japanese answered mostly in kanji (or a short Han prompt answered in Japanese) is not a switch.
  const cjkCompatible =
    (user.dominant === 'Japanese' && response.dominant === 'Han') ||
    (user.dominant === 'Han' && response.dominant === 'Japanese' && user.letters < 20)
  const cross = response.dominant !== user.dominant && !cjkCompatible
  const match = !cross || share >= SCRIPT_MIN_SHARE
  if (match) return {script_match: true, skipped: false, cross_script: cross, user_script_share: share}
  const asked = `${prompt.system ?? ''}\n${prompt.allUserText}\n${prompt.lastUser}`
  const named = LANGUAGE_RE.exec(asked)
  const allowed = named ? (LANGUAGE_SCRIPTS[named[1]!.toLowerCase()] ?? []) : []
  if (TRANSLATE_RE.test(prompt.lastUser) || allowed.includes(response.dominant)) {
    return {script_match: true, skipped: true, cross_script: true, user_script_share: share}
  }
  return {script_match: false, skipped: false, cross_script: true, user_script_share: share}
}

// ---------------------------------------------------------------------------------------------
// Prompt analysis (cached: both arms of a pair share the prompt)

interface PromptAnalysis {
  queryTerms: {stem: string; weight: number}[]
  parts: string[][]
}

const promptCache = new Map<string, {idf: IdfTable; analysis: PromptAnalysis}>()

function analyzePrompt(lastUser: string, idf: IdfTable): PromptAnalysis {
  const hit = promptCache.get(lastUser)
  if (hit && hit.idf === idf) return hit.analysis
  const unique = [...new Set(promptStems(lastUser))]
  const weighted = unique
    .map((s) => ({stem: s, weight: idfWeight(idf, s)}))
    .sort((a, b) => b.weight - a.weight || (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0))
    .slice(0, MAX_QUERY_TERMS)
  const analysis: PromptAnalysis = {queryTerms: weighted, parts: splitParts(lastUser).map((p) => [...new Set(promptStems(p))])}
  promptCache.set(lastUser, {idf, analysis})
  if (promptCache.size > 256) promptCache.delete(promptCache.keys().next().value as string)
  return analysis
}

/**
 * Sub-questions of a prompt: sentences ending in "?" and numbered items (bulleted items only
 * when they are questions). Code blocks are ignored. Fewer than two parts → [] (single ask).
 */
export function splitParts(prompt: string): string[] {
  const text = stripCode(prompt)
  const parts: string[] = []
  const seen = new Set<string>()
  const add = (s: string): void => {
    const key = s.trim().toLowerCase()
    if (key && !seen.has(key) && parts.length < MAX_PARTS) {
      seen.add(key)
      parts.push(s.trim())
    }
  }
  const numbered: string[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[a-h][.)])\s+(.+)$/.exec(line)
    if (m) numbered.push(m[1]!)
    else {
      const b = /^\s*[-*\u2022]\s+(.+\?)\s*$/.exec(line)
      if (b) numbered.push(b[1]!)
    }
  }
  const questions = splitSentences(text).filter((s) => /[?\uff1f]["')\]]?$/.test(s))
  if (numbered.length >= 2) for (const item of numbered) add(item)
  for (const q of questions) {
    // A numbered question is already a part.
    if (!numbered.some((item) => item.includes(q) || q.includes(item))) add(q)
  }
  return parts.length >= 2 ? parts : []
}

function enumeratedItems(text: string): number {
  let n = 0
  for (const line of text.split('\n')) if (/^\s*(?:\d{1,2}[.)]\s|\(\d{1,2}\)\s|#{1,6}\s|\*\*[^*]+\*\*\s*:?\s*$)/.test(line)) n++
  return n
}

// ---------------------------------------------------------------------------------------------
// Scoring

function nullDims(details: Details): Record<Dimension, DimScore> {
  return {
    relevance: {score: null, scorer: SCORERS.relevance, details: {...details}},
    coherence: {score: null, scorer: SCORERS.coherence, details: {...details}},
    completeness: {score: null, scorer: SCORERS.completeness, details: {...details}},
  }
}

const NEUTRAL_FLAGS: ResponseFlags = {
  empty: false,
  refusal: false,
  refusal_mixed: false,
  truncated: false,
  json_valid: null,
  fences_ok: true,
  repetition_rep4: 0,
  script_match: true,
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x)
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6

/**
 * Scores one response. Formulas (docs/scoring-and-gates.md §2, version @1):
 * - relevance = 0 if empty, fully refused or wrong script; 1 when the prompt has no content
 *   terms, the answer is in another (allowed) script, or it is JSON that satisfies the request's
 *   schema; else min(1, idfRecall / 0.5) over the last user turn's top-64 IDF content terms.
 * - coherence = 0 if empty; else clamp(1 − 2·max(0, rep4 − 0.10)) × (fences ok ? 1 : 0.7)
 *   × (truncated ? 0.6 : 1) × (repeated-line loop ? 0.5 : 1).
 * - completeness = 0 if empty, fully refused, or JSON asked for and invalid; else
 *   coverage × lengthAdequacy × (truncated ? 0.3 : 1) × (mixed refusal ? 0.7 : 1), with
 *   lengthAdequacy = min(1, len / (0.5·max(len, otherLength))).
 * Errors (status ≠ 'ok'), content-filter stops and tool-call turns get null scores: they are
 * counted as rates elsewhere, and text heuristics say nothing about a tool call.
 * Scores are rounded to 6 decimals so reports are byte-stable.
 */
export function scoreResponse(input: ScoreInput, ctx: ScoreContext): ResponseScores {
  const {prompt, response} = input
  if (response.status !== 'ok') return {flags: {...NEUTRAL_FLAGS}, dimensions: nullDims({error: true})}
  if (response.finish_reason === 'content_filter') {
    return {flags: {...NEUTRAL_FLAGS}, dimensions: nullDims({content_filter: true})}
  }
  const text = response.text
  const toolCalls = response.tool_calls
  const empty = isEmptyText(text) && toolCalls === 0
  const refusal = detectRefusal(text)
  const truncation = detectTruncation(text, response.finish_reason)
  const json = prompt.wantsJson ? checkJson(text, prompt.jsonSchema) : null
  const fences = checkFences(text)
  const repetition = detectRepetition(text)
  const script = checkScript(prompt, text)
  const flags: ResponseFlags = {
    empty,
    refusal: refusal.refusal,
    refusal_mixed: refusal.mixed,
    truncated: truncation.truncated,
    json_valid: json ? json.valid : null,
    fences_ok: fences.fences_ok,
    repetition_rep4: round6(repetition.rep4),
    script_match: script.script_match,
  }
  if (toolCalls > 0) return {flags, dimensions: nullDims({tool_calls: toolCalls})}

  const fullRefusal = refusal.refusal && !refusal.mixed

  // Relevance
  const analysis = analyzePrompt(prompt.lastUser, ctx.idf)
  const responseStems = new Set(contentStems(wordTokens(text ?? '')))
  let totalWeight = 0
  let hitWeight = 0
  for (const q of analysis.queryTerms) {
    totalWeight += q.weight
    if (responseStems.has(q.stem)) hitWeight += q.weight
  }
  const idfRecall = totalWeight > 0 ? hitWeight / totalWeight : null
  // Lexical recall cannot see relevance across languages (an allowed translation) or inside a
  // schema-valid JSON object whose shape the request fixed; those count as on topic (a number,
  // not null, so the pair stays comparable with an arm that refused or returned nothing).
  const schemaSatisfied = json !== null && json.valid && json.schema_valid === true
  let relevance: number
  if (empty || fullRefusal || !script.script_match) relevance = 0
  else if (idfRecall === null || script.cross_script || schemaSatisfied) relevance = 1
  else relevance = Math.min(1, idfRecall / RELEVANCE_FULL_RECALL)

  // Coherence
  let coherence = 0
  if (!empty) {
    coherence = clamp01(1 - 2 * Math.max(0, repetition.rep4 - REP4_ALLOWANCE))
    if (!fences.fences_ok) coherence *= FENCE_PENALTY
    if (truncation.truncated) coherence *= TRUNCATED_COHERENCE
    if (repetition.loop) coherence *= LINE_LOOP_PENALTY
  }

  // Completeness
  let answered = 0
  const items = enumeratedItems(text ?? '')
  analysis.parts.forEach((stems, i) => {
    if (stems.length === 0) {
      answered++
      return
    }
    let hit = 0
    for (const s of stems) if (responseStems.has(s)) hit++
    if (hit / stems.length >= PART_ANSWERED_RECALL || items >= i + 1) answered++
  })
  const coverage = analysis.parts.length > 0 ? answered / analysis.parts.length : 1
  const length = responseLength(text)
  const other = input.otherLength
  const longer = other === null ? length : Math.max(length, other)
  const lengthAdequacy = other === null || longer === 0 ? 1 : Math.min(1, length / (0.5 * longer))
  let completeness = 0
  if (!empty && !fullRefusal && !(json && !json.valid)) {
    completeness = coverage * lengthAdequacy
    if (truncation.truncated) completeness *= TRUNCATED_COMPLETENESS
    if (refusal.mixed) completeness *= MIXED_REFUSAL_COMPLETENESS
  }

  return {
    flags,
    dimensions: {
      relevance: {
        score: round6(relevance),
        scorer: SCORERS.relevance,
        details: {
          idf_recall: idfRecall === null ? null : round6(idfRecall),
          query_terms: analysis.queryTerms.length,
          script_match: script.script_match,
          script_check_skipped: script.skipped,
          cross_script: script.cross_script,
          schema_satisfied: schemaSatisfied,
          user_script_share: script.user_script_share === null ? null : round6(script.user_script_share),
          refusal: refusal.refusal,
          empty,
        },
      },
      coherence: {
        score: round6(coherence),
        scorer: SCORERS.coherence,
        details: {
          rep4: round6(repetition.rep4),
          max_line_run: repetition.max_line_run,
          fences_ok: fences.fences_ok,
          fences: fences.fences,
          brackets_ok: fences.brackets_ok,
          truncated: truncation.truncated,
          empty,
        },
      },
      completeness: {
        score: round6(completeness),
        scorer: SCORERS.completeness,
        details: {
          coverage: round6(coverage),
          parts: analysis.parts.length,
          parts_answered: answered,
          length_adequacy: round6(lengthAdequacy),
          truncated: truncation.truncated,
          truncated_by_finish_reason: truncation.by_finish_reason,
          open_fence: truncation.open_fence,
          open_json: truncation.open_json,
          no_terminal: truncation.no_terminal,
          json_valid: json ? json.valid : null,
          json_fenced: json ? json.fenced : null,
          json_schema_valid: json ? json.schema_valid : null,
          refusal_mixed: refusal.mixed,
          empty,
        },
      },
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Adapters from canonical records

function partsText(parts: readonly Part[]): string {
  return parts
    .filter((p): p is Extract<Part, {type: 'text'}> => p.type === 'text')
    .map((p) => p.text)
    .join('\n')
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return isRecord(v) ? v : null
}

/**
 * JSON mode and schema from request params: Chat Completions `response_format`
 * ({type: json_object} | {type: json_schema, json_schema: {schema}}) and Responses
 * `text.format` ({type: json_schema, schema}).
 */
export function jsonRequest(params: Record<string, unknown>): {wantsJson: boolean; jsonSchema?: unknown} {
  const rf = asRecord(params.response_format) ?? asRecord(asRecord(params.text)?.format)
  const type = rf?.type
  if (type === 'json_object') return {wantsJson: true}
  if (type === 'json_schema') {
    const holder = asRecord(rf?.json_schema) ?? rf
    return holder && 'schema' in holder ? {wantsJson: true, jsonSchema: holder.schema} : {wantsJson: true}
  }
  return {wantsJson: false}
}

/** Builds the scorer's prompt view from a canonical request. */
export function promptFromRequest(request: CanonicalRequest): ScorePrompt {
  const userTurns = request.messages.filter((m) => m.role === 'user').map((m) => partsText(m.parts))
  const developer = request.messages.filter((m) => m.role === 'developer' || m.role === 'system').map((m) => partsText(m.parts))
  const system = [request.system, ...developer].filter((s): s is string => !!s).join('\n') || null
  return {
    system,
    lastUser: userTurns.length > 0 ? userTurns[userTurns.length - 1]! : '',
    allUserText: userTurns.join('\n'),
    ...jsonRequest(request.params),
  }
}
