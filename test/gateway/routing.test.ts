// Routing as a pure function of the plan, the request and the user key: weighted groups land within binomial bounds,
// sticky users keep their member (also after a "restart": a plan rebuilt from the same file), routed groups say which
// rule decided, traffic splits tag, model filters block and redirect.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {loadConfig, parseConfigText} from '../../src/config/index.js'
import {buildPlan, Observations, pickByShare, routeRequest, stickyUnit, type Plan} from '../../src/gateway/index.js'
import {rng} from '../../src/stats/rng.js'
import {KEYS, SEEDS} from '../support/gateway.js'

const env = {...KEYS}
const plan = (seed: string): Plan => buildPlan(loadConfig(join(SEEDS, seed), {required: true}), env)
const ask = (model: string, extra: Record<string, unknown> = {}) => ({model, messages: [{role: 'user', content: 'Explain the principle of least privilege in two sentences.'}], ...extra})

function route(p: Plan, body: Record<string, unknown>, user: string | null = null, obs = new Observations(), random = Math.random) {
  const r = routeRequest(p, body, user, obs, random)
  if (!r.ok) throw new Error(`expected a route, got ${r.status}: ${r.message}`)
  return r.route
}

describe('gateway routing', () => {
  test('targets without a model are kept, and seed 001 has its two providers and group', () => {
    const p = plan('weighted-ab.yaml')
    assert.deepEqual([...p.targets.keys()], ['openai', 'anthropic'])
    assert.equal(p.targets.get('openai')!.model, undefined)
    assert.deepEqual([...p.groups.keys()], ['quality-ab-test'])
  })

  test('a 70/30 group over 2,000 requests lands within binomial bounds', () => {
    const p = plan('weighted-ab.yaml')
    const draw = rng(42)
    let gpt = 0
    for (let i = 0; i < 2000; i++) {
      const r = route(p, ask('quality-ab-test'), null, new Observations(), draw)
      assert.equal(r.group, 'quality-ab-test')
      if (r.model === 'gpt-4o') {
        gpt++
        assert.equal(r.target.id, 'openai')
      } else {
        assert.equal(r.model, 'claude-sonnet-4-20250514')
        assert.equal(r.target.id, 'anthropic')
      }
    }
    // mean 1400, sd sqrt(2000 * 0.7 * 0.3) = 20.5; five sd either way.
    assert.ok(gpt > 1400 - 5 * 20.5 && gpt < 1400 + 5 * 20.5, `gpt-4o got ${gpt} of 2000`)
  })

  test('a random draw is what decides without a user key, and the decision says so', () => {
    const p = plan('weighted-ab.yaml')
    assert.equal(route(p, ask('quality-ab-test'), null, new Observations(), () => 0.69).model, 'gpt-4o')
    const r = route(p, ask('quality-ab-test'), null, new Observations(), () => 0.71)
    assert.equal(r.model, 'claude-sonnet-4-20250514')
    assert.equal(r.decision, 'route')
    assert.match(r.reason ?? '', /weighted group "quality-ab-test": claude-sonnet-4-20250514 \(30%, random draw\)/)
  })

  test('sticky users keep one model across requests and restarts, and users still split about 70/30', () => {
    const before = plan('weighted-ab.yaml')
    const restarted = plan('weighted-ab.yaml')
    const byUser = new Map<string, string>()
    let gpt = 0
    for (let u = 0; u < 600; u++) {
      const user = `user-${u}`
      const first = route(before, ask('quality-ab-test', {user}), user)
      if (first.model === 'gpt-4o') gpt++
      for (let k = 0; k < 3; k++) assert.equal(route(before, ask('quality-ab-test', {user}), user).model, first.model)
      assert.equal(route(restarted, ask('quality-ab-test', {user}), user).model, first.model, 'the same user after a restart')
      byUser.set(user, first.model)
      assert.match(first.reason ?? '', /sticky user hash/)
    }
    // 600 users: mean 420, sd 11.2.
    assert.ok(gpt > 420 - 5 * 11.2 && gpt < 420 + 5 * 11.2, `gpt-4o got ${gpt} of 600 users`)
  })

  test('the sticky draw is a fixed function of group and key (the same on every instance and release)', () => {
    assert.equal(stickyUnit('quality-ab-test', 'alice'), stickyUnit('quality-ab-test', 'alice'))
    assert.notEqual(stickyUnit('quality-ab-test', 'alice'), stickyUnit('other-group', 'alice'))
    // Pinned: changing the hash would move every user to another member.
    assert.equal(stickyUnit('quality-ab-test', 'alice').toFixed(12), '0.841808028208')
    const members = [{share: 0.7, m: 'a'}, {share: 0.3, m: 'b'}]
    assert.equal(pickByShare(members, 0).m, 'a')
    assert.equal(pickByShare(members, 0.6999).m, 'a')
    assert.equal(pickByShare(members, 0.7).m, 'b')
    assert.equal(pickByShare(members, 0.999999).m, 'b')
  })

  test('a group name, a target id and a model a target serves all route; anything else is 404', () => {
    const p = plan('mirroring-quality.yaml')
    assert.equal(route(p, ask('primary-gpt4o')).model, 'gpt-4o')
    assert.equal(route(p, ask('gpt-4o-mini')).target.id, 'candidate-gpt4o-mini')
    const r = routeRequest(p, ask('claude-3-opus'), null, new Observations())
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.status, 404)
      assert.match(r.message, /model "claude-3-opus" is not served by this gateway/)
    }
    const none = routeRequest(p, {messages: []}, null, new Observations())
    assert.equal(none.ok ? 0 : none.status, 400)
  })

  test('cost_optimized picks the cheaper member and says so', () => {
    const r = route(plan('routed-groups.yaml'), ask('production', {max_tokens: 300}))
    assert.equal(r.model, 'gpt-4o')
    assert.match(r.reason ?? '', /^group "production" cost_optimized: gpt-4o \(\$[\d.]+ for ~\d+\+300 tokens; claude-sonnet-4-20250514 \$[\d.]+\)$/)
  })

  test('lowest_latency measures every member first, then keeps to the fastest observed', () => {
    const p = plan('routed-groups.yaml')
    const obs = new Observations()
    const latency: Record<string, number> = {'gpt-4o-mini': 300, 'claude-haiku': 120}
    const seen: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = route(p, ask('candidate'), null, obs)
      seen.push(r.model)
      assert.match(r.reason ?? '', /lowest_latency: measuring/)
      obs.observeLatency(`${r.target.id}|${r.model}`, latency[r.model]!)
    }
    assert.deepEqual(new Set(seen), new Set(['gpt-4o-mini', 'claude-haiku']))
    const r = route(p, ask('candidate'), null, obs)
    assert.equal(r.model, 'claude-haiku')
    assert.match(r.reason ?? '', /lowest_latency: claude-haiku \(120 ms observed; gpt-4o-mini 300 ms\)/)
  })

  test('highest_quality keeps to the best observed score', () => {
    const p = plan('routed-groups.yaml')
    assert.equal(p.scoreAll, true, 'a highest_quality group makes every answer scored')
    const obs = new Observations()
    for (let i = 0; i < 3; i++) {
      obs.observeQuality('openai|gpt-4o', 0.6)
      obs.observeQuality('anthropic|claude-opus-4-20250514', 0.9)
    }
    const r = route(p, ask('premium'), null, obs)
    assert.equal(r.model, 'claude-opus-4-20250514')
    assert.match(r.reason ?? '', /highest_quality: claude-opus-4-20250514 \(mean score 0\.900; gpt-4o 0\.600\)/)
  })

  test('traffic_split picks a variant and carries its tag; sticky per user', () => {
    const p = plan('traffic-split.yaml')
    const a = route(p, ask('gpt-4o'), null, new Observations(), () => 0.2)
    assert.deepEqual([a.model, a.abTag, a.target.id], ['gpt-4o', 'variant-a', 'openai'])
    const b = route(p, ask('gpt-4o'), null, new Observations(), () => 0.8)
    assert.deepEqual([b.model, b.abTag, b.target.id], ['claude-sonnet-4-20250514', 'variant-b', 'anthropic'])
    assert.deepEqual(b.policies, [{name: 'ab-test-models', type: 'traffic_split', action: 'route', detail: 'variant-b'}])
    const u = route(p, ask('gpt-4o'), 'bob').abTag
    for (let i = 0; i < 5; i++) assert.equal(route(p, ask('gpt-4o'), 'bob').abTag, u)
  })

  test('model_filter blocks a deprecated model (403 naming the policy), redirects by max_tokens, enforces its allow list', () => {
    const p = plan('model-filter.yaml')
    const blocked = routeRequest(p, ask('gpt-4-turbo'), null, new Observations())
    assert.equal(blocked.ok, false)
    if (!blocked.ok) {
      assert.equal(blocked.status, 403)
      assert.equal(blocked.policyId, 'block-deprecated')
      assert.match(blocked.message, /"gpt-4-turbo" is blocked by policy "block-deprecated"/)
    }
    const big = route(p, ask('claude-sonnet-4-20250514', {max_tokens: 4000}))
    assert.equal(big.model, 'gpt-4o')
    assert.equal(big.policyId, 'route-complex-reasoning')
    assert.deepEqual(big.policies.map((x) => x.action), ['redirect'])
    assert.equal(route(p, ask('gpt-4o', {max_tokens: 100})).model, 'gpt-4o-mini')
    assert.equal(route(p, ask('claude-sonnet-4-20250514')).model, 'claude-sonnet-4-20250514', 'no max_tokens: neither condition holds')
    const other = routeRequest(p, ask('o3'), null, new Observations())
    assert.equal(other.ok ? 0 : other.status, 403)
    if (!other.ok) assert.match(other.message, /not allowed by policy "model-routing"/)
  })

  test('a blocked model is redirected instead when its filter names a preferred model', () => {
    const {config} = parseConfigText(`
providers:
  targets:
    - {id: openai, provider: openai}
policies:
  - name: sunset
    type: model_filter
    blocked_models: [gpt-4-turbo]
    preferred_model: gpt-4o
`)
    const r = route(buildPlan(config!, env), ask('gpt-4-turbo'))
    assert.equal(r.model, 'gpt-4o')
    assert.match(r.reason ?? '', /gpt-4-turbo is blocked; redirected to gpt-4o/)
  })

  test('a content filter can block, flag or redact the request', () => {
    const cfg = (action: string) =>
      buildPlan(parseConfigText(`providers:\n  targets:\n    - {id: openai, provider: openai}\npolicies:\n  - {name: no-secrets, type: content_filter, blocked_terms: [project falcon], action: ${action}}\n`).config!, env)
    const body = ask('gpt-4o', {messages: [{role: 'user', content: 'Tell me about Project Falcon please'}]})
    const blocked = routeRequest(cfg('block'), body, null, new Observations())
    assert.equal(blocked.ok ? 0 : blocked.status, 403)
    assert.deepEqual(route(cfg('flag'), body).policies, [{name: 'no-secrets', type: 'content_filter', action: 'flag', detail: 'project falcon'}])
    const redacted = route(cfg('redact'), body)
    assert.deepEqual(redacted.body?.messages, [{role: 'user', content: 'Tell me about [redacted] please'}])
  })

  test('a content filter with redact_pii blocks, flags or redacts PII in the request, naming the kinds only', () => {
    const cfg = (action: string, extra = '') =>
      buildPlan(parseConfigText(`providers:\n  targets:\n    - {id: openai, provider: openai}\npolicies:\n  - {name: no-pii, type: content_filter, redact_pii: true, ${extra}action: ${action}}\n`).config!, env)
    const body = ask('gpt-4o', {
      system: 'Support desk. Build 1.2.3.4.5, order 2026-12-05-0042.',
      messages: [{role: 'user', content: [{type: 'text', text: 'I am jane@example.com, card 4111 1111 1111 1111.'}]}, {role: 'assistant', content: 'Noted.'}],
    })
    const blocked = routeRequest(cfg('block'), body, null, new Observations())
    assert.ok(!blocked.ok)
    assert.deepEqual([blocked.status, blocked.code, blocked.message], [403, 'content_blocked', 'request blocked by policy "no-pii" (content_filter): matched pii:email, pii:card'])
    assert.ok(!blocked.message.includes('jane') && !blocked.message.includes('4111'))
    assert.deepEqual(blocked.body?.messages, [{role: 'user', content: [{type: 'text', text: 'I am [redacted:email], card [redacted:card].'}]}, {role: 'assistant', content: 'Noted.'}], 'what the event keeps')
    assert.deepEqual(route(cfg('flag'), body).policies, [{name: 'no-pii', type: 'content_filter', action: 'flag', detail: 'pii:email, pii:card'}])
    const redacted = route(cfg('redact'), body)
    assert.deepEqual(redacted.body?.messages, [{role: 'user', content: [{type: 'text', text: 'I am [redacted:email], card [redacted:card].'}]}, {role: 'assistant', content: 'Noted.'}])
    assert.equal(redacted.body?.system, 'Support desk. Build 1.2.3.4.5, order 2026-12-05-0042.', 'no PII there: unchanged')
    assert.deepEqual(redacted.policies, [{name: 'no-pii', type: 'content_filter', action: 'redact', detail: 'pii:email, pii:card'}])
    // Responses API fields, and terms with PII in one policy.
    const both = route(cfg('redact', 'blocked_terms: [project falcon], '), {model: 'gpt-4o', instructions: 'Project Falcon desk', input: 'call +1 415 555 2671 from 10.1.2.3'})
    assert.deepEqual([both.body?.instructions, both.body?.input], ['[redacted] desk', 'call [redacted:phone] from [redacted:ip]'])
    assert.equal(both.policies[0]!.detail, 'project falcon, pii:phone, pii:ip')
    // Without PII, or without redact_pii: nothing triggers.
    assert.deepEqual(route(cfg('block'), ask('gpt-4o')).policies, [])
    const off = buildPlan(parseConfigText('providers:\n  targets:\n    - {id: openai, provider: openai}\npolicies:\n  - {name: t, type: content_filter, blocked_terms: [zebra]}\n').config!, env)
    assert.deepEqual(route(off, body).policies, [])
  })

  test('a plan names the missing key variable with its YAML path; a silent_model that is no target is a model for the same target', () => {
    const {config} = parseConfigText('providers:\n  targets:\n    - {id: main, provider: openai, secret_key_ref: {env: KT_TEST_NO_SUCH_KEY}}\n')
    assert.throws(() => buildPlan(config!, {}), /providers\.targets\[0\]\.secret_key_ref\.env: environment variable KT_TEST_NO_SUCH_KEY is not set \(target "main"\)/)
    const silent = parseConfigText('providers:\n  targets:\n    - {id: main, provider: openai, model: gpt-4o, silent_model: claude-x}\n').config!
    const rule = buildPlan(silent, env).shadows
    assert.deepEqual(rule.map((r) => [r.source, r.primary, r.shadow.id, r.model]), [['silent_model', 'main', 'main', 'claude-x']])
  })
})
