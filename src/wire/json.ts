// Narrowing helpers for untyped JSON: unknown keys are ignored, wrong types read as absent.
export type Json = Record<string, unknown>

export function asObject(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

/** Parses a JSON-encoded string (LiteLLM/OTel store objects as strings); other values pass through. */
export function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v
  const s = v.trim()
  if (!(s.startsWith('{') || s.startsWith('['))) return v
  try {
    return JSON.parse(s)
  } catch {
    return v
  }
}
