// content_filter on answers (`apply_to: response` or `both`): finding blocked terms, patterns and (with `redact_pii`)
// personal data in an answer's text, replacing them with `[redacted]` (`[redacted:<kind>]` for PII), and the
// hold-back that makes that exact in a stream (a term split across two deltas is still caught). Terms match
// case-insensitively anywhere in the text; patterns are regular expressions matched case-insensitively, as on requests
// (route.ts); PII is what records/pii.ts finds (e-mail, card, SSN, IBAN, phone, IPv4), as on requests. Tool-call
// arguments are checked against patterns and PII only (a word list has no business rewriting JSON arguments; a key,
// an account number or an e-mail address does). `config.categories` are not evaluated: a policy with only those never
// holds an answer back. Pure: the relay (relay-filtered.ts) and the side thread (events.ts, flags) call it.
import type {Policy} from '../config/index.js'
import {findPii, piiPlaceholder, type PolicyTrigger} from '../records/index.js'
import {asArray, isObject, type Json} from '../wire/index.js'
import type {CallerApi, ContentRule} from './exchange.js'

export const REDACTED = '[redacted]'
/** What a stream holds back for patterns: a pattern whose match is at most this long is caught across deltas. */
export const PATTERN_HOLD = 64
/**
 * What a stream holds back for PII: an IBAN written in groups is at most 42 characters, a phone number or a card
 * under 30; an e-mail address may be longer (up to 254), and one longer than this split across deltas may be missed.
 */
export const PII_HOLD = 64
/** A match that keeps growing (a pattern like `\d+` on a long run) is let go past this many held characters. */
const MAX_HELD = 16 * 1024
/** Characters of sent text kept for the PII detector's look-behind (its expressions look back at most two). */
const BEFORE = 8

/** The content_filter policies that apply to answers and can match something, in chain order. */
export function answerRules(policies: readonly Policy[]): ContentRule[] {
  const out: ContentRule[] = []
  for (const p of policies) {
    if (p.type !== 'content_filter' || p.apply_to === 'request') continue
    const terms = p.blocked_terms.filter((t) => t !== '')
    if (terms.length === 0 && p.blocked_patterns.length === 0 && !p.redact_pii) continue
    out.push({name: p.name, action: p.action, terms, patterns: [...p.blocked_patterns], pii: p.redact_pii})
  }
  return out
}

export interface Match {
  start: number
  end: number
  /** Index of the rule in the matcher. */
  rule: number
  /** The configured term, `/source/` for a pattern, `pii:<kind>`: what a trigger and a refusal may name (never the text). */
  label: string
  /** What the match becomes when redacted, when not `[redacted]` (PII: `[redacted:<kind>]`). */
  replacement?: string
}

interface Compiled {
  rule: ContentRule
  /** All terms in one alternation, longest first (so `password` wins over `pass` at the same place). */
  terms: RegExp | null
  /** Lower-cased matched text → the term as configured. */
  termOf: Map<string, string>
  patterns: {re: RegExp; label: string}[]
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function compile(rule: ContentRule): Compiled {
  const terms = [...rule.terms].sort((a, b) => b.length - a.length)
  return {
    rule,
    terms: terms.length ? new RegExp(terms.map(escape).join('|'), 'gi') : null,
    termOf: new Map(terms.map((t) => [t.toLowerCase(), t])),
    patterns: rule.patterns.map((src) => ({re: new RegExp(src, 'gi'), label: `/${src}/`})),
  }
}

function execAll(re: RegExp, text: string, each: (start: number, end: number, found: string) => void): void {
  re.lastIndex = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '') {
      re.lastIndex++
      continue
    }
    each(m.index, m.index + m[0].length, m[0])
  }
}

/** Compiled rules: what a stream or a body is scanned with. */
export class ContentMatcher {
  private readonly compiled: Compiled[]
  /** Characters a text delta holds back: the longest term less one, or PATTERN_HOLD with patterns, PII_HOLD with PII. */
  readonly textHold: number
  /** Tool-call arguments: patterns and PII only. */
  readonly argsHold: number

  constructor(readonly rules: readonly ContentRule[]) {
    this.compiled = rules.map(compile)
    const longest = Math.max(0, ...rules.flatMap((r) => r.terms.map((t) => t.length)))
    const patterns = rules.some((r) => r.patterns.length > 0)
    const pii = rules.some((r) => r.pii)
    this.argsHold = Math.max(patterns ? PATTERN_HOLD : 0, pii ? PII_HOLD : 0)
    this.textHold = Math.max(longest - 1, this.argsHold)
  }

  /**
   * Every match in `text`, by start (longest first at the same start). `args`: tool-call arguments, no terms.
   * `before`: what came just before `text` in a stream (already sent), for PII only: a detector match must not start
   * in the middle of a longer number or word (`2.3.4.5` of `1.2.3.4.5`), whatever the cut.
   */
  scan(text: string, args: boolean, before = ''): Match[] {
    const out: Match[] = []
    // The detector runs once per text, whatever the number of rules with `redact_pii`.
    const pii = !this.compiled.some((c) => c.rule.pii)
      ? []
      : findPii(before + text)
          .filter((s) => s.start >= before.length)
          .map((s) => ({...s, start: s.start - before.length, end: s.end - before.length}))
    this.compiled.forEach((c, rule) => {
      if (c.terms && !args) execAll(c.terms, text, (start, end, found) => out.push({start, end, rule, label: c.termOf.get(found.toLowerCase()) ?? c.rule.terms[0]!}))
      for (const p of c.patterns) execAll(p.re, text, (start, end) => out.push({start, end, rule, label: p.label}))
      if (c.rule.pii) for (const s of pii) out.push({start: s.start, end: s.end, rule, label: `pii:${s.kind}`, replacement: piiPlaceholder(s.kind)})
    })
    return out.sort((a, b) => a.start - b.start || b.end - a.end)
  }
}

/** Overlapping matches joined: each span becomes one `[redacted]` (`[redacted:<kind>]` when all its matches say so). */
function spans(matches: readonly Match[]): {start: number; end: number; replacement: string}[] {
  const out: {start: number; end: number; replacement: string}[] = []
  for (const m of matches) {
    const last = out[out.length - 1]
    const replacement = m.replacement ?? REDACTED
    if (last && m.start < last.end) {
      last.end = Math.max(last.end, m.end)
      if (last.replacement !== replacement) last.replacement = REDACTED
    } else out.push({start: m.start, end: m.end, replacement})
  }
  return out
}

export function redactSpans(text: string, matches: readonly Match[]): string {
  if (matches.length === 0) return text
  let out = ''
  let at = 0
  for (const s of spans(matches)) {
    out += text.slice(at, s.start) + s.replacement
    at = s.end
  }
  return out + text.slice(at)
}

export interface Blocked {
  policy: string
  matched: string[]
  /** For the caller and the event: the policy and what it matched (terms, pattern sources), never the answer's text. */
  message: string
}

/** What matched, by rule: the triggers an event records and the block, if a blocking rule matched. */
export class Hits {
  private readonly byRule = new Map<number, Set<string>>()

  constructor(private readonly matcher: ContentMatcher) {}

  add(m: Match): void {
    let set = this.byRule.get(m.rule)
    if (!set) this.byRule.set(m.rule, (set = new Set()))
    set.add(m.label)
  }

  /** Whether `m` belongs to a blocking rule. */
  blocks(m: Match): boolean {
    return this.matcher.rules[m.rule]!.action === 'block'
  }

  /** The first blocking rule (chain order) that matched. */
  blocked(): Blocked | null {
    const rule = [...this.byRule.keys()].sort((a, b) => a - b).find((r) => this.matcher.rules[r]!.action === 'block')
    if (rule === undefined) return null
    const policy = this.matcher.rules[rule]!.name
    const matched = [...this.byRule.get(rule)!]
    return {policy, matched, message: `answer blocked by policy "${policy}" (content_filter): matched ${matched.join(', ')}`}
  }

  /** One trigger per rule that matched, in chain order; with `only`, only rules of that action. */
  triggers(only?: ContentRule['action']): PolicyTrigger[] {
    return [...this.byRule.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([rule, labels]) => ({rule: this.matcher.rules[rule]!, labels}))
      .filter((x) => only === undefined || x.rule.action === only)
      .map((x) => ({name: x.rule.name, type: 'content_filter', action: x.rule.action, detail: [...x.labels].join(', ')}))
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

/**
 * One stream channel (a choice's text, a content block, a tool call's arguments): text comes in delta by delta and
 * goes out redacted, less the last `hold` characters, which wait for the next delta so a match split across deltas is
 * seen whole. A match that reaches the end of what has arrived also waits (a pattern may match more, a longer term
 * may start the same way). A blocking rule's match stops the channel before any of it goes out.
 */
export class HeldText {
  private held = ''
  /** The last characters that went out, as the upstream sent them (what the PII detector looks behind at). */
  private before = ''

  constructor(
    private readonly matcher: ContentMatcher,
    private readonly hits: Hits,
    private readonly args: boolean,
  ) {}

  get pending(): string {
    return this.held
  }

  /** The text that may go out now, or the block. `final` lets everything held go (the channel ends). */
  push(delta: string, final: boolean): {text: string} | {block: Blocked} {
    const buffer = this.held + delta
    if (buffer === '') return {text: ''}
    const matches = this.matcher.scan(buffer, this.args, this.before)
    const blocking = matches.filter((m) => this.hits.blocks(m))
    if (blocking.length) {
      this.held = ''
      for (const m of blocking) this.hits.add(m)
      return {block: this.hits.blocked()!}
    }
    const cut = final ? buffer.length : this.cutAt(buffer, matches)
    const out = matches.filter((m) => m.end <= cut)
    for (const m of out) this.hits.add(m)
    this.held = buffer.slice(cut)
    this.before = (this.before + buffer.slice(0, cut)).slice(-BEFORE)
    return {text: redactSpans(buffer.slice(0, cut), out)}
  }

  /** Where the text that may go out ends: before the hold, never inside a match, before a match at the very end. */
  private cutAt(buffer: string, matches: readonly Match[]): number {
    let cut = Math.max(0, buffer.length - (this.args ? this.matcher.argsHold : this.matcher.textHold))
    if (cut > 0 && cut < buffer.length && isHighSurrogate(buffer.charCodeAt(cut - 1))) cut--
    for (const s of spans(matches)) {
      if (s.start < cut && s.end > cut) cut = s.end
      if (s.end === buffer.length && s.start < cut) cut = s.start
    }
    return buffer.length - cut > MAX_HELD ? buffer.length : cut
  }
}

export interface BodyVerdict {
  /** The answer with every match replaced (what is sent, unless blocked; what the event stores either way). */
  body: Json
  changed: boolean
  block: Blocked | null
  /** Block: the blocking policy's trigger; otherwise one per redacting policy that matched. */
  triggers: PolicyTrigger[]
}

/** Filters a whole answer body in `api`'s shape: Chat Completions choices[].message, Messages content[] blocks. */
export function filterBody(matcher: ContentMatcher, api: CallerApi, body: Json): BodyVerdict {
  const hits = new Hits(matcher)
  let changed = false
  const redact = (v: string, args: boolean): string => {
    const matches = matcher.scan(v, args)
    if (matches.length === 0) return v
    for (const m of matches) hits.add(m)
    changed = true
    return redactSpans(v, matches)
  }
  // A value inside tool input: a string, or a number checked as its digits (a match becomes the placeholder string).
  const value = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, true)
    if (typeof v !== 'number') return v
    const t = redact(String(v), true)
    return t === String(v) ? v : t
  }
  const clean = (v: unknown, args: boolean): unknown => {
    if (typeof v !== 'string') return args ? value(v) : v
    const out = redact(v, args)
    return args && out !== v ? stillJson(v, out, value) : out
  }
  const out = api === 'anthropic.messages' ? messagesBody(body, clean) : chatBody(body, clean)
  const block = hits.blocked()
  const triggers = block ? hits.triggers().filter((t) => t.name === block.policy) : hits.triggers('redact')
  return {body: out, changed, block, triggers}
}

type Clean = (v: unknown, args: boolean) => unknown

/**
 * Tool-call arguments are JSON text: a match on a bare number (`{"card": 4111…}`) replaced in the text would leave
 * invalid JSON, so arguments that were JSON and no longer are get redacted value by value instead (a matching number
 * becomes the placeholder string).
 */
function stillJson(original: string, redacted: string, clean: (v: unknown) => unknown): string {
  const parse = (t: string): {ok: true; value: unknown} | {ok: false} => {
    try {
      return {ok: true, value: JSON.parse(t) as unknown}
    } catch {
      return {ok: false}
    }
  }
  const before = parse(original)
  if (!before.ok || parse(redacted).ok) return redacted
  const walk = (v: unknown): unknown => (Array.isArray(v) ? v.map(walk) : isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : clean(v))
  return JSON.stringify(walk(before.value))
}

function chatBody(body: Json, clean: Clean): Json {
  const choices = asArray(body.choices).map((c) => {
    if (!isObject(c) || !isObject(c.message)) return c
    const m: Json = {...c.message}
    if (Array.isArray(m.content)) m.content = m.content.map((p) => (isObject(p) && typeof p.text === 'string' ? {...p, text: clean(p.text, false)} : p))
    else m.content = clean(m.content, false)
    if (m.refusal !== undefined) m.refusal = clean(m.refusal, false)
    if (Array.isArray(m.tool_calls)) m.tool_calls = m.tool_calls.map((t) => (isObject(t) && isObject(t.function) ? {...t, function: {...t.function, arguments: clean(t.function.arguments, true)}} : t))
    if (isObject(m.function_call)) m.function_call = {...m.function_call, arguments: clean(m.function_call.arguments, true)}
    return {...c, message: m}
  })
  return Array.isArray(body.choices) ? {...body, choices} : body
}

function messagesBody(body: Json, clean: Clean): Json {
  if (!Array.isArray(body.content)) return body
  const deep = (v: unknown): unknown => (Array.isArray(v) ? v.map(deep) : isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) : clean(v, true))
  const content = body.content.map((b) => {
    if (!isObject(b)) return b
    if (b.type === 'text') return {...b, text: clean(b.text, false)}
    if (b.type === 'tool_use') return {...b, input: deep(b.input)}
    return b
  })
  return {...body, content}
}

const flagMatchers = new WeakMap<readonly ContentRule[], ContentMatcher>()
const heldMatchers = new WeakMap<readonly ContentRule[], ContentMatcher>()

/**
 * A shadow's answer as it is stored: block and redact rules replace their matches (a shadow is never shown, so
 * nothing is refused); null when nothing matched, or for a Responses API body (not filtered, only flagged).
 */
export function redactStored(rules: readonly ContentRule[], api: CallerApi, body: Json | null): {body: Json; triggers: PolicyTrigger[]} | null {
  if (rules.length === 0 || body === null || api === 'openai.responses') return null
  let matcher = heldMatchers.get(rules)
  if (!matcher) heldMatchers.set(rules, (matcher = new ContentMatcher(rules)))
  const v = filterBody(matcher, api, body)
  return v.changed ? {body: v.body, triggers: v.triggers} : null
}

/** Flag triggers for an answer's text and tool-call arguments (the side thread; the answer was never held for them). */
export function flagTriggers(rules: readonly ContentRule[], text: string | null, args: readonly string[]): PolicyTrigger[] {
  if (rules.length === 0) return []
  let matcher = flagMatchers.get(rules)
  if (!matcher) flagMatchers.set(rules, (matcher = new ContentMatcher(rules)))
  const hits = new Hits(matcher)
  for (const m of text ? matcher.scan(text, false) : []) hits.add(m)
  for (const a of args) for (const m of matcher.scan(a, true)) hits.add(m)
  return hits.triggers()
}
