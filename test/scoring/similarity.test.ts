import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {
  compareTwoStringsRaw,
  dice,
  jaccard,
  lcsLength,
  normalizeText,
  rougeL,
  similarity,
  ROUGE_MAX_TOKENS,
} from '../../src/scoring/similarity.js'
import {rng} from '../../src/stats/index.js'

const OLIVE = 'Olive-green table for sale, in extremely good condition.'

describe('string-similarity golden values (README of 4.0.4)', () => {
  test('compareTwoStrings raw values are unchanged', () => {
    assert.equal(compareTwoStringsRaw('healed', 'sealed'), 0.8)
    assert.equal(
      compareTwoStringsRaw(OLIVE, 'For sale: table in very good  condition, olive green in colour.'),
      0.6060606060606061,
    )
    assert.equal(compareTwoStringsRaw(OLIVE, 'For sale: green Subaru Impreza, 210,000 miles'), 0.2558139534883721)
    assert.equal(compareTwoStringsRaw(OLIVE, 'Wanted: mountain bike with at least 21 gears.'), 0.1411764705882353)
  })
  test('the raw call is case-sensitive, which is why dice() normalises first', () => {
    assert.equal(compareTwoStringsRaw('HELLO WORLD', 'hello world'), 0)
    assert.equal(dice('HELLO WORLD', 'hello world'), 1)
  })
})

describe('normalizeText', () => {
  test('NFKC, apostrophes, lowercase, whitespace collapse', () => {
    assert.equal(normalizeText('  Ｆｕｌｌ\u00a0Width\t\tﬁle  \n\n Don\u2019t  '), "full width file don't")
    assert.equal(normalizeText(''), '')
  })
  test('caps at 20,000 characters without splitting a surrogate pair', () => {
    assert.equal(normalizeText('a'.repeat(25_000)).length, 20_000)
    const s = 'a'.repeat(19_999) + '😀' + 'b'.repeat(10)
    const n = normalizeText(s)
    assert.equal(n.length, 19_999)
    assert.ok(!/[\ud800-\udbff]$/.test(n))
  })
})

describe('dice / rougeL / jaccard', () => {
  test('empty handling: both empty → 1, one empty → 0', () => {
    for (const f of [dice, rougeL, jaccard]) {
      assert.equal(f('', ''), 1)
      assert.equal(f('   ', '\n'), 1)
      assert.equal(f('', 'something'), 0)
      assert.equal(f('something', ''), 0)
    }
    assert.deepEqual(similarity(null, null), {dice: 1, rougeL: 1, jaccard: 1})
  })
  test('hand-computed values on normalised text', () => {
    // Tokens: the cat sat on the mat / the cat lay on the mat → LCS 5 of 6 on both sides.
    assert.equal(rougeL('The cat sat on the mat.', 'the cat LAY on the mat'), 5 / 6)
    // Sets {the, cat, sat, on, mat} vs {the, cat, lay, on, mat}: 4 shared of 6.
    assert.equal(jaccard('The cat sat on the mat.', 'the cat LAY on the mat'), 4 / 6)
    // ROUGE-L F1 with unequal lengths: a b c d (4) vs a c (2): LCS 2, P = 1, R = .5 → F = 2/3.
    assert.equal(rougeL('a b c d', 'a c'), 2 / 3)
    assert.equal(dice('Healed', 'SEALED'), 0.8)
  })
  test('golden normalised values for the pairs of docs/scoring-and-gates.md §3 (unrelated < paraphrase < meaning flip)', () => {
    const base = 'To reset your password, open Settings and click Reset password. The link expires within 24 hours.'
    const unrelated = 'Refunds for annual plans are issued to the original payment method in five to seven business days.'
    const paraphrase = 'Go to Settings and choose Reset password to change it; the emailed link is valid for a day.'
    const flip = 'To reset your password, open Settings and click Reset password. The link expires after 24 hours.'
    const u = similarity(base, unrelated)
    const p = similarity(base, paraphrase)
    const f = similarity(base, flip)
    for (const k of ['dice', 'rougeL', 'jaccard'] as const) {
      assert.ok(u[k] < p[k] && p[k] < f[k], `${k}: ${u[k]} < ${p[k]} < ${f[k]}`)
    }
    // rougeL: 16 tokens each, one substituted → LCS 15 → 15/16. jaccard: 14 distinct each, 13 shared → 13/15.
    // dice: string-similarity's value on the normalised pair (golden, guards a dependency swap).
    assert.deepEqual(
      Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Math.round(v * 1e6) / 1e6])),
      {dice: 0.919255, rougeL: 0.9375, jaccard: 0.866667},
    )
  })
  test('similarity() equals the individual functions', () => {
    const a = 'Install the package, then run the build. Tests live in test/.'
    const b = 'Run the build after installing the package; tests are in the test folder.'
    assert.deepEqual(similarity(a, b), {dice: dice(a, b), rougeL: rougeL(a, b), jaccard: jaccard(a, b)})
  })
})

describe('bit-parallel LCS', () => {
  function naive(a: string[], b: string[]): number {
    const dp = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!)
      }
    }
    return dp[a.length]![b.length]!
  }
  test('matches the dynamic-programming table on random sequences across word boundaries', () => {
    const next = rng(99)
    for (let t = 0; t < 400; t++) {
      const n = Math.floor(next() * 140)
      const m = Math.floor(next() * 140)
      const k = 1 + Math.floor(next() * 8)
      const a = Array.from({length: n}, () => String(Math.floor(next() * k)))
      const b = Array.from({length: m}, () => String(Math.floor(next() * k)))
      assert.equal(lcsLength(a, b), naive(a, b), `case ${t}: n=${n} m=${m} k=${k}`)
    }
  })
  test('ROUGE-L stays bounded on very long inputs (token cap)', () => {
    const words = Array.from({length: 6000}, (_, i) => `w${i % 997}`)
    const a = words.join(' ')
    const b = [...words].reverse().join(' ')
    const t0 = performance.now()
    const r = rougeL(a, b)
    const ms = performance.now() - t0
    assert.ok(r > 0 && r < 1)
    assert.ok(ms < 500, `rougeL on 6000-token texts took ${ms} ms`)
    assert.equal(rougeL(a, a), 1)
    assert.equal(ROUGE_MAX_TOKENS, 2000)
  })
})
