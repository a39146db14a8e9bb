// Events: one per request with every field the product docs' jq filters read, written off the request path; the
// traffic_mirror block exactly as seed 002 shows it; shadow answers as events with role shadow; quality-scorer
// verdicts with on_fail on primary and shadow answers (found by --filter quality_scorer); LiteLLM's silent_model
// marked is_silent_experiment; costs never null.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {countEvents, openDb, wantsScores} from '../../src/store/index.js'
import {fakeDigest, startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, eventsWhen, KEYS, post, seedConfig, startGateway, waitFor, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const PROMPT = 'Explain the concept of technical debt in software engineering.'

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({
    chunkDelayMs: 1,
    // The candidate refuses: its answers fail the quality scorer; everyone else gets the usual echo answer.
    answer: (body) => (body.model === 'gpt-4o-mini' && JSON.stringify(body).includes('refuse me') ? "I'm sorry, but I can't help with that request." : undefined),
  })
})
after(async () => {
  await up.close()
})

describe('gateway events', () => {
  let g: TestGateway
  before(async () => {
    const dir = tempDir('kt-gw-ev-')
    g = await startGateway(seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`)
  })
  after(async () => {
    await g.gw.close(2000)
  })

  test('a routed request: every field the docs read, the routed model in request_json, secrets scrubbed, user hashed', async () => {
    const body = {model: 'quality-ab-test', user: 'alice@example.com', messages: [{role: 'user', content: 'My key is sk-proj-abcdefghijklmnop1234, explain it.'}]}
    const r = await post(g.url, '/v1/chat/completions', body)
    assert.equal(r.status, 200)
    const id = r.headers['x-kt-event-id'] as string
    const [ev] = await eventsWhen(g.dbPath, 1, {filter: [`event_id=${id}`]})
    assert.ok(ev)
    const routed = ev.model!
    assert.ok(['gpt-4o', 'claude-sonnet-4-20250514'].includes(routed))
    assert.equal(ev.provider, routed === 'gpt-4o' ? 'openai' : 'anthropic')
    assert.equal(ev.target_id, ev.provider)
    assert.equal(ev.model_group, 'quality-ab-test')
    assert.deepEqual([ev.dataset, ev.kind, ev.traffic_role, ev.api, ev.status, ev.http_status, ev.replayable], ['gateway', 'request', 'primary', 'openai.chat', 'ok', 200, true])
    assert.equal(ev.decision, 'route')
    assert.match(ev.decision_reason ?? '', /weighted group "quality-ab-test": .* sticky user hash/)
    assert.deepEqual(ev.policies_triggered, [])
    assert.equal(ev.traffic_mirror, null)
    for (const k of ['latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'cost'] as const) assert.equal(typeof ev[k], 'number', k)
    assert.ok(ev.cost! > 0)
    assert.equal(ev.cost_source, 'estimated')
    assert.equal(ev.usage.total_tokens, ev.input_tokens! + ev.output_tokens!)
    assert.equal(ev.metadata.requested_model, 'quality-ab-test')
    const request = ev.request as {model: string; messages: {content: string}[]; user: string}
    assert.equal(request.model, routed, 'request_json carries the routed model (replayable as is)')
    assert.match(request.messages[0]!.content, /My key is \[redacted\], explain it\./)
    assert.match(ev.user_id_hash ?? '', /^[0-9a-f]{32}$/)
    assert.ok(!JSON.stringify(ev).includes(KEYS.OPENAI_API_KEY))
    // The upstream echoed the key in its answer: the event keeps the answer with the key masked, by the rule imports use.
    const sent = body.messages[0]!.content
    assert.equal(ev.response_text, `Fake answer ${fakeDigest(sent)}. You wrote ${sent.length} characters: My key is [redacted], explain it.`)
    assert.deepEqual(ev.metadata.scrubbed !== undefined, true)
    for (const f of [g.dbPath, `${g.dbPath}-wal`]) if (existsSync(f)) assert.ok(!readFileSync(f).includes('sk-proj-abcdefghijklmnop1234'), `the key appears nowhere in ${f}`)
    assert.equal(ev.route, '/v1/chat/completions')
  })

  test('a streamed request: time to first token, usage from the stream, or estimated (and said so) when it has none', async () => {
    await post(g.url, '/v1/chat/completions', chat('with usage', {model: 'gpt-4o', stream: true, stream_options: {include_usage: true}}))
    await post(g.url, '/v1/chat/completions', chat('without usage', {model: 'gpt-4o', stream: true}))
    const events = (await eventsWhen(g.dbPath, 3)).filter((e) => e.stream === true)
    const [withUsage, without] = events
    assert.equal(withUsage!.stream, true)
    assert.ok(withUsage!.ttft_ms! > 0 && withUsage!.ttft_ms! <= withUsage!.latency_ms!)
    assert.equal(withUsage!.metadata.usage_estimated, undefined)
    assert.equal(without!.metadata.usage_estimated, true)
    assert.ok(without!.output_tokens! > 0 && without!.cost! > 0)
    assert.equal(without!.response_text, `Fake answer ${fakeDigest('without usage')}. You wrote 13 characters: without usage`)
  })

  test('a translated answer is stored in the caller API (what a replay reads back)', async () => {
    const r = await post(g.url, '/v1/messages', {model: 'gpt-4o', max_tokens: 64, top_k: 5, messages: [{role: 'user', content: 'translated'}]})
    const [ev] = await eventsWhen(g.dbPath, 1, {filter: [`event_id=${r.headers['x-kt-event-id'] as string}`]})
    assert.equal(ev!.api, 'anthropic.messages')
    assert.equal((ev!.response as {type: string}).type, 'message')
    assert.equal(ev!.response_text, `Fake answer ${fakeDigest('translated')}. You wrote 10 characters: translated`)
    assert.deepEqual(ev!.metadata.translation_losses, ['top_k: no OpenAI equivalent (dropped)'])
  })
})

describe('gateway events: mirroring', () => {
  test('traffic_mirror has exactly the primary/shadow/comparison keys of seed 002; the shadow is an event with role shadow', async () => {
    const dir = tempDir('kt-gw-ev-m-')
    const g = await startGateway(seedConfig('traffic-mirror.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`)
    try {
      const r = await post(g.url, '/v1/chat/completions', chat(PROMPT))
      const body = JSON.parse(r.text) as {model: string; provider: string}
      assert.deepEqual({model: body.model, provider: body.provider}, {model: 'gpt-4o-mini', provider: 'openai'})
      const events = await eventsWhen(g.dbPath, 2)
      const [shadow, primary] = events
      assert.equal(primary!.traffic_role, 'primary', 'the newest event of a mirrored request is its primary')
      const m = primary!.traffic_mirror as Record<string, Record<string, unknown>>
      assert.deepEqual(Object.keys(m), ['primary', 'shadow', 'comparison'])
      assert.deepEqual(Object.keys(m.primary!), ['provider', 'model', 'latency_ms', 'input_tokens', 'output_tokens', 'status'])
      assert.deepEqual(Object.keys(m.shadow!), ['provider', 'model', 'latency_ms', 'input_tokens', 'output_tokens', 'status', 'response'])
      assert.deepEqual(Object.keys(m.comparison!), ['latency_diff_ms', 'token_count_diff', 'content_similarity'])
      assert.deepEqual([m.primary!.provider, m.primary!.model, m.primary!.status], ['openai', 'gpt-4o-mini', 'success'])
      assert.deepEqual([m.shadow!.provider, m.shadow!.model, m.shadow!.status], ['anthropic', 'claude-sonnet-4-20250514', 'success'])
      assert.equal(m.comparison!.latency_diff_ms, (m.shadow!.latency_ms as number) - (m.primary!.latency_ms as number))
      assert.equal(m.comparison!.token_count_diff, (m.shadow!.output_tokens as number) - (m.primary!.output_tokens as number))
      for (const k of ['latency_ms', 'input_tokens', 'output_tokens']) assert.ok(Number.isInteger(m.primary![k]) && Number.isInteger(m.shadow![k]), k)
      assert.deepEqual([shadow!.traffic_role, shadow!.metadata.role, shadow!.primary_event_id, primary!.shadow_event_id], ['shadow', 'shadow', primary!.id, shadow!.id])
      assert.deepEqual([shadow!.model, shadow!.provider, shadow!.target_id, shadow!.api, shadow!.replayable, shadow!.traffic_mirror], ['claude-sonnet-4-20250514', 'anthropic', 'anthropic', 'anthropic.messages', false, null])
      assert.ok(shadow!.cost! > 0)
    } finally {
      await g.gw.close(2000)
    }
  })

  test('quality-scorer scores primary and shadow answers; on_fail escalate on the failing one; --filter quality_scorer finds them', async () => {
    const dir = tempDir('kt-gw-ev-q-')
    const config = seedConfig('mirroring-quality.yaml', {openai: up.url, anthropic: up.url}, dir, (d) => {
      ;((d.providers as Record<string, Record<string, unknown>>).mirroring!).sample_rate = 1
      // The seed's audit-logger writes to stdout: here, to a file (the test runner's stdout is its own).
      ;((d.policy as Record<string, Record<string, unknown>>)['audit-logger']!).path = 'audit.jsonl'
      return d
    })
    const g = await startGateway(config, `${dir}/kt.db`)
    try {
      const r = await post(g.url, '/v1/chat/completions', {model: 'primary-gpt4o', messages: [{role: 'user', content: 'Please explain why the sky is blue, or refuse me.'}]})
      assert.equal(r.status, 200)
      const [shadow, primary] = await eventsWhen(g.dbPath, 2)
      const qp = primary!.metadata.quality_scorer as {pass: boolean; overall: number; on_fail: string | null; dimensions: Record<string, number>}
      const qs = shadow!.metadata.quality_scorer as {pass: boolean; overall: number; on_fail: string | null; failed: string[]}
      assert.equal(qp.pass, true)
      assert.equal(qp.on_fail, null)
      assert.deepEqual(Object.keys(qp.dimensions), ['relevance', 'coherence', 'completeness'])
      assert.equal(qs.pass, false)
      assert.equal(qs.on_fail, 'escalate')
      assert.equal(shadow!.decision, 'escalate')
      assert.equal(shadow!.policy_id, 'quality_scorer')
      assert.deepEqual(shadow!.policies_triggered!.map((p) => [p.name, p.action]), [['quality-scorer', 'escalate']])
      assert.equal(shadow!.metadata.mirror_source, 'mirroring')
      await waitFor(() => g.logs.some((l) => /^WARN quality-scorer escalation: shadow event/.test(l)), 'the escalation log line')
      const db = openDb(g.dbPath, {readonly: true})
      try {
        assert.equal(wantsScores(['quality_scorer']), true)
        assert.equal(countEvents(db, {filter: ['quality_scorer'], scores: true, dataset: ['gateway']}), 2)
      } finally {
        db.close()
      }
    } finally {
      await g.gw.close(2000)
    }
  })

  test("LiteLLM's silent_model: every request of that target mirrored, the shadow marked is_silent_experiment", async () => {
    const dir = tempDir('kt-gw-ev-s-')
    const g = await startGateway(seedConfig('silent-model.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`)
    try {
      const r = await post(g.url, '/v1/chat/completions', chat('How does traffic mirroring work?', {model: 'gpt-3.5-turbo'}))
      assert.equal(JSON.parse(r.text).model, 'gpt-3.5-turbo')
      const [shadow, primary] = await eventsWhen(g.dbPath, 2)
      assert.deepEqual([primary!.model, shadow!.model, shadow!.traffic_role, shadow!.metadata.is_silent_experiment, shadow!.metadata.mirror_source], ['gpt-3.5-turbo', 'gpt-4', 'shadow', true, 'silent_model'])
      const direct = await post(g.url, '/v1/chat/completions', chat('straight to gpt-4', {model: 'gpt-4'}))
      assert.equal(direct.status, 200)
      assert.equal((await eventsWhen(g.dbPath, 3)).filter((e) => e.traffic_role === 'shadow').length, 1, 'gpt-4 traffic itself is not mirrored')
    } finally {
      await g.gw.close(2000)
    }
  })

  test('traffic_split tags land in metadata.ab_tag', async () => {
    const dir = tempDir('kt-gw-ev-t-')
    const g = await startGateway(seedConfig('traffic-split.yaml', {openai: up.url, anthropic: up.url}, dir), `${dir}/kt.db`)
    try {
      for (let i = 0; i < 12; i++) await post(g.url, '/v1/chat/completions', chat(`split ${i}`, {model: 'gpt-4o', user: `u${i}`}))
      const events = await eventsWhen(g.dbPath, 12)
      for (const ev of events) {
        assert.equal(ev.metadata.ab_tag, ev.model === 'gpt-4o' ? 'variant-a' : 'variant-b')
        assert.deepEqual(ev.policies_triggered, [{name: 'ab-test-models', type: 'traffic_split', action: 'route', detail: ev.metadata.ab_tag}])
        assert.equal(ev.policy_id, 'ab-test-models')
      }
    } finally {
      await g.gw.close(2000)
    }
  })
})
