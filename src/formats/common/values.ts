// Small readers that every log format needs: strings and JSON-in-a-string from loose sources (CSV cells, OTel
// attributes), identifiers hashed before they are stored (§13), and times in any unit (§13).
import {sha256, toIso} from '../../records/index.js'
import {asArray, maybeJson, type Json} from '../../wire/index.js'

/** A non-empty string, else null (CSV cells arrive as '' for "absent"). */
export function str(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

/** Like maybeJson, but also undoes a JSON-quoted string (`"\"hi\""` → `hi`), as CSV exports write them. */
export function decode(v: unknown): unknown {
  if (typeof v !== 'string') return v
  const s = v.trim()
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s)
    } catch {
      return v
    }
  }
  return maybeJson(v)
}

export function strings(v: unknown): string[] {
  const d = decode(v)
  if (typeof d === 'string') return d === '' ? [] : [d]
  return asArray(d).filter((t): t is string => typeof t === 'string' && t !== '')
}

/**
 * Short stable hash of a user / API-key identifier: PII is never stored in clear (§13), but calls of one
 * user can still be grouped. Unsalted, so low-entropy values (IPs) are dropped instead of hashed.
 */
export function hashIdentifier(v: unknown): string | null {
  const s = str(v)
  return s === null ? null : sha256(s).slice(0, 16)
}

/**
 * Epoch milliseconds (fractional) from epoch s/ms/µs/ns numbers or ISO / naive-UTC strings. Unlike toIso it
 * keeps sub-millisecond digits, so a LiteLLM latency of 4.583 ms is not rounded to 4 or 5.
 */
export function epochMs(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) return null
    return n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6
  }
  if (typeof value !== 'string') return null
  const iso = toIso(value)
  if (!iso) return null
  const frac = /\d{2}:\d{2}:\d{2}[.,](\d+)/.exec(value)
  const extra = frac && frac[1]!.length > 3 ? Number(`0.${frac[1]!.slice(3)}`) : 0
  return Date.parse(iso) + extra
}

/** end − start in ms, rounded to µs; null when a side is missing or the span runs backwards. */
export function msBetween(start: number | null, end: number | null): number | null {
  if (start === null || end === null || end < start) return null
  return Math.round((end - start) * 1000) / 1000
}

export function isoFromMs(ms: number | null): string | null {
  if (ms === null) return null
  const d = new Date(Math.floor(ms))
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}


/** Puts each `[key, value]` whose value is known (not null) into `into`, in order. */
export function putKnown(into: Json, entries: readonly (readonly [string, unknown])[]): void {
  for (const [k, v] of entries) if (v !== null && v !== undefined) into[k] = v
}

const SESSION_KEYS = ['session_id', 'sessionId', 'conversation_id', 'conversationId', 'thread_id', 'threadId']
const TRACE_KEYS = ['trace_id', 'traceId']

function firstKey(keys: readonly string[], sources: readonly unknown[]): string | null {
  for (const s of sources) {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) continue
    for (const k of keys) {
      const v = str((s as Json)[k])
      if (v !== null) return v
    }
  }
  return null
}

/**
 * The session (conversation) id an in-house log keeps next to a call, in the first of `sources` that has one:
 * `session_id`, `conversation_id` or `thread_id` (or their camelCase forms). Turns of one conversation share it.
 */
export function sessionIdOf(...sources: unknown[]): string | null {
  return firstKey(SESSION_KEYS, sources)
}

/** The trace id (`trace_id`, `traceId`) in the first of `sources` that has one. */
export function traceIdOf(...sources: unknown[]): string | null {
  return firstKey(TRACE_KEYS, sources)
}
