// kt replay --via batch as a user runs it, against a local fake of the OpenAI Files + Batches and Anthropic Message
// Batches endpoints (reached through the official SDKs via OPENAI_BASE_URL / ANTHROPIC_BASE_URL): --detach and
// kt runs wait, kill -9 after the upload, Ctrl-C during the wait, kt runs cancel then --resume, a live primary with a
// batched candidate and both batched, and reports and gates on a batched run.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {BIN, ktAsync, tempDir} from '../support/cli.js'
import {startFakeBatch, type FakeBatch, type FakeBatchOptions} from '../support/fake-batch.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

function logs(n: number): string {
  return (
    Array.from({length: n}, (_, i) =>
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 10, 3, 0, 0, i)).toISOString(),
        request: {model: 'gpt-4o-mini', max_tokens: 60, messages: [{role: 'user', content: `Which plan includes feature ${i}? Answer in one line.`}]},
        response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1762128000 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Feature ${i} is in the Pro plan.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 14, completion_tokens: 9, total_tokens: 23}},
        latency_ms: 300 + i,
      }),
    ).join('\n') + '\n'
  )
}

interface RunJson {
  run_id: string
  status: string
  next: string | null
  batch_arms: string[]
  batches: {submitted: number; requests: number; running: number} | null
  arms: {arm: string; requests: number; errors: number; latency_p50_ms: number | null}[]
  exit_code: number
}

/** Spawns kt and resolves once stderr has matched `pattern` `times` times. */
function spawnUntil(args: string[], env: Record<string, string>, pattern: RegExp, times = 1): {child: ReturnType<typeof spawn>; ready: Promise<void>; stderr: () => string; exited: Promise<number | null>} {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, KT_NO_PROGRESS: '1', ...env}})
  let stderr = ''
  let resolveReady: () => void
  const ready = new Promise<void>((r) => (resolveReady = r))
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
    if ((stderr.match(new RegExp(pattern.source, 'g')) ?? []).length >= times) resolveReady()
  })
  child.stdout!.resume()
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return {child, ready, stderr: () => stderr, exited}
}

describe('kt replay --via batch, kt runs wait, kt runs cancel', () => {
  let fake: FakeBatch
  let up: FakeUpstream
  let dir = ''
  let db = ''
  let env: Record<string, string> = {}
  const restart = async (opts: FakeBatchOptions = {}) => {
    await fake?.close()
    fake = await startFakeBatch(opts)
    env = {OPENAI_API_KEY: 'sk-test-batch', ANTHROPIC_API_KEY: 'sk-ant-test-batch', OPENAI_BASE_URL: `${fake.url}/v1`, ANTHROPIC_BASE_URL: fake.url, KT_BATCH_POLL_MS: '20', KT_BATCH_POLL_MAX_MS: '50'}
  }
  before(async () => {
    up = await startFakeUpstream()
    dir = tempDir('kt-cli-batch-')
    db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'prod.jsonl'), logs(12))
    const r = await ktAsync(['import', join(dir, 'prod.jsonl'), '--db', db])
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await up.close()
    await fake?.close()
  })

  test('refused before anything is stored or sent: a simulated batch target, --detach without a batch, a latency gate on a batched arm', async () => {
    await restart()
    const sim = await ktAsync(['replay', '--candidate', 'simulated:terse', '--via', 'batch', '--db', db], {env})
    assert.equal(sim.code, 2)
    assert.match(sim.stderr, /is simulated: --via batch needs a provider with a Batch API/)
    const detach = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--detach', '--db', db], {env})
    assert.equal(detach.code, 2)
    assert.match(detach.stderr, /--detach returns while batches run: it needs a batched arm/)
    const gate = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--gate', 'latency.p95 <= 1.2x', '--db', db], {env})
    assert.equal(gate.code, 2)
    assert.match(gate.stderr, /gate "latency\.p95 <= 1\.2x": the candidate arm was answered through a Batch API/)
    assert.equal(fake.batches.length + fake.uploads.files, 0, 'nothing was sent')
    const runs = JSON.parse((await ktAsync(['runs', 'list', '--db', db, '--json'])).stdout) as unknown[]
    assert.equal(runs.length, 0, 'no run was left behind')
  })

  test('--dry-run shows the batch price next to the live price; pricing: batch_discount overrides the shipped 50%', async () => {
    await restart()
    const config = join(dir, 'pricing.yaml')
    writeFileSync(config, 'pricing:\n  gpt-4o-mini:\n    input_per_mtok: 1\n    output_per_mtok: 2\n    batch_discount: 0.2\n')
    const shipped = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--dry-run', '--db', db], {env})
    assert.equal(shipped.code, 0, shipped.stderr)
    assert.match(shipped.stdout, /via.*est\. cost.*live price/)
    assert.match(shipped.stdout, /candidate.*batch/)
    const json = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--dry-run', '--json', '--policy-config', config, '--db', db], {env})
    const arm = (JSON.parse(json.stdout) as {arms: {arm: string; via: string; cost_usd: number; live_cost_usd: number}[]}).arms[0]!
    assert.equal(arm.via, 'batch')
    assert.ok(Math.abs(arm.cost_usd - arm.live_cost_usd * 0.8) < 1e-12, `${arm.cost_usd} vs ${arm.live_cost_usd}`)
    const def = (JSON.parse((await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--dry-run', '--json', '--db', db], {env})).stdout) as {arms: {cost_usd: number; live_cost_usd: number}[]}).arms[0]!
    assert.ok(Math.abs(def.cost_usd - def.live_cost_usd * 0.5) < 1e-12)
    assert.equal(fake.batches.length, 0)
  })

  test('--detach returns at once with the command that collects; kt runs wait stores every answer; report and gate work on the batched run', async () => {
    await restart({polls: {in_progress: 3}})
    const r = await ktAsync(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--detach', '--name', 'detached', '--db', db, '--json'], {env: {...env, KT_BATCH_MAX_REQUESTS: '5'}})
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as RunJson
    assert.equal(out.status, 'waiting')
    assert.equal(out.next, `kt runs wait ${out.run_id} --db ${db}`)
    assert.match(r.stderr, new RegExp(`collect the answers with: kt runs wait ${out.run_id}`))
    assert.equal(out.batches!.submitted, 3, '12 requests at 5 per batch')
    assert.ok(fake.batches.every((b) => b.state === 'validating'), 'returned before any poll')
    const show = JSON.parse((await ktAsync(['runs', 'show', 'detached', '--db', db, '--json'])).stdout) as {status: string; batches: {batch_id: string; state: string; requests: number}[]}
    assert.equal(show.status, 'waiting')
    assert.deepEqual(show.batches.map((b) => b.requests), [5, 5, 2])
    const wait = await ktAsync(['runs', 'wait', 'detached', '--db', db, '--json'], {env})
    assert.equal(wait.code, 0, wait.stderr)
    const done = JSON.parse(wait.stdout) as RunJson
    assert.equal(done.status, 'completed')
    assert.equal(done.next, null)
    const cand = done.arms.find((a) => a.arm === 'candidate')!
    assert.deepEqual([cand.requests, cand.errors, cand.latency_p50_ms], [12, 0, null])
    assert.deepEqual(done.batch_arms, ['candidate'])
    assert.equal(fake.batches.length, 3, 'kt runs wait submits nothing')
    // A report and a gate work on it, and say latency is not measured for the batched arm.
    const report = await ktAsync(['report', 'detached', '--format', 'json', '--db', db])
    assert.equal(report.code, 0, report.stderr)
    const model = JSON.parse(report.stdout) as {warnings: string[]; gates: {rule: string}[]; arms: {arm: string; n: number}[]}
    assert.ok(model.warnings.some((w) => /candidate arm was answered through a Batch API; batched calls have no latency/.test(w)), model.warnings.join('\n'))
    assert.ok(model.warnings.some((w) => /default gates "latency\.p50 <= 1\.2x", "latency\.p95 <= 1\.2x" left out: a batched arm has no latency/.test(w)), model.warnings.join("\n"))
    assert.ok(!model.gates.some((g) => g.rule.startsWith('latency')))
    assert.deepEqual(model.arms.map((a) => a.n), [12, 12])
    const gate = await ktAsync(['gate', 'detached', '--db', db])
    assert.ok(gate.code === 0 || gate.code === 1 || gate.code === 3, gate.stderr)
    assert.match(gate.stdout, /error_rate <= primary\+0\.01/)
    assert.doesNotMatch(gate.stdout, /latency/)
    const latency = await ktAsync(['gate', 'detached', '--gate', 'ttft.p95 <= 1.5x', '--db', db])
    assert.equal(latency.code, 2)
    assert.match(latency.stderr, /gate "ttft\.p95 <= 1\.5x": the candidate arm was answered through a Batch API.*latency and ttft gates cannot judge it/)
  })

  test('kill -9 after the upload: kt runs wait collects the stored batches and submits nothing again', async () => {
    await restart({polls: {in_progress: 1_000_000}})
    const p = spawnUntil(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--name', 'killed', '--db', db], {...env, KT_BATCH_MAX_REQUESTS: '6'}, /submitted batch/, 2)
    await p.ready
    p.child.kill('SIGKILL')
    await p.exited
    assert.equal(fake.batches.length, 2)
    const uploaded = {...fake.uploads}
    fake.finishAll()
    const wait = await ktAsync(['runs', 'wait', 'killed', '--db', db, '--json'], {env})
    assert.equal(wait.code, 0, wait.stderr)
    const out = JSON.parse(wait.stdout) as RunJson
    assert.equal(out.status, 'completed')
    assert.equal(out.arms.find((a) => a.arm === 'candidate')!.requests, 12)
    assert.equal(fake.batches.length, 2, 'no batch created again')
    assert.deepEqual(fake.uploads, uploaded, 'no file uploaded again')
  })

  test('Ctrl-C (SIGTERM) stops the wait, leaves the batches running and prints kt runs wait; cancel then --resume sends only what never ran', async () => {
    await restart({polls: {in_progress: 1_000_000}})
    const p = spawnUntil(['replay', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--name', 'stopped', '--db', db], env, /submitted batch/)
    await p.ready
    await new Promise((r) => setTimeout(r, 100))
    p.child.kill('SIGTERM')
    assert.equal(await p.exited, 130, p.stderr())
    assert.match(p.stderr(), /stopping the wait: the batches keep running at the provider/)
    assert.match(p.stderr(), /collect them with: kt runs wait run_\w+ --db/)
    assert.equal(fake.batches[0]!.state, 'in_progress')
    assert.equal(fake.cancels, 0)
    const cancel = await ktAsync(['runs', 'cancel', 'stopped', '--db', db], {env})
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.match(cancel.stdout, new RegExp(`${fake.batches[0]!.id}\\s+cancelling`))
    assert.match(cancel.stderr, /store what they finished with: kt runs wait/)
    // What finished before the cancel is stored; the rest has no answer and the run says how to send it again.
    const wait = await ktAsync(['runs', 'wait', 'stopped', '--db', db, '--json'], {env})
    assert.equal(wait.code, 1, wait.stderr)
    assert.equal((JSON.parse(wait.stdout) as RunJson).status, 'interrupted')
    assert.match(wait.stderr, /6 answers missing .*send them again with: kt replay --resume run_\w+/)
    await restart()
    const resumed = await ktAsync(['replay', '--resume', 'stopped', '--db', db, '--json'], {env})
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal((JSON.parse(resumed.stdout) as RunJson).status, 'completed')
    assert.equal(fake.batches.length, 1)
    assert.equal(fake.batches[0]!.lines.length, 6, 'only what never ran is sent again')
  })

  test('a live primary with a batched Anthropic candidate, and both arms batched with an A/A repeat', async () => {
    await restart()
    const mixed = await ktAsync(['replay', '--primary', `openai-compatible:gpt-4o-mini@${up.url}/v1`, '--candidate', 'anthropic:claude-3-5-haiku-20241022', '--via', 'batch', '--db', db, '--json'], {env})
    assert.equal(mixed.code, 0, mixed.stderr)
    const m = JSON.parse(mixed.stdout) as RunJson
    assert.equal(m.status, 'completed')
    const byArm = Object.fromEntries(m.arms.map((a) => [a.arm, a]))
    assert.equal(byArm.primary!.requests, 12)
    assert.ok(byArm.primary!.latency_p50_ms !== null, 'the live arm has latency')
    assert.equal(byArm.candidate!.latency_p50_ms, null)
    assert.equal(fake.batches.length, 1)
    assert.equal(fake.batches[0]!.kind, 'anthropic')
    await restart()
    const both = await ktAsync(['replay', '--primary', 'openai:gpt-4o', '--candidate', 'openai:gpt-4o-mini', '--via', 'batch', '--via-primary', 'batch', '--aa', '0.5', '--db', db, '--json'], {env})
    assert.equal(both.code, 0, both.stderr)
    const b = JSON.parse(both.stdout) as RunJson
    assert.deepEqual(b.batch_arms.sort(), ['candidate', 'primary', 'primary_aa'])
    assert.deepEqual(b.arms.map((a) => a.arm).sort(), ['candidate', 'primary', 'primary_aa'])
    assert.equal(fake.batches.length, 3, 'one batch per arm (each model in its own batch)')
    const models = fake.batches.map((x) => (JSON.parse(x.lines[0]!.text) as {body: {model: string}}).body.model).sort()
    assert.deepEqual(models, ['gpt-4o', 'gpt-4o', 'gpt-4o-mini'])
  })
})
