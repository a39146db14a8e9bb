// cost_limit's day and month budgets, without a server: routeRequest given spend totals (429 budget_exceeded, warn,
// downgrade, day against month, totals of another day or month ignored), and the side thread's SpendTracker over a
// real store (the sums it starts from, what it adds, the store winning when higher, the UTC day and month changing).
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {parseConfigText} from '../../src/config/index.js'
import {buildPlan, Observations, routeRequest, SpendTracker, type Plan, type SpendTotals} from '../../src/gateway/index.js'
import {recordToValues} from '../../src/records/index.js'
import {EventWriter, gatewaySpend, openDb, type DB} from '../../src/store/index.js'
import {buildRecord} from '../../src/wire/index.js'
import {tempDir} from '../support/cli.js'
import {KEYS} from '../support/gateway.js'

const NOW = Date.parse('2026-03-10T12:00:00.000Z')
const clock = () => NOW

function plan(limits: string, action = 'block'): Plan {
  const text = `providers:
  targets:
    - {id: openai, provider: openai}
policies:
  - {name: spend-guard, type: cost_limit, ${limits}, action: ${action}${action === 'downgrade' ? ', fallback_model: gpt-4o-mini' : ''}}
`
  const {config} = parseConfigText(text)
  return buildPlan(config!, {...KEYS})
}

function withSpend(spend: SpendTotals | null): Observations {
  const obs = new Observations()
  obs.spend = spend
  return obs
}

const ask = (extra: Record<string, unknown> = {}) => ({model: 'gpt-4o', messages: [{role: 'user', content: 'Summarise the incident report.'}], ...extra})
const totals = (dayUsd: number, monthUsd: number, day = '2026-03-10'): SpendTotals => ({day, dayUsd, month: day.slice(0, 7), monthUsd})

describe('cost_limit budgets in routing', () => {
  test('a spent day budget refuses with 429 budget_exceeded, naming the spend and the budget; under it, the request goes', () => {
    const p = plan('max_usd_per_day: 10')
    const r = routeRequest(p, ask(), null, withSpend(totals(12.34567, 12.34567)), Math.random, clock)
    assert.equal(r.ok, false)
    if (r.ok) return
    assert.deepEqual([r.status, r.code, r.policyId], [429, 'budget_exceeded', 'spend-guard'])
    assert.equal(r.message, 'request refused by policy "spend-guard" (cost_limit): spent $12.3457 today (UTC), budget $10')
    assert.deepEqual(r.policies, [{name: 'spend-guard', type: 'cost_limit', action: 'block', detail: 'spent $12.3457 today (UTC), budget $10'}])
    // At the budget is spent; just under it is not.
    assert.equal(routeRequest(p, ask(), null, withSpend(totals(10, 10)), Math.random, clock).ok, false)
    const under = routeRequest(p, ask(), null, withSpend(totals(9.99, 9.99)), Math.random, clock)
    assert.ok(under.ok && under.route.model === 'gpt-4o' && under.route.policies.length === 0)
  })

  test('no totals yet (nothing posted) lets the request through', () => {
    assert.equal(routeRequest(plan('max_usd_per_day: 0'), ask(), null, withSpend(null), Math.random, clock).ok, true)
  })

  test('the month budget reads the month total, the day budget the day total', () => {
    const month = plan('max_usd_per_month: 100')
    const r = routeRequest(month, ask(), null, withSpend(totals(1, 100.5)), Math.random, clock)
    assert.ok(!r.ok && r.status === 429 && r.message.endsWith('spent $100.5000 this month (UTC), budget $100'), JSON.stringify(r))
    assert.equal(routeRequest(month, ask(), null, withSpend(totals(99, 99)), Math.random, clock).ok, true, 'a big day under the month budget')
    const both = plan('max_usd_per_day: 10, max_usd_per_month: 100')
    assert.equal(routeRequest(both, ask(), null, withSpend(totals(5, 50)), Math.random, clock).ok, true)
    const day = routeRequest(both, ask(), null, withSpend(totals(11, 50)), Math.random, clock)
    assert.ok(!day.ok && /today \(UTC\)/.test(day.message))
  })

  test('totals of another UTC day or month are not this one’s: the day rolls over, the month still counts', () => {
    const p = plan('max_usd_per_day: 10, max_usd_per_month: 100')
    // Yesterday's totals, posted before midnight: today has spent nothing yet.
    assert.equal(routeRequest(p, ask(), null, withSpend(totals(50, 60, '2026-03-09')), Math.random, clock).ok, true)
    // The month they carry is still this month.
    const m = routeRequest(p, ask(), null, withSpend(totals(5, 150, '2026-03-09')), Math.random, clock)
    assert.ok(!m.ok && /this month \(UTC\)/.test(m.message))
    // Last month's totals: neither counts.
    assert.equal(routeRequest(p, ask(), null, withSpend(totals(50, 500, '2026-02-28')), Math.random, clock).ok, true)
    // The same totals one UTC day later: the day budget no longer applies.
    const tomorrow = () => Date.parse('2026-03-11T00:00:00.000Z')
    assert.equal(routeRequest(p, ask(), null, withSpend(totals(50, 60)), Math.random, tomorrow).ok, true)
    assert.equal(routeRequest(p, ask(), null, withSpend(totals(50, 60)), Math.random, () => Date.parse('2026-03-10T23:59:59.999Z')).ok, false)
  })

  test('warn lets a request past a spent budget through with the trigger; downgrade sends it to fallback_model', () => {
    const w = routeRequest(plan('max_usd_per_day: 1', 'warn'), ask(), null, withSpend(totals(2, 2)), Math.random, clock)
    assert.ok(w.ok)
    if (w.ok) {
      assert.equal(w.route.model, 'gpt-4o')
      assert.deepEqual(w.route.policies, [{name: 'spend-guard', type: 'cost_limit', action: 'warn', detail: 'spent $2.0000 today (UTC), budget $1'}])
    }
    const d = routeRequest(plan('max_usd_per_month: 1', 'downgrade'), ask(), null, withSpend(totals(0.5, 3)), Math.random, clock)
    assert.ok(d.ok)
    if (d.ok) {
      assert.equal(d.route.model, 'gpt-4o-mini')
      assert.equal(d.route.policyId, 'spend-guard')
      assert.equal(d.route.reason, 'cost_limit "spend-guard": spent $3.0000 this month (UTC), budget $1; downgraded to gpt-4o-mini')
      assert.deepEqual(d.route.policies.map((x) => x.action), ['downgrade'])
    }
  })

  test('a request over a per-request limit keeps its 403 policy_blocked, spent budget or not', () => {
    const p = plan('max_tokens_per_request: 100, max_usd_per_day: 1')
    const r = routeRequest(p, ask({max_tokens: 500}), null, withSpend(totals(5, 5)), Math.random, clock)
    assert.ok(!r.ok && r.status === 403 && r.code === 'policy_blocked' && r.message.endsWith('max_tokens 500 > 100'), JSON.stringify(r))
    const budget = routeRequest(p, ask({max_tokens: 50}), null, withSpend(totals(5, 5)), Math.random, clock)
    assert.ok(!budget.ok && budget.status === 429)
  })
})

let n = 0
function store(): {db: DB; write: (timestamp: string, usd: number) => void} {
  const db = openDb(join(tempDir('kt-budget-'), 'kt.db'))
  const writer = new EventWriter(db)
  const write = (timestamp: string, usd: number) => {
    const r = buildRecord({format: 'kt-gateway', locator: '/v1/chat/completions', id: `gw_b${++n}`, timestamp, model: 'gpt-4o', cost_usd: usd}, {file: '', fileMtime: timestamp})
    writer.writeValues(recordToValues(r, {dataset: 'gateway', kind: 'request', request_hash: null}))
  }
  return {db, write}
}

describe('SpendTracker', () => {
  test('starts from the store’s day and month, adds what it builds, and takes the store’s day when higher', () => {
    const {db, write} = store()
    write('2026-02-28T23:00:00.000Z', 1000) // last month
    write('2026-03-02T10:00:00.000Z', 20)
    write('2026-03-10T01:00:00.000Z', 3)
    let now = NOW
    const t = new SpendTracker((from, to) => gatewaySpend(db, from, to), () => now)
    assert.deepEqual(t.totals(), {day: '2026-03-10', dayUsd: 3, month: '2026-03', monthUsd: 23})
    t.add('2026-03-10T12:00:00.000Z', 0.5)
    t.add('2026-03-09T23:59:59.000Z', 0.25) // an event of yesterday built late: the month only
    t.add('2026-03-10T12:00:01.000Z', null)
    assert.deepEqual(t.totals(), {day: '2026-03-10', dayUsd: 3.5, month: '2026-03', monthUsd: 23.75})
    // Another gateway on the same database spent 10 today: the next read sees it.
    write('2026-03-10T11:00:00.000Z', 10)
    assert.equal(t.totals().dayUsd, 3.5, 'not read before the minute is up')
    t.reread()
    assert.deepEqual(t.totals(), {day: '2026-03-10', dayUsd: 13, month: '2026-03', monthUsd: 33.25})
    // Local spend not yet written is not lost to a lower store value.
    t.add('2026-03-10T12:30:00.000Z', 7)
    t.reread()
    assert.equal(t.totals().dayUsd, 20)
    // The UTC day changes: the month before today and the new day are read again.
    write('2026-03-11T00:00:10.000Z', 2)
    now = Date.parse('2026-03-11T00:01:00.000Z')
    assert.deepEqual(t.totals(), {day: '2026-03-11', dayUsd: 2, month: '2026-03', monthUsd: 35}, 'what the store holds (costs built but never written are gone)')
    // And the month: last month's spend is gone.
    now = Date.parse('2026-04-01T00:00:00.000Z')
    assert.deepEqual(t.totals(), {day: '2026-04-01', dayUsd: 0, month: '2026-04', monthUsd: 0})
    t.add('2026-04-01T00:00:00.000Z', 1.25)
    assert.deepEqual(t.totals(), {day: '2026-04-01', dayUsd: 1.25, month: '2026-04', monthUsd: 1.25})
    db.close()
  })

  test('a store that cannot be read leaves the local totals standing', () => {
    let fail = false
    const t = new SpendTracker(() => (fail ? null : 4), clock)
    assert.equal(t.totals().dayUsd, 4)
    t.add('2026-03-10T12:00:00.000Z', 1)
    fail = true
    t.reread()
    assert.deepEqual(t.totals(), {day: '2026-03-10', dayUsd: 5, month: '2026-03', monthUsd: 9})
  })
})
