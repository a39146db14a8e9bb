import type {FinishReason, Usage} from './types.js'
import {emptyUsage} from './types.js'

// §1.2 of docs/log-formats.md: every provider's stop reason mapped to one vocabulary.
const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  completed: 'stop',
  STOP: 'stop',
  length: 'length',
  max_tokens: 'length',
  max_output_tokens: 'length',
  model_context_window_exceeded: 'length',
  MAX_TOKENS: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  SAFETY: 'content_filter',
  error: 'error',
  failed: 'error',
}

export function normalizeFinishReason(raw: unknown): FinishReason | null {
  if (raw === null || raw === undefined || raw === '') return null
  const key = String(raw)
  return FINISH[key] ?? FINISH[key.toLowerCase()] ?? 'other'
}

export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return null
}

/**
 * The fields of `obj` named in `keys` that hold something other than a number ("NaN", "Infinity", "n/a", true): `num`
 * reads them as absent, and the importer flags them (records/sanitize.ts). Null when there is none.
 */
export function unreadableNumbers(obj: unknown, keys: readonly string[], prefix = ''): Record<string, unknown> | null {
  if (!obj || typeof obj !== 'object') return null
  let out: Record<string, unknown> | null = null
  for (const k of keys) {
    const v = (obj as Record<string, unknown>)[k]
    if (v === null || v === undefined || v === '' || num(v) !== null) continue
    ;(out ??= {})[`${prefix}${k}`] = v
  }
  return out
}

/** Usage fields of OpenAI and Anthropic bodies that must be numbers. */
export const USAGE_NUMBER_KEYS = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const

function sumNullable(...values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null)
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0)
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** OpenAI Chat `usage` (prompt_tokens already includes cached tokens). */
export function usageFromOpenAIChat(u: unknown): Usage {
  const usage = obj(u)
  if (Object.keys(usage).length === 0) return emptyUsage()
  const input = num(usage.prompt_tokens) ?? num(usage.input_tokens)
  const output = num(usage.completion_tokens) ?? num(usage.output_tokens)
  const pd = obj(usage.prompt_tokens_details ?? usage.input_tokens_details)
  const cd = obj(usage.completion_tokens_details ?? usage.output_tokens_details)
  return finishUsage({
    input_tokens: input,
    output_tokens: output,
    cached_input_tokens: num(pd.cached_tokens),
    cache_write_tokens: null,
    reasoning_tokens: num(cd.reasoning_tokens),
    total_tokens: num(usage.total_tokens),
  })
}

/** Anthropic `usage`: input_tokens excludes cache reads and writes, so they are added back (§1.1). */
export function usageFromAnthropic(u: unknown): Usage {
  const usage = obj(u)
  if (Object.keys(usage).length === 0) return emptyUsage()
  const base = num(usage.input_tokens)
  const cacheWrite = num(usage.cache_creation_input_tokens)
  const cacheRead = num(usage.cache_read_input_tokens)
  const details = obj(usage.output_tokens_details)
  return finishUsage({
    input_tokens: base === null ? null : sumNullable(base, cacheWrite, cacheRead),
    output_tokens: num(usage.output_tokens),
    cached_input_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: num(details.thinking_tokens),
    total_tokens: null,
  })
}

/** Fills total_tokens when absent; flags (never fixes) a reported total that disagrees with the parts. */
export function finishUsage(u: Usage): Usage & {inconsistent?: boolean} {
  const parts = sumNullable(u.input_tokens, u.output_tokens)
  if (u.total_tokens === null) return {...u, total_tokens: u.input_tokens !== null && u.output_tokens !== null ? parts : u.total_tokens}
  if (parts !== null && u.input_tokens !== null && u.output_tokens !== null && parts !== u.total_tokens) {
    return {...u, inconsistent: true}
  }
  return u
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Two ASCII digits at i as a number, or -1. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * Whether s is already what toIso returns, `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real instant (the common
 * case in logs): then it is its own answer and the regexes and Date round trip can be skipped.
 */
function isCanonicalIso(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return false
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return false
  const y1 = digits2(s, 0)
  const y2 = digits2(s, 2)
  const month = digits2(s, 5)
  const day = digits2(s, 8)
  const ms = digits2(s, 20)
  const ms3 = s.charCodeAt(22) - 48
  if (y1 < 0 || y2 < 0 || ms < 0 || ms3 < 0 || ms3 > 9) return false
  if (month < 1 || month > 12 || day < 1) return false
  const hour = digits2(s, 11)
  const minute = digits2(s, 14)
  const second = digits2(s, 17)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false
  const year = y1 * 100 + y2
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)
}

/** ISO-8601 UTC with milliseconds, from epoch seconds, epoch ms, ISO or naive (UTC) strings. */
export function toIso(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'string' && isCanonicalIso(value)) return value
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value)
    if (!Number.isFinite(n)) return null
    // Epoch seconds (10 digits), ms (13), µs (16) or ns (19): pick by magnitude.
    const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6
    const d = new Date(ms)
    return Number.isNaN(d.getTime()) ? null : d.toISOString()
  }
  if (typeof value === 'string') {
    let s = value.trim()
    // Naive "2025-01-24 09:20:46.847371" is UTC by convention (LiteLLM); trim µs for Date.
    if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(s) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(s)) s = `${s.replace(' ', 'T')}Z`
    s = s.replace(/(\.\d{3})\d+/, '$1')
    const d = new Date(s)
    return Number.isNaN(d.getTime()) ? null : d.toISOString()
  }
  return null
}

/** Epoch nanoseconds as string or number (19 digits exceed 2^53) to epoch ms. */
export function nanosToMs(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  try {
    const big = typeof value === 'bigint' ? value : BigInt(String(value).split('.')[0]!)
    return Number(big / 1000n) / 1000
  } catch {
    return null
  }
}
