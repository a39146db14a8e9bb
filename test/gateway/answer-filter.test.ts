// content_filter on answers, as pure functions: which policies hold answers back, the hold-back that catches a term
// or a pattern split across stream deltas (every split of a text gives what filtering it whole gives), blocks before
// any of the match goes out, whole bodies rewritten in both APIs (tool arguments by patterns only), Chat Completions
// and Messages events rewritten and flushed where their channel ends, and flag triggers.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseConfigText} from '../../src/config/index.js'
import {answerRules, ContentMatcher, filterBody, flagTriggers, HeldText, Hits, redactSpans} from '../../src/gateway/answer-filter.js'
import {AnswerStreamFilter} from '../../src/gateway/answer-stream.js'
import type {ContentRule} from '../../src/gateway/exchange.js'
import {buildPlan} from '../../src/gateway/index.js'
import {KEYS} from '../support/gateway.js'

const redact: ContentRule = {name: 'no-codenames', action: 'redact', terms: ['Project Falcon', 'pass', 'password'], patterns: ['sk-[A-Za-z0-9]{20,}'], pii: false}
const block: ContentRule = {name: 'no-leaks', action: 'block', terms: ['top secret'], patterns: [], pii: false}

/** Feeds `pieces` through one channel and returns what went out, in order, and the block if one came. */
function stream(rules: ContentRule[], pieces: string[], args = false): {out: string; block: string | null; hits: Hits} {
  const m = new ContentMatcher(rules)
  const hits = new Hits(m)
  const ch = new HeldText(m, hits, args)
  let out = ''
  for (const [i, p] of pieces.entries()) {
    const r = ch.push(p, i === pieces.length - 1)
    if ('block' in r) return {out, block: r.block.message, hits}
    out += r.text
  }
  return {out, block: null, hits}
}

const whole = (rules: ContentRule[], text: string, args = false) => redactSpans(text, new ContentMatcher(rules).scan(text, args))

describe('content_filter on answers: rules and text', () => {
  test('only response-side policies with terms, patterns or redact_pii count; categories alone hold nothing', () => {
    const yaml = `providers:
  targets:
    - {id: openai, provider: openai}
policies:
  - {name: req-only, type: content_filter, blocked_terms: [a], apply_to: request}
  - {name: both-default, type: content_filter, blocked_terms: [b]}
  - {name: resp, type: content_filter, blocked_patterns: ['\\d{4}'], action: redact, apply_to: response}
  - {name: pii-only, type: content_filter, redact_pii: true, action: redact, apply_to: response}
  - {name: cats, type: content_filter, action: flag, config: {categories: [hate]}}
  - {name: flagger, type: content_filter, blocked_terms: [c], action: flag}
`
    const config = parseConfigText(yaml).config!
    assert.deepEqual(answerRules(config.policies), [
      {name: 'both-default', action: 'block', terms: ['b'], patterns: [], pii: false},
      {name: 'resp', action: 'redact', terms: [], patterns: ['\\d{4}'], pii: false},
      {name: 'pii-only', action: 'redact', terms: [], patterns: [], pii: true},
      {name: 'flagger', action: 'flag', terms: ['c'], patterns: [], pii: false},
    ])
    const plan = buildPlan(config, KEYS)
    assert.deepEqual(plan.answerFilter?.rules.map((r) => r.name), ['both-default', 'resp', 'pii-only'])
    const flagsOnly = parseConfigText(yaml.replace(/  - \{name: (both-default|resp|pii-only)[^\n]*\n/g, '')).config!
    assert.equal(buildPlan(flagsOnly, KEYS).answerFilter, null, 'flags, request filters and categories: the plain relay')
  })

  test('a term split across deltas is redacted exactly, at every split point (case-insensitive, longest term first)', () => {
    const text = 'Our PROJECT FALCON plan: the password is hunter2, pass it on. Key sk-ABCDEFGHIJKLMNOPQRSTUVWX done.'
    const expected = 'Our [redacted] plan: the [redacted] is hunter2, [redacted] it on. Key [redacted] done.'
    assert.equal(whole([redact], text), expected)
    for (let i = 1; i < text.length; i++) {
      for (const j of [i + 1, i + 7, i + 30]) {
        if (j >= text.length) continue
        const r = stream([redact], [text.slice(0, i), text.slice(i, j), text.slice(j)])
        assert.equal(r.out, expected, `split at ${i}/${j}`)
      }
    }
    const r = stream([redact], [text.slice(0, 30), text.slice(30)])
    assert.deepEqual(r.hits.triggers(), [{name: 'no-codenames', type: 'content_filter', action: 'redact', detail: 'Project Falcon, password, pass, /sk-[A-Za-z0-9]{20,}/'}])
  })

  test('text is held back only as long as a match could still be forming', () => {
    const terms: ContentRule = {name: 't', action: 'redact', terms: ['falcon'], patterns: [], pii: false}
    const m = new ContentMatcher([terms])
    const ch = new HeldText(m, new Hits(m), false)
    assert.deepEqual(ch.push('Hello there fal', false), {text: 'Hello ther'})
    assert.equal(ch.pending, 'e fal', 'the longest term less one character')
    assert.deepEqual(ch.push('con and more', false), {text: 'e [redacted] and'})
    assert.deepEqual(ch.push('', true), {text: ' more'})
    // No patterns: tool arguments are not held at all.
    const args = new HeldText(m, new Hits(m), true)
    assert.deepEqual(args.push('{"q": "falcon"}', false), {text: '{"q": "falcon"}'})
  })

  test('a blocking term split across deltas stops the channel before any of it goes out', () => {
    const r = stream([block], ['All fine. This is top se', 'cret stuff', ' and more'])
    assert.equal(r.block, 'answer blocked by policy "no-leaks" (content_filter): matched top secret')
    assert.equal(r.out, 'All fine. This ', 'what went out before the block (the rest was held)')
    assert.ok(!r.out.toLowerCase().includes('top'))
  })

  test('a pattern in tool arguments split across deltas is redacted; terms leave arguments alone', () => {
    const note = 'x'.repeat(80)
    const args = `{"note": "${note}", "token": "sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "pass": true}`
    const expected = `{"note": "${note}", "token": "[redacted]", "pass": true}`
    for (let i = 1; i < args.length - 5; i += 3) assert.equal(stream([redact], [args.slice(0, i), args.slice(i, i + 5), args.slice(i + 5)], true).out, expected, `split at ${i}`)
  })
})

describe('content_filter on answers: PII', () => {
  const pii: ContentRule = {name: 'no-pii', action: 'redact', terms: ['falcon'], patterns: [], pii: true}
  const text =
    'Reach Jane at jane.doe@example.com or +1 415 555 2671 (IBAN GB82 WEST 1234 5698 7654 32). Build 1.2.3.4.5 shipped; ' +
    'order 12345678901234567890 and 4111111111111112 are no cards, 4111 1111 1111 1111 is. Falcon host 10.0.0.1.'
  const expected =
    'Reach Jane at [redacted:email] or [redacted:phone] (IBAN [redacted:iban]). Build 1.2.3.4.5 shipped; ' +
    'order 12345678901234567890 and 4111111111111112 are no cards, [redacted:card] is. [redacted] host [redacted:ip].'

  test('PII split across deltas is redacted exactly at every split point, as in the whole text', () => {
    assert.equal(whole([pii], text), expected)
    for (let i = 1; i < text.length; i++) {
      for (const j of [i + 1, i + 9, i + 40]) {
        if (j >= text.length) continue
        assert.equal(stream([pii], [text.slice(0, i), text.slice(i, j), text.slice(j)]).out, expected, `split at ${i}/${j}`)
      }
    }
    const m = new ContentMatcher([pii])
    assert.deepEqual([m.textHold, m.argsHold], [64, 64])
    assert.deepEqual(stream([pii], [text]).hits.triggers(), [{name: 'no-pii', type: 'content_filter', action: 'redact', detail: 'pii:email, pii:phone, pii:iban, pii:card, falcon, pii:ip'}])
  })

  test('a blocking PII rule names the kinds, never the values; tool arguments and flags see PII too', () => {
    const block: ContentRule = {name: 'no-pii', action: 'block', terms: [], patterns: [], pii: true}
    const r = stream([block], ['Sure, write to jane.doe@exa', 'mple.com today'])
    assert.equal(r.block, 'answer blocked by policy "no-pii" (content_filter): matched pii:email')
    assert.equal(r.out, '', 'nothing of the address went out')
    assert.equal(whole([pii], '{"to": "jane@example.com", "falcon": 1}', true), '{"to": "[redacted:email]", "falcon": 1}')
    const flag: ContentRule = {...block, action: 'flag'}
    assert.deepEqual(flagTriggers([flag], 'nothing here', ['{"ssn": "123-45-6789"}']), [{name: 'no-pii', type: 'content_filter', action: 'flag', detail: 'pii:ssn'}])
    assert.deepEqual(flagTriggers([flag], 'version 1.2.3.4.5 on 2026-12-05', []), [])
  })
})

describe('content_filter on answers: bodies', () => {
  const m = new ContentMatcher([redact, block])

  test('Chat Completions: content, refusal and tool arguments (patterns only) rewritten', () => {
    const body = {
      id: 'x',
      choices: [{index: 0, message: {role: 'assistant', content: 'About project falcon.', refusal: null, tool_calls: [{id: 't', type: 'function', function: {name: 'f', arguments: '{"k":"sk-ABCDEFGHIJKLMNOPQRSTUVWX","pass":1}'}}]}, finish_reason: 'stop'}],
    }
    const v = filterBody(m, 'openai.chat', body)
    assert.equal(v.block, null)
    assert.equal(v.changed, true)
    const msg = (v.body.choices as {message: {content: string; tool_calls: {function: {arguments: string}}[]}}[])[0]!.message
    assert.equal(msg.content, 'About [redacted].')
    assert.equal(msg.tool_calls[0]!.function.arguments, '{"k":"[redacted]","pass":1}')
    assert.deepEqual(v.triggers, [{name: 'no-codenames', type: 'content_filter', action: 'redact', detail: 'Project Falcon, /sk-[A-Za-z0-9]{20,}/'}])
    assert.equal(body.choices[0]!.message.content, 'About project falcon.', 'the input is not changed')
    assert.equal(filterBody(m, 'openai.chat', {choices: [{message: {content: 'nothing here'}}]}).changed, false)
  })

  test('Messages: text blocks and tool_use input; a blocking match blocks, naming the term and not the text', () => {
    const body = {content: [{type: 'text', text: 'The password.'}, {type: 'tool_use', id: 't', name: 'f', input: {key: 'sk-ABCDEFGHIJKLMNOPQRSTUVWX', n: 2}}]}
    const v = filterBody(m, 'anthropic.messages', body)
    assert.deepEqual(v.body.content, [{type: 'text', text: 'The [redacted].'}, {type: 'tool_use', id: 't', name: 'f', input: {key: '[redacted]', n: 2}}])
    const b = filterBody(m, 'anthropic.messages', {content: [{type: 'text', text: 'It is TOP SECRET: the password'}]})
    assert.equal(b.block?.message, 'answer blocked by policy "no-leaks" (content_filter): matched top secret')
    assert.deepEqual(b.triggers, [{name: 'no-leaks', type: 'content_filter', action: 'block', detail: 'top secret'}])
    assert.deepEqual(b.body.content, [{type: 'text', text: 'It is [redacted]: the [redacted]'}], 'what the event keeps')
  })

  test('tool arguments stay valid JSON: a card number given as a bare number becomes the placeholder string', () => {
    const pm = new ContentMatcher([{name: 'no-pii', action: 'redact', terms: [], patterns: [], pii: true}])
    const chat = {choices: [{message: {role: 'assistant', content: null, tool_calls: [{id: 't', type: 'function', function: {name: 'pay', arguments: '{"card": 4111111111111111, "note": "mail jane@example.com", "qty": 2}'}}]}}]}
    const v = filterBody(pm, 'openai.chat', chat)
    const args = (v.body.choices as {message: {tool_calls: {function: {arguments: string}}[]}}[])[0]!.message.tool_calls[0]!.function.arguments
    assert.deepEqual(JSON.parse(args), {card: '[redacted:card]', note: 'mail [redacted:email]', qty: 2})
    const messages = filterBody(pm, 'anthropic.messages', {content: [{type: 'tool_use', id: 't', name: 'pay', input: {card: 4111111111111111, qty: 2, order: 4111111111111112}}]})
    assert.deepEqual((messages.body.content as {input: unknown}[])[0]!.input, {card: '[redacted:card]', qty: 2, order: 4111111111111112})
    assert.deepEqual(messages.triggers, [{name: 'no-pii', type: 'content_filter', action: 'redact', detail: 'pii:card'}])
  })

  test('flag triggers read the text and, for patterns, the tool arguments', () => {
    const flags: ContentRule[] = [{name: 'watch', action: 'flag', terms: ['falcon'], patterns: ['\\d{3}-\\d{4}'], pii: false}]
    assert.deepEqual(flagTriggers(flags, 'Falcon landed', ['{"phone":"555-1234"}', '{"falcon":1}']), [{name: 'watch', type: 'content_filter', action: 'flag', detail: 'falcon, /\\d{3}-\\d{4}/'}])
    assert.deepEqual(flagTriggers(flags, 'nothing', []), [])
  })
})

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({event: null, data: JSON.stringify({id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{index: 0, delta, finish_reason: finish}]})})
const data = (ev: {data: string}) => JSON.parse(ev.data) as Record<string, unknown>

describe('content_filter on answers: stream events', () => {
  test('Chat Completions chunks: text rewritten as it goes, the rest rides on the finish chunk', () => {
    const f = new AnswerStreamFilter(new ContentMatcher([{name: 'r', action: 'redact', terms: ['falcon'], patterns: [], pii: false}]), 'openai.chat')
    const events = [chunk({role: 'assistant', content: ''}), chunk({content: 'Project fal'}), chunk({content: 'con is go'}), chunk({}, 'stop'), {event: null, data: '[DONE]'}]
    let text = ''
    const out = events.flatMap((ev) => {
      const r = f.push(ev)
      assert.ok(Array.isArray(r))
      return r
    })
    for (const ev of out) if (ev.data !== '[DONE]') text += ((data(ev).choices as {delta: {content?: string}}[])[0]!.delta.content ?? '')
    assert.equal(text, 'Project [redacted] is go')
    assert.equal(out.length, events.length, 'no chunk added or lost')
    assert.equal(out[0], events[0], 'an unchanged event is passed as it came')
    assert.deepEqual(f.hits.triggers(), [{name: 'r', type: 'content_filter', action: 'redact', detail: 'falcon'}])
  })

  test('Chat Completions without a finish chunk: held text goes out in a chunk of its own before [DONE]', () => {
    const f = new AnswerStreamFilter(new ContentMatcher([{name: 'r', action: 'redact', terms: ['falcon'], patterns: [], pii: false}]), 'openai.chat')
    assert.deepEqual((f.push(chunk({content: 'abc def'})) as {data: string}[]).map((e) => (data(e).choices as {delta: {content: string}}[])[0]!.delta.content), ['ab'])
    const end = f.push({event: null, data: '[DONE]'}) as {event: string | null; data: string}[]
    assert.equal(end.length, 2)
    assert.deepEqual((data(end[0]!).choices as unknown[])[0], {index: 0, delta: {content: 'c def'}, logprobs: null, finish_reason: null})
    assert.equal(end[1]!.data, '[DONE]')
  })

  test('Messages events: held text is sent before content_block_stop; a block stops at the delta that completes the match', () => {
    const ev = (type: string, extra: Record<string, unknown>) => ({event: type, data: JSON.stringify({type, ...extra})})
    const m = new ContentMatcher([{name: 'r', action: 'redact', terms: ['falcon'], patterns: [], pii: false}, {name: 'b', action: 'block', terms: ['abort now'], patterns: [], pii: false}])
    const f = new AnswerStreamFilter(m, 'anthropic.messages')
    const out = [
      ev('content_block_start', {index: 0, content_block: {type: 'text', text: ''}}),
      ev('content_block_delta', {index: 0, delta: {type: 'text_delta', text: 'a falc'}}),
      ev('content_block_delta', {index: 0, delta: {type: 'text_delta', text: 'on flies'}}),
      ev('content_block_stop', {index: 0}),
    ].flatMap((e) => f.push(e) as {event: string | null; data: string}[])
    assert.deepEqual(out.map((e) => e.event), ['content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop'])
    assert.equal(out.filter((e) => e.event === 'content_block_delta').map((e) => (data(e).delta as {text: string}).text).join(''), 'a [redacted] flies')
    assert.ok(Array.isArray(f.push(ev('content_block_delta', {index: 1, delta: {type: 'text_delta', text: 'then abort'}}))))
    const blocked = f.push(ev('content_block_delta', {index: 1, delta: {type: 'text_delta', text: ' now!'}}))
    assert.ok(!Array.isArray(blocked))
    assert.equal(blocked.policy, 'b')
  })
})
