// `kt gateway run` with telemetry.otlp, as a user runs it: the mirroring tutorial's config plus an OTLP block whose
// Authorization header comes from a variable; requests through the official OpenAI SDK (plain and streamed); the test's
// OTLP/HTTP receiver gets one GenAI span per event with the mirror comparison on the primaries; SIGTERM flushes the
// exporter and reports its counts; the secret shows up nowhere but in that header (not the database, stdout or
// stderr); and what the receiver got, imported with `kt import` into a fresh database, gives back the gateway's events,
// including the trace context of a request whose caller sent a W3C traceparent (its spans continue the caller's trace).
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import OpenAI from 'openai'
import type {EventObject} from '../../src/records/index.js'
import {BIN, ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {daemon, readEvents, seedConfig, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'
import {startOtlpReceiver, type OtlpReceiver} from '../support/otlp-receiver.js'

const SECRET = 'Bearer otlp-cli-secret-7d3e91b0c4a2'

let primary: FakeUpstream
let shadow: FakeUpstream
let receiver: OtlpReceiver
let dir: string
let shell: Awaited<ReturnType<typeof tutorialShell>>
let gateway: Daemon

before(async () => {
  primary = await startFakeUpstream({delayMs: 2})
  shadow = await startFakeUpstream({delayMs: 10, answer: (body) => `Another model's longer answer to: ${JSON.stringify(body.messages).slice(0, 100)}`})
  receiver = await startOtlpReceiver()
  dir = tempDir('kt-cli-otlp-')
  shell = await tutorialShell(dir)
  shell.env.OTLP_AUTH = SECRET
  seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: shadow.url}, dir, (d) => ({
    ...d,
    telemetry: {otlp: {endpoint: receiver.url, headers: {Authorization: {secret_key_ref: {env: 'OTLP_AUTH'}}}, sample_rate: 1.0, scheduled_delay_ms: 50}},
  }))
})

after(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM')
    await gateway.exited
  }
  await primary.close()
  await shadow.close()
  await receiver.close()
})

const PROMPTS = ['What is Kubernetes?', 'Explain CORS in simple terms.', 'What are the SOLID principles?', 'Describe SQL versus NoSQL.']
/** The first request comes from a traced caller. */
const TRACE = '5b8aa5a2d2c872e8321cf37308d69df2'
const CALLER_SPAN = '051581bf3cb55c13'
const TRACEPARENT = `00-${TRACE}-${CALLER_SPAN}-01`

/** The text of every message of a chat body, in order. */
function texts(body: unknown): string[] {
  return ((body as {messages?: {content: unknown}[]}).messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
}

describe('gateway: OTLP export from kt gateway run', () => {
  test('lint and start-up name the exporter and the variable, never the value', async () => {
    const lint = await shell.run('kt policy lint --file policy-config.yaml')
    assert.equal(lint.code, 0, lint.stderr)
    assert.match(lint.stdout, /^Telemetry: OTLP\/HTTP traces \(JSON\) to http:\/\/127\.0\.0\.1:\d+\/v1\/traces, 100% sampled, headers Authorization \(from \$OTLP_AUTH\)$/m)
    gateway = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', 'policy-config.yaml', '--port', String(shell.port)], {env: shell.env, cwd: dir})
    await gateway.waitFor('Gateway ready')
    assert.match(gateway.stderr(), /^INFO kt::gateway Telemetry: OTLP\/HTTP JSON spans to http:\/\/127\.0\.0\.1:\d+\/v1\/traces, sample_rate=100%, queue 2048, batch 512, headers Authorization \(from \$OTLP_AUTH\)$/m)
  })

  test('requests through the OpenAI SDK: one span per event, the mirror comparison on the primaries, the header from its variable', async () => {
    const client = new OpenAI({baseURL: `http://127.0.0.1:${shell.port}/v1`, apiKey: 'not-checked', maxRetries: 0})
    for (const [i, p] of PROMPTS.entries()) {
      const r = await client.chat.completions.create({model: 'gpt-4o-mini', messages: [{role: 'user', content: p}], user: `user-${i}`}, i === 0 ? {headers: {traceparent: TRACEPARENT}} : {})
      assert.equal(r.model, 'gpt-4o-mini')
    }
    const stream = await client.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: 'Stream a haiku about tracing.'}], stream: true, stream_options: {include_usage: true}})
    let streamed = ''
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? ''
    assert.ok(streamed.length > 0)
    await waitFor(() => readEvents(shell.dbPath).length === 10, 'ten events (five primaries, five shadows)')
    await waitFor(() => receiver.spans().length === 10, () => `ten spans (have ${receiver.spans().length})`)
    const events = readEvents(shell.dbPath)
    const spans = new Map(receiver.spans().map((s) => [s.attrs['kt.event_id'] as string, s]))
    assert.deepEqual([...spans.keys()].sort(), events.map((e) => e.id).sort())
    for (const e of events.filter((x) => x.traffic_role === 'primary')) {
      const s = spans.get(e.id)!
      const m = e.traffic_mirror as {primary: Record<string, unknown>; shadow: Record<string, unknown>; comparison: Record<string, number>}
      assert.equal(s.attrs['kt.traffic_mirror.primary.model'], m.primary.model)
      assert.equal(s.attrs['kt.traffic_mirror.shadow.model'], 'claude-sonnet-4-20250514')
      assert.equal(s.attrs['kt.traffic_mirror.shadow.status'], 'success')
      assert.equal(s.attrs['kt.traffic_mirror.comparison.token_count_diff'], m.comparison.token_count_diff)
      assert.equal(s.attrs['kt.traffic_mirror.comparison.latency_diff_ms'], m.comparison.latency_diff_ms)
      assert.equal(s.attrs['kt.traffic_mirror.comparison.content_similarity'], m.comparison.content_similarity)
      assert.equal(s.attrs['kt.traffic_mirror.shadow.response'], m.shadow.response)
      assert.equal(spans.get(e.shadow_event_id!)!.parentSpanId, s.spanId)
      assert.equal(spans.get(e.shadow_event_id!)!.traceId, s.traceId)
    }
    const traced = events.filter((e) => e.trace_id === TRACE)
    assert.deepEqual(traced.map((e) => e.traffic_role).sort(), ['primary', 'shadow'])
    const tracedPrimary = spans.get(traced.find((e) => e.traffic_role === 'primary')!.id)!
    assert.deepEqual([tracedPrimary.traceId, tracedPrimary.parentSpanId], [TRACE, CALLER_SPAN])
    assert.equal(events.filter((e) => e.trace_id === null).length, 8, 'the other requests start their own trace')
    assert.ok(receiver.exports.length > 0)
    for (const x of receiver.exports) assert.equal(x.headers.authorization, SECRET)
  })

  test('SIGTERM flushes the exporter; the secret is nowhere in the database, stdout or stderr', async () => {
    gateway.child.kill('SIGTERM')
    assert.equal(await gateway.exited, 0)
    assert.match(gateway.stderr(), /^INFO kt::gateway OTLP: 10 span\(s\) exported, 0 dropped \(queue full\), 0 lost in failed exports$/m)
    for (const text of [gateway.stdout(), gateway.stderr()]) assert.ok(!text.includes('otlp-cli-secret'))
    const dbFiles = readdirSync(dir).filter((f) => f.startsWith('kt.db'))
    assert.ok(dbFiles.includes('kt.db'))
    for (const f of dbFiles) assert.ok(!readFileSync(join(dir, f)).includes('otlp-cli-secret'), f)
  })

  test('round trip: kt import of what the receiver got gives back the gateway events', async () => {
    const traces = join(dir, 'traces.jsonl')
    writeFileSync(traces, receiver.exports.map((e) => e.text).join('\n') + '\n')
    const fresh = join(tempDir('kt-cli-otlp-import-'), 'fresh.db')
    const imp = await ktAsync(['import', traces, '--db', fresh, '--dataset', 'otlp'])
    assert.equal(imp.code, 0, imp.stderr)
    const mine = readEvents(shell.dbPath)
    const back = new Map(readEvents(fresh).map((e) => [e.id, e]))
    assert.equal(back.size, mine.length)
    const fields = (e: EventObject) => ({
      model: e.model,
      response_model: e.response_model,
      provider: e.provider,
      status: e.status,
      input_tokens: e.input_tokens,
      output_tokens: e.output_tokens,
      response_text: e.response_text,
      finish_reason: e.finish_reason,
      latency_ms: e.latency_ms,
      ttft_ms: e.ttft_ms,
      cost: e.cost,
      timestamp: e.timestamp,
      target_id: e.target_id,
      model_group: e.model_group,
      traffic_role: e.traffic_role,
      primary_event_id: e.primary_event_id,
      shadow_event_id: e.shadow_event_id,
      mirror_group_id: e.mirror_group_id,
      decision: e.decision,
      policies_triggered: e.policies_triggered,
      traffic_mirror: e.traffic_mirror,
      user_id_hash: e.user_id_hash,
      trace_context: e.metadata.trace_context,
    })
    for (const e of mine) {
      const b = back.get(e.id)
      assert.ok(b, `event ${e.id} imported`)
      assert.deepEqual(fields(b), fields(e), e.id)
      assert.equal(b.dataset, 'otlp')
      if (e.trace_id !== null) assert.equal(b.trace_id, e.trace_id)
      // Request bodies come back as OpenAI chat bodies (a shadow's was sent in Anthropic's format): same model, same text.
      assert.deepEqual(texts(b.request), texts(e.request))
      assert.ok(texts(e.request).length > 0)
      assert.equal((b.request as {model: string}).model, (e.request as {model: string}).model)
    }
    assert.equal(mine.filter((e) => e.metadata.trace_context !== undefined).length, 2)
    // Importing the same spans next to the gateway's own events adds nothing: they are the same events.
    const again = await ktAsync(['import', traces, '--db', shell.dbPath, '--format', 'otel'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(readEvents(shell.dbPath).length, mine.length)
  })
})
