// The event → GenAI span mapping on its own (spans.ts): names, ids, exact times, the conventions' attributes in both
// APIs' shapes, content left out on request; then through the real exporter to a test receiver and `kt import`'s OTel
// reader, which gives back the same event (id, models, tokens, text, tools, status, routing and mirror fields).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {OtlpExport, spanFor} from '../../src/gateway/index.js'
import type {CanonicalRecord} from '../../src/records/index.js'
import {buildRecord, parseAnthropicResponse, parseOpenAIChatResponse, requestFromBody, type RecordDraft} from '../../src/wire/index.js'
import {tempDir} from '../support/cli.js'
import {importRows} from '../support/import.js'
import {startOtlpReceiver} from '../support/otlp-receiver.js'
import {waitFor} from '../support/gateway.js'

const TS = '2025-03-10T12:00:00.123Z'

function record(d: Partial<RecordDraft>): CanonicalRecord {
  return buildRecord({format: 'kt-gateway', locator: '/v1/chat/completions', timestamp: TS, ...d}, {file: '', fileMtime: TS})
}

/** An Anthropic-format request with a system prompt, a tool round and parameters, refused by a policy. */
function anthropicBlocked(): CanonicalRecord {
  const body = {
    model: 'claude-sonnet-4-20250514',
    system: 'You are terse.',
    max_tokens: 300,
    temperature: 0.3,
    stop_sequences: ['END'],
    stream: true,
    tools: [{name: 'lookup', description: 'Look a thing up', input_schema: {type: 'object', properties: {q: {type: 'string'}}}}],
    messages: [
      {role: 'user', content: 'Find the capital of France.'},
      {role: 'assistant', content: [{type: 'tool_use', id: 'tu_1', name: 'lookup', input: {q: 'capital of France'}}]},
      {role: 'user', content: [{type: 'tool_result', tool_use_id: 'tu_1', content: 'Paris'}]},
    ],
  }
  return record({
    id: 'gw_blocked',
    provider: 'anthropic',
    api: 'anthropic.messages',
    model: 'claude-sonnet-4-20250514',
    request: {...requestFromBody('anthropic.messages', body), messages: []},
    status: 'blocked',
    http_status: 403,
    error: {type: 'policy_violation', code: null, message: 'blocked by model_filter "no-claude"'},
    latency_ms: null,
    cost_usd: 0,
    metadata: {requested_model: 'claude-sonnet-4-20250514'},
    event: {traffic_role: 'primary', route: '/v1/messages', decision: 'block', policy_id: 'model_filter', decision_reason: 'model_filter "no-claude"', policies_triggered: [{name: 'no-claude', type: 'model_filter', action: 'block'}]},
  })
}

function openaiMirrored(): {primary: CanonicalRecord; shadow: CanonicalRecord} {
  const body = {model: 'gpt-4o-mini', messages: [{role: 'system', content: 'Be brief.'}, {role: 'user', content: 'What is 2+2?'}], temperature: 0.2, max_completion_tokens: 50}
  const answer = {id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-mini-2024-07-18', choices: [{index: 0, message: {role: 'assistant', content: 'Four.'}, finish_reason: 'stop'}], usage: {prompt_tokens: 12, completion_tokens: 2, total_tokens: 14}}
  const parsed = parseOpenAIChatResponse(answer)
  const mirror = {
    primary: {provider: 'openai', model: 'gpt-4o-mini', latency_ms: 12, input_tokens: 12, output_tokens: 2, status: 'success'},
    shadow: {provider: 'anthropic', model: 'claude-sonnet-4-20250514', latency_ms: 30, input_tokens: 14, output_tokens: 6, status: 'success', response: 'The answer is four.'},
    comparison: {latency_diff_ms: 18, token_count_diff: 4, content_similarity: 0.4},
  }
  const primary = record({
    id: 'gw_primary',
    source_id: 'chatcmpl-1',
    provider: 'openai',
    api: 'openai.chat',
    model: 'gpt-4o-mini',
    response_model: 'gpt-4o-mini-2024-07-18',
    request: {...requestFromBody('openai.chat', body), messages: []},
    response: parsed.response,
    usage: parsed.usage,
    latency_ms: 12.34,
    ttft_ms: 5.5,
    http_status: 200,
    cost_usd: 0.0000033,
    metadata: {requested_model: 'quality-ab-test', ab_tag: 'B'},
    event: {traffic_role: 'primary', target_id: 'openai', model_group: 'quality-ab-test', policies_triggered: [], decision: 'route', user_id_hash: 'ab'.repeat(16), mirror_group_id: 'gw_primary', shadow_event_id: 'gw_shadow', traffic_mirror: mirror},
  })
  const shadowAnswer = parseAnthropicResponse({id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [{type: 'text', text: 'The answer is four.'}], stop_reason: 'end_turn', usage: {input_tokens: 14, output_tokens: 6}})
  const shadow = record({
    id: 'gw_shadow',
    provider: 'anthropic',
    api: 'anthropic.messages',
    model: 'claude-sonnet-4-20250514',
    response: shadowAnswer.response,
    usage: shadowAnswer.usage,
    latency_ms: 30,
    cost_usd: 0.0001,
    metadata: {role: 'shadow'},
    event: {traffic_role: 'shadow', target_id: 'anthropic', policies_triggered: [], mirror_group_id: 'gw_primary', primary_event_id: 'gw_primary'},
  })
  return {primary, shadow}
}

describe('event → GenAI span', () => {
  test('an OpenAI primary and its Anthropic shadow: one trace, exact times, the conventions and kt attributes', () => {
    const {primary, shadow} = openaiMirrored()
    const p = spanFor(primary, true)
    const s = spanFor(shadow, true)
    assert.equal(p.name, 'chat gpt-4o-mini')
    assert.match(p.traceId, /^[0-9a-f]{32}$/)
    assert.match(p.spanId, /^[0-9a-f]{16}$/)
    assert.deepEqual([s.traceId, s.parentSpanId, p.parentSpanId], [p.traceId, p.spanId, null])
    assert.deepEqual(spanFor(primary, true), p, 'the same ids on every export')
    assert.deepEqual(p.start, [Math.floor(Date.parse(TS) / 1000), 123_000_000])
    assert.deepEqual(p.end, [Math.floor(Date.parse(TS) / 1000), 135_340_000])
    assert.equal(p.error, null)
    assert.deepEqual(p.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.response.time_to_first_chunk': 0.0055,
      'http.response.status_code': 200,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.input.messages': JSON.stringify([
        {role: 'system', parts: [{type: 'text', content: 'Be brief.'}]},
        {role: 'user', parts: [{type: 'text', content: 'What is 2+2?'}]},
      ]),
      'gen_ai.output.messages': JSON.stringify([{role: 'assistant', parts: [{type: 'text', content: 'Four.'}], finish_reason: 'stop'}]),
      'kt.event_id': 'gw_primary',
      'kt.status': 'ok',
      'kt.traffic_role': 'primary',
      'kt.target_id': 'openai',
      'kt.model_group': 'quality-ab-test',
      'kt.cost': 0.0000033,
      'kt.policies_triggered': '[]',
      'kt.decision': 'route',
      'kt.user_id_hash': 'ab'.repeat(16),
      'kt.mirror_group_id': 'gw_primary',
      'kt.shadow_event_id': 'gw_shadow',
      'kt.ab_tag': 'B',
      'kt.requested_model': 'quality-ab-test',
      'kt.traffic_mirror.primary.provider': 'openai',
      'kt.traffic_mirror.primary.model': 'gpt-4o-mini',
      'kt.traffic_mirror.primary.latency_ms': 12,
      'kt.traffic_mirror.primary.input_tokens': 12,
      'kt.traffic_mirror.primary.output_tokens': 2,
      'kt.traffic_mirror.primary.status': 'success',
      'kt.traffic_mirror.shadow.provider': 'anthropic',
      'kt.traffic_mirror.shadow.model': 'claude-sonnet-4-20250514',
      'kt.traffic_mirror.shadow.latency_ms': 30,
      'kt.traffic_mirror.shadow.input_tokens': 14,
      'kt.traffic_mirror.shadow.output_tokens': 6,
      'kt.traffic_mirror.shadow.status': 'success',
      'kt.traffic_mirror.shadow.response': 'The answer is four.',
      'kt.traffic_mirror.comparison.latency_diff_ms': 18,
      'kt.traffic_mirror.comparison.token_count_diff': 4,
      'kt.traffic_mirror.comparison.content_similarity': 0.4,
    })
    assert.deepEqual(s.attributes['gen_ai.response.finish_reasons'], ['end_turn'])
    assert.equal(s.attributes['gen_ai.input.messages'], undefined, 'no request body in this shadow record: no input messages')
  })

  test('content left out: no prompt, answer, tool definitions or shadow answer; the numbers stay', () => {
    const {primary} = openaiMirrored()
    const a = spanFor(primary, false).attributes
    for (const k of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.tool.definitions', 'kt.traffic_mirror.shadow.response']) assert.equal(a[k], undefined, k)
    assert.equal(a['kt.traffic_mirror.shadow.output_tokens'], 6)
    assert.equal(a['gen_ai.usage.output_tokens'], 2)
    const b = spanFor(anthropicBlocked(), false).attributes
    assert.equal(b['gen_ai.tool.definitions'], undefined)
  })

  test('an Anthropic request refused by a policy: system instructions, tool parts, stop sequences, an ERROR status', () => {
    const s = spanFor(anthropicBlocked(), true)
    assert.equal(s.error, 'blocked by model_filter "no-claude"')
    assert.deepEqual(s.start, s.end, 'no upstream call: a zero-length span')
    const a = s.attributes
    assert.equal(a['gen_ai.provider.name'], 'anthropic')
    assert.equal(a['error.type'], 'policy_violation')
    assert.equal(a['kt.status'], 'blocked')
    assert.equal(a['gen_ai.system_instructions'], JSON.stringify([{type: 'text', content: 'You are terse.'}]))
    assert.deepEqual(a['gen_ai.request.stop_sequences'], ['END'])
    assert.equal(a['gen_ai.request.stream'], true)
    assert.deepEqual(JSON.parse(a['gen_ai.input.messages'] as string), [
      {role: 'user', parts: [{type: 'text', content: 'Find the capital of France.'}]},
      {role: 'assistant', parts: [{type: 'tool_call', id: 'tu_1', name: 'lookup', arguments: {q: 'capital of France'}}]},
      {role: 'user', parts: [{type: 'tool_call_response', id: 'tu_1', response: 'Paris'}]},
    ])
    assert.deepEqual(JSON.parse(a['gen_ai.tool.definitions'] as string), [{type: 'function', name: 'lookup', description: 'Look a thing up', parameters: {type: 'object', properties: {q: {type: 'string'}}}}])
    assert.equal(spanFor(record({provider: 'azure_openai', api: 'openai.chat', model: 'gpt-4o'}), true).attributes['gen_ai.provider.name'], 'azure.ai.openai')
  })

  test('through the exporter and kt import: the same events come back', async () => {
    const receiver = await startOtlpReceiver()
    const {primary, shadow} = openaiMirrored()
    const blocked = anthropicBlocked()
    const exporter = new OtlpExport({endpoint: receiver.url, headers: {}, sampleRate: 1, maxQueueSize: 16, maxExportBatchSize: 16, exportTimeoutMs: 10_000, scheduledDelayMs: 10, captureContent: true, serviceName: 'kt-gateway'}, {onChange: () => {}, onLog: () => {}})
    exporter.exportEvents([shadow, primary])
    exporter.exportEvents([blocked])
    assert.equal(await exporter.flush(10_000), true)
    await waitFor(() => receiver.spans().length === 3, 'three spans')
    await receiver.close()
    const file = join(tempDir('kt-spans-'), 'traces.jsonl')
    writeFileSync(file, receiver.exports.map((e) => e.text).join('\n') + '\n')
    const {summary, rows} = await importRows([file])
    // This shadow record has no request body: imported, counted as not replayable.
    assert.deepEqual([summary.totals.imported, summary.totals.not_replayable, rows.length], [2, 1, 3])
    const byId = new Map(rows.map((r) => [r.event_id, r]))
    const p = byId.get('gw_primary')!
    assert.deepEqual(
      [p.model, p.response_model, p.provider, p.input_tokens, p.output_tokens, p.response_text, p.finish_reason, p.latency_ms, p.ttft_ms, p.timestamp, p.status, p.cost_usd],
      ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'openai', 12, 2, 'Four.', 'stop', 12.34, 5.5, TS, 'ok', 0.0000033],
    )
    assert.deepEqual(JSON.parse(p.request_json!), {model: 'gpt-4o-mini', messages: [{role: 'system', content: 'Be brief.'}, {role: 'user', content: 'What is 2+2?'}], temperature: 0.2, max_tokens: 50})
    assert.deepEqual([p.target_id, p.model_group, p.traffic_role, p.source_id, p.user_id_hash, p.shadow_event_id], ['openai', 'quality-ab-test', 'primary', 'chatcmpl-1', 'ab'.repeat(16), 'gw_shadow'])
    assert.deepEqual(JSON.parse(p.traffic_mirror_json!), primary.event.traffic_mirror)
    assert.deepEqual(JSON.parse(p.policies_triggered_json!), [])
    assert.equal((JSON.parse(p.metadata_json!) as {ab_tag: string}).ab_tag, 'B')
    const s = byId.get('gw_shadow')!
    assert.deepEqual([s.traffic_role, s.primary_event_id, s.target_id, s.response_text, s.finish_reason], ['shadow', 'gw_primary', 'anthropic', 'The answer is four.', 'stop'])
    const b = byId.get('gw_blocked')!
    assert.deepEqual([b.status, b.decision, b.policy_id, b.http_status], ['blocked', 'block', 'model_filter', 403])
    assert.deepEqual(JSON.parse(b.policies_triggered_json!), [{name: 'no-claude', type: 'model_filter', action: 'block'}])
    const req = JSON.parse(b.request_json!) as {messages: unknown[]; tools: unknown[]; stop: unknown; max_tokens: number}
    assert.deepEqual(req.messages, [
      {role: 'system', content: 'You are terse.'},
      {role: 'user', content: 'Find the capital of France.'},
      {role: 'assistant', content: null, tool_calls: [{id: 'tu_1', type: 'function', function: {name: 'lookup', arguments: '{"q":"capital of France"}'}}]},
      {role: 'tool', tool_call_id: 'tu_1', content: 'Paris'},
    ])
    assert.equal(req.max_tokens, 300)
    assert.deepEqual(req.tools, [{type: 'function', function: {name: 'lookup', description: 'Look a thing up', parameters: {type: 'object', properties: {q: {type: 'string'}}}}}])
  })
})
