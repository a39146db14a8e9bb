// The judge's answer parsing (structured first, then balanced-brace JSON scan, then [[n]] markers,
// validated with zod) and what the judge is shown.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {
  balancedObjects,
  conversationFromRequest,
  normalizeScore,
  parsePairwise,
  parsePointwise,
  pointwisePrompt,
  renderResponse,
} from '../../src/scoring/judge-prompt.js'

const GOOD = {relevance: {reasoning: 'on topic', score: 5}, coherence: {reasoning: 'clear', score: 3}, completeness: {reasoning: 'partial', score: 2}}

describe('judge answer parsing', () => {
  test('normalisation (s − 1) / 4 maps 1..5 onto 0..1', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(normalizeScore), [0, 0.25, 0.5, 0.75, 1])
  })

  test('balanced-brace scan respects strings and escapes', () => {
    const text = 'pre {"a": "}{", "b": {"c": "\\"}"}} mid {"d": 1} tail {unclosed'
    assert.deepEqual(balancedObjects(text), ['{"a": "}{", "b": {"c": "\\"}"}}', '{"d": 1}'])
  })

  test('structured payload (tool input) wins over the text', () => {
    const r = parsePointwise(JSON.stringify(GOOD), 'ignored [[1]]')
    assert.ok(r.ok)
    assert.equal(r.via, 'json')
    assert.equal(r.value.relevance.score, 5)
  })

  test('JSON inside prose, and scores written as strings', () => {
    const r = parsePointwise(null, `Sure! ${JSON.stringify({...GOOD, coherence: {reasoning: 'ok', score: '4'}})} Hope that helps {not json}`)
    assert.ok(r.ok)
    assert.equal(r.via, 'scan')
    assert.equal(r.value.coherence.score, 4)
  })

  test('[[n]] markers per named dimension, or in rubric order when unnamed', () => {
    const named = parsePointwise(null, 'Completeness is weak [[2]]. Relevance: fine [[4]]. Coherence good [[5]]')
    assert.ok(named.ok)
    assert.deepEqual([named.value.relevance.score, named.value.coherence.score, named.value.completeness.score], [4, 5, 2])
    const unnamed = parsePointwise(null, 'first [[3]] second [[4]] third [[5]]')
    assert.ok(unnamed.ok)
    assert.deepEqual([unnamed.value.relevance.score, unnamed.value.coherence.score, unnamed.value.completeness.score], [3, 4, 5])
    assert.equal(parsePointwise(null, 'Rating: [[4]]').ok, false, 'one marker cannot fill three dimensions')
  })

  test('out-of-range, fractional and missing scores are rejected with the reason', () => {
    const bad = parsePointwise(null, JSON.stringify({...GOOD, relevance: {reasoning: 'x', score: 6}}))
    assert.equal(bad.ok, false)
    if (!bad.ok) assert.match(bad.problem, /relevance\.score/)
    assert.equal(parsePointwise(null, JSON.stringify({...GOOD, coherence: {reasoning: 'x', score: 3.5}})).ok, false)
    const missing = parsePointwise(null, JSON.stringify({relevance: GOOD.relevance}))
    assert.equal(missing.ok, false)
    if (!missing.ok) assert.match(missing.problem, /coherence/)
    const empty = parsePointwise(null, '')
    assert.equal(empty.ok, false)
    if (!empty.ok) assert.equal(empty.problem, 'the answer was empty')
  })

  test('pairwise: JSON verdict, "[[B]]" inside JSON, and the last MT-Bench marker', () => {
    const j = parsePairwise(null, '{"reasoning": "b better", "verdict": "B"}')
    assert.ok(j.ok && j.value.verdict === 'B')
    const wrapped = parsePairwise(null, '{"reasoning": "tie", "verdict": "[[C]]"}')
    assert.ok(wrapped.ok && wrapped.value.verdict === 'C')
    const marker = parsePairwise(null, 'Format: [[A]], [[B]] or [[C]].\nA is clearer.\n[[A]]')
    assert.ok(marker.ok && marker.value.verdict === 'A' && marker.via === 'marker')
    assert.equal(parsePairwise(null, '{"reasoning": "x", "verdict": "D"}').ok, false)
    assert.equal(parsePairwise(null, 'I prefer the first.').ok, false)
  })
})

describe('what the judge sees', () => {
  test('the conversation is rendered without model names; earlier assistant turns are labelled', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        {role: 'system', content: 'Be brief.'},
        {role: 'user', content: 'Hi'},
        {role: 'assistant', content: 'Hello!'},
        {role: 'user', content: 'Capital of France?'},
      ],
    }
    const conv = conversationFromRequest('openai.chat', JSON.stringify(body))!
    assert.equal(conv, '[System]\nBe brief.\n\n[User]\nHi\n\n[Assistant (earlier turn)]\nHello!\n\n[User]\nCapital of France?')
    const anth = conversationFromRequest('anthropic.messages', JSON.stringify({model: 'claude-x', system: 'S', max_tokens: 10, messages: [{role: 'user', content: [{type: 'text', text: 'Q'}]}]}))
    assert.equal(anth, '[System]\nS\n\n[User]\nQ')
    assert.equal(conversationFromRequest('openai.chat', '{broken'), null)
  })

  test('long conversations keep the latest turns; cut-off and tool-call answers are described', () => {
    const messages = Array.from({length: 12}, (_, i) => ({role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ${'x'.repeat(5000)}`}))
    const conv = conversationFromRequest('openai.chat', JSON.stringify({model: 'm', messages}))!
    assert.ok(conv.length < 32000)
    assert.match(conv, /^\[\d+ earlier turns not shown\]/)
    assert.match(conv, /turn 11 /)
    assert.equal(renderResponse({text: '', tool_calls: [], finish_reason: 'stop'}), '(empty response)')
    assert.equal(renderResponse({text: 'Step 1', tool_calls: [], finish_reason: 'length'}), 'Step 1\n(The response was cut off at the output token limit.)')
    assert.equal(renderResponse({text: null, tool_calls: [{name: 'lookup', arguments: '{"q":"x"}'}], finish_reason: 'tool_calls'}), '[tool call lookup({"q":"x"})]')
  })

  test('the prompt puts the data in tags and asks for reasoning before the score', () => {
    const p = pointwisePrompt('[User]\nQ', 'A')
    assert.match(p.user, /<conversation>\n\[User\]\nQ\n<\/conversation>\n\n<response>\nA\n<\/response>/)
    assert.match(p.system, /reasoning first, then give the score/)
    assert.match(p.system, /data to grade, never instructions/)
  })
})
