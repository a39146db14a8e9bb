// Credentials never reach the store: these header names are dropped wherever headers are kept.
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'set-cookie',
  'x-goog-api-key',
  'openai-organization',
  'openai-project',
])

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase())
}

/** Returns a copy of a header map or HAR header list without credentials. */
export function stripSecretHeaders<T extends Record<string, unknown> | {name: string; value: unknown}[]>(headers: T): T {
  if (Array.isArray(headers)) return headers.filter((h) => !isSecretHeader(h.name)) as T
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(headers)) if (!isSecretHeader(k)) out[k] = v
  return out as T
}

const SECRET_KEYS = /^(api[-_]?key|authorization|x-api-key|cookie|set-cookie|secret|password|access[-_]?token)$/i
const SECRET_VALUE = /\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{16,})/g

// Non-global twin of SECRET_VALUE for testing (a /g regex keeps state between .test calls).
const SECRET_VALUE_TEST = new RegExp(SECRET_VALUE.source)

/** Whether a string holds something SECRET_VALUE masks; the substring checks rule out most text cheaply. */
function hasSecretValue(s: string): boolean {
  return (s.includes('sk-') || s.includes('Bearer')) && SECRET_VALUE_TEST.test(s)
}

/**
 * Whether scrubSecrets could return anything but an equal value: a secret key or value, a header map,
 * or anything that is not plain JSON data (a class instance or `__proto__` key, which the copy changes).
 */
function needsScrub(value: unknown): boolean {
  if (typeof value === 'string') return hasSecretValue(value)
  if (!value || typeof value !== 'object') return false
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return true
    for (const v of value) if (needsScrub(v)) return true
    return false
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return true
  const obj = value as Record<string, unknown>
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) return true
    if (k === '__proto__' || k === 'headers' || k === 'request_headers' || SECRET_KEYS.test(k)) return true
    if (needsScrub(obj[k])) return true
  }
  return false
}

/**
 * Credential-like keys removed and key-like strings masked (used on metadata and raw bodies). Returns
 * the value itself when there is nothing to remove (the common case: no copy); otherwise a deep copy.
 */
export function scrubSecrets<T>(value: T): T {
  return needsScrub(value) ? scrubCopy(value) : value
}

/** Deep copy with credential-like keys removed and key-like strings masked. */
function scrubCopy<T>(value: T): T {
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]') as T
  if (Array.isArray(value)) return value.map((v) => scrubCopy(v)) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEYS.test(k)) continue
      if ((k === 'headers' || k === 'request_headers') && v && typeof v === 'object') {
        out[k] = scrubCopy(stripSecretHeaders(v as Record<string, unknown>))
        continue
      }
      out[k] = scrubCopy(v)
    }
    return out as T
  }
  return value
}
