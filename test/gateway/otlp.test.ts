// The gateway's OTLP export (telemetry.otlp), in this process against a test receiver: every event written arrives as
// one GenAI span with the header read from its variable; a receiver that never answers changes nothing for callers
// (same answers and events as with telemetry off, counted by completion, never by time) while the queue stays bounded
// and the rest is dropped and counted; a request and its shadows are sampled together; a failing collector is counted
// and logged once; an unset header variable stops the start naming the YAML path; a reload says telemetry needs a
// restart; a caller's W3C traceparent is continued (its sampled flag decides), and `kt import` reads it back.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {parse, stringify} from 'yaml'
import {stickyUnit} from '../../src/gateway/index.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, eventsWhen, get, KEYS, post, readEvents, seedConfig, startGateway, waitFor, type Reply, type TestGateway} from '../support/gateway.js'
import {importRows} from '../support/import.js'
import {startOtlpReceiver} from '../support/otlp-receiver.js'

const SECRET = 'Bearer otlp-test-secret-5f1c0e9a77'
const ENV = {...process.env, ...KEYS, OTLP_AUTH: SECRET}

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({delayMs: 1, record: false})
})
after(async () => {
  await up.close()
})

const withOtlp = (receiver: string, extra: Record<string, unknown> = {}) => (d: Record<string, unknown>) => ({
  ...d,
  telemetry: {otlp: {endpoint: receiver, headers: {Authorization: {secret_key_ref: {env: 'OTLP_AUTH'}}}, scheduled_delay_ms: 20, ...extra}},
})

/** `n` requests, `concurrency` at a time; every reply kept in order. */
async function sendMany(g: TestGateway, n: number, concurrency: number, body: (i: number) => unknown): Promise<Reply[]> {
  const replies: Reply[] = new Array<Reply>(n)
  let next = 0
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next < n) {
        const i = next++
        replies[i] = await post(g.url, '/v1/chat/completions', body(i))
      }
    }),
  )
  return replies
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  assert.ok(m, `${name} in /metrics`)
  return Number(m[1])
}

describe('gateway OTLP export', () => {
  test('every event arrives as one GenAI span; shadows are children of their primary; the header comes from its variable', async () => {
    const receiver = await startOtlpReceiver()
    const dir = tempDir('kt-gw-otlp-')
    const file = seedConfig('traffic-mirror.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp(receiver.url))
    const g = await startGateway(file, `${dir}/kt.db`, {env: ENV})
    try {
      const replies = await sendMany(g, 6, 3, (i) => chat(`otlp question ${i}`, {temperature: 0.2}))
      assert.ok(replies.every((r) => r.status === 200))
      const events = await eventsWhen(g.dbPath, 12)
      await waitFor(() => receiver.spans().length >= 12, () => `12 spans (have ${receiver.spans().length})`)
      const spans = receiver.spans()
      assert.equal(spans.length, 12)
      const byEvent = new Map(spans.map((s) => [s.attrs['kt.event_id'] as string, s]))
      assert.deepEqual([...byEvent.keys()].sort(), events.map((e) => e.id).sort())
      for (const e of events) {
        const s = byEvent.get(e.id)!
        assert.equal(s.name, `chat ${e.model}`)
        assert.equal(s.kind, 3, 'SPAN_KIND_CLIENT')
        assert.equal(s.attrs['gen_ai.operation.name'], 'chat')
        assert.equal(s.attrs['gen_ai.provider.name'], e.provider)
        assert.equal(s.attrs['gen_ai.request.model'], e.model)
        assert.equal(s.attrs['gen_ai.usage.input_tokens'], e.input_tokens)
        assert.equal(s.attrs['gen_ai.usage.output_tokens'], e.output_tokens)
        assert.equal(s.attrs['kt.target_id'], e.target_id)
        assert.equal(s.attrs['kt.cost'], e.cost)
        assert.equal(BigInt(s.startTimeUnixNano), BigInt(Date.parse(e.timestamp)) * 1_000_000n)
        assert.equal(Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6, e.latency_ms)
        assert.equal(s.resource['service.name'], 'kt-gateway')
      }
      for (const p of events.filter((e) => e.traffic_role === 'primary')) {
        const s = byEvent.get(p.id)!
        const shadow = byEvent.get(p.shadow_event_id!)!
        assert.equal(s.parentSpanId, null)
        assert.equal(shadow.traceId, s.traceId)
        assert.equal(shadow.parentSpanId, s.spanId)
        assert.equal(s.attrs['gen_ai.request.temperature'], 0.2)
        assert.deepEqual(JSON.parse(s.attrs['gen_ai.input.messages'] as string), [{role: 'user', parts: [{type: 'text', content: (p.request as {messages: {content: string}[]}).messages[0]!.content}]}])
        const out = JSON.parse(s.attrs['gen_ai.output.messages'] as string) as {parts: {content: string}[]; finish_reason: string}[]
        assert.equal(out[0]!.parts[0]!.content, p.response_text)
        assert.deepEqual(s.attrs['gen_ai.response.finish_reasons'], ['stop'])
        const m = p.traffic_mirror as {shadow: {model: string; output_tokens: number}; comparison: {token_count_diff: number}}
        assert.equal(s.attrs['kt.traffic_mirror.shadow.model'], m.shadow.model)
        assert.equal(s.attrs['kt.traffic_mirror.shadow.output_tokens'], m.shadow.output_tokens)
        assert.equal(s.attrs['kt.traffic_mirror.comparison.token_count_diff'], m.comparison.token_count_diff)
        assert.equal(s.attrs['kt.traffic_mirror.comparison.content_similarity'], (p.traffic_mirror as {comparison: {content_similarity: number}}).comparison.content_similarity)
        assert.equal(shadow.attrs['kt.traffic_role'], 'shadow')
        assert.equal(shadow.attrs['kt.primary_event_id'], p.id)
      }
      assert.ok(receiver.exports.every((x) => x.headers.authorization === SECRET && x.headers['content-type'] === 'application/json'))
      const metrics = (await get(g.url, '/metrics')).text
      assert.equal(metric(metrics, 'kt_otlp_spans_exported_total'), 12)
      assert.equal(metric(metrics, 'kt_otlp_spans_dropped_total'), 0)
      assert.equal(metric(metrics, 'kt_otlp_export_failures_total'), 0)
      assert.ok(!g.logs.join('\n').includes(SECRET))
    } finally {
      await g.gw.close(2000)
      await receiver.close()
    }
  })

  test("a caller's traceparent is continued: the primary under the caller's span, shadows under it, unsampled not exported, kt import keeps it", async () => {
    const receiver = await startOtlpReceiver()
    const dir = tempDir('kt-gw-otlp-trace-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp(receiver.url)), `${dir}/kt.db`, {env: ENV})
    const trace = '0af7651916cd43dd8448eb211c80319c'
    const caller = 'b7ad6b7169203331'
    const tracestate = 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'
    const path = '/v1/chat/completions'
    let ids: Record<'sampled' | 'unsampled' | 'invalid' | 'refused', string>
    try {
      const replies = {
        sampled: await post(g.url, path, chat('traced'), {traceparent: `00-${trace}-${caller}-01`, tracestate}),
        unsampled: await post(g.url, path, chat('traced, not sampled'), {traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`}),
        invalid: await post(g.url, path, chat('bad traceparent'), {traceparent: `00-${trace.toUpperCase()}-${caller}-01`, tracestate}),
        refused: await post(g.url, path, '{not json', {traceparent: `00-${trace}-${'3'.repeat(16)}-01`}),
      }
      assert.deepEqual(Object.values(replies).map((r) => r.status), [200, 200, 200, 400])
      ids = Object.fromEntries(Object.entries(replies).map(([k, r]) => [k, r.headers['x-kt-event-id'] as string])) as typeof ids
      await eventsWhen(g.dbPath, 7)
    } finally {
      await g.gw.close(2000)
      await receiver.close()
    }
    const events = new Map(readEvents(g.dbPath).map((e) => [e.id, e]))
    const shadowOf = (id: string) => events.get(events.get(id)!.shadow_event_id!)!
    // Every request's events are written; the caller's trace context is on them.
    assert.deepEqual([events.get(ids.sampled)!.trace_id, shadowOf(ids.sampled).trace_id, events.get(ids.refused)!.trace_id], [trace, trace, trace])
    assert.deepEqual(events.get(ids.sampled)!.metadata.trace_context, {parent_span_id: caller, sampled: true, tracestate})
    assert.deepEqual(shadowOf(ids.sampled).metadata.trace_context, {parent_span_id: null, sampled: true, tracestate})
    assert.deepEqual(events.get(ids.unsampled)!.metadata.trace_context, {parent_span_id: '2'.repeat(16), sampled: false, tracestate: null})
    assert.deepEqual([events.get(ids.invalid)!.trace_id, events.get(ids.invalid)!.metadata.trace_context, shadowOf(ids.invalid).trace_id], [null, undefined, null])
    // Spans: none for the unsampled caller's request or its shadow.
    const spans = new Map(receiver.spans().map((s) => [s.attrs['kt.event_id'] as string, s]))
    const expected = [ids.sampled, shadowOf(ids.sampled).id, ids.invalid, shadowOf(ids.invalid).id, ids.refused]
    assert.deepEqual([...spans.keys()].sort(), expected.sort())
    const p = spans.get(ids.sampled)!
    const sh = spans.get(shadowOf(ids.sampled).id)!
    assert.deepEqual([p.traceId, p.parentSpanId, sh.traceId, sh.parentSpanId], [trace, caller, trace, p.spanId])
    const sentState = (spanId: string) => receiver.exports.flatMap((e) => (e.body.resourceSpans as {scopeSpans: {spans: {spanId: string; traceState?: string}[]}[]}[]).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))).find((x) => x.spanId === spanId)!.traceState
    assert.deepEqual([sentState(p.spanId), sentState(sh.spanId)], [tracestate, tracestate])
    assert.deepEqual([spans.get(ids.refused)!.traceId, spans.get(ids.refused)!.parentSpanId], [trace, '3'.repeat(16)])
    const own = spans.get(ids.invalid)!
    assert.deepEqual([own.traceId === trace, own.parentSpanId, spans.get(shadowOf(ids.invalid).id)!.parentSpanId], [false, null, own.spanId])
    // kt import of what the collector got: the same trace context on the same events.
    const file = join(dir, 'traces.jsonl')
    writeFileSync(file, receiver.exports.map((e) => e.text).join('\n') + '\n')
    const {rows} = await importRows([file])
    assert.equal(rows.length, 5)
    for (const row of rows) {
      const e = events.get(row.event_id)!
      assert.deepEqual((JSON.parse(row.metadata_json) as Record<string, unknown>).trace_context, e.metadata.trace_context, row.event_id)
      if (e.trace_id !== null) assert.equal(row.trace_id, e.trace_id)
    }
  })

  test('a collector that never answers changes nothing for callers: the queue stays bounded, the rest is dropped and counted', async () => {
    const N = 200
    const run = async (telemetry: boolean) => {
      const receiver = await startOtlpReceiver('hang')
      const dir = tempDir('kt-gw-otlp-hang-')
      const edit = telemetry ? withOtlp(receiver.url, {max_queue_size: 8, max_export_batch_size: 4, export_timeout_ms: 60_000}) : undefined
      const g = await startGateway(seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, edit), `${dir}/kt.db`, {env: ENV})
      try {
        const replies = await sendMany(g, N, 8, (i) => chat(`hang ${i}`))
        const events = await eventsWhen(g.dbPath, N)
        const metrics = (await get(g.url, '/metrics')).text
        const summary = await g.gw.close(2000)
        return {replies, events, metrics, summary, receiver}
      } finally {
        await receiver.close()
      }
    }
    const off = await run(false)
    const on = await run(true)
    for (const r of [off, on]) {
      assert.equal(r.replies.filter((x) => x.status === 200).length, N)
      assert.equal(r.events.length, N)
      assert.equal(r.summary.eventsDropped, 0)
      assert.equal(r.summary.flushed, true)
    }
    assert.equal(off.summary.otlp, null)
    assert.doesNotMatch(off.metrics, /kt_otlp_/)
    assert.ok(on.receiver.requests >= 1, 'the exporter reached the receiver')
    const queued = metric(on.metrics, 'kt_otlp_queue_spans')
    const dropped = metric(on.metrics, 'kt_otlp_spans_dropped_total')
    assert.ok(queued <= 8, `queue ${queued}`)
    assert.equal(metric(on.metrics, 'kt_otlp_spans_exported_total'), 0)
    assert.equal(queued + dropped + metric(on.metrics, 'kt_otlp_spans_failed_total'), N)
    assert.ok(dropped >= N - 8)
    // The drain gave the hanging exports a bounded wait, then stopped with them still counted as unsent.
    assert.equal(on.summary.otlp!.exported, 0)
    assert.equal(on.summary.otlp!.queued + on.summary.otlp!.dropped + on.summary.otlp!.failed, N)
  })

  test('sample_rate: a request and its shadows are exported together, decided by a hash of the request id', async () => {
    const receiver = await startOtlpReceiver()
    const dir = tempDir('kt-gw-otlp-sample-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp(receiver.url, {sample_rate: 0.5})), `${dir}/kt.db`, {env: ENV})
    await sendMany(g, 40, 4, (i) => chat(`sampled ${i}`))
    await eventsWhen(g.dbPath, 80)
    await g.gw.close(2000)
    await receiver.close()
    const events = readEvents(g.dbPath)
    const keep = events.filter((e) => stickyUnit('otlp', e.primary_event_id ?? e.id) < 0.5).map((e) => e.id)
    const got = receiver.spans().map((s) => s.attrs['kt.event_id'] as string)
    assert.deepEqual(got.sort(), keep.sort())
    assert.ok(got.length > 0 && got.length < 80, `${got.length} of 80`)
    assert.equal(got.length % 2, 0, 'primaries and shadows in pairs')
  })

  test('a collector that refuses exports: counted, logged once, callers unaffected; a reload that changes telemetry needs a restart', async () => {
    const receiver = await startOtlpReceiver('fail')
    const dir = tempDir('kt-gw-otlp-fail-')
    const file = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp(receiver.url, {max_export_batch_size: 2}))
    const g = await startGateway(file, `${dir}/kt.db`, {env: ENV})
    try {
      const replies = await sendMany(g, 10, 2, (i) => chat(`refused ${i}`))
      assert.ok(replies.every((r) => r.status === 200))
      await eventsWhen(g.dbPath, 10)
      await waitFor(async () => metric((await get(g.url, '/metrics')).text, 'kt_otlp_spans_failed_total') === 10, 'ten failed spans')
      assert.ok(metric((await get(g.url, '/metrics')).text, 'kt_otlp_export_failures_total') >= 5)
      const warned = g.logs.filter((l) => l.includes('OTLP export to'))
      assert.equal(warned.length, 1, warned.join('\n'))
      assert.match(warned[0]!, /^WARN OTLP export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed \(.+\); its spans are lost, the gateway goes on/)
      const same = g.gw.reload()
      assert.deepEqual(same.warnings.filter((w) => w.includes('telemetry')), [])
      const data = parse(readFileSync(file, 'utf8')) as {telemetry: {otlp: {sample_rate: number}}}
      data.telemetry.otlp.sample_rate = 0.1
      writeFileSync(file, stringify(data))
      const changed = g.gw.reload()
      assert.equal(changed.ok, true)
      assert.deepEqual(changed.warnings.filter((w) => w.includes('telemetry')), ['telemetry.otlp changed: the OTLP exporter keeps the settings it started with until the gateway restarts'])
    } finally {
      await g.gw.close(2000)
      await receiver.close()
    }
  })

  test('protocol: http/protobuf sends the same spans as OTLP protobuf (application/x-protobuf)', async () => {
    const receiver = await startOtlpReceiver()
    const dir = tempDir('kt-gw-otlp-proto-')
    const file = seedConfig('traffic-mirror.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp(receiver.url, {protocol: 'http/protobuf'}))
    const g = await startGateway(file, `${dir}/kt.db`, {env: ENV})
    try {
      const r = await post(g.url, '/v1/chat/completions', chat('protobuf please'))
      assert.equal(r.status, 200)
      const events = await eventsWhen(g.dbPath, 2)
      await waitFor(() => receiver.exports.reduce((n, e) => n + events.filter((ev) => e.raw.includes(Buffer.from(ev.id))).length, 0) >= 2, 'both events in protobuf exports')
      const e = receiver.exports[0]!
      assert.equal(e.headers['content-type'], 'application/x-protobuf')
      assert.equal(e.headers.authorization, SECRET)
      // Protobuf strings are their UTF-8 bytes: the span name and the GenAI attribute keys are there as written.
      const all = Buffer.concat(receiver.exports.map((x) => x.raw))
      for (const s of [`chat ${events[0]!.model}`, 'gen_ai.request.model', 'kt.event_id']) assert.ok(all.includes(Buffer.from(s)), s)
      assert.throws(() => JSON.parse(e.raw.toString('utf8')))
    } finally {
      await g.gw.close(2000)
      await receiver.close()
    }
  })

  test('an unset header variable stops the start, naming the YAML path, its line and the variable', async () => {
    const dir = tempDir('kt-gw-otlp-env-')
    const file = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, withOtlp('http://127.0.0.1:1/v1/traces'))
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('OTLP_AUTH')) + 1
    await assert.rejects(startGateway(file, `${dir}/kt.db`, {env: {...process.env, ...KEYS, OTLP_AUTH: ''}}), (err: Error) => {
      assert.equal(err.message, `telemetry.otlp.headers.Authorization.secret_key_ref.env: environment variable OTLP_AUTH is not set (the value of OTLP header Authorization); export it before starting the gateway (line ${line})`)
      return true
    })
  })
})
