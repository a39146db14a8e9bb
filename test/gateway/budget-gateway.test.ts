// cost_limit day budgets on a running gateway in front of the fake upstream: requests are served until the spend
// written to the store (primaries and shadows) passes the budget, then refused with 429 budget_exceeded in the
// caller's API shape; a gateway restarted on the same database refuses at once (it reads the spend from the store);
// a `warn` budget, added by a reload, lets requests through with the trigger on their events. Spend reaches the
// request path asynchronously, so the tests poll with a deadline.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import OpenAI from 'openai'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, eventsWhen, post, readEvents, startGateway, waitFor, type Reply} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream({record: false})
})
after(async () => {
  await up.close()
})

/** $0.10 a token, so that a request costs dollars and a budget of $10 lasts a few requests. */
function writeConfig(path: string, policy: string | null): string {
  writeFileSync(
    path,
    `providers:
  targets:
    - {id: openai, provider: openai, base_url: "${up.url}/v1", silent_model: gpt-4o-mini}
pricing:
  gpt-4o: {input_per_mtok: 100000, output_per_mtok: 100000}
  gpt-4o-mini: {input_per_mtok: 100000, output_per_mtok: 100000}
${policy ? `policies:\n  - ${policy}\n` : ''}`,
  )
  return path
}

const ask = (i: number) => chat(`What does request ${i} cost?`, {model: 'gpt-4o'})
const sum = (xs: {cost: number | null}[]) => xs.reduce((s, e) => s + (e.cost ?? 0), 0)

describe('cost_limit budgets on a running gateway', () => {
  test('served until the written spend passes max_usd_per_day, then 429 budget_exceeded; after a restart at once', async () => {
    const dir = tempDir('kt-gw-budget-')
    const file = writeConfig(join(dir, 'kt.yaml'), '{name: spend-guard, type: cost_limit, max_usd_per_day: 10}')
    const dbPath = join(dir, 'kt.db')
    let g = await startGateway(file, dbPath)
    const replies: Reply[] = []
    try {
      await waitFor(async () => {
        const r = await post(g.url, '/v1/chat/completions', ask(replies.length))
        replies.push(r)
        return r.status !== 200
      }, () => `a refusal (${replies.length} request(s) served)`)
      const refused = replies[replies.length - 1]!
      assert.equal(refused.status, 429, refused.text)
      assert.equal(refused.headers['x-kt-target'], 'none')
      const error = (JSON.parse(refused.text) as {error: {code: string; type: string; message: string}}).error
      assert.equal(error.code, 'budget_exceeded')
      assert.equal(error.type, 'rate_limit_exceeded')
      assert.match(error.message, /^request refused by policy "spend-guard" \(cost_limit\): spent \$\d+\.\d{4} today \(UTC\), budget \$10$/)

      // Nothing was refused before the spend of what was served (primaries and their shadows) reached the budget.
      const events = await eventsWhen(dbPath, replies.length * 2 - 1)
      const served = events.filter((e) => e.http_status === 200 || e.traffic_role === 'shadow')
      assert.ok(sum(served) >= 10, `refused after spending $${sum(served)}`)
      const quoted = Number(/spent \$([\d.]+)/.exec(error.message)![1])
      assert.ok(quoted >= 10 && quoted <= sum(served) + 1e-4, `quoted $${quoted}, served $${sum(served)}`)
      const ev = events.find((e) => e.id === refused.headers['x-kt-event-id'])!
      assert.deepEqual([ev.status, ev.http_status, ev.decision, ev.policy_id, ev.error?.type], ['blocked', 429, 'deny', 'spend-guard', 'budget_exceeded'])
      assert.deepEqual(ev.policies_triggered?.map((p) => [p.name, p.type, p.action]), [['spend-guard', 'cost_limit', 'block']])

      // The SDKs see a rate limit: OpenAI's RateLimitError carrying the code, Anthropic's rate_limit_error.
      const openai = new OpenAI({apiKey: 'caller-key-0123456789', baseURL: `${g.url}/v1`, maxRetries: 0})
      await assert.rejects(openai.chat.completions.create(ask(0) as OpenAI.ChatCompletionCreateParamsNonStreaming), (e: unknown) => e instanceof OpenAI.RateLimitError && e.code === 'budget_exceeded')
      const a = await post(g.url, '/v1/messages', {model: 'gpt-4o', max_tokens: 50, messages: [{role: 'user', content: 'and this?'}]})
      assert.equal(a.status, 429)
      assert.equal((JSON.parse(a.text) as {error: {type: string}}).error.type, 'rate_limit_error')
    } finally {
      await g.gw.close(5000)
    }
    const spent = sum(readEvents(dbPath))
    const calls = up.callCount()

    // Restarted on the same database: the first request is refused, quoting the spend the store holds.
    g = await startGateway(file, dbPath)
    try {
      const r = await post(g.url, '/v1/chat/completions', ask(0))
      assert.equal(r.status, 429, r.text)
      assert.match(r.text, new RegExp(`spent \\$${spent.toFixed(4).replace('.', '\\.')} today \\(UTC\\), budget \\$10`))
      assert.equal(up.callCount(), calls, 'nothing went upstream')
    } finally {
      await g.gw.close(5000)
    }
  })

  test('a warn budget added by a reload lets requests through and marks their events', async () => {
    const dir = tempDir('kt-gw-budget-warn-')
    const file = writeConfig(join(dir, 'kt.yaml'), null)
    const dbPath = join(dir, 'kt.db')
    const g = await startGateway(file, dbPath)
    try {
      for (let i = 0; i < 2; i++) assert.equal((await post(g.url, '/v1/chat/completions', ask(i))).status, 200)
      await eventsWhen(dbPath, 4)
      writeConfig(file, '{name: soft-cap, type: cost_limit, max_usd_per_day: 1, action: warn}')
      assert.equal(g.gw.reload().ok, true)
      const replies: Reply[] = []
      let warned: ReturnType<typeof readEvents> = []
      await waitFor(async () => {
        replies.push(await post(g.url, '/v1/chat/completions', ask(replies.length)))
        warned = readEvents(dbPath).filter((e) => e.policies_triggered?.some((p) => p.action === 'warn'))
        return warned.length > 0
      }, 'an event with the warn trigger')
      assert.deepEqual([...new Set(replies.map((r) => r.status))], [200])
      const ev = warned[0]!
      assert.deepEqual([ev.status, ev.http_status, ev.traffic_role], ['ok', 200, 'primary'])
      assert.deepEqual(ev.policies_triggered!.map((p) => [p.name, p.type, p.action]), [['soft-cap', 'cost_limit', 'warn']])
      assert.match(ev.policies_triggered![0]!.detail ?? '', /^spent \$\d+\.\d{4} today \(UTC\), budget \$1$/)
    } finally {
      await g.gw.close(5000)
    }
  })
})
