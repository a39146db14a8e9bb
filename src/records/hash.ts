import * as crypto from 'node:crypto'
import {createHash, randomBytes} from 'node:crypto'

// `"key":` per object key, cached: the same few dozen keys recur in every body of an import. Bounded so
// that bodies with arbitrary keys (logit_bias, free-form metadata) cannot grow it without limit.
const KEY_PREFIXES = new Map<string, string>()
const MAX_KEY_PREFIXES = 10_000

function keyPrefix(k: string): string {
  let q = KEY_PREFIXES.get(k)
  if (q === undefined) {
    q = `${JSON.stringify(k)}:`
    if (KEY_PREFIXES.size < MAX_KEY_PREFIXES) KEY_PREFIXES.set(k, q)
  }
  return q
}

/** Sorts keys as Array.prototype.sort() does (UTF-16 code unit order); in place, without sort's allocations for the usual handful. */
function sortKeys(keys: string[]): void {
  if (keys.length > 24) {
    keys.sort()
    return
  }
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!
    let j = i - 1
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!
      j--
    }
    keys[j + 1] = k
  }
}

// Characters JSON.stringify escapes (quote, backslash, controls) or may escape (surrogates: lone ones are
// written as \uXXXX). A string without any is its own JSON text between quotes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/**
 * JSON with object keys sorted, so equal content always hashes equally. Output is byte-for-byte what the
 * plain recursive definition gives (values via JSON.stringify, undefined properties left out, keys in
 * default sort order, holes in arrays written as nothing); this version only avoids the intermediate
 * arrays, Array.prototype.sort's allocations, and JSON.stringify for plain strings and numbers.
 */
export function stableStringify(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      break
    default:
      return JSON.stringify(value) ?? 'null'
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    let s = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) s += ','
      const v: unknown = value[i]
      // A hole stays empty, as Array.prototype.map + join leave it.
      if (v === undefined && !(i in value)) continue
      s += stableStringify(v)
    }
    return `${s}]`
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
  sortKeys(keys)
  let s = '{'
  for (const k of keys) {
    const v = obj[k]
    if (v === undefined) continue
    if (s.length > 1) s += ','
    s += keyPrefix(k) + stableStringify(v)
  }
  return `${s}}`
}

type OneShotHash = (algorithm: string, data: string | Buffer, outputEncoding: 'hex') => string
// crypto.hash (Node ≥ 20.12) skips the Hash object; older Node 20 releases use createHash.
const oneShot = (crypto as unknown as {hash?: OneShotHash}).hash

export function sha256(text: string | Buffer): string {
  if (oneShot) return oneShot('sha256', text, 'hex')
  return createHash('sha256').update(text).digest('hex')
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A ULID (time-sortable id) for events kt creates itself, such as gateway decisions. */
export function ulid(now = Date.now()): string {
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  const rnd = randomBytes(16)
  let rand = ''
  for (let i = 0; i < 16; i++) rand += CROCKFORD[rnd[i]! % 32]
  return time + rand
}
