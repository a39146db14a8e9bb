// A whole answer told as its stream assembles back to the same message: text, tool calls, finish reason and usage,
// for Chat Completions (with and without the usage chunk), Anthropic Messages and the Responses API.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {anthropicSse, assembleAnthropicStream, assembleOpenAIChatStream, assembleResponsesStream, openaiChatSse, parseAnthropicResponse, parseOpenAIChatResponse, parseResponsesResponse, parseSse, responsesSse, textPieces} from '../../src/wire/index.js'

const TEXT = 'The principle of least privilege gives every account only the access it needs, and nothing more, for as long as it needs it.'

const chatBody = (toolCalls = false) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1735689600,
  model: 'gpt-4o-mini',
  choices: [{index: 0, message: {role: 'assistant', content: toolCalls ? null : TEXT, ...(toolCalls ? {tool_calls: [{id: 'call_1', type: 'function', function: {name: 'lookup', arguments: '{"city":"Paris","days":3}'}}]} : {})}, finish_reason: toolCalls ? 'tool_calls' : 'stop'}],
  usage: {prompt_tokens: 12, completion_tokens: 30, total_tokens: 42},
})

const messageBody = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-20250514',
  content: [
    {type: 'text', text: TEXT},
    {type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {city: 'Paris', days: 3}},
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {input_tokens: 12, output_tokens: 30},
}

describe('textPieces', () => {
  test('cuts text into several pieces that join back to it', () => {
    const p = textPieces(TEXT)
    assert.ok(p.length >= 4 && p.length <= 10, `${p.length} pieces`)
    assert.equal(p.join(''), TEXT)
    assert.deepEqual(textPieces(''), [])
    assert.deepEqual(textPieces('x'), ['x'])
  })
})

describe('openaiChatSse', () => {
  test('assembles back to the same text, finish reason and usage', () => {
    const events = openaiChatSse(chatBody(), true)
    assert.equal(events.at(-1), 'data: [DONE]\n\n')
    const a = assembleOpenAIChatStream(parseSse(events.join('')))
    assert.equal(a.complete, true)
    const s = parseOpenAIChatResponse(a.body)
    const whole = parseOpenAIChatResponse(chatBody())
    assert.equal(s.response.text, TEXT)
    assert.equal(s.response.finish_reason, 'stop')
    assert.deepEqual([s.usage.input_tokens, s.usage.output_tokens], [whole.usage.input_tokens, whole.usage.output_tokens])
    assert.ok(events.length > 5, 'several content chunks')
  })

  test('tool calls stream as deltas of their arguments; no usage chunk unless asked', () => {
    const events = openaiChatSse(chatBody(true), false)
    assert.ok(!events.join('').includes('"usage"'))
    const s = parseOpenAIChatResponse(assembleOpenAIChatStream(parseSse(events.join(''))).body)
    assert.equal(s.response.finish_reason, 'tool_calls')
    assert.deepEqual(s.response.tool_calls.map((t) => [t.id, t.name, t.arguments]), [['call_1', 'lookup', '{"city":"Paris","days":3}']])
  })
})

describe('anthropicSse', () => {
  test('assembles back to the same blocks, stop reason and usage', () => {
    const events = anthropicSse(messageBody)
    assert.match(events[0]!, /^event: message_start\n/)
    assert.match(events.at(-1)!, /^event: message_stop\n/)
    const a = assembleAnthropicStream(parseSse(events.join('')))
    assert.equal(a.complete, true)
    const s = parseAnthropicResponse(a.body)
    const whole = parseAnthropicResponse(messageBody)
    assert.equal(s.response.text, whole.response.text)
    assert.equal(s.response.finish_reason, 'tool_calls')
    assert.deepEqual(s.response.tool_calls.map((t) => [t.name, JSON.parse(t.arguments)]), [['lookup', {city: 'Paris', days: 3}]])
    assert.deepEqual([s.usage.input_tokens, s.usage.output_tokens], [12, 30])
  })
})

describe('responsesSse', () => {
  test('assembles back to the same output text, function call and usage; ends with response.completed', () => {
    const body = {
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      model: 'gpt-4o-mini',
      output: [
        {type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{type: 'output_text', text: TEXT, annotations: []}]},
        {type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup', arguments: '{"city":"Paris"}', status: 'completed'},
      ],
      usage: {input_tokens: 12, output_tokens: 30, total_tokens: 42},
    }
    const events = responsesSse(body)
    assert.match(events[0]!, /^event: response\.created\n/)
    assert.match(events.at(-1)!, /^event: response\.completed\n/)
    const deltas = parseSse(events.join('')).filter((e) => e.event === 'response.output_text.delta')
    assert.ok(deltas.length > 3)
    const a = assembleResponsesStream(parseSse(events.join('')))
    assert.equal(a.complete, true)
    const s = parseResponsesResponse(a.body)
    assert.equal(s.response.text, TEXT)
    assert.deepEqual(s.response.tool_calls.map((t) => [t.name, t.arguments]), [['lookup', '{"city":"Paris"}']])
    assert.deepEqual([s.usage.input_tokens, s.usage.output_tokens], [12, 30])
  })
})
