// Repetition: the share of repeated word 4-grams, and runs of identical lines (a model stuck in a loop).
import {wordTokens} from '../text.js'
import {LINE_LOOP_RUN} from './thresholds.js'

export interface RepetitionResult {
  rep4: number
  /** Longest run of identical consecutive non-trivial lines. */
  max_line_run: number
  loop: boolean
}

const FOUR_ALNUM = /(?:[^\p{L}\p{N}]*[\p{L}\p{N}]){4}/u

/** rep-4 = 1 − distinct/total word 4-grams (0 under 10 four-grams), plus repeated-line runs. */
export function detectRepetition(text: string | null): RepetitionResult {
  if (!text) return {rep4: 0, max_line_run: 0, loop: false}
  const tokens = wordTokens(text)
  const total = tokens.length - 3
  let rep4 = 0
  if (total >= 10) {
    // Tokens → small integer ids; four 13-bit ids pack exactly into one double (< 2^53).
    const ids = new Map<string, number>()
    const seq = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      let id = ids.get(tokens[i]!)
      if (id === undefined) ids.set(tokens[i]!, (id = ids.size))
      seq[i] = id
    }
    let distinct = 0
    if (ids.size < 8192) {
      // Sorting packed keys counts distinct 4-grams without allocating a Set entry per 4-gram.
      const keys = new Float64Array(total)
      for (let i = 0; i < total; i++) keys[i] = ((seq[i]! * 8192 + seq[i + 1]!) * 8192 + seq[i + 2]!) * 8192 + seq[i + 3]!
      keys.sort()
      for (let i = 0; i < total; i++) if (i === 0 || keys[i] !== keys[i - 1]) distinct++
    } else {
      const seen = new Set<string>()
      for (let i = 0; i < total; i++) seen.add(`${seq[i]},${seq[i + 1]},${seq[i + 2]},${seq[i + 3]}`)
      distinct = seen.size
    }
    rep4 = 1 - distinct / total
  }
  let maxRun = 0
  let run = 0
  let prev: string | null = null
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    // Blank lines, braces, separators and table rules repeat legitimately.
    if (line.length < 4 || !FOUR_ALNUM.test(line)) continue
    run = line === prev ? run + 1 : 1
    prev = line
    if (run > maxRun) maxRun = run
  }
  return {rep4, max_line_run: maxRun, loop: maxRun >= LINE_LOOP_RUN}
}
