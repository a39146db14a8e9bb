// Shadows never change what the caller gets: with a shadow that answers after 2 s, one that fails every call and one
// that never answers, the primary's answers are the same, complete before any shadow has answered (ordering, not
// durations), and keep using one keep-alive connection. Shadows are bounded (dropped and counted past the bound),
// never trigger further shadows, and streamed requests are mirrored too. A caller's trace context goes on to both upstreams.
import assert from 'node:assert/strict'
import {createServer, type Server, type Socket} from 'node:net'
import {after, before, describe, test} from 'node:test'
import {fakeDigest, startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, eventsWhen, get, post, readEvents, seedConfig, startGateway, waitFor, type TestGateway} from '../support/gateway.js'
import {ktSpanIdOf} from '../../src/records/index.js'
import {tempDir} from '../support/cli.js'

const answer = (user: string) => `Fake answer ${fakeDigest(user)}. You wrote ${user.length} characters: ${user.slice(0, 80)}`

/** Accepts connections and never answers (until closed). */
async function hangingServer(): Promise<{url: string; sockets: Socket[]; close: () => Promise<void>}> {
  const sockets: Socket[] = []
  const server: Server = createServer((s) => {
    sockets.push(s)
    s.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as {port: number}).port}`,
    sockets,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

let primary: FakeUpstream
let slow: FakeUpstream
let failing: FakeUpstream
let hanging: Awaited<ReturnType<typeof hangingServer>>

before(async () => {
  primary = await startFakeUpstream({chunkDelayMs: 1})
  slow = await startFakeUpstream({delayMs: 2000})
  failing = await startFakeUpstream({faults: () => ({type: 'http', status: 500})})
  hanging = await hangingServer()
})

after(async () => {
  for (const u of [primary, slow, failing]) await u.close()
  await hanging.close()
})

/** Sends `n` requests one after another on one keep-alive connection; returns the replies. */
async function sequence(g: TestGateway, n: number, tag: string) {
  const replies = []
  for (let i = 0; i < n; i++) replies.push(await post(g.url, '/v1/chat/completions', chat(`${tag} question ${i}`)))
  return replies
}

function checkPrimaries(replies: Awaited<ReturnType<typeof sequence>>, tag: string): void {
  replies.forEach((r, i) => {
    assert.equal(r.status, 200)
    const body = JSON.parse(r.text) as {choices: {message: {content: string}}[]; provider: string; model: string}
    assert.equal(body.choices[0]!.message.content, answer(`${tag} question ${i}`))
    assert.deepEqual([body.model, body.provider], ['gpt-4o-mini', 'openai'])
  })
  assert.equal(new Set(replies.map((r) => r.socketId)).size, 1, 'every answer on the same keep-alive connection')
}

describe('gateway mirroring', () => {
  test('a shadow answering after 2 s: answers unchanged, all of them in before the first shadow answer', async () => {
    const dir = tempDir('kt-gw-slow-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: slow.url}, dir), `${dir}/kt.db`)
    try {
      const replies = await sequence(g, 5, 'slow')
      assert.equal(slow.served.count, 0, 'no shadow had answered when the last primary answer arrived')
      checkPrimaries(replies, 'slow')
      await waitFor(() => slow.callCount('/v1/messages') === 5, 'every request mirrored')
      const events = await eventsWhen(g.dbPath, 5, {filter: ['traffic_role=primary']})
      for (const ev of events) {
        const m = ev.traffic_mirror as {shadow: {status: string; model: string; provider: string}; comparison: {content_similarity: number}}
        assert.deepEqual([m.shadow.status, m.shadow.model, m.shadow.provider], ['success', 'claude-sonnet-4-20250514', 'anthropic'])
        assert.equal(typeof m.comparison.content_similarity, 'number')
      }
      assert.equal(slow.calls[0]!.body!.model, 'claude-sonnet-4-20250514', 'model_mapping applied')
      assert.equal(slow.calls[0]!.headers['x-kt-shadow'], '1')
    } finally {
      await g.gw.close(5000)
    }
  })

  test('a shadow failing every call: answers unchanged; failures counted and recorded', async () => {
    const dir = tempDir('kt-gw-fail-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: failing.url}, dir), `${dir}/kt.db`)
    try {
      const replies = await sequence(g, 4, 'failing')
      checkPrimaries(replies, 'failing')
      const events = await eventsWhen(g.dbPath, 4, {filter: ['traffic_role=primary']})
      for (const ev of events) {
        assert.equal(ev.status, 'ok')
        const m = ev.traffic_mirror as {shadow: {status: string}; comparison: Record<string, unknown>}
        assert.equal(m.shadow.status, 'error')
        assert.deepEqual(m.comparison, {latency_diff_ms: null, token_count_diff: null, content_similarity: null})
      }
      const metrics = (await get(g.url, '/metrics')).text
      assert.match(metrics, /kt_gateway_shadow_failed_total\{target="anthropic"\} 4\n/)
      assert.match(metrics, /kt_gateway_shadow_sent_total\{target="anthropic"\} 4\n/)
    } finally {
      await g.gw.close(2000)
    }
  })

  test('a shadow that never answers: answers unchanged while shadows are still in flight; recorded as timed out', async () => {
    const dir = tempDir('kt-gw-hang-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: hanging.url}, dir), `${dir}/kt.db`, {shadowTimeoutMs: 1500})
    try {
      const replies = await sequence(g, 3, 'hanging')
      assert.equal(readEvents(g.dbPath).length, 0, 'no event yet: every shadow was still waiting when the last answer arrived')
      await waitFor(async () => (JSON.parse((await get(g.url, '/healthz')).text) as {shadows_in_flight: number}).shadows_in_flight === 3, 'three shadows in flight')
      checkPrimaries(replies, 'hanging')
      const events = await eventsWhen(g.dbPath, 3, {filter: ['traffic_role=primary']})
      for (const ev of events) assert.equal((ev.traffic_mirror as {shadow: {status: string}}).shadow.status, 'timeout')
      const shadows = await eventsWhen(g.dbPath, 3, {filter: ['traffic_role=shadow']})
      for (const ev of shadows) assert.equal(ev.status, 'timeout')
    } finally {
      await g.gw.close(2000)
    }
  })

  test('shadows in flight are bounded: past the bound they are dropped and counted, and SIGTERM-style close ends the rest', async () => {
    const dir = tempDir('kt-gw-bound-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: hanging.url}, dir), `${dir}/kt.db`, {maxShadows: 2, shadowTimeoutMs: 60_000})
    const replies = await sequence(g, 6, 'bounded')
    checkPrimaries(replies, 'bounded')
    let metrics = ''
    await waitFor(async () => /kt_gateway_shadow_dropped_total\{target="anthropic"\} 4\n/.test((metrics = (await get(g.url, '/metrics')).text)), () => `4 dropped shadows in\n${metrics}`)
    assert.match(metrics, /kt_gateway_shadow_sent_total\{target="anthropic"\} 2\n/)
    assert.match(metrics, /kt_gateway_shadows_in_flight 2\n/)
    const summary = await g.gw.close(300)
    assert.equal(summary.flushed, true)
    const events = await eventsWhen(g.dbPath, 6, {filter: ['traffic_role=primary']})
    const statuses = events.map((e) => (e.traffic_mirror as {shadow: {status: string}}).shadow.status).sort()
    assert.deepEqual(statuses, ['dropped', 'dropped', 'dropped', 'dropped', 'timeout', 'timeout'])
  })

  test('streamed requests are mirrored (the shadow stream read to its end); shadows never trigger shadows', async () => {
    const dir = tempDir('kt-gw-stream-')
    const shadow = await startFakeUpstream()
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: shadow.url}, dir), `${dir}/kt.db`)
    try {
      const r = await post(g.url, '/v1/chat/completions', chat('stream me', {stream: true}))
      assert.equal(r.status, 200)
      assert.match(r.text, /data: \[DONE\]/)
      await waitFor(() => shadow.callCount('/v1/messages') === 1, 'the shadow call')
      assert.equal(shadow.calls[0]!.body!.stream, true)
      const [ev] = await eventsWhen(g.dbPath, 1, {filter: ['traffic_role=primary']})
      const m = ev!.traffic_mirror as {primary: {status: string; output_tokens: number}; shadow: {status: string; output_tokens: number; response: string}; comparison: {content_similarity: number; token_count_diff: number}}
      assert.equal(m.shadow.status, 'success')
      assert.equal(m.shadow.response, answer('stream me'), 'log_shadow_response keeps the shadow answer')
      assert.equal(m.comparison.content_similarity, 1, 'both fakes answer the same text')
      assert.equal(m.comparison.token_count_diff, m.shadow.output_tokens - m.primary.output_tokens)
      // A request that is itself a shadow (from another kt gateway) is answered but not mirrored again.
      const again = await post(g.url, '/v1/chat/completions', chat('from another gateway'), {'x-kt-shadow': '1'})
      assert.equal(again.status, 200)
      await eventsWhen(g.dbPath, 3)
      assert.equal(shadow.callCount('/v1/messages'), 1)
    } finally {
      await g.gw.close(2000)
      await shadow.close()
    }
  })
})

describe('trace context to the upstreams', () => {
  test("a caller's traceparent goes on to the primary and the shadow, each under its own kt span; none without one", async () => {
    const dir = tempDir('kt-gw-trace-up-')
    const shadow = await startFakeUpstream()
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: shadow.url}, dir), `${dir}/kt.db`)
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      const r = await post(g.url, '/v1/chat/completions', chat('trace me onwards'), {traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'vendor=abc'})
      assert.equal(r.status, 200)
      const id = String(r.headers['x-kt-event-id'])
      const up = primary.calls.findLast((c) => JSON.stringify(c.body).includes('trace me onwards'))!
      assert.equal(up.headers.traceparent, `00-${traceId}-${ktSpanIdOf(id)}-01`)
      assert.equal(up.headers.tracestate, 'vendor=abc')
      await waitFor(() => shadow.calls.length === 1, 'the shadow call')
      const events = await eventsWhen(g.dbPath, 2)
      const shadowEvent = events.find((e) => e.id !== id)!
      assert.equal(shadow.calls[0]!.headers.traceparent, `00-${traceId}-${ktSpanIdOf(shadowEvent.id)}-01`)
      const plain = await post(g.url, '/v1/chat/completions', chat('no trace here'))
      assert.equal(plain.status, 200)
      assert.equal(primary.calls.findLast((c) => JSON.stringify(c.body).includes('no trace here'))!.headers.traceparent, undefined)
    } finally {
      await g.gw.close(2000)
      await shadow.close()
    }
  })
})
