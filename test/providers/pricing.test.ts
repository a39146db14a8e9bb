// Price table lookups, cost arithmetic (canonical usage: input includes cache reads/writes) and token estimates.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {DEFAULT_PRICES, estimateCost, estimateRequestTokens, findPrice, type ModelPrice, type PriceOverrides} from '../../src/providers/index.js'
import {normalizeModelName} from '../../src/providers/pricing.js'
import {emptyUsage, type Usage} from '../../src/records/types.js'

function usage(u: Partial<Usage>): Usage {
  return {...emptyUsage(), ...u}
}

describe('findPrice', () => {
  test('dated variants and routing prefixes match the longest family prefix', () => {
    const input = (m: string) => findPrice(m)?.input ?? null
    assert.equal(input('gpt-4o-mini-2024-07-18'), 0.15)
    assert.equal(input('gpt-4o-2024-08-06'), 2.5)
    assert.equal(input('gpt-4o-2024-05-13'), 5)
    assert.equal(input('gpt-4.1-nano-2025-04-14'), 0.1)
    assert.equal(input('openai/gpt-4.1'), 2)
    assert.equal(input('o3-mini-2025-01-31'), 1.1)
    assert.equal(input('o3-2025-04-16'), 2)
    assert.equal(input('o4-mini'), 1.1)
    assert.equal(input('claude-sonnet-4-20250514'), 3)
    assert.equal(input('claude-sonnet-4-5-20250929'), 3)
    assert.equal(input('claude-opus-4-1-20250805'), 15)
    assert.equal(input('claude-opus-4-5-20251101'), 5)
    assert.equal(input('claude-haiku-4-5-20251001'), 1)
    assert.equal(input('claude-3-5-haiku-latest'), 0.8)
    assert.equal(input('claude-3.5-sonnet'), 3)
    assert.equal(input('anthropic.claude-3-5-haiku-20241022-v1:0'), 0.8)
    assert.equal(input('claude-3-5-sonnet@20240620'), 3)
    assert.equal(input('simulated-terse'), 0.15)
  })

  test('no false prefix matches and unknown models are null', () => {
    assert.equal(findPrice('gpt-4.5-preview'), null)
    assert.equal(findPrice('gpt-4oo'), null)
    assert.equal(findPrice('llama3'), null)
    assert.equal(findPrice(null), null)
  })

  test('overrides win and may use the config spelling', () => {
    assert.deepEqual(findPrice('gpt-4o-2024-08-06', {'gpt-4o': {input: 1, output: 2}}), {input: 1, output: 2})
    assert.deepEqual(findPrice('llama3:8b', {llama3: {input_per_mtok: 0.05, output_per_mtok: 0.1, cached_input_per_mtok: 0.01}}), {input: 0.05, output: 0.1, cached_input: 0.01})
  })
})

describe('findPrice cache', () => {
  /** The uncached lookup as it was: normalise every key on every call, keep the first of the longest matches. */
  function reference(model: string | null, overrides?: PriceOverrides): ModelPrice | null {
    if (!model) return null
    const name = normalizeModelName(model)
    for (const table of [overrides ?? {}, DEFAULT_PRICES as PriceOverrides]) {
      let best: string | null = null
      for (const key of Object.keys(table)) {
        const k = normalizeModelName(key)
        if (name === k || (name.startsWith(k) && /[-@:_]/.test(name.charAt(k.length)))) {
          if (best === null || k.length > normalizeModelName(best).length) best = key
        }
      }
      if (best !== null) {
        const p = table[best]!
        return 'input_per_mtok' in p ? findPrice(best, {[best]: p}) : p
      }
    }
    return null
  }

  test('gives what the uncached lookup gave, on first and repeated calls', () => {
    const names = [
      ...Object.keys(DEFAULT_PRICES),
      ...Object.keys(DEFAULT_PRICES).flatMap((k) => [`${k}-2025-01-01`, `${k}@x`, `${k}:free`, `${k}_v2`, `${k}x`, `openai/${k}`, `  ${k.toUpperCase()} `]),
      'claude-3.5-sonnet-latest', 'us.anthropic.claude-3-5-haiku-20241022-v1:0', 'gpt-4.5-preview', 'llama3', 'llama3:8b', 'my-llama', 'sim', 'simulated-terse',
    ]
    const tables: (PriceOverrides | undefined)[] = [
      undefined,
      {},
      {'gpt-4o': {input: 1, output: 2}, llama3: {input_per_mtok: 0.05, output_per_mtok: 0.1}},
      // Two keys that normalise alike: the first one wins, as before.
      {'openai/my-llama': {input: 7, output: 7}, 'my-llama': {input: 8, output: 8}, 'claude-3.5': {input: 9, output: 9}},
    ]
    let priced = 0
    for (const table of tables) {
      for (let round = 0; round < 2; round++) {
        for (const n of names) {
          const want = reference(n, table)
          assert.deepEqual(findPrice(n, table), want, `${n} with ${JSON.stringify(table)}`)
          if (want) priced++
        }
      }
    }
    assert.ok(priced > names.length * 4, String(priced))
    assert.equal(findPrice('my-llama-3', {'openai/my-llama': {input: 7, output: 7}, 'my-llama': {input: 8, output: 8}})?.input, 7)
  })
})

describe('estimateCost', () => {
  test('OpenAI: cached tokens are part of input and priced at the cached rate', () => {
    const cost = estimateCost('gpt-4o-mini-2024-07-18', usage({input_tokens: 1000, cached_input_tokens: 200, output_tokens: 500}))
    assert.ok(Math.abs(cost! - (800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1e6) < 1e-12)
  })

  test('Anthropic: cache reads and writes priced separately', () => {
    const cost = estimateCost('claude-sonnet-4-20250514', usage({input_tokens: 1000, cached_input_tokens: 300, cache_write_tokens: 200, output_tokens: 100}))
    assert.ok(Math.abs(cost! - (500 * 3 + 300 * 0.3 + 200 * 3.75 + 100 * 15) / 1e6) < 1e-12)
  })

  test('unknown usage or model is null, not 0', () => {
    assert.equal(estimateCost('gpt-4o', usage({input_tokens: 10})), null)
    assert.equal(estimateCost('gpt-4o', emptyUsage()), null)
    assert.equal(estimateCost('mystery-model', usage({input_tokens: 10, output_tokens: 10})), null)
    assert.equal(estimateCost('gpt-4o', usage({input_tokens: 0, output_tokens: 0})), 0)
  })

  test('config-shaped overrides price custom models', () => {
    const cost = estimateCost('llama3', usage({input_tokens: 2_000_000, output_tokens: 1_000_000}), {llama3: {input_per_mtok: 0.1, output_per_mtok: 0.2}})
    assert.ok(Math.abs(cost! - 0.4) < 1e-12)
  })
})

describe('estimateRequestTokens', () => {
  test('about four characters per token plus a per-message overhead', () => {
    const text = 'x'.repeat(400)
    assert.equal(estimateRequestTokens({model: 'gpt-4o', messages: [{role: 'user', content: text}]}), 100 + 4)
    assert.equal(estimateRequestTokens({model: 'c', max_tokens: 10, system: 'y'.repeat(40), messages: [{role: 'user', content: [{type: 'text', text}]}]}), 110 + 4)
  })

  test('inline images count as a flat 800 tokens, not their base64 length', () => {
    const img = `data:image/png;base64,${'A'.repeat(100_000)}`
    const n = estimateRequestTokens({messages: [{role: 'user', content: [{type: 'text', text: 'what?'}, {type: 'image_url', image_url: {url: img}}]}]})
    assert.equal(n, 2 + 4 + 800)
    const anth = estimateRequestTokens({messages: [{role: 'user', content: [{type: 'image', source: {type: 'base64', media_type: 'image/png', data: 'B'.repeat(50_000)}}]}]})
    assert.equal(anth, 4 + 800)
  })

  test('Responses API input and instructions count too', () => {
    assert.equal(estimateRequestTokens({instructions: 'a'.repeat(40), input: 'b'.repeat(40)}), 20 + 4)
  })
})
