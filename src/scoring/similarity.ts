// Lexical similarity between two responses (docs/scoring-and-gates.md §3). A drift/behaviour-change signal, not
// quality, and read against the A/A noise floor. This is the ONLY module that imports
// `string-similarity` (deprecated upstream, pinned, golden-tested in test/scoring-similarity.test.ts),
// so swapping it later touches one file.

import stringSimilarity from 'string-similarity'
import {prepareText, wordTokens} from './text.js'

export {normalizeText} from './text.js'

export const SIMILARITY_VERSION = 'similarity@1'

/** ROUGE-L looks at no more than this many tokens per side, which bounds its cost. */
export const ROUGE_MAX_TOKENS = 2000

export interface Similarity {
  dice: number
  rougeL: number
  jaccard: number
}

/** The library call itself, on raw (unnormalised) strings: for golden tests of the dependency. */
export function compareTwoStringsRaw(a: string, b: string): number {
  return stringSimilarity.compareTwoStrings(a, b)
}

/**
 * Sørensen–Dice on character bigrams (string-similarity's compareTwoStrings, which drops
 * whitespace and is case-sensitive) of the normalised texts. Both empty → 1, one empty → 0.
 */
export function dice(a: string, b: string): number {
  return diceNormalized(prepareText(a).normalized, prepareText(b).normalized)
}

function diceNormalized(na: string, nb: string): number {
  if (na === '' && nb === '') return 1
  if (na === '' || nb === '') return 0
  return stringSimilarity.compareTwoStrings(na, nb)
}

/**
 * Length of the longest common subsequence of two token sequences, bit-parallel
 * (Allison–Dix / Hyyrö): O(|a|·|b|/32) word operations instead of the O(|a|·|b|) table.
 */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const n = a.length
  if (n === 0 || b.length === 0) return 0
  const words = (n + 31) >>> 5
  // One bit mask over the positions of `a` for each distinct token that also occurs in `b`.
  const inB = new Set(b)
  const slot = new Map<string, number>()
  for (const t of a) if (inB.has(t) && !slot.has(t)) slot.set(t, slot.size)
  if (slot.size === 0) return 0
  const masks = new Uint32Array(slot.size * words)
  for (let i = 0; i < n; i++) {
    const s = slot.get(a[i]!)
    if (s !== undefined) masks[s * words + (i >>> 5)]! |= 1 << (i & 31)
  }
  const v = new Uint32Array(words).fill(0xffffffff)
  for (const t of b) {
    const s = slot.get(t)
    if (s === undefined) continue
    const base = s * words
    let carry = 0
    for (let w = 0; w < words; w++) {
      const vw = v[w]!
      const u = vw & masks[base + w]!
      const sum = vw + (u >>> 0) + carry
      carry = sum > 0xffffffff ? 1 : 0
      v[w] = (sum | (vw & ~masks[base + w]!)) >>> 0
    }
  }
  let zeros = 0
  for (let i = 0; i < n; i++) if ((v[i >>> 5]! & (1 << (i & 31))) === 0) zeros++
  return zeros
}

function rougeLTokens(ta: readonly string[], tb: readonly string[]): number {
  if (ta.length === 0 && tb.length === 0) return 1
  if (ta.length === 0 || tb.length === 0) return 0
  const a = ta.length > ROUGE_MAX_TOKENS ? ta.slice(0, ROUGE_MAX_TOKENS) : ta
  const b = tb.length > ROUGE_MAX_TOKENS ? tb.slice(0, ROUGE_MAX_TOKENS) : tb
  const lcs = lcsLength(a, b)
  if (lcs === 0) return 0
  const precision = lcs / b.length
  const recall = lcs / a.length
  return (2 * precision * recall) / (precision + recall)
}

/** ROUGE-L F1 (β = 1, symmetric) on word tokens of the normalised texts, first 2000 tokens each. */
export function rougeL(a: string, b: string): number {
  return rougeLTokens(wordTokens(a), wordTokens(b))
}

function jaccardTokens(ta: readonly string[], tb: readonly string[]): number {
  if (ta.length === 0 && tb.length === 0) return 1
  if (ta.length === 0 || tb.length === 0) return 0
  const sa = new Set(ta)
  const sb = new Set(tb)
  let inter = 0
  for (const t of sa) if (sb.has(t)) inter++
  return inter / (sa.size + sb.size - inter)
}

/** Jaccard index of the two sets of word tokens (normalised text). Both empty → 1. */
export function jaccard(a: string, b: string): number {
  return jaccardTokens(wordTokens(a), wordTokens(b))
}

/** All three similarities; null/undefined texts count as empty. */
export function similarity(a: string | null, b: string | null): Similarity {
  const pa = prepareText(a ?? '')
  const pb = prepareText(b ?? '')
  return {
    dice: diceNormalized(pa.normalized, pb.normalized),
    rougeL: rougeLTokens(pa.tokens, pb.tokens),
    jaccard: jaccardTokens(pa.tokens, pb.tokens),
  }
}
