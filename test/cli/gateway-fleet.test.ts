// A gateway fleet agrees on sticky users: two `kt gateway run` processes on the same config (the weighted A/B
// tutorial's 70/30 group), each with its own database, in front of one fake upstream answering at once. Each of 10,000
// distinct user keys (half as the x-kt-user header, half as the body's `user` field) sends one tiny request to both
// instances: every user gets the same target from both (the x-kt-target header, and the events each instance wrote),
// and the split over users is near 70/30.
import assert from 'node:assert/strict'
import {Agent} from 'node:http'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {BIN, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {daemon, freePort, KEYS, post, readEvents, seedConfig, waitFor, type Daemon} from '../support/gateway.js'
import {sha256} from '../../src/records/index.js'

const USERS = 10_000
/** Requests in flight per instance: enough to keep both busy on a small machine without queueing on its cores. */
const CONCURRENCY = 8

let up: FakeUpstream
let dir: string
let config: string
const instances: {gw: Daemon; url: string; db: string}[] = []

before(async () => {
  up = await startFakeUpstream({record: false})
  dir = tempDir('kt-fleet-')
  config = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir)
  for (const name of ['a', 'b']) {
    const port = await freePort()
    const db = join(dir, `${name}.db`)
    const env: NodeJS.ProcessEnv = {...process.env, ...KEYS, KT_DB: db, KT_NO_PROGRESS: '1'}
    delete env.KT_CONFIG
    delete env.KT_HOME
    const gw = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', config, '--port', String(port)], {env, cwd: dir})
    instances.push({gw, url: `http://127.0.0.1:${port}`, db})
  }
  for (const i of instances) await i.gw.waitFor('Gateway ready')
})

after(async () => {
  for (const i of instances) if (i.gw.child.exitCode === null) i.gw.child.kill('SIGTERM')
  for (const i of instances) await i.gw.exited
  await up.close()
})

const userKey = (u: number) => `fleet-user-${u}`

/** One tiny request per user to `url`; the target each user was routed to. */
async function routeAll(url: string): Promise<string[]> {
  const agent = new Agent({keepAlive: true, maxSockets: CONCURRENCY})
  const targets = new Array<string>(USERS)
  let next = 0
  await Promise.all(
    Array.from({length: CONCURRENCY}, async () => {
      while (next < USERS) {
        const u = next++
        const viaHeader = u % 2 === 0
        const body = {model: 'quality-ab-test', max_tokens: 1, messages: [{role: 'user', content: 'x'}], ...(viaHeader ? {} : {user: userKey(u)})}
        const r = await post(url, '/v1/chat/completions', body, viaHeader ? {'x-kt-user': userKey(u)} : {}, agent)
        assert.equal(r.status, 200, r.text)
        targets[u] = String(r.headers['x-kt-target'])
      }
    }),
  )
  agent.destroy()
  return targets
}

describe('gateway fleet: sticky routing agrees across instances', () => {
  test(`${USERS} users get the same target from both instances, split near 70/30`, async () => {
    const [a, b] = await Promise.all(instances.map((i) => routeAll(i.url)))
    const disagree = a!.map((t, u) => (t === b![u] ? null : `${userKey(u)}: ${t} vs ${b![u]}`)).filter((x) => x !== null)
    assert.deepEqual(disagree, [])
    const toOpenai = a!.filter((t) => t === 'openai').length
    assert.equal(a!.filter((t) => t === 'anthropic').length, USERS - toOpenai)
    const share = toOpenai / USERS
    assert.ok(share > 0.68 && share < 0.72, `share to the 70% member: ${share}`)

    // Each instance's own events say the same: one target per user hash, the same on both.
    const byUser: Map<string, string>[] = []
    for (const i of instances) {
      await waitFor(() => readEvents(i.db).length === USERS, `${USERS} events in ${i.db}`, 60_000)
      const m = new Map<string, string>()
      for (const e of readEvents(i.db)) m.set(e.user_id_hash!, e.target_id!)
      byUser.push(m)
    }
    assert.equal(byUser[0]!.size, USERS)
    for (let u = 0; u < USERS; u++) {
      const h = sha256(userKey(u)).slice(0, 32)
      assert.equal(byUser[0]!.get(h), a![u])
      assert.equal(byUser[1]!.get(h), a![u])
    }
  })

  test('both instances drain and exit 0', async () => {
    for (const i of instances) i.gw.child.kill('SIGTERM')
    for (const i of instances) assert.equal(await i.gw.exited, 0, i.gw.stderr().slice(-500))
  })
})
