// What every record goes through before it is stored (buildRecord, for every format): credentials scrubbed from every
// field that is stored (redact.ts), lone surrogates replaced where text is stored as text, and numbers outside their
// physical bounds (bounds.ts) nulled with a flag or the record rejected. Each change is noted in the record's
// metadata, so that listings, exports and replays can say what differs from the log:
// - `scrubbed`: the parts where credentials were masked or removed (`request` means replay sends a body that differs
//   from the logged one, and its results say so);
// - `lone_surrogates`: the parts whose text held half a UTF-16 pair (stored as U+FFFD; JSON bodies keep the \uXXXX
//   escape, which is valid UTF-8 and replays byte for byte);
// - `invalid_values`: impossible numbers that were stored as null, with what the log said;
// - `pii_redacted`: with `redactPii` (kt import --redact-pii, never the gateway), the personal data replaced by
//   `[redacted:<kind>]` everywhere it would be stored (pii-record.ts), counted by kind (never the values).
import {BOUNDS, boundProblem, withinBounds, type BoundedField} from './bounds.js'
import {redactRecordPii, type PiiCounts} from './pii-record.js'
import {scrubJsonText, scrubSecrets, scrubText} from './redact.js'
import type {CanonicalRecord, EventFields, Usage} from './types.js'

/** What the importer learns about a record beyond the record itself: why to refuse it, or what to count as flagged. */
export interface ImportNotes {
  reject: string | null
  flags: string[]
  /** What --redact-pii replaced in this record, by kind (absent: nothing). */
  pii?: PiiCounts
}

export interface SanitizeOptions {
  /** Redact personal data (pii.ts) before the record is stored (kt import --redact-pii). */
  redactPii?: boolean
}

const notes = new WeakMap<CanonicalRecord, ImportNotes>()

/** The importer's notes on a record built by buildRecord (none: nothing to say). */
export function importNotes(record: CanonicalRecord): ImportNotes | undefined {
  return notes.get(record)
}

/** The metadata keys sanitizeRecord writes (kt-events imports keep them when they replace the metadata). */
export const SANITIZE_NOTE_KEYS = ['scrubbed', 'lone_surrogates', 'invalid_values', 'pii_redacted'] as const

interface WellFormedString {
  isWellFormed(): boolean
  toWellFormed(): string
}

/** `s` with any lone surrogate replaced by U+FFFD (SQLite would store it as invalid UTF-8). */
export function wellFormed<T extends string | null>(s: T): T {
  return s === null || (s as unknown as WellFormedString).isWellFormed() ? s : ((s as unknown as WellFormedString).toWellFormed() as T)
}

type Fix = (s: string) => string

/** Applies `fix` to each string field of `obj` named in `keys`; true when one changed. */
function fixFields<T extends object>(obj: T, keys: readonly (keyof T)[], fix: Fix): boolean {
  let changed = false
  const o = obj as Record<keyof T, unknown>
  for (const k of keys) {
    const v = o[k]
    if (typeof v !== 'string') continue
    const out = fix(v)
    if (out !== v) {
      o[k] = out
      changed = true
    }
  }
  return changed
}

const EVENT_TEXT: (keyof EventFields)[] = ['trace_id', 'session_id', 'app', 'route', 'environment', 'decision', 'policy_id', 'decision_reason', 'comparison_metric', 'comparison_verdict', 'mirror_group_id', 'primary_event_id', 'shadow_event_id']

/** Text fields stored as text (not JSON) in the part named; fix applied; the parts that changed are returned. */
function fixText(r: CanonicalRecord, fix: Fix): string[] {
  const parts: string[] = []
  if (r.response) {
    let changed = fixFields(r.response, ['text', 'reasoning', 'finish_reason_raw'], fix)
    for (const t of r.response.tool_calls) changed = fixFields(t, ['id', 'name', 'arguments'], fix) || changed
    if (changed) parts.push('response')
  }
  if (r.error && fixFields(r.error, ['type', 'code', 'message'], fix)) parts.push('error')
  if (fixFields(r.event, EVENT_TEXT, fix)) parts.push('event')
  if (fixFields(r, ['source_id', 'model', 'response_model'], fix)) parts.push('ids')
  const tags = r.tags.map(fix)
  if (tags.some((t, i) => t !== r.tags[i])) {
    r.tags = tags
    parts.push('tags')
  }
  return parts
}

function scrubRecordSecrets(r: CanonicalRecord): string[] {
  const parts: string[] = []
  if (r.request.raw) {
    const raw = scrubSecrets(r.request.raw)
    if (raw !== r.request.raw) {
      r.request = {...r.request, raw}
      parts.push('request')
    }
  }
  if (r.response?.raw) {
    const raw = scrubSecrets(r.response.raw)
    if (raw !== r.response.raw) {
      r.response = {...r.response, raw}
      parts.push('response')
    }
  }
  for (const p of fixText(r, (s) => (s.startsWith('{') || s.startsWith('[') ? scrubJsonText(s) : scrubText(s)))) if (!parts.includes(p)) parts.push(p)
  const metadata = scrubSecrets(r.metadata)
  if (metadata !== r.metadata) {
    r.metadata = metadata
    parts.push('metadata')
  }
  return parts
}

const TOKEN_FIELDS: (keyof Usage)[] = ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens']

/** Impossible numbers: the first reason to refuse the record, and the flagged values (nulled on the record). */
function checkBounds(r: CanonicalRecord, unreadable: Record<string, unknown> | undefined, n: ImportNotes, invalid: Record<string, string>): void {
  const flag = (name: string, why: string, raw: unknown) => {
    n.flags.push(`${why}: stored as null`)
    invalid[name] = String(raw)
  }
  for (const [name, raw] of Object.entries(unreadable ?? {})) flag(name, `${name} is not a number`, raw)
  const one = (name: 'latency_ms' | 'ttft_ms' | 'cost_usd', field: BoundedField) => {
    const v = r[name]
    if (v === null || withinBounds(field, v)) return
    flag(name, boundProblem(name, field, v), v)
    r[name] = null
  }
  one('latency_ms', 'latency_ms')
  one('ttft_ms', 'ttft_ms')
  one('cost_usd', 'cost_usd')
  if (r.cost_usd === null) r.cost_source = null
  for (const f of TOKEN_FIELDS) {
    const v = r.usage[f]
    if (v === null || withinBounds('tokens', v)) continue
    if (BOUNDS.tokens.action === 'reject') {
      n.reject ??= `${boundProblem(f, 'tokens', v)} (not a possible token count)`
    } else {
      flag(f, boundProblem(f, 'tokens', v), v)
      r.usage = {...r.usage, [f]: null}
    }
  }
}

/**
 * Makes a built record safe to store (see above), in place. `unreadable`: numeric fields the log gave as something
 * that is not a number ("NaN", "inf"), already read as null, to be counted and kept in metadata.
 */
export function sanitizeRecord(r: CanonicalRecord, unreadable?: Record<string, unknown>, opts: SanitizeOptions = {}): void {
  const n: ImportNotes = {reject: null, flags: []}
  const scrubbed = scrubRecordSecrets(r)
  // After credentials (a key is masked whole, not cut by a phone number inside it), before the id and request hash.
  const pii = opts.redactPii ? redactRecordPii(r) : null
  const surrogates = fixText(r, wellFormed)
  const invalid: Record<string, string> = {}
  checkBounds(r, unreadable, n, invalid)
  // Merged with what the metadata already says (a kt export read back keeps its notes).
  const m = r.metadata
  const add: Record<string, unknown> = {}
  const union = (key: string, parts: string[]) => {
    const had = Array.isArray(m[key]) ? (m[key] as unknown[]).filter((p): p is string => typeof p === 'string') : []
    add[key] = [...new Set([...had, ...parts])]
  }
  if (scrubbed.length) union('scrubbed', scrubbed)
  if (surrogates.length) union('lone_surrogates', surrogates)
  if (pii) {
    n.pii = pii
    add.pii_redacted = addCounts(m.pii_redacted, pii)
  }
  if (Object.keys(invalid).length) add.invalid_values = {...(typeof m.invalid_values === 'object' && m.invalid_values !== null ? m.invalid_values : {}), ...invalid}
  if (Object.keys(add).length) r.metadata = {...m, ...add}
  if (n.reject !== null || n.flags.length || n.pii) notes.set(r, n)
}

/** Counts already in the metadata (a kt export of a redacted import, redacted again) plus this pass's. */
function addCounts(had: unknown, pii: PiiCounts): PiiCounts {
  const out: Record<string, number> = {}
  if (had && typeof had === 'object' && !Array.isArray(had)) {
    for (const [k, v] of Object.entries(had)) if (typeof v === 'number') out[k] = v
  }
  for (const [k, v] of Object.entries(pii)) out[k] = (out[k] ?? 0) + v
  return out as PiiCounts
}
