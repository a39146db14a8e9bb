// A busy database: an import writes in batches and lets others in, its events appear whole or not at all, a
// killed import leaves nothing visible (and is cleaned up by the next), a run is replayed by one process at a
// time, and a busy error names who holds the database.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {BIN, ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function pairs(n: number, tag: string): string {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    out.push(
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 10, 2, 0, 0, 0, i)).toISOString(),
        request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `${tag} question ${i}: which plan includes feature ${i}?`}]},
        response: {id: `chatcmpl-${tag}-${i}`, object: 'chat.completion', model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Feature ${i} is in Pro.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 12, completion_tokens: 6, total_tokens: 18}},
        latency_ms: 300,
      }),
    )
  }
  return `${out.join('\n')}\n`
}

function spawnKt(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, KT_NO_PROGRESS: '1', ...env}})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return {child, exit, stderr: () => stderr}
}

function count(db: string, sql: string): number {
  const d = new Database(db, {readonly: true})
  try {
    return d.prepare(sql).pluck().get() as number
  } finally {
    d.close()
  }
}

describe('a busy database', () => {
  let up: FakeUpstream
  let dir = ''
  let db = ''
  const BIG = 40_000
  before(async () => {
    up = await startFakeUpstream({delayMs: 150})
    dir = tempDir('kt-busy-')
    db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'small.jsonl'), pairs(8, 'small'))
    writeFileSync(join(dir, 'big.jsonl'), pairs(BIG, 'big'))
    const r = await ktAsync(['import', join(dir, 'small.jsonl'), '--db', db])
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await up.close()
  })

  test('while an import loads, a replay still saves its results, and the import appears whole or not at all', async () => {
    const imp = spawnKt(['import', join(dir, 'big.jsonl'), '--db', db])
    // Wait until the import has started writing.
    while (count(db, "SELECT count(*) FROM imports WHERE file LIKE '%big.jsonl'") === 0) await new Promise((r) => setTimeout(r, 20))
    const seen: number[] = []
    const replay = ktAsync(['replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--dataset', 'small', '--concurrency', '1', '--db', db, '--json'], {env: {KT_BUSY_TIMEOUT_MS: '1000'}})
    const watching = (async () => {
      for (;;) {
        const r = await ktAsync(['events', 'list', '--dataset', 'big', '--format', 'jsonl', '--db', db], {env: {KT_BUSY_TIMEOUT_MS: '1000'}})
        assert.equal(r.code, 0, r.stderr)
        seen.push(r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length)
        if (seen.at(-1) === BIG) return
      }
    })()
    const r = await replay
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as {status: string}).status, 'completed')
    assert.equal(await imp.exit, 0, imp.stderr())
    await watching
    assert.ok(seen.every((n) => n === 0 || n === BIG), `a listing saw part of a loading import: ${seen.join(', ')}`)
  })

  test('a killed import shows nothing, and the next import removes its rows', async () => {
    writeFileSync(join(dir, 'killed.jsonl'), pairs(BIG, 'killed'))
    const imp = spawnKt(['import', join(dir, 'killed.jsonl'), '--db', db])
    while (count(db, "SELECT count(*) FROM events e JOIN imports i ON i.id = e.import_id WHERE i.file LIKE '%killed.jsonl'") < 2000) await new Promise((r) => setTimeout(r, 20))
    imp.child.kill('SIGKILL')
    await imp.exit
    const listed = await ktAsync(['events', 'list', '--dataset', 'killed', '--format', 'jsonl', '--db', db])
    assert.equal(listed.stdout.trim(), '', 'no event of the killed import is listed')
    assert.ok(count(db, "SELECT count(*) FROM events WHERE dataset = 'killed'") > 0, 'its rows are still on disk')
    const next = await ktAsync(['import', join(dir, 'small.jsonl'), '--db', db])
    assert.equal(next.code, 0, next.stderr)
    assert.equal(count(db, "SELECT count(*) FROM events WHERE dataset = 'killed'"), 0)
    assert.equal(count(db, "SELECT count(*) FROM imports WHERE status <> 'done'"), 0)
  })

  test('a run is replayed by one process at a time; the second says who holds it', async () => {
    up.reset()
    // At one request a second the run lasts about 8 s: long enough for the second command to find it running.
    const first = spawnKt(['replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--dataset', 'small', '--concurrency', '1', '--rps', '1', '--name', 'leased', '--db', db])
    while (up.callCount('/v1/chat/completions') < 1) await new Promise((r) => setTimeout(r, 20))
    const second = await ktAsync(['replay', '--resume', 'leased', '--db', db])
    assert.equal(second.code, 1, second.stderr)
    assert.match(second.stderr, new RegExp(`run run_\\w+ is being replayed by another process \\(process ${first.child.pid} on `))
    assert.equal(await first.exit, 0, first.stderr())
    assert.equal(up.callCount('/v1/chat/completions'), 8, 'every request sent once')
  })
})
