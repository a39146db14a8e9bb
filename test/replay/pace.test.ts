// Pacing (src/replay/pace.ts): while the threads that make calls are saturated, fewer calls go in flight, so that
// answers waiting on kt are not recorded as upstream latency.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {createReplayRun, executeRun, type PlannedRun, type ReplaySettings} from '../../src/replay/index.js'
import {createPacer, DEFAULT_PACE} from '../../src/replay/pace.js'
import {openDb, type DB} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {getRun} from '../../src/store/runs.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const BUSY = 0.97
const CALM = 0.5

describe('the pacer', () => {
  test('saturated samples in a row bring the cap down by a quarter each, down to the floor; calm samples raise it', () => {
    const p = createPacer(100, null, {...DEFAULT_PACE, sustain: 3})
    assert.equal(p.limit, 100)
    p.adjust(BUSY)
    p.adjust(BUSY)
    assert.equal(p.limit, 100, 'fewer busy samples in a row than `sustain` are a burst')
    p.adjust(0.8)
    p.adjust(BUSY)
    p.adjust(BUSY)
    assert.equal(p.limit, 100, 'a sample between low and high breaks the run of busy ones')
    p.adjust(BUSY)
    assert.equal(p.limit, 75)
    p.adjust(BUSY)
    assert.equal(p.limit, 56)
    for (let i = 0; i < 30; i++) p.adjust(BUSY)
    assert.equal(p.limit, DEFAULT_PACE.floor)
    assert.equal(p.lowest, DEFAULT_PACE.floor)
    p.adjust(0.8)
    assert.equal(p.limit, DEFAULT_PACE.floor, 'between low and high the cap holds')
    p.adjust(CALM)
    assert.equal(p.limit, 10)
    for (let i = 0; i < 30; i++) p.adjust(CALM)
    assert.equal(p.limit, 100)
    assert.equal(p.lowest, DEFAULT_PACE.floor)
    p.stop()
  })

  test('a concurrency below the floor is never paced', () => {
    const p = createPacer(4, null)
    for (let i = 0; i < 10; i++) p.adjust(1)
    assert.equal(p.limit, 4)
    assert.equal(p.lowest, 4)
    p.stop()
  })

  test('places: waiters go in order as places free up or the cap rises; stop lets everyone in', async () => {
    const p = createPacer(16, null)
    for (let i = 0; i < 8; i++) p.adjust(BUSY)
    assert.equal(DEFAULT_PACE.sustain, 2)
    assert.equal(p.limit, 8)
    const held = await Promise.all(Array.from({length: 8}, () => p.acquire()))
    const order: number[] = []
    const waiting = [0, 1, 2, 3].map((i) => p.acquire().then((release) => (order.push(i), release)))
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, [], 'the cap is full')
    held[0]!()
    held[0]!() // a second release is harmless
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, [0])
    p.adjust(CALM) // 8 -> 10
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, [0, 1, 2])
    p.stop()
    await Promise.all(waiting)
    assert.deepEqual(order, [0, 1, 2, 3])
  })
})

describe('a replay whose calling thread is saturated', () => {
  let up: FakeUpstream
  before(async () => {
    up = await startFakeUpstream({delayMs: 20, record: false})
  })
  after(async () => {
    await up.close()
  })

  const setup = async (): Promise<{db: DB; planned: PlannedRun}> => {
    const dir = tempDir()
    const file = join(dir, 'pairs.jsonl')
    const line = (i: number) =>
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
        request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `Question ${i}?`}]},
        response: {id: `c${i}`, object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Answer ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 3, total_tokens: 8}},
      })
    writeFileSync(file, `${Array.from({length: 120}, (_, i) => line(i)).join('\n')}\n`)
    const path = join(dir, 'kt.db')
    const db = openDb(path)
    await importFiles(db, path, [file])
    const settings: ReplaySettings = {selection: {}, modelMap: {}, concurrency: 64, rps: null, tpm: null, timeoutMs: 30_000, retries: 0, maxCost: null, aa: 0, seed: 1}
    const candidate = {id: 'cand', provider: 'openai-compatible' as const, model: 'm', base_url: `${up.url}/v1`}
    const planned = createReplayRun(db, {primary: 'recorded', candidate, settings})
    return {db, planned}
  }

  const replay = async (pace: '0' | undefined): Promise<number | null> => {
    const {db, planned} = await setup()
    // Something else keeps this thread busy 49 ms of every 50: its event loop is saturated.
    const hog = setInterval(() => {
      const end = performance.now() + 49
      while (performance.now() < end);
    }, 50)
    try {
      const out = await withEnv({KT_REPLAY_THREADS: '0', KT_REPLAY_PACE: pace}, () => executeRun(db, planned))
      assert.equal(out.status, 'completed')
      assert.equal(out.errors, 0)
      return out.pacedTo
    } finally {
      clearInterval(hog)
      db.close()
    }
  }

  test('holds fewer calls in flight than --concurrency, and says how few', async () => {
    const pacedTo = await replay(undefined)
    assert.ok(pacedTo !== null && pacedTo < 64, `paced below 64, got ${pacedTo}`)
  })

  test('KT_REPLAY_PACE=0: --concurrency alone', async () => {
    assert.equal(await replay('0'), null)
  })

  test('a bad KT_REPLAY_PACE is refused before anything is sent; the run is left interrupted, to resume', async () => {
    const {db, planned} = await setup()
    const before = up.callCount()
    try {
      await withEnv({KT_REPLAY_PACE: 'yes'}, () => assert.rejects(executeRun(db, planned), /KT_REPLAY_PACE must be 0 or 1, got "yes"/))
      assert.equal(getRun(db, planned.runId)!.status, 'interrupted')
      assert.equal(up.callCount(), before)
    } finally {
      db.close()
    }
  })
})
