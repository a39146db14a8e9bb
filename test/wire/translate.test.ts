// Request translation both ways: every dropped or approximated field is named in `losses`.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {anthropicToOpenAIChat, openaiChatToAnthropic} from '../../src/wire/index.js'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

describe('openaiChatToAnthropic', () => {
  test('system/developer, images, tools, tool calls and merged tool results', () => {
    const {body, losses} = openaiChatToAnthropic({
      model: 'gpt-4o',
      messages: [
        {role: 'system', content: 'You are a travel agent.'},
        {role: 'developer', content: [{type: 'text', text: 'Prefer trains.'}]},
        {
          role: 'user',
          content: [
            {type: 'text', text: 'Where is this?'},
            {type: 'image_url', image_url: {url: `data:image/png;base64,${PNG}`, detail: 'high'}},
            {type: 'image_url', image_url: {url: 'https://example.com/a.jpg'}},
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {id: 'call_1', type: 'function', function: {name: 'lookup', arguments: '{"q":"Paris"}'}},
            {id: 'call_2', type: 'function', function: {name: 'lookup', arguments: '{"q":"Lyon"}'}},
          ],
        },
        {role: 'tool', tool_call_id: 'call_1', content: 'Paris: sunny'},
        {role: 'tool', tool_call_id: 'call_2', content: [{type: 'text', text: 'Lyon: rain'}]},
        {role: 'user', content: 'Thanks'},
      ],
      tools: [{type: 'function', function: {name: 'lookup', description: 'Search', parameters: {type: 'object', properties: {q: {type: 'string'}}}, strict: true}}],
      tool_choice: {type: 'function', function: {name: 'lookup'}},
      parallel_tool_calls: false,
      max_completion_tokens: 800,
      temperature: 1.4,
      stop: ['###'],
      user: 'u1',
      stream: true,
      stream_options: {include_usage: true},
    })
    assert.deepEqual(body, {
      model: 'gpt-4o',
      system: 'You are a travel agent.\n\nPrefer trains.',
      messages: [
        {
          role: 'user',
          content: [
            {type: 'text', text: 'Where is this?'},
            {type: 'image', source: {type: 'base64', media_type: 'image/png', data: PNG}},
            {type: 'image', source: {type: 'url', url: 'https://example.com/a.jpg'}},
          ],
        },
        {
          role: 'assistant',
          content: [
            {type: 'tool_use', id: 'call_1', name: 'lookup', input: {q: 'Paris'}},
            {type: 'tool_use', id: 'call_2', name: 'lookup', input: {q: 'Lyon'}},
          ],
        },
        {
          role: 'user',
          content: [
            {type: 'tool_result', tool_use_id: 'call_1', content: 'Paris: sunny'},
            {type: 'tool_result', tool_use_id: 'call_2', content: 'Lyon: rain'},
          ],
        },
        {role: 'user', content: 'Thanks'},
      ],
      max_tokens: 800,
      temperature: 1,
      stop_sequences: ['###'],
      stream: true,
      tools: [{name: 'lookup', description: 'Search', input_schema: {type: 'object', properties: {q: {type: 'string'}}}}],
      tool_choice: {type: 'tool', name: 'lookup', disable_parallel_tool_use: true},
      metadata: {user_id: 'u1'},
    })
    assert.deepEqual(losses, [
      'messages[2].content[1].image_url.detail: no Anthropic equivalent (dropped)',
      'temperature: 1.4 exceeds Anthropic\'s 0–1 range; clamped to 1',
      'tools[0].function.strict: no Anthropic equivalent (dropped)',
    ])
  })

  test('max_tokens default, tool_choice mapping and dropped OpenAI-only parameters', () => {
    const {body, losses} = openaiChatToAnthropic({
      model: 'gpt-4o-mini',
      messages: [{role: 'user', content: 'hi'}],
      tools: [{type: 'function', function: {name: 'f', parameters: {type: 'object'}}}],
      tool_choice: 'required',
      response_format: {type: 'json_schema', json_schema: {name: 'x', schema: {type: 'object'}}},
      seed: 1,
      n: 2,
      logit_bias: {'50256': -100},
      presence_penalty: 0.5,
      frequency_penalty: 0.2,
      logprobs: true,
      reasoning_effort: 'high',
    })
    assert.equal(body.max_tokens, 4096)
    assert.deepEqual(body.tool_choice, {type: 'any'})
    for (const k of ['response_format', 'seed', 'n', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'logprobs', 'reasoning_effort']) assert.equal(k in body, false, k)
    assert.deepEqual(losses, [
      'max_tokens: absent in the OpenAI request; set to 4096 (Anthropic requires it)',
      'response_format (json_schema): no Anthropic equivalent (dropped)',
      'n: 2 choices requested; Anthropic returns one (dropped)',
      'seed: no Anthropic equivalent (dropped)',
      'logit_bias: no Anthropic equivalent (dropped)',
      'presence_penalty: no Anthropic equivalent (dropped)',
      'frequency_penalty: no Anthropic equivalent (dropped)',
      'logprobs: no Anthropic equivalent (dropped)',
      'reasoning_effort: no Anthropic equivalent (dropped)',
    ])
    assert.deepEqual(openaiChatToAnthropic({messages: [], tools: [{type: 'function', function: {name: 'f'}}], tool_choice: 'auto'}).body.tool_choice, {type: 'auto'})
    assert.deepEqual(openaiChatToAnthropic({messages: [], tools: [{type: 'function', function: {name: 'f'}}], tool_choice: 'none'}).body.tool_choice, {type: 'none'})
  })

  test('awkward inputs are approximated and named, never silent', () => {
    const {body, losses} = openaiChatToAnthropic({
      model: 'gpt-4o',
      max_tokens: 50,
      messages: [
        {role: 'user', content: [{type: 'input_audio', input_audio: {data: 'AAA', format: 'wav'}}, {type: 'text', text: 'transcribe'}], name: 'bob'},
        {role: 'assistant', content: null, tool_calls: [{id: 'c1', type: 'function', function: {name: 'f', arguments: '{broken'}}]},
        {role: 'tool', tool_call_id: 'c1', content: 'x'},
        {role: 'system', content: 'Late system note.'},
        {role: 'assistant', content: ''},
      ],
      tools: [{type: 'function', function: {name: 'f'}}, {type: 'web_search_preview'}],
      some_vendor_field: true,
    })
    assert.deepEqual((body.messages as {content: unknown}[])[0]!.content, [{type: 'text', text: 'transcribe'}])
    assert.deepEqual((body.messages as {content: {input: unknown}[]}[])[1]!.content[0]!.input, {})
    assert.equal(body.system, 'Late system note.')
    assert.equal((body.messages as unknown[]).length, 3)
    assert.deepEqual(losses, [
      'messages[0].name: no Anthropic equivalent (dropped)',
      'messages[0].content[0]: input_audio has no Anthropic equivalent (dropped)',
      'messages[1].tool_calls[0]: arguments are not valid JSON; sent as {} (Anthropic needs an object)',
      'messages[3]: system message inside the conversation moved to the top-level system prompt',
      'messages[4]: empty assistant message dropped (Anthropic rejects empty content)',
      'tools[1]: tool type "web_search_preview" has no Anthropic equivalent (dropped)',
      'some_vendor_field: unknown to the OpenAI→Anthropic translation (dropped)',
    ])
  })
})

describe('anthropicToOpenAIChat', () => {
  test('system, images, tool use/results, tools and tool_choice', () => {
    const {body, losses} = anthropicToOpenAIChat(
      {
        model: 'claude-sonnet-4-20250514',
        max_tokens: 1000,
        system: [{type: 'text', text: 'Be exact.', cache_control: {type: 'ephemeral'}}],
        messages: [
          {role: 'user', content: [{type: 'text', text: 'What is in the picture?'}, {type: 'image', source: {type: 'base64', media_type: 'image/png', data: PNG}}]},
          {
            role: 'assistant',
            content: [
              {type: 'thinking', thinking: 'hmm', signature: 'sig'},
              {type: 'text', text: 'Let me check.'},
              {type: 'tool_use', id: 'toolu_1', name: 'vision', input: {zoom: 2}},
            ],
          },
          {role: 'user', content: [{type: 'tool_result', tool_use_id: 'toolu_1', content: [{type: 'text', text: 'a cat'}], is_error: true}, {type: 'text', text: 'And now?'}]},
        ],
        tools: [
          {name: 'vision', description: 'Look', input_schema: {type: 'object', properties: {zoom: {type: 'number'}}}},
          {type: 'web_search_20250305', name: 'web_search', max_uses: 3},
        ],
        tool_choice: {type: 'any', disable_parallel_tool_use: true},
        thinking: {type: 'enabled', budget_tokens: 2000},
        stop_sequences: ['a', 'b', 'c', 'd', 'e'],
        top_k: 10,
      },
      {maxTokensField: 'max_completion_tokens'},
    )
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-20250514',
      messages: [
        {role: 'system', content: 'Be exact.'},
        {role: 'user', content: [{type: 'text', text: 'What is in the picture?'}, {type: 'image_url', image_url: {url: `data:image/png;base64,${PNG}`}}]},
        {role: 'assistant', content: 'Let me check.', tool_calls: [{id: 'toolu_1', type: 'function', function: {name: 'vision', arguments: '{"zoom":2}'}}]},
        {role: 'tool', tool_call_id: 'toolu_1', content: 'a cat'},
        {role: 'user', content: [{type: 'text', text: 'And now?'}]},
      ],
      max_completion_tokens: 1000,
      stop: ['a', 'b', 'c', 'd'],
      tools: [{type: 'function', function: {name: 'vision', description: 'Look', parameters: {type: 'object', properties: {zoom: {type: 'number'}}}}}],
      tool_choice: 'required',
      parallel_tool_calls: false,
    })
    assert.deepEqual(losses, [
      'messages[1].content[0]: thinking block dropped (no OpenAI Chat equivalent)',
      'messages[2].content[0].is_error: no OpenAI equivalent (content kept, error flag dropped)',
      'top_k: no OpenAI equivalent (dropped)',
      'stop_sequences: 5 given, OpenAI accepts 4 (extra dropped)',
      'tools[1]: server tool "web_search_20250305" has no OpenAI equivalent (dropped)',
      'thinking: {"type":"enabled","budget_tokens":2000} has no OpenAI Chat equivalent (dropped)',
      'cache_control: 1 prompt-caching marker(s) dropped (OpenAI caches automatically)',
    ])
  })

  test('tool_choice variants and metadata', () => {
    const tools = [{name: 't', input_schema: {type: 'object'}}]
    assert.equal(anthropicToOpenAIChat({messages: [], tools, tool_choice: {type: 'auto'}}).body.tool_choice, 'auto')
    assert.equal(anthropicToOpenAIChat({messages: [], tools, tool_choice: {type: 'none'}}).body.tool_choice, 'none')
    assert.deepEqual(anthropicToOpenAIChat({messages: [], tools, tool_choice: {type: 'tool', name: 't'}}).body.tool_choice, {type: 'function', function: {name: 't'}})
    const md = anthropicToOpenAIChat({messages: [], metadata: {user_id: 'u', other: 1}, max_tokens: 5})
    assert.equal(md.body.user, 'u')
    assert.equal(md.body.max_tokens, 5)
    assert.deepEqual(md.losses, ['metadata.other: no OpenAI equivalent (dropped)'])
  })

  test('round trip OpenAI → Anthropic → OpenAI keeps the conversation', () => {
    const original = {
      model: 'gpt-4o',
      messages: [
        {role: 'system', content: 'S'},
        {role: 'user', content: 'Q'},
        {role: 'assistant', content: null, tool_calls: [{id: 'c1', type: 'function', function: {name: 'f', arguments: '{"a":1}'}}]},
        {role: 'tool', tool_call_id: 'c1', content: 'R'},
      ],
      tools: [{type: 'function', function: {name: 'f', parameters: {type: 'object', properties: {a: {type: 'number'}}}}}],
      max_tokens: 100,
      temperature: 0.3,
    }
    const there = openaiChatToAnthropic(original)
    assert.deepEqual(there.losses, [])
    const back = anthropicToOpenAIChat(there.body)
    assert.deepEqual(back.losses, [])
    assert.deepEqual(back.body, original)
  })
})
