// The weighted A/B tutorial (product docs, seed 001), every step as written, against a `kt gateway run` child
// process in front of local fake upstreams: lint, start-up lines, the curl loop, the routing distribution and cost per
// model through `kt events tail | jq`, changing the weights with `kt config reload`, graduating the winner; then the
// official SDKs through the same gateway, and SIGTERM under load losing no event.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import {BIN, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {daemon, post, readEvents, seedConfig, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'

let up: FakeUpstream
let dir: string
let shell: Awaited<ReturnType<typeof tutorialShell>>
let gateway: Daemon

const weights = (a: number | null, b: number) => (d: Record<string, unknown>) => {
  const targets = (d.model_groups as {targets: {weight: number}[]}[])[0]!.targets
  if (a === null) targets.splice(0, 1)
  else targets[0]!.weight = a
  targets[targets.length - 1]!.weight = b
  return d
}

before(async () => {
  up = await startFakeUpstream({delayMs: 2})
  dir = tempDir('kt-tutorial-ab-')
  shell = await tutorialShell(dir)
  seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir)
})

after(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM')
    await gateway.exited
  }
  await up.close()
})

const N = () => String(shell.port)

describe('tutorial: A/B testing with weighted model groups', () => {
  test('step 3: kt policy lint, then kt gateway run prints the documented lines', async () => {
    const lint = await shell.run('kt policy lint --file policy-config.yaml')
    assert.equal(lint.code, 0, lint.stderr)
    const lines = lint.stdout.split('\n')
    assert.equal(lines[0], '✓ Configuration is valid')
    assert.equal(lines[1], 'Providers: 2 (openai, anthropic)')
    assert.match(lines[2]!, /^Model groups: 1 \(quality-ab-test/)
    assert.ok(lines.includes('Policies: 1 (basic-filter)'))

    gateway = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', 'policy-config.yaml', '--port', N()], {env: shell.env, cwd: dir})
    await gateway.waitFor('Gateway ready')
    const err = gateway.stderr()
    assert.match(err, new RegExp(`^INFO kt::gateway Starting gateway on 127\\.0\\.0\\.1:${N()}$`, 'm'))
    assert.match(err, /^INFO kt::gateway Loaded 2 provider\(s\), 1 model group\(s\), 1 policy\(ies\)$/m)
    assert.match(err, /^INFO kt::gateway Model group "quality-ab-test": gpt-4o \(70%\) \/ claude-sonnet-4-20250514 \(30%\)$/m)
    assert.match(err, /^INFO kt::gateway Gateway ready$/m)
    assert.equal(gateway.stdout(), '')
  })

  test('steps 4–6: the curl loop, the distribution and the cost per model through kt events tail | jq', async () => {
    const loop = await shell.run(`for i in $(seq 1 20); do
curl -s http://localhost:${N()}/v1/chat/completions \\
-H "Content-Type: application/json" \\
-d '{
"model": "quality-ab-test",
"messages": [
{"role": "user", "content": "Explain the principle of least privilege in two sentences."}
]
}' | jq '{model: .model, tokens: .usage.total_tokens}'
echo "---"
done`)
    assert.equal(loop.code, 0, loop.stderr)
    const answers = loop.stdout.split('---\n').filter((s) => s.trim()).map((s) => JSON.parse(s) as {model: string; tokens: number})
    assert.equal(answers.length, 20)
    const byModel: Record<string, number> = {}
    for (const a of answers) {
      assert.ok(['gpt-4o', 'claude-sonnet-4-20250514'].includes(a.model), a.model)
      assert.ok(a.tokens > 0)
      byModel[a.model] = (byModel[a.model] ?? 0) + 1
    }
    await waitFor(() => readEvents(shell.dbPath).length >= 20, 'the 20 events')

    const dist = await shell.run("kt events tail --last 20 --format json | jq -r '.model' | sort | uniq -c | sort -rn")
    assert.equal(dist.code, 0, dist.stderr)
    const counted = Object.fromEntries(dist.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([n, m]) => [m!, Number(n)]))
    assert.deepEqual(counted, byModel, 'the events say what the answers said')

    const cost = await shell.run(`kt events tail --last 20 --format json | jq -s '
group_by(.model) | map({
model: .[0].model,
requests: length,
total_tokens: (map(.usage.total_tokens) | add),
avg_latency_ms: (map(.latency_ms) | add / length | floor)
})
'`)
    assert.equal(cost.code, 0, cost.stderr)
    const rows = JSON.parse(cost.stdout) as {model: string; requests: number; total_tokens: number; avg_latency_ms: number}[]
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.model, r.requests])), byModel)
    const tokens: Record<string, number> = {}
    for (const a of answers) tokens[a.model] = (tokens[a.model] ?? 0) + a.tokens
    for (const r of rows) {
      assert.equal(r.total_tokens, tokens[r.model])
      assert.ok(Number.isInteger(r.avg_latency_ms) && r.avg_latency_ms >= 0)
    }
  })

  test('step 7: new weights, kt config reload prints them, no restart', async () => {
    seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, weights(50, 50))
    const r = await shell.run('kt config reload')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '✓ Configuration reloaded\nModel group "quality-ab-test": gpt-4o (50%) / claude-sonnet-4-20250514 (50%)\n')
    await gateway.waitFor(/Model group "quality-ab-test": gpt-4o \(50%\)/)
    assert.equal(gateway.child.exitCode, null, 'the same process keeps serving')
    // SIGHUP does the same reload.
    gateway.child.kill('SIGHUP')
    await waitFor(() => (gateway.stderr().match(/INFO kt::gateway Configuration reloaded/g) ?? []).length === 2, 'the reload on SIGHUP')
    const serve = await shell.run('kt serve --help')
    assert.equal(serve.code, 0)
    assert.match(serve.stdout, /kt gateway run|kt serve/)
  })

  test('step 8: graduate the winner; every new request routes to it', async () => {
    seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, weights(null, 100))
    const r = await shell.run('kt config reload')
    assert.equal(r.stdout, '✓ Configuration reloaded\nModel group "quality-ab-test": claude-sonnet-4-20250514 (100%)\n')
    const before = readEvents(shell.dbPath).length
    for (let i = 0; i < 5; i++) {
      const a = await post(`http://localhost:${N()}`, '/v1/chat/completions', {model: 'quality-ab-test', messages: [{role: 'user', content: `after graduation ${i}`}]})
      assert.equal(a.headers['x-kt-target'], 'anthropic')
    }
    await waitFor(() => readEvents(shell.dbPath).length >= before + 5, 'five more events')
    const tail = await shell.run('kt events tail --last 5')
    assert.equal(tail.code, 0, tail.stderr)
    assert.equal(tail.stdout.match(/claude-sonnet-4-20250514/g)?.length, 5)
    assert.doesNotMatch(tail.stdout, /gpt-4o/)
    const bad = await shell.run('echo "model_groups: [" > policy-config.yaml && kt config reload')
    assert.equal(bad.code, 1)
    assert.match(bad.stdout, /^✗ Configuration not reloaded: the previous configuration keeps serving\n {2}\(root\): YAML syntax error/)
    assert.equal((await post(`http://localhost:${N()}`, '/v1/chat/completions', {model: 'quality-ab-test', messages: [{role: 'user', content: 'still'}]})).status, 200)
  })

  test('the official SDKs through the running gateway, plain and streamed', async () => {
    const openai = new OpenAI({apiKey: 'unused-by-the-gateway', baseURL: `http://localhost:${N()}/v1`, maxRetries: 0})
    const c = await openai.chat.completions.create({model: 'quality-ab-test', messages: [{role: 'user', content: 'sdk'}]})
    assert.equal(c.model, 'claude-sonnet-4-20250514')
    let text = ''
    for await (const chunk of await openai.chat.completions.create({model: 'gpt-4o', stream: true, messages: [{role: 'user', content: 'sdk stream'}]})) text += chunk.choices[0]?.delta?.content ?? ''
    assert.match(text, /^Fake answer [0-9a-f]{12}\. You wrote 10 characters: sdk stream$/)
    const anthropic = new Anthropic({apiKey: 'unused', baseURL: `http://localhost:${N()}`, maxRetries: 0})
    const m = await anthropic.messages.stream({model: 'quality-ab-test', max_tokens: 100, messages: [{role: 'user', content: 'sdk'}]}).finalMessage()
    assert.equal(m.model, 'claude-sonnet-4-20250514')
  })

  test('SIGTERM under load: exits 0 and every answered request has its event', async () => {
    const answered: string[] = []
    let running = true
    const loops = Array.from({length: 12}, async (_, w) => {
      for (let i = 0; running; i++) {
        try {
          const r = await post(`http://127.0.0.1:${N()}`, '/v1/chat/completions', {model: 'gpt-4o', stream: i % 2 === 0, messages: [{role: 'user', content: `load ${w}-${i}`}]}, {}, false)
          if (r.status === 200) answered.push(r.headers['x-kt-event-id'] as string)
        } catch {
          // Refused once the gateway stopped listening: expected.
        }
      }
    })
    while (answered.length < 150) await new Promise((r) => setTimeout(r, 5))
    gateway.child.kill('SIGTERM')
    const code = await gateway.exited
    running = false
    await Promise.all(loops)
    assert.equal(code, 0, gateway.stderr().slice(-800))
    assert.match(gateway.stderr(), /INFO kt::gateway SIGTERM: draining/)
    const stored = new Set(readEvents(shell.dbPath).map((e) => e.id))
    const missing = answered.filter((id) => !stored.has(id))
    assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no event`)
    const reload = await shell.run('kt config reload')
    assert.equal(reload.code, 1)
    assert.match(reload.stderr, /no running gateway found for database/, 'the state file went away with the gateway')
  })
})
