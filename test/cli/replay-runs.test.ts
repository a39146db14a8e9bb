// Runs tell the truth: a run whose calls mostly failed says so and exits non-zero; --resume continues the plan
// as it was (only limits may change) with secrets rebuilt from the config and environment; read-only commands
// never create a database.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {spawn} from 'node:child_process'
import {BIN, ktAsync, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function pairs(n: number): string {
  return Array.from({length: n}, (_, i) =>
    JSON.stringify({
      timestamp: new Date(Date.UTC(2026, 10, 2, 0, 0, i)).toISOString(),
      request: {model: 'gpt-4o-mini', max_tokens: 50, messages: [{role: 'user', content: `Which plan includes feature ${i}?`}]},
      response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1762041600 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Feature ${i} is in Pro.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 12, completion_tokens: 6, total_tokens: 18}},
      latency_ms: 300,
    }),
  ).join('\n') + '\n'
}

/** A port on 127.0.0.1 with nothing listening: connections are refused. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
  const port = (srv.address() as {port: number}).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

describe('kt replay: how runs end and resume', () => {
  let up: FakeUpstream
  let dir = ''
  let db = ''
  before(async () => {
    up = await startFakeUpstream()
    dir = tempDir('kt-runs-')
    db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'prod.jsonl'), pairs(12))
    const r = await ktAsync(['import', join(dir, 'prod.jsonl'), '--db', db])
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await up.close()
  })

  test('every candidate call refused: the run says so on stderr and in --json, and exits 1', async () => {
    const port = await closedPort()
    const r = await ktAsync(['replay', '--candidate', `openai-compatible:m@http://127.0.0.1:${port}/v1`, '--retries', '0', '--db', db, '--json'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /candidate: 12 of 12 calls failed \(100\.0%\)/)
    const out = JSON.parse(r.stdout) as {status: string; alarms: {arm: string; error_rate: number}[]}
    assert.equal(out.status, 'completed')
    assert.deepEqual(out.alarms.map((a) => [a.arm, a.error_rate]), [['candidate', 1]])
  })

  test('--resume rejects flags that would change the plan, and names them', async () => {
    const r = await ktAsync(['replay', '--resume', 'last', '--candidate', 'simulated:terse', '--sample', '3', '--db', db])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--candidate, --sample cannot change/)
  })

  test('a run stopped by --max-cost continues with a higher --max-cost on resume', async () => {
    up.reset()
    // gpt-4o-mini at 12 input + 50 output tokens is about $0.00003 a call: a $0.0001 budget stops after a few.
    const first = await ktAsync(['replay', '--candidate', `openai-compatible:gpt-4o-mini@${up.url}/v1`, '--max-cost', '0.0001', '--concurrency', '1', '--name', 'budget', '--db', db], {env: {OPENAI_API_KEY: 'sk-test'}})
    assert.equal(first.code, 1, first.stderr)
    assert.match(first.stderr, /stopped at the --max-cost limit/)
    const sent = up.callCount('/v1/chat/completions')
    assert.ok(sent > 0 && sent < 12, `sent ${sent}`)
    const again = await ktAsync(['replay', '--resume', 'budget', '--max-cost', '1', '--db', db, '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal((JSON.parse(again.stdout) as {status: string}).status, 'completed')
    assert.equal(up.callCount('/v1/chat/completions'), 12, 'only what had no result was sent')
    const show = JSON.parse((await ktAsync(['runs', 'show', 'budget', '--db', db, '--json'])).stdout) as {settings: {maxCost: number}}
    assert.equal(show.settings.maxCost, 1, 'the new limit is what the run now uses')
  })

  test('secret headers reach the upstream on fresh and resumed runs, and never the database', async () => {
    up.reset()
    const config = join(dir, 'policy-config.yaml')
    writeFileSync(
      config,
      `providers:\n  targets:\n    - id: cand\n      provider: openai-compatible\n      model: gpt-4o-mini\n      base_url: ${up.url}/v1\n      headers:\n        X-Api-Key: hdr-secret-4242\n        X-Team: evals\n`,
    )
    // A tiny budget stops the run after a call or two; the resume sends the rest.
    const fresh = await ktAsync(['replay', '--candidate', 'cand', '--limit', '6', '--concurrency', '1', '--max-cost', '0.00004', '--name', 'headers', '--policy-config', config, '--db', db])
    assert.equal(fresh.code, 1, fresh.stderr)
    const before = up.callCount('/v1/chat/completions')
    assert.ok(before > 0 && before < 6, `sent ${before}`)
    // A resumed run rebuilds its targets from the config: the header is the real one again, not "[redacted]".
    const resumed = await ktAsync(['replay', '--resume', 'headers', '--max-cost', '1', '--policy-config', config, '--db', db])
    assert.equal(resumed.code, 0, resumed.stderr)
    const sent = up.calls.filter((c) => c.path === '/v1/chat/completions')
    assert.equal(sent.length, 6)
    assert.deepEqual(sent.map((c) => c.headers['x-api-key']), Array(6).fill('hdr-secret-4242'))
    assert.deepEqual(sent.map((c) => c.headers['x-team']), Array(6).fill('evals'))
    for (const f of [db, `${db}-wal`]) if (existsSync(f)) assert.ok(!readFileSync(f).includes('hdr-secret-4242'), `${f} holds the header value`)
  })

  test('Retry-After past the wait cap fails the request at once, saying what the server asked', async () => {
    const slow = await startFakeUpstream({faults: () => ({type: 'http', status: 429, retry_after: 99999})})
    try {
      const r = await ktAsync(['replay', '--candidate', `openai-compatible:m@${slow.url}/v1`, '--limit', '2', '--retries', '5', '--db', db, '--json'])
      assert.equal(r.code, 1, r.stderr)
      assert.equal(slow.callCount('/v1/chat/completions'), 2, 'one attempt each: no retry is worth a 28-hour wait')
      assert.match(r.stderr, /the server asked to retry after 99999 s, longer than kt waits \(60 s; KT_MAX_RETRY_WAIT_MS\)/)
    } finally {
      await slow.close()
    }
  })

  test('SIGTERM ends a Retry-After wait: the run stops as interrupted and the request is left for the resume', async () => {
    const waiting = await startFakeUpstream({faults: (i) => (i === 0 ? {type: 'http', status: 503, retry_after: 600} : null)})
    try {
      const env = {...process.env, KT_NO_PROGRESS: '1', KT_MAX_RETRY_WAIT_MS: '3600000'}
      const child = spawn(process.execPath, [BIN, 'replay', '--candidate', `openai-compatible:m@${waiting.url}/v1`, '--limit', '1', '--name', 'waits', '--db', db], {env})
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      while (waiting.callCount('/v1/chat/completions') < 1) await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 200))
      child.kill('SIGTERM')
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
      assert.equal(code, 130, stderr)
      assert.match(stderr, /resume with: kt replay --resume run_/)
      const show = JSON.parse((await ktAsync(['runs', 'show', 'waits', '--db', db, '--json'])).stdout) as {status: string; results_done: number}
      assert.equal(show.status, 'interrupted')
      assert.equal(show.results_done, 1, 'only the recorded primary: the waiting request has no result')
      const resumed = await ktAsync(['replay', '--resume', 'waits', '--db', db])
      assert.equal(resumed.code, 0, resumed.stderr)
      assert.equal(waiting.callCount('/v1/chat/completions'), 2)
    } finally {
      await waiting.close()
    }
  })

  test('read-only commands never create a database', async () => {
    const missing = join(dir, 'nope', 'missing.db')
    for (const args of [['gate', 'last'], ['report', 'last'], ['events', 'list'], ['runs', 'list']]) {
      const r = await ktAsync([...args, '--db', missing])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /no kt database at .*missing\.db; import logs first/)
      assert.ok(!existsSync(missing), `${args.join(' ')} created the file`)
    }
  })
})
