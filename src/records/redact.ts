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

/** Deep copy with credential-like keys removed and key-like strings masked (used on metadata and raw bodies). */
export function scrubSecrets<T>(value: T): T {
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]') as T
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v)) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEYS.test(k)) continue
      if ((k === 'headers' || k === 'request_headers') && v && typeof v === 'object') {
        out[k] = scrubSecrets(stripSecretHeaders(v as Record<string, unknown>))
        continue
      }
      out[k] = scrubSecrets(v)
    }
    return out as T
  }
  return value
}
