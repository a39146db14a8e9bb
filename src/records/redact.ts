// Credentials never reach the store, an export, a report or a message. This file is the one rule that says what a
// credential is, used at import (every format), on replay results, judge records and (later) the gateway's events:
//
// - By name: a key, header, query parameter or `name: value` / `name=value` in text whose name says it holds one:
//   any word `token`, `secret`, `password`, `passwd`, `passphrase`, `auth`, `authorization`, `cookie`, `credential`,
//   `apikey`, or the pairs api/private/access + key (`api_key`, `x-api-key`, `apiKey`, `litellm_api_key`,
//   `client_secret`, `X-Custom-Token`…). Not credentials: token counts and timings (`max_tokens`, `token_count`,
//   `time_to_first_token`), a logprob's `token` (the text of one token), kt's own hashed ids (`*_hash`).
// - By shape, anywhere in a string: provider key formats (`sk-…`, `sk-ant-…`, `AIza…`, `gsk_…`, `hf_…`, `ghp_…`,
//   `xox?-…`, `AKIA…`), JWTs, `Bearer …`, a URL's password and its `?key=` / `?sig=` parameters, and the
//   "API key provided: …" of provider error messages.
//
// An object loses a secret-named key holding a string or number (under such a name an object, e.g. a JSON schema
// property called `password`, is walked, not dropped); strings have secret values replaced by [redacted].

export const REDACTED = '[redacted]'

/**
 * `text` with every occurrence of these known values (a target's key, its secret header values) masked: what an
 * upstream, a collector or an SDK error may echo back. Values under 6 characters are left alone: masking them would
 * mangle ordinary words and they are no credential.
 */
export function maskKnown(text: string, values: readonly string[]): string {
  let out = text
  for (const v of values) if (v.length >= 6 && out.includes(v)) out = out.split(v).join(REDACTED)
  return out
}

/** Header names dropped wherever headers are kept, beyond what the name rule catches. */
const SECRET_HEADERS = new Set(['proxy-authorization', 'set-cookie', 'openai-organization', 'openai-project'])

/** Words that make a name a credential's name. */
const SECRET_WORDS = new Set([
  'token', 'secret', 'secrets', 'password', 'passwords', 'passwd', 'passphrase', 'auth', 'authorization', 'cookie',
  'cookies', 'credential', 'credentials', 'apikey', 'apikeys', 'privatekey', 'accesskey', 'xapikey',
])
/** `<word> key` pairs that name a key: api_key, private-key, accessKey, secret_key. */
const KEY_PAIRS = new Set(['api', 'private', 'access', 'secret', 'client'])
/** `token <word>`: a count or a property of tokens, not a credential (token_count, token_usage, token_limit…). */
const TOKEN_AFTER = new Set(['count', 'counts', 'usage', 'limit', 'limits', 'budget', 'type', 'types', 'index', 'id', 'ids', 'logprob', 'logprobs', 'bytes', 'length', 'len', 'estimate', 'estimates', 'cost', 'costs', 'price', 'rate'])
/** `<word> token`: max_token, first_token (time to first token), total_token… */
const TOKEN_BEFORE = new Set(['max', 'min', 'num', 'total', 'input', 'output', 'prompt', 'completion', 'cached', 'reasoning', 'first', 'last', 'per', 'special', 'eos', 'bos', 'stop', 'pad'])
/** Query parameters that carry a key even though their name says nothing (Google `?key=`, Azure SAS `sig`). */
const QUERY_KEYS = new Set(['key', 'sig', 'signature', 'code'])

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
}

function decideName(name: string): boolean {
  const w = words(name)
  // kt stores hashed identifiers as `<name>_hash` (user_api_key_hash): a hash is not the credential.
  if (w.length === 0 || w[w.length - 1] === 'hash') return false
  for (let i = 0; i < w.length; i++) {
    const word = w[i]!
    if (word === 'key' && i > 0 && KEY_PAIRS.has(w[i - 1]!)) return true
    if (!SECRET_WORDS.has(word)) continue
    if (word === 'token' && (TOKEN_AFTER.has(w[i + 1] ?? '') || TOKEN_BEFORE.has(w[i - 1] ?? ''))) continue
    return true
  }
  return false
}

const nameCache = new Map<string, boolean>()

/** Whether a key, header, parameter or field name says its value is a credential (see the rule above). */
export function isSecretName(name: string): boolean {
  let v = nameCache.get(name)
  if (v === undefined) {
    v = decideName(name)
    // Names repeat endlessly in logs; a bounded memo keeps the check cheap without growing forever.
    if (nameCache.size > 10_000) nameCache.clear()
    nameCache.set(name, v)
  }
  return v
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || isSecretName(name)
}

/** Returns a copy of a header map or HAR header list without credentials. */
export function stripSecretHeaders<T extends Record<string, unknown> | {name: string; value: unknown}[]>(headers: T): T {
  if (Array.isArray(headers)) return headers.filter((h) => !isSecretHeader(h.name)) as T
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(headers)) if (!isSecretHeader(k)) setOwn(out, k, v)
  return out as T
}

/** `out[k] = v`, except that a `__proto__` key becomes an own property (assignment would set the prototype). */
export function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, {value: v, enumerable: true, writable: true, configurable: true})
  else out[k] = v
}

// Cheap first look: a string none of these occur in holds nothing the rules below would mask. A plural `tokens"` or
// `tokens_details"` is a token count's key (isSecretName never masks it), and every usage object has one: left out,
// so a body without credentials is not parsed and walked again for nothing.
const TRIGGER = /sk-|AIza|gsk_|hf_|gh[pousr]_|github_pat_|xox[a-z]-|AKIA|eyJ|Bearer|:\/\/[^\s/@]*@|token(?!s"|s_details")|secret|passw|auth|api[-_ ]?key|apikey|cookie|credential|(?:private|access)[-_ ]?key|[?&;](?:key|sig|signature|code)=/i

/** Provider and platform key formats, JWTs and bearer tokens, wherever they appear. */
const KEY_SHAPES =
  /\b(?:sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,}|gsk_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/g
/** `scheme://user:password@host`: the password. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/?#@:"'\\]{0,256}:)([^\s/?#@"'\\]{1,256})@/gi
/** `?name=value` / `&name=value` in a URL. */
const QUERY_PARAM = /([?&;])([^=&#?;\s"'\\]{1,64})=([^&#\s"'<>\\]*)/g
/** `API key provided: XYZ` (OpenAI's 401 message) and its cousins. */
const KEY_PHRASE = /\b((?:api|access|secret|private)[ -]key(?:\s+(?:provided|given|used|is|was))?\s*[:=]\s*)([^\s"'\\,;]{6,})/gi
/**
 * `name: value`, `name=value`, `"name": "value"` (JSON or header text): the name (optionally quoted), the separator,
 * then a quoted value, or an optional auth scheme and a bare value. Names start only where a word starts and every
 * repeat is bounded, so a long run of word characters (base64 in a prompt) costs linear time, never quadratic.
 */
const NAME_VALUE = /(?<![A-Za-z0-9_.-])(["']?)([A-Za-z_][A-Za-z0-9_.-]{0,63})\1([ \t]{0,16}[:=][ \t]{0,16})(?:(["'])([^"'\\\r\n]{0,4096})\4|((?:Bearer|Basic|Token|Digest|Bot|ApiKey)\s+)?([^\s"'\\,;&)}\]]+))/g

/** A bare (unquoted) value that looks like a credential rather than a word: long, or long enough with a digit. */
function credentialLike(v: string): boolean {
  return v.length >= 16 || (v.length >= 8 && /\d/.test(v) && /[A-Za-z]/.test(v))
}

function maskNameValue(m: string, q: string, name: string, sep: string, vq: string | undefined, qval: string | undefined, scheme: string | undefined, val: string | undefined): string {
  if (!isSecretName(name)) return m
  if (vq !== undefined) return qval ? `${q}${name}${q}${sep}${vq}${REDACTED}${vq}` : m
  if (val === undefined || /^(null|true|false|none|undefined)$/i.test(val)) return m
  // A quoted name (JSON) or an auth scheme says it is a credential; a bare `token: word` in prose needs a credential's looks.
  if (!q && !scheme && !credentialLike(val)) return m
  return `${q}${name}${q}${sep}${REDACTED}`
}

/** `text` with every credential the rule finds replaced by [redacted] (the same string when there is none). */
export function scrubText(text: string): string {
  if (!TRIGGER.test(text)) return text
  return text
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(QUERY_PARAM, (m, sep: string, name: string, value: string) =>
      value && (isSecretName(name) || QUERY_KEYS.has(name.toLowerCase())) ? `${sep}${name}=${REDACTED}` : m,
    )
    .replace(KEY_PHRASE, `$1${REDACTED}`)
    .replace(NAME_VALUE, maskNameValue)
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(KEY_SHAPES, REDACTED)
}

/** A `{name|key, value}` pair (HAR headers, OTel attributes) whose name is a credential's. */
function secretPair(obj: Record<string, unknown>): boolean {
  const n = typeof obj.name === 'string' ? obj.name : typeof obj.key === 'string' ? obj.key : null
  return n !== null && 'value' in obj && isSecretHeader(n) && obj.value !== REDACTED
}

/** Whether key `k` of `obj` is dropped: a credential's name holding a string or number (a logprob's `token` is text). */
function dropsKey(obj: Record<string, unknown>, k: string, v: unknown): boolean {
  if (typeof v !== 'string' && typeof v !== 'number') return false
  if (!isSecretName(k)) return SECRET_HEADERS.has(k.toLowerCase())
  return !(k === 'token' && 'logprob' in obj)
}

/** Whether scrubSecrets could return anything but an equal value (or something not plain JSON data, which the copy makes plain). */
function needsScrub(value: unknown): boolean {
  if (typeof value === 'string') return TRIGGER.test(value) && scrubText(value) !== value
  if (!value || typeof value !== 'object') return false
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return true
    for (const v of value) if (needsScrub(v)) return true
    return false
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return true
  const obj = value as Record<string, unknown>
  if (secretPair(obj)) return true
  for (const k of Object.keys(obj)) {
    if (dropsKey(obj, k, obj[k]) || needsScrub(obj[k])) return true
  }
  return false
}

/**
 * Credential-like keys removed and credential-like strings masked, in any JSON value (bodies, metadata, headers).
 * Returns the value itself when there is nothing to remove (the common case: no copy); otherwise a deep copy.
 */
export function scrubSecrets<T>(value: T): T {
  return needsScrub(value) ? scrubCopy(value) : value
}

function scrubCopy<T>(value: T): T {
  if (typeof value === 'string') return scrubText(value) as T
  if (Array.isArray(value)) return value.map((v) => scrubCopy(v)) as T
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const out: Record<string, unknown> = {}
    const pair = secretPair(obj)
    for (const k of Object.keys(obj)) {
      const v = obj[k]
      if (dropsKey(obj, k, v)) continue
      setOwn(out, k, pair && k === 'value' ? REDACTED : scrubCopy(v))
    }
    return out as T
  }
  return value
}

/** A JSON text (a stored body) with credentials removed: parsed and scrubbed when anything may need it, else as is. */
export function scrubJsonText(json: string): string {
  if (!TRIGGER.test(json)) return json
  try {
    const value: unknown = JSON.parse(json)
    return needsScrub(value) ? JSON.stringify(scrubCopy(value)) : json
  } catch {
    return scrubText(json)
  }
}
