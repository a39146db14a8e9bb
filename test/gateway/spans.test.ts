// The event → GenAI span mapping on its own (spans.ts): names, ids, exact times, the conventions' attributes in both
// APIs' shapes, content left out on request; then through the real exporter to a test receiver and `kt import`'s OTel
// reader, which gives back the same event (id, models, tokens, text, tools, status, routing and mirror fields).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {OtlpExport, parseTraceContext, spanFor, type CallerTrace} from '../../src/gateway/index.js'
import type {CanonicalRecord} from '../../src/records/index.js'
import {buildRecord, parseAnthropicResponse, parseOpenAIChatResponse, requestFromBody, type RecordDraft} from '../../src/wire/index.js'
import {tempDir} from '../support/cli.js'
import {importRows, recordsOf} from '../support/import.js'
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
    const exporter = new OtlpExport({endpoint: receiver.url, protocol: 'http/json', headers: {}, sampleRate: 1, maxQueueSize: 16, maxExportBatchSize: 16, exportTimeoutMs: 10_000, scheduledDelayMs: 10, captureContent: true, serviceName: 'kt-gateway'}, {onChange: () => {}, onLog: () => {}})
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

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const TRACESTATE = 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'

/** A request's events as the gateway writes them when the caller sent this trace context (gateway/events.ts). */
function continued(records: CanonicalRecord[], t: CallerTrace): CanonicalRecord[] {
  return records.map((r) => {
    const c = structuredClone(r)
    const primary = c.event.primary_event_id === null
    c.id = `${r.id}_${t.traceId.slice(0, 4)}_${t.sampled ? 's' : 'u'}`
    if (!primary) c.event.primary_event_id = `${r.event.primary_event_id}_${t.traceId.slice(0, 4)}_${t.sampled ? 's' : 'u'}`
    c.event.trace_id = t.traceId
    c.metadata.trace_context = {parent_span_id: primary ? t.parentSpanId : null, sampled: t.sampled, tracestate: t.tracestate}
    return c
  })
}

const exporterTo = (url: string, sampleRate = 1) =>
  new OtlpExport({endpoint: url, protocol: 'http/json', headers: {}, sampleRate, maxQueueSize: 16, maxExportBatchSize: 16, exportTimeoutMs: 10_000, scheduledDelayMs: 10, captureContent: true, serviceName: 'kt-gateway'}, {onChange: () => {}, onLog: () => {}})

describe("a caller's W3C trace context", () => {
  test('traceparent: version 00 read exactly, a later version by its first four fields, tracestate kept as sent', () => {
    const tp = (flags: string) => `00-${CALLER_TRACE}-${CALLER_SPAN}-${flags}`
    assert.deepEqual(parseTraceContext(tp('01'), TRACESTATE), {traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, sampled: true, tracestate: TRACESTATE})
    assert.deepEqual(parseTraceContext(tp('00'), undefined), {traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, sampled: false, tracestate: null})
    assert.equal(parseTraceContext(tp('03'), undefined)?.sampled, true, 'the sampled bit, whatever the other flags')
    assert.equal(parseTraceContext(tp('02'), undefined)?.sampled, false)
    assert.deepEqual(parseTraceContext(`cc-${CALLER_TRACE}-${CALLER_SPAN}-01-what-comes-next`, 'a=b'), {traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, sampled: true, tracestate: 'a=b'})
    assert.equal(parseTraceContext(`01-${CALLER_TRACE}-${CALLER_SPAN}-01`, undefined)?.traceId, CALLER_TRACE)
    for (const state of ['', '  ', 'a=b'.padEnd(513, 'c'), 'A=b', 'a=b=c', 'a', '=b', 'a=b,c', 'a=b ,;=x', 'a=\u00e9', 'a=b\n']) {
      assert.equal(parseTraceContext(tp('01'), state)?.tracestate, null, JSON.stringify(state))
    }
    for (const state of ['a=b', 'a=b,,c=d', 'tenant@vendor=x y', `k=${'v'.repeat(255)}`, ` a=b ,\tc=d `]) assert.equal(parseTraceContext(tp('01'), state)?.tracestate, state, JSON.stringify(state))
  })

  test('an invalid traceparent is ignored (the request starts its own trace)', () => {
    const bad: [string, unknown][] = [
      ['absent', undefined],
      ['not a string', [`00-${CALLER_TRACE}-${CALLER_SPAN}-01`]],
      ['empty', ''],
      ['upper-case hex', `00-${CALLER_TRACE.toUpperCase()}-${CALLER_SPAN}-01`],
      ['version ff', `ff-${CALLER_TRACE}-${CALLER_SPAN}-01`],
      ['version not hex', `0g-${CALLER_TRACE}-${CALLER_SPAN}-01`],
      ['all-zero trace id', `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`],
      ['all-zero parent id', `00-${CALLER_TRACE}-${'0'.repeat(16)}-01`],
      ['short trace id', `00-${CALLER_TRACE.slice(1)}-${CALLER_SPAN}-01`],
      ['long parent id', `00-${CALLER_TRACE}-${CALLER_SPAN}0-01`],
      ['flags not hex', `00-${CALLER_TRACE}-${CALLER_SPAN}-0x`],
      ['one-digit flags', `00-${CALLER_TRACE}-${CALLER_SPAN}-1`],
      ['version 00 with a fifth field', `00-${CALLER_TRACE}-${CALLER_SPAN}-01-extra`],
      ['version 00 with a trailing character', `00-${CALLER_TRACE}-${CALLER_SPAN}-01x`],
      ['a later version without a dash after the flags', `01-${CALLER_TRACE}-${CALLER_SPAN}-01x`],
      ['missing parent id', `00-${CALLER_TRACE}-01`],
      ['underscores', `00_${CALLER_TRACE}_${CALLER_SPAN}_01`],
      ['leading space', ` 00-${CALLER_TRACE}-${CALLER_SPAN}-01`],
      ['two headers joined', `00-${CALLER_TRACE}-${CALLER_SPAN}-01, 00-${CALLER_TRACE}-${CALLER_SPAN}-01`],
    ]
    for (const [why, header] of bad) assert.equal(parseTraceContext(header, TRACESTATE), null, why)
  })

  test('a continued trace: the primary is a child of the caller span, its shadows stay under the primary; without one nothing changes', () => {
    const plain = openaiMirrored()
    const [shadow, primary] = continued([plain.shadow, plain.primary], {traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, sampled: true, tracestate: TRACESTATE})
    const p = spanFor(primary!, true)
    const s = spanFor(shadow!, true)
    assert.deepEqual([p.traceId, p.parentSpanId, p.remoteParent, p.traceState], [CALLER_TRACE, CALLER_SPAN, true, TRACESTATE])
    assert.deepEqual([s.traceId, s.parentSpanId, s.remoteParent, s.traceState], [CALLER_TRACE, p.spanId, false, TRACESTATE])
    assert.deepEqual(spanFor(primary!, true), p, 'the same span on every export')
    assert.equal(p.attributes['kt.event_id'], primary!.id)
    const q = spanFor(plain.primary, true)
    const t = spanFor(plain.shadow, true)
    assert.notEqual(q.traceId, CALLER_TRACE)
    assert.deepEqual([q.parentSpanId, q.remoteParent, q.traceState, t.traceId, t.parentSpanId, t.traceState], [null, false, null, q.traceId, q.spanId, null])
    // A stored context that is not one (a bad id) is no caller trace.
    const broken = structuredClone(primary!)
    broken.event.trace_id = 'not-a-trace-id'
    assert.deepEqual([spanFor(broken, true).parentSpanId, spanFor(broken, true).traceState], [null, null])
  })

  test('parent-based sampling: an unsampled caller exports nothing, a sampled one is exported whatever sample_rate; kt import reads it back', async () => {
    const receiver = await startOtlpReceiver()
    const plain = openaiMirrored()
    const sampled = continued([plain.shadow, plain.primary], {traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, sampled: true, tracestate: TRACESTATE})
    const unsampled = continued([plain.shadow, plain.primary], {traceId: 'a'.repeat(32), parentSpanId: 'b'.repeat(16), sampled: false, tracestate: null})
    // sample_rate 0: requests that start their own trace are never exported; a sampled caller's still are.
    const exporter = exporterTo(receiver.url, 0)
    for (const request of [unsampled, [plain.shadow, plain.primary], sampled]) exporter.exportEvents(request)
    assert.equal(await exporter.flush(10_000), true)
    await waitFor(() => receiver.spans().length === 2, 'two spans')
    await receiver.close()
    assert.deepEqual(receiver.spans().map((x) => x.attrs['kt.event_id']).sort(), sampled.map((r) => r.id).sort())
    const sent = receiver.exports.flatMap((e) => (e.body.resourceSpans as {scopeSpans: {spans: {spanId: string; traceState?: string; flags: number}[]}[]}[]).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
    const primarySpan = spanFor(sampled[1]!, true)
    const primaryOtlp = sent.find((x) => x.spanId === primarySpan.spanId)!
    assert.equal(primaryOtlp.traceState, TRACESTATE, "OTLP JSON's traceState, as the caller sent it")
    assert.equal(primaryOtlp.flags, 0x301, 'sampled, with a remote parent')
    assert.equal(sent.find((x) => x.spanId !== primarySpan.spanId)!.flags, 0x101, "the shadow's parent is the primary, a local span")
    const file = join(tempDir('kt-spans-trace-'), 'traces.jsonl')
    writeFileSync(file, receiver.exports.map((e) => e.text).join('\n') + '\n')
    const back = new Map((await recordsOf(file)).map((r) => [r.id, r]))
    for (const r of sampled) {
      const b = back.get(r.id)!
      assert.equal(b.event.trace_id, CALLER_TRACE)
      assert.deepEqual(b.metadata.trace_context, r.metadata.trace_context, r.id)
      const again = spanFor(b, true)
      const first = spanFor(r, true)
      assert.deepEqual([again.traceId, again.spanId, again.parentSpanId, again.remoteParent, again.traceState], [first.traceId, first.spanId, first.parentSpanId, first.remoteParent, first.traceState], 're-exported: the same span')
    }
  })
})
