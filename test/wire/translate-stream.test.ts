// Answer translation between the two APIs: SSE cut anywhere (even inside a UTF-8 character or a CRLF) splits into the
// same events; a translated stream assembles into the same answer as the original (text, tool calls, finish reason,
// usage); whole bodies and error bodies map both ways.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {
  AnthropicToOpenAIStream,
  OpenAIToAnthropicStream,
  SseSplitter,
  anthropicMessageToOpenAIChat,
  assembleAnthropicStream,
  assembleOpenAIChatStream,
  openaiChatToAnthropicMessage,
  parseSse,
  translateErrorBody,
} from '../../src/wire/index.js'

const sse = (events: {event?: string; data: unknown}[], eol = '\n') =>
  events.map((e) => `${e.event ? `event: ${e.event}${eol}` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}${eol}${eol}`).join('')

const ANTHROPIC_EVENTS = [
  {type: 'message_start', message: {id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [], stop_reason: null, usage: {input_tokens: 12, cache_read_input_tokens: 3, output_tokens: 1}}},
  {type: 'content_block_start', index: 0, content_block: {type: 'text', text: ''}},
  {type: 'ping'},
  {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: 'Héllo, '}},
  {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: 'wörld ✓'}},
  {type: 'content_block_stop', index: 0},
  {type: 'content_block_start', index: 1, content_block: {type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {}}},
  {type: 'content_block_delta', index: 1, delta: {type: 'input_json_delta', partial_json: '{"id":'}},
  {type: 'content_block_delta', index: 1, delta: {type: 'input_json_delta', partial_json: ' 7}'}},
  {type: 'content_block_stop', index: 1},
  {type: 'message_delta', delta: {stop_reason: 'tool_use', stop_sequence: null}, usage: {output_tokens: 9}},
  {type: 'message_stop'},
].map((data) => ({event: data.type, data}))

const chunk = (delta: unknown, finish: string | null = null) => ({id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{index: 0, delta, finish_reason: finish}]})
const OPENAI_EVENTS = [
  chunk({role: 'assistant', content: ''}),
  chunk({content: 'Héllo, '}),
  chunk({content: 'wörld ✓'}),
  chunk({tool_calls: [{index: 0, id: 'call_1', type: 'function', function: {name: 'lookup', arguments: ''}}]}),
  chunk({tool_calls: [{index: 0, function: {arguments: '{"id":'}}]}),
  chunk({tool_calls: [{index: 0, function: {arguments: ' 7}'}}]}),
  chunk({}, 'tool_calls'),
  {id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [], usage: {prompt_tokens: 15, completion_tokens: 9, total_tokens: 24, prompt_tokens_details: {cached_tokens: 3}}},
  '[DONE]',
].map((data) => ({data}))

/** Feeds `text` to a splitter in pieces of `size` bytes. */
function split(text: string, size: number) {
  const bytes = Buffer.from(text)
  const s = new SseSplitter()
  const out = []
  for (let i = 0; i < bytes.length; i += size) out.push(...s.push(bytes.subarray(i, i + size)))
  return [...out, ...s.end()]
}

describe('wire: streamed answer translation', () => {
  test('the splitter gives the same events however the bytes are cut (UTF-8 and CRLF included)', () => {
    for (const eol of ['\n', '\r\n']) {
      const text = sse(ANTHROPIC_EVENTS, eol)
      const whole = parseSse(text)
      for (const size of [1, 2, 3, 7, 64, text.length]) assert.deepEqual(split(text, size), whole, `eol ${JSON.stringify(eol)}, pieces of ${size}`)
    }
    const s = new SseSplitter()
    assert.deepEqual(s.push(Buffer.from('data: {"a":1}')), [])
    assert.deepEqual(s.end(), [{event: null, data: '{"a":1}'}], 'a last event without its blank line still counts')
  })

  test('Anthropic events → OpenAI chunks assemble into the same answer', () => {
    const tr = new AnthropicToOpenAIStream({includeUsage: true})
    const out = split(sse(ANTHROPIC_EVENTS), 5).map((e) => tr.push(e)).join('')
    assert.equal(tr.done, true)
    assert.ok(out.endsWith('data: [DONE]\n\n'))
    const a = assembleOpenAIChatStream(parseSse(out))
    assert.equal(a.complete, true)
    const choice = (a.body.choices as {message: {content: string; tool_calls: {id: string; function: {name: string; arguments: string}}[]}; finish_reason: string}[])[0]!
    assert.equal(choice.message.content, 'Héllo, wörld ✓')
    assert.deepEqual(choice.message.tool_calls.map((t) => [t.id, t.function.name, t.function.arguments]), [['toolu_1', 'lookup', '{"id": 7}']])
    assert.equal(choice.finish_reason, 'tool_calls')
    assert.deepEqual(a.body.usage, {prompt_tokens: 15, completion_tokens: 9, total_tokens: 24, prompt_tokens_details: {cached_tokens: 3}})
    assert.equal(a.body.model, 'claude-sonnet-4-20250514')
  })

  test('OpenAI chunks → Anthropic events assemble into the same answer', () => {
    const tr = new OpenAIToAnthropicStream()
    const out = split(sse(OPENAI_EVENTS), 3).map((e) => tr.push(e)).join('')
    assert.equal(tr.done, true)
    const a = assembleAnthropicStream(parseSse(out))
    assert.equal(a.complete, true)
    assert.deepEqual(a.body.content, [
      {type: 'text', text: 'Héllo, wörld ✓'},
      {type: 'tool_use', id: 'call_1', name: 'lookup', input: {id: 7}},
    ])
    assert.equal(a.body.stop_reason, 'tool_use')
    assert.deepEqual(a.body.usage, {input_tokens: 12, output_tokens: 9, cache_read_input_tokens: 3})
  })

  test('a cut stream stays cut; an error event is translated', () => {
    const tr = new OpenAIToAnthropicStream()
    const out = split(sse(OPENAI_EVENTS.slice(0, 3)), 8).map((e) => tr.push(e)).join('')
    assert.equal(tr.done, false)
    assert.equal(assembleAnthropicStream(parseSse(out)).complete, false)
    const err = new AnthropicToOpenAIStream({includeUsage: false}).push({event: 'error', data: JSON.stringify({type: 'error', error: {type: 'overloaded_error', message: 'Overloaded'}})})
    assert.deepEqual(assembleOpenAIChatStream(parseSse(err)).error, {type: 'overloaded_error', message: 'Overloaded'})
  })
})

describe('wire: whole answer and error translation', () => {
  test('an Anthropic message as an OpenAI completion and back', () => {
    const msg = {id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-x', content: [{type: 'text', text: 'Hi'}, {type: 'tool_use', id: 'toolu_2', name: 'f', input: {a: 1}}], stop_reason: 'max_tokens', usage: {input_tokens: 5, output_tokens: 2}}
    const o = anthropicMessageToOpenAIChat(msg, 100)
    assert.deepEqual(o, {
      id: 'chatcmpl-msg_2',
      object: 'chat.completion',
      created: 100,
      model: 'claude-x',
      choices: [{index: 0, message: {role: 'assistant', content: 'Hi', refusal: null, tool_calls: [{id: 'toolu_2', type: 'function', function: {name: 'f', arguments: '{"a":1}'}}]}, logprobs: null, finish_reason: 'length'}],
      usage: {prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: {cached_tokens: 0}},
    })
    const back = openaiChatToAnthropicMessage(o)
    assert.deepEqual(back.content, msg.content)
    assert.equal(back.stop_reason, 'max_tokens')
    assert.deepEqual(back.usage, {input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2})
  })

  test('error bodies in the other API shape, whatever the upstream sent', () => {
    assert.deepEqual(translateErrorBody('anthropic', 429, JSON.stringify({error: {message: 'Slow down', type: 'requests', code: 'rate_limit_exceeded'}})), {type: 'error', error: {type: 'rate_limit_error', message: 'Slow down'}})
    assert.deepEqual(translateErrorBody('openai', 529, JSON.stringify({type: 'error', error: {type: 'overloaded_error', message: 'Overloaded'}})), {error: {message: 'Overloaded', type: 'server_error', param: null, code: null}})
    assert.deepEqual(translateErrorBody('openai', 502, '<html>Bad Gateway</html>'), {error: {message: '<html>Bad Gateway</html>', type: 'server_error', param: null, code: null}})
  })
})
