// Personal data in free text (content_filter's `redact_pii`): e-mail addresses, payment card numbers, US social
// security numbers, IBANs, phone numbers and IPv4 addresses, found by shape and then validated, so that prompts full
// of numbers and code (order ids, timestamps, versions, UUIDs, amounts, dates) are left alone: cards must pass Luhn
// and start like a card network's number, IBANs must pass ISO 13616's mod-97 check, SSNs avoid the ranges never
// issued, North-American numbers need a valid area code and exchange. Every match is bounded on both sides (no word
// character, no continuation of a longer number) so a span is never cut out of something bigger.
// Written by hand, on purpose: no well-kept, dependency-free JS library detects exactly this conservative set; the
// large ones pull in NLP models or cloud services, and the small ones match bare digit runs without validating them.
// Pure; the regular expressions have no nested ambiguous repetition (no catastrophic backtracking on long inputs).

export const PII_KINDS = ['email', 'card', 'ssn', 'iban', 'phone', 'ip'] as const
export type PiiKind = (typeof PII_KINDS)[number]

export interface PiiSpan {
  start: number
  end: number
  kind: PiiKind
}

/** What a span becomes: `[redacted:email]` and so on. */
export const piiPlaceholder = (kind: PiiKind): string => `[redacted:${kind}]`

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g
// Contiguous digits, groups of four (the last group shorter), or Amex/Diners 4-6-5 / 4-6-4, one separator kind.
const CARD = /(?<![\w.,+-]|\d[ -])(?:\d{13,19}(?![\w]|[.,]\d)|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?(?![\w]|[.,]\d|\1\d)|\d{4}([ -])\d{6}\2\d{4,5}(?![\w]|[.,]\d|\2\d))/g
const SSN = /(?<![\w.-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w]|[.-]\d)/g
const IBAN = /(?<![\w])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![\w])/g
// `+`, a first group, then groups after a separator or in parentheses: one way to split a digit run, no backtracking blow-up.
const E164 = /(?<![\w+])\+\d{1,15}(?:(?:[ .-]?\(\d{1,5}\)[ .-]?|[ .-])\d{1,14}){0,7}(?![\w(]|[ .-]?\(?\d)/g
const NANP = /(?<![\w.+(-]|\d[ .-])(?:\([2-9]\d{2}\) ?[2-9]\d{2}-\d{4}|[2-9]\d{2}-[2-9]\d{2}-\d{4}|[2-9]\d{2}\.[2-9]\d{2}\.\d{4})(?![\w]|[.-]\d)/g
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?![\\w]|\\.\\d)`, 'g')

/** The Luhn checksum (ISO/IEC 7812) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return sum % 10 === 0
}

// Issuer prefixes and lengths (Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro): a millisecond
// timestamp or an order number passes Luhn one time in ten; it rarely also starts like a card of its length.
const NETWORKS: [RegExp, number, number][] = [
  [/^4/, 13, 19],
  [/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/, 16, 16],
  [/^3[47]/, 15, 15],
  [/^3(0[0-5]|[689])/, 14, 19],
  [/^6(011|4[4-9]|5)/, 16, 19],
  [/^35(2[89]|[3-8]\d)/, 16, 19],
  [/^62/, 16, 19],
  [/^(50|5[6-8]|6\d)/, 13, 19],
]

function cardValid(found: string): boolean {
  const digits = found.replace(/[ -]/g, '')
  if (digits.length < 13 || digits.length > 19) return false
  if (!NETWORKS.some(([re, min, max]) => re.test(digits) && digits.length >= min && digits.length <= max)) return false
  return luhnValid(digits)
}

/** ISO 13616: the first four characters moved to the end, letters as 10–35, the number mod 97 is 1. */
export function ibanValid(found: string): boolean {
  const s = found.replace(/ /g, '')
  if (s.length < 15 || s.length > 34) return false
  const check = Number(s.slice(2, 4))
  if (check < 2 || check > 98) return false
  let rest = 0
  for (const ch of s.slice(4) + s.slice(0, 4)) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48
    rest = (v > 9 ? rest * 100 + v : rest * 10 + v) % 97
  }
  return rest === 1
}

/**
 * A grouped match may have taken one group too many (a short uppercase word after an IBAN, the `12` of a card's
 * `12/27` expiry): the longest valid prefix that ends where a group does, or 0.
 */
const longestValid = (ok: (s: string) => boolean, sep: RegExp) => (found: string): number => {
  let s = found
  for (;;) {
    if (ok(s)) return s.length
    let cut = -1
    for (let i = s.length - 1; i > 0 && cut < 0; i--) if (sep.test(s[i]!)) cut = i
    if (cut < 0) return 0
    s = s.slice(0, cut)
  }
}

// A file name with a density suffix (`icon@2x.png`) has an e-mail's shape: these top-level names are file types.
const FILE_TLD = /\.(png|jpe?g|gif|svg|webp|ico|pdf|m?js|cjs|tsx?|jsx|css|json|ya?ml|txt|html?|xml|zip|gz|tar|lock)$/i

function phoneValid(found: string): boolean {
  const digits = found.replace(/\D/g, '').length
  return digits >= 8 && digits <= 15
}

type Finder = {kind: PiiKind; re: RegExp; length: (found: string) => number}

const whole = (ok: (s: string) => boolean) => (found: string) => (ok(found) ? found.length : 0)
const FINDERS: Finder[] = [
  {kind: 'email', re: EMAIL, length: whole((s) => !FILE_TLD.test(s))},
  {kind: 'card', re: CARD, length: longestValid(cardValid, /[ -]/)},
  {kind: 'ssn', re: SSN, length: (s) => s.length},
  {kind: 'iban', re: IBAN, length: longestValid(ibanValid, / /)},
  {kind: 'phone', re: E164, length: whole(phoneValid)},
  {kind: 'phone', re: NANP, length: (s) => s.length},
  {kind: 'ip', re: IPV4, length: (s) => s.length},
]

/** Every PII span in `text`, by start; where two overlap the earlier (then the longer) one is kept. */
export function findPii(text: string): PiiSpan[] {
  const all: PiiSpan[] = []
  for (const f of FINDERS) {
    f.re.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = f.re.exec(text)) !== null) {
      const n = f.length(m[0])
      if (n > 0) all.push({start: m.index, end: m.index + n, kind: f.kind})
    }
  }
  all.sort((a, b) => a.start - b.start || b.end - a.end)
  const out: PiiSpan[] = []
  for (const s of all) if (out.length === 0 || s.start >= out[out.length - 1]!.end) out.push(s)
  return out
}

/** The kinds found in `text`, in PII_KINDS order (what a block or a flag may name: never the values). */
export function piiKinds(text: string): PiiKind[] {
  const found = new Set(findPii(text).map((s) => s.kind))
  return PII_KINDS.filter((k) => found.has(k))
}

/** `text` with each PII span replaced by its placeholder. */
export function redactPii(text: string): string {
  let out = ''
  let at = 0
  for (const s of findPii(text)) {
    out += text.slice(at, s.start) + piiPlaceholder(s.kind)
    at = s.end
  }
  return out + text.slice(at)
}
