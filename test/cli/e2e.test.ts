// kt as a user drives it: the demo, dedupe messages, dry runs, cost caps, Ctrl-C, runs, score
// events and help text, all through the built CLI.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {BIN, ROOT, kt, ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function pairs(n: number): string {
  return (
    Array.from({length: n}, (_, i) =>
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 10, 2, 0, 0, i)).toISOString(),
        request: {model: 'gpt-4o-mini', max_tokens: 100, messages: [{role: 'user', content: `Which plan includes feature ${i}? Answer in one sentence.`}]},
        response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1762041600 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Feature ${i} is included in the Pro plan.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 18, completion_tokens: 9, total_tokens: 27}},
        latency_ms: 400 + i,
      }),
    ).join('\n') + '\n'
  )
}

describe('kt end to end', () => {
  test('kt demo runs the whole story offline and writes the reports', () => {
    const out = join(tempDir(), 'demo')
    const r = kt(['demo', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    for (const f of ['kt.db', 'report.html', 'report.csv', 'report.md', 'report.json', 'report.txt']) assert.ok(existsSync(join(out, f)), `${f} written`)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {verdict: string; run: {total: number}; gates: {decision: string}[]}
    assert.ok(report.run.total >= 300, 'the shipped sample has at least 300 replayable requests')
    // The default candidate is a terser model: quality drops beyond the margin, so the verdict is FAIL.
    assert.equal(report.verdict, 'fail')
    assert.match(r.stdout, /FAIL\s+quality\.overall\.mean_diff/)
    assert.match(r.stderr, /verdict: FAIL/)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    assert.match(html, /<svg/)
    assert.doesNotMatch(html, /https?:\/\//, 'self-contained: no URLs')
    // The same database works with every other command.
    const list = kt(['events', 'list', '--db', join(out, 'kt.db'), '--last', '3', '--format', 'json'])
    assert.equal(list.code, 0, list.stderr)
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 3)
    // Score events of the run are ordinary events.
    const scores = kt(['events', 'export', '--db', join(out, 'kt.db'), '--filter', 'quality_scorer', '--format', 'jsonl'])
    assert.equal(scores.code, 0, scores.stderr)
    const lines = scores.stdout.trim().split('\n').map((l) => JSON.parse(l) as {policy_id: string; kind: string; metadata: {arm: string}})
    assert.ok(lines.length >= 2 * report.run.total, 'one score event per answer')
    assert.ok(lines.every((e) => e.policy_id === 'quality_scorer' && e.kind === 'score'))
    // A faithful candidate does not fail.
    const faithful = kt(['demo', '--out', join(out, 'faithful'), '--candidate', 'simulated:faithful'])
    assert.equal(faithful.code, 0, faithful.stderr)
    assert.notEqual((JSON.parse(readFileSync(join(out, 'faithful', 'report.json'), 'utf8')) as {verdict: string}).verdict, 'fail')
  })

  test('importing the same file twice adds nothing and says so', () => {
    const dir = tempDir()
    const f = join(dir, 'p.jsonl')
    writeFileSync(f, pairs(5))
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', f, '--db', db]).code, 0)
    const again = kt(['import', f, '--db', db, '--json'])
    assert.equal(again.code, 0)
    const s = JSON.parse(again.stdout) as {totals: {imported: number; duplicates: number}}
    assert.deepEqual([s.totals.imported, s.totals.duplicates], [0, 5])
    const human = kt(['import', f, '--db', db])
    assert.match(human.stderr, /all 5 records were already imported; nothing added/)
  })

  describe('replay against a fake upstream', () => {
    let up: FakeUpstream
    let dir: string
    let db: string
    before(async () => {
      up = await startFakeUpstream({delayMs: 100})
      dir = tempDir()
      db = join(dir, 'kt.db')
      writeFileSync(join(dir, 'p.jsonl'), pairs(30))
      assert.equal(kt(['import', join(dir, 'p.jsonl'), '--db', db]).code, 0)
    })
    after(async () => {
      await up.close()
    })

    test('--dry-run estimates cost per arm, sends nothing and leaves no run', async () => {
      const r = await ktAsync(['replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--db', db, '--dry-run', '--json'])
      assert.equal(r.code, 0, r.stderr)
      const est = JSON.parse(r.stdout) as {dry_run: boolean; arms: {arm: string; requests: number}[]}
      assert.equal(est.dry_run, true)
      assert.deepEqual(est.arms.map((a) => [a.arm, a.requests]), [['candidate', 30]])
      assert.equal(up.callCount(), 0)
      const runs = await ktAsync(['runs', 'list', '--db', db, '--format', 'json'])
      assert.deepEqual(JSON.parse(runs.stdout), [])
    })

    test('--max-cost stops the run at the estimate, and the run can be resumed', async () => {
      up.reset()
      // gpt-4o pricing makes each call cost about $0.0003 by the estimate; $0.002 allows only a few.
      const r = await ktAsync(['replay', '--candidate', `openai-compatible:gpt-4o@${up.url}/v1`, '--db', db, '--max-cost', '0.002', '--concurrency', '1', '--name', 'capped'])
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /stopped at the --max-cost limit/)
      const sent = up.callCount('/v1/chat/completions')
      assert.ok(sent > 0 && sent < 30, `sent ${sent}`)
      const show = await ktAsync(['runs', 'show', 'capped', '--db', db, '--json'])
      const d = JSON.parse(show.stdout) as {status: string; results_done: number}
      assert.equal(d.status, 'stopped_max_cost')
      assert.equal(d.results_done, 30 + sent)
    })

    test('Ctrl-C stops sending, lets calls in flight finish, saves them and prints the resume command', async () => {
      up.reset()
      const child = spawn(process.execPath, [BIN, 'replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--db', db, '--concurrency', '2', '--name', 'interrupted'], {
        env: {...process.env, KT_NO_PROGRESS: '1'},
      })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const probe = new Database(db, {readonly: true})
      const done = () => probe.prepare("SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.name = 'interrupted' AND r.arm = 'candidate'").pluck().get() as number
      for (let i = 0; i < 200 && done() < 4; i++) await new Promise((r) => setTimeout(r, 25))
      child.kill('SIGINT')
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
      assert.equal(code, 130, stderr)
      assert.match(stderr, /resume with: kt replay --resume run_/)
      // Every call that reached the upstream was saved: in-flight calls finished rather than being dropped.
      assert.equal(done(), up.callCount('/v1/chat/completions'))
      assert.ok(done() < 30)
      probe.close()
      const resumed = await ktAsync(['replay', '--resume', 'interrupted', '--db', db, '--json'])
      assert.equal(resumed.code, 0, resumed.stderr)
      assert.equal((JSON.parse(resumed.stdout) as {status: string}).status, 'completed')
      assert.equal(up.callCount('/v1/chat/completions'), 30)
    })

    test('runs list and show describe the runs', async () => {
      const list = await ktAsync(['runs', 'list', '--db', db])
      assert.equal(list.code, 0)
      assert.match(list.stdout, /interrupted/)
      assert.match(list.stdout, /capped/)
      const show = await ktAsync(['runs', 'show', 'interrupted', '--db', db])
      assert.match(show.stdout, /status\s+completed/)
      assert.match(show.stdout, /candidate\s+openai-compatible:m@/)
      const missing = await ktAsync(['runs', 'show', 'nope', '--db', db])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /no run "nope"/)
    })

    test('a missing API key fails before any request is sent or any run is created, naming only the variable', async () => {
      up.reset()
      const before = JSON.parse((await ktAsync(['runs', 'list', '--db', db, '--json'])).stdout) as unknown[]
      const r = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--name', 'keyless', '--db', db], {env: {OPENAI_API_KEY: undefined, OPENAI_BASE_URL: `${up.url}/v1`}})
      assert.equal(r.code, 1)
      assert.match(r.stderr, /environment variable OPENAI_API_KEY is not set/)
      assert.equal(up.callCount(), 0)
      const after = JSON.parse((await ktAsync(['runs', 'list', '--db', db, '--json'])).stdout) as unknown[]
      assert.equal(after.length, before.length, 'no run is left behind')
    })

    test('run names are unique: a second --name is refused and says which run has it', async () => {
      up.reset()
      const first = await ktAsync(['replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--limit', '2', '--name', 'once', '--db', db, '--json'])
      assert.equal(first.code, 0, first.stderr)
      const id = (JSON.parse(first.stdout) as {run_id: string}).run_id
      const again = await ktAsync(['replay', '--candidate', `openai-compatible:m@${up.url}/v1`, '--limit', '2', '--name', 'once', '--db', db])
      assert.equal(again.code, 2)
      assert.match(again.stderr, new RegExp(`a run named "once" already exists \\(${id}\\)`))
    })
  })

  test('every command explains itself: --help with a description and examples', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    const ids = Object.keys(manifest.commands)
    assert.ok(ids.length >= 12, `commands: ${ids.join(', ')}`)
    for (const id of ids) {
      const r = kt([...id.split(':'), '--help'])
      assert.equal(r.code, 0, `${id}: ${r.stderr}`)
      assert.match(r.stdout, /USAGE/, id)
      assert.match(r.stdout, /EXAMPLES/, `${id} has examples`)
    }
  })
})
