// `kt import --redact-pii`: personal data (pii.ts) replaced by `[redacted:<kind>]` in every part of a record that is
// stored — the request and response bodies (every string value, at any depth), the canonical text (answer, reasoning,
// tool calls, the request's messages), the error, event text, ids, tags and metadata — before its id and request hash
// are computed, so dedup and replay work on what is stored. Counts are by kind, never values. A value stored twice
// (the answer in its body and as response_text, a prompt in the body and in the parsed messages) counts once: counts
// come from the bodies when there are any, else from the parsed text.
import {findPii, piiPlaceholder, type PiiKind} from './pii.js'
import type {CanonicalRecord, Message, Part} from './types.js'

/** How many values of each kind were redacted. */
export type PiiCounts = Partial<Record<PiiKind, number>>

// Every kind needs an `@` or a digit: a string with neither is left without running the finders.
const MAYBE_PII = /[@\d]/

/** Replaces PII in one string, counting into `counts` (null: count nothing). */
type Redact = (s: string) => string

function redacter(counts: PiiCounts | null): Redact {
  return (text) => {
    if (!MAYBE_PII.test(text)) return text
    const spans = findPii(text)
    if (spans.length === 0) return text
    let out = ''
    let at = 0
    for (const s of spans) {
      out += text.slice(at, s.start) + piiPlaceholder(s.kind)
      at = s.end
      if (counts) counts[s.kind] = (counts[s.kind] ?? 0) + 1
    }
    return out + text.slice(at)
  }
}

/** Every string value of a JSON value redacted (keys kept); the value itself when nothing changed, else a copy. */
export function redactJsonPii<T>(value: T, fix: Redact): T {
  if (typeof value === 'string') return fix(value) as T
  if (Array.isArray(value)) {
    let out: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]
      const r = redactJsonPii(v, fix)
      if (r !== v) (out ??= value.slice())[i] = r
    }
    return (out ?? value) as T
  }
  if (value && typeof value === 'object') {
    let out: Record<string, unknown> | null = null
    const obj = value as Record<string, unknown>
    for (const k of Object.keys(obj)) {
      const v = obj[k]
      const r = redactJsonPii(v, fix)
      if (r === v) continue
      // defineProperty: a `__proto__` key stays an own property of the copy.
      out ??= {...obj}
      Object.defineProperty(out, k, {value: r, enumerable: true, writable: true, configurable: true})
    }
    return (out ?? value) as T
  }
  return value
}

function redactPart(p: Part, fix: Redact): Part {
  switch (p.type) {
    case 'text':
    case 'reasoning':
      return {...p, text: fix(p.text)}
    case 'tool_call':
      return {...p, arguments: fix(p.arguments)}
    case 'tool_result':
      return {...p, content: fix(p.content)}
    default:
      return redactJsonPii(p, fix)
  }
}

function redactRequest(r: CanonicalRecord, main: Redact, copy: Redact): void {
  const req = r.request
  const parsed = req.raw ? copy : main
  const messages = req.messages.map((m): Message => ({...m, parts: m.parts.map((p) => redactPart(p, parsed))}))
  r.request = {
    ...req,
    raw: req.raw ? redactJsonPii(req.raw, main) : null,
    system: req.system === null ? null : parsed(req.system),
    messages,
    tools: redactJsonPii(req.tools, parsed),
    params: redactJsonPii(req.params, parsed),
  }
}

function redactResponse(r: CanonicalRecord, main: Redact, copy: Redact): void {
  const res = r.response
  if (!res) return
  const parsed = res.raw ? copy : main
  r.response = {
    ...res,
    raw: res.raw ? redactJsonPii(res.raw, main) : null,
    text: res.text === null ? null : parsed(res.text),
    reasoning: res.reasoning === null ? null : parsed(res.reasoning),
    finish_reason_raw: res.finish_reason_raw === null ? null : parsed(res.finish_reason_raw),
    tool_calls: res.tool_calls.map((t) => ({id: parsed(t.id), name: parsed(t.name), arguments: parsed(t.arguments)})),
  }
}

/**
 * Redacts personal data in every stored part of `r`, in place (see above); the counts by kind, or null when nothing
 * was found. Metadata is redacted but not annotated here: sanitizeRecord adds `pii_redacted`.
 */
export function redactRecordPii(r: CanonicalRecord): PiiCounts | null {
  const counts: PiiCounts = {}
  const copies: PiiCounts = {}
  const main = redacter(counts)
  redactRequest(r, main, redacter(copies))
  redactResponse(r, main, redacter(copies))
  if (r.error) r.error = redactJsonPii(r.error, main)
  r.event = redactJsonPii(r.event, main)
  r.tags = redactJsonPii(r.tags, main)
  r.metadata = redactJsonPii(r.metadata, main)
  r.source_id = r.source_id === null ? null : main(r.source_id)
  r.model = r.model === null ? null : main(r.model)
  r.response_model = r.response_model === null ? null : main(r.response_model)
  // Found only in a parsed copy (text a body did not hold): counted from there, so the record is still marked.
  const found = Object.keys(counts).length ? counts : copies
  return Object.keys(found).length ? found : null
}
