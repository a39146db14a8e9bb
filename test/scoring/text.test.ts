import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {
  contentStems,
  normalizeText,
  scriptProfile,
  splitSentences,
  stem,
  stripCode,
  tokenize,
  wordTokens,
} from '../../src/scoring/text.js'

function segmenterWords(s: string): string[] {
  const seg = new Intl.Segmenter('und', {granularity: 'word'})
  const out: string[] = []
  for (const x of seg.segment(s)) if (x.isWordLike) out.push(x.segment)
  return out
}

describe('word tokens', () => {
  test('the fast path agrees with Intl.Segmenter on space-delimited scripts', () => {
    const samples = [
      "Hello, world! It's 3.14 or 1,000,000 e-mail U.S.A. foo_bar a:b x.y. The user's \"quote\" don't. " +
        'Email a.b@example.com or see https://ex.com/a-b?c=1. v1.2.3 #tag @user 50% $5.99 C++ node.js 10:30',
      'naïve café résumé Ωμέγα είναι καλό. Привет, мир! Как дела? 안녕하세요 세계 여러분. हिन्दी भाषा बहुत सुंदर है। مرحبا بالعالم שלום עולם',
      'To reset your password, open Settings → Security and click “Reset password”. You’ll get an e-mail within 5–10 minutes.',
    ]
    for (const s of samples) {
      const n = normalizeText(s)
      assert.deepEqual(tokenize(n), segmenterWords(n))
    }
  })
  test('scripts without spaces go through Intl.Segmenter (dictionary words)', () => {
    const tokens = tokenize(normalizeText('東京は日本の首都です。パスワードをリセットしてください。'))
    assert.ok(tokens.includes('東京') && tokens.includes('首都') && tokens.includes('パスワード'), tokens.join('|'))
    assert.ok(tokens.length >= 10)
  })
  test('wordTokens normalises and is stable across calls', () => {
    const a = wordTokens('Don’t  PANIC, it’s fine')
    assert.deepEqual(a, ["don't", 'panic', "it's", 'fine'])
    assert.equal(wordTokens('Don’t  PANIC, it’s fine'), a)
  })
})

describe('stems, sentences, code stripping, scripts', () => {
  test('light stemming joins inflections', () => {
    assert.equal(stem('configured'), stem('configure'))
    assert.equal(stem('configuring'), stem('configure'))
    assert.equal(stem('passwords'), 'password')
    assert.equal(stem('resetting'), 'reset')
    assert.equal(stem('policies'), stem('policy'))
    assert.equal(stem('class'), 'class')
    assert.equal(stem('привет'), 'привет')
    assert.deepEqual(contentStems(['how', 'do', 'i', 'reset', 'my', 'passwords']), ['reset', 'password'])
  })
  test('sentence split on terminal punctuation, CJK stops and newlines', () => {
    assert.deepEqual(splitSentences("I'm sorry. I can't help! What now? 今日は晴れです。明日は雨。\nNew line"), [
      "I'm sorry.",
      "I can't help!",
      'What now?',
      '今日は晴れです。',
      '明日は雨。',
      'New line',
    ])
  })
  test('stripCode removes fenced blocks (closed or not), inline code and URLs', () => {
    const s = stripCode('Run `npm test` now.\n```js\nconst x = 1\n```\nSee https://example.com/x for more.\n```py\nopen')
    assert.ok(!s.includes('npm') && !s.includes('const') && !s.includes('example') && !s.includes('open'))
    assert.ok(s.includes('Run') && s.includes('for more'))
  })
  test('dominant script', () => {
    assert.equal(scriptProfile('Привет мир, как дела? Hello').dominant, 'Cyrillic')
    assert.equal(scriptProfile('パスワードをリセットするには設定を開いてください').dominant, 'Japanese')
    assert.equal(scriptProfile('请打开设置并重置密码').dominant, 'Han')
    assert.equal(scriptProfile('비밀번호를 재설정하려면 설정을 여세요').dominant, 'Hangul')
    assert.equal(scriptProfile('ok').dominant, null)
    // Code does not count: a Russian explanation around a long code block stays Cyrillic.
    const mixed = 'Вот пример функции на питоне:\n```python\n' + 'def handler(event, context):\n    return event\n'.repeat(10) + '```'
    assert.equal(scriptProfile(mixed).dominant, 'Cyrillic')
  })
})
