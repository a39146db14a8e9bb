// The gateway steps of the ML engineer guide (seed 003) and the A/B testing use case (seed 000), as written, against
// `kt gateway run` child processes and local fake upstreams: traffic_split variants measured through the events API
// with the guide's jq programs, model inventory and cost by model, a blocked deprecated model, kt doctor finding the
// gateway, kt export create; mirroring to a candidate with the quality scorer, shadow events, the quality export;
// and gateway events replayed by `kt replay --dataset gateway`.
import assert from 'node:assert/strict'
import {copyFileSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {BIN, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {daemon, readEvents, seedConfig, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'

let up: FakeUpstream
const daemons: Daemon[] = []

before(async () => {
  // gpt-4o-mini refuses when asked to: its answers then fail the quality scorer.
  up = await startFakeUpstream({delayMs: 2, answer: (body) => (body.model === 'gpt-4o-mini' && JSON.stringify(body).includes('decline') ? "I'm sorry, but I can't help with that." : undefined)})
})

after(async () => {
  for (const d of daemons) {
    if (d.child.exitCode === null) {
      d.child.kill('SIGTERM')
      await d.exited
    }
  }
  await up.close()
})

function startGateway(shell: Awaited<ReturnType<typeof tutorialShell>>, dir: string, args: string[]): Daemon {
  const d = daemon(process.execPath, [BIN, 'gateway', 'run', ...args], {env: shell.env, cwd: dir})
  daemons.push(d)
  return d
}

describe('guide: model routing and A/B testing (ML engineers)', () => {
  let dir: string
  let shell: Awaited<ReturnType<typeof tutorialShell>>
  const TOKEN = 'guide-api-token-0123456789'

  before(async () => {
    dir = tempDir('kt-guide-')
    shell = await tutorialShell(dir)
    shell.env.API_TOKEN = TOKEN
    shell.env.KT_GATEWAY_TOKEN = TOKEN
    seedConfig('traffic-split.yaml', {openai: up.url, anthropic: up.url}, dir, undefined, 'routing-policy.yaml')
    copyFileSync(join(dir, 'routing-policy.yaml'), join(dir, 'ab-test-phase-2.yaml'))
  })

  test('validate, deploy with --listen, send traffic, measure the variants through the events API', async () => {
    const lint = await shell.run('kt policy lint --file ab-test-phase-2.yaml')
    assert.equal(lint.code, 0, lint.stderr)
    const gw = startGateway(shell, dir, ['--listen', `127.0.0.1:${shell.port}`, '--policy-config', 'routing-policy.yaml'])
    await gw.waitFor('Gateway ready')
    assert.match(gw.stderr(), /Traffic split "ab-test-models": gpt-4o \[variant-a\] \(50%\) \/ claude-sonnet-4-20250514 \[variant-b\] \(50%\)/)
    const send = await shell.run(`for i in $(seq 1 16); do curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:${shell.port}/v1/chat/completions -H "Authorization: Bearer $API_TOKEN" -H "Content-Type: application/json" -d "{\\"model\\":\\"gpt-4o\\",\\"user\\":\\"user-$i\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"question $i\\"}]}"; done`)
    assert.deepEqual(send.stdout.trim().split('\n'), Array(16).fill('200'))
    await waitFor(() => readEvents(shell.dbPath).length === 16, '16 events')

    const ab = await shell.run(`curl -H "Authorization: Bearer $API_TOKEN" \\
"http://127.0.0.1:${shell.port}/v1/events?since=7d&format=json" | \\
jq '[.[] | select(.metadata.ab_tag != null)] |
group_by(.metadata.ab_tag) |
map({
variant: .[0].metadata.ab_tag,
count: length,
avg_latency: (map(.latency_ms) | add / length),
avg_cost: (map(.cost | tonumber) | add / length),
total_cost: (map(.cost | tonumber) | add)
})'`)
    assert.equal(ab.code, 0, ab.stderr)
    const variants = JSON.parse(ab.stdout) as {variant: string; count: number; avg_latency: number; avg_cost: number; total_cost: number}[]
    const events = readEvents(shell.dbPath)
    const expected = (tag: string) => events.filter((e) => e.metadata.ab_tag === tag).length
    for (const v of variants) {
      assert.ok(['variant-a', 'variant-b'].includes(v.variant))
      assert.equal(v.count, expected(v.variant))
      assert.ok(v.avg_latency > 0 && v.avg_cost > 0 && v.total_cost > 0)
    }
    assert.equal(variants.reduce((n, v) => n + v.count, 0), 16)

    const inventory = await shell.run(`curl -s -H "Authorization: Bearer $API_TOKEN" "http://127.0.0.1:${shell.port}/v1/events?since=30d&format=json" | jq '[.[].model] | unique'`)
    assert.deepEqual(JSON.parse(inventory.stdout), [...new Set(events.map((e) => e.model!))].sort())
    const cost = await shell.run(`curl -s -H "Authorization: Bearer $API_TOKEN" \\
"http://127.0.0.1:${shell.port}/v1/events?since=30d&format=json" | \\
jq 'group_by(.model) | map({
model: .[0].model,
requests: length,
total_cost: (map(.cost | tonumber) | add),
avg_tokens: (map(.input_tokens + .output_tokens) | add / length)
}) | sort_by(-.total_cost)'`)
    const rows = JSON.parse(cost.stdout) as {model: string; requests: number; total_cost: number; avg_tokens: number}[]
    assert.equal(rows.reduce((n, r) => n + r.requests, 0), 16)
    assert.ok(rows.every((r) => r.total_cost > 0 && r.avg_tokens > 0))
    const denied = await shell.run(`curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${shell.port}/v1/events?since=7d"`)
    assert.equal(denied.stdout, '401')
  })

  test('monitor: events list, tail by model, kt export create, kt doctor finds the gateway', async () => {
    const table = await shell.run('kt events list --since 1h --format table')
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /gw_/)
    const tail = await shell.run('kt events tail --model gpt-4o')
    assert.equal(tail.code, 0)
    const exp = await shell.run('kt export create --type events --format json --since 7d --description "Model quality evaluation dataset"')
    assert.equal(exp.code, 0, exp.stderr)
    assert.equal((JSON.parse(exp.stdout) as unknown[]).length, 16)
    assert.match(exp.stderr, /exported 16 events .*Model quality evaluation dataset/)
    const doctor = await shell.run('kt doctor --json')
    const gateway = (JSON.parse(doctor.stdout) as {check: string; status: string; detail: string}[]).find((c) => c.check === 'gateway')!
    assert.equal(gateway.status, 'ok', gateway.detail)
    assert.match(gateway.detail, new RegExp(`running at http://127\\.0\\.0\\.1:${shell.port}/healthz`))
  })

  test('deprecation: a blocked model is refused with 403 naming the policy; kt doctor says how to start a gateway', async () => {
    const d = tempDir('kt-guide-block-')
    const s = await tutorialShell(d)
    seedConfig('model-filter.yaml', {openai: up.url, anthropic: up.url}, d)
    const none = await s.run('kt doctor --json')
    const check = (JSON.parse(none.stdout) as {check: string; status: string; fix: string}[]).find((c) => c.check === 'gateway')!
    assert.equal(check.status, 'warn')
    assert.match(check.fix, /start one: kt gateway run --policy-config FILE --port 41002/)
    const gw = startGateway(s, d, ['--policy-config', 'policy-config.yaml', '--port', String(s.port)])
    await gw.waitFor('Gateway ready')
    const r = await s.run(`curl -s -w '\\n%{http_code}' http://localhost:${s.port}/v1/chat/completions -H "Content-Type: application/json" -d '{"model": "gpt-4-turbo", "messages": [{"role": "user", "content": "hi"}]}'`)
    const [body, status] = r.stdout.split('\n')
    assert.equal(status, '403')
    assert.match(JSON.parse(body!).error.message, /"gpt-4-turbo" is blocked by policy "block-deprecated" \(model_filter\)/)
    await waitFor(() => readEvents(s.dbPath).length === 1, 'the blocked event')
    const ev = await s.run("kt events list --format json | jq -c '.[0] | {status, decision, policy_id, policies_triggered}'")
    assert.deepEqual(JSON.parse(ev.stdout), {status: 'blocked', decision: 'deny', policy_id: 'block-deprecated', policies_triggered: [{name: 'block-deprecated', type: 'model_filter', action: 'block', detail: 'gpt-4-turbo: blocked'}]})
  })
})

describe('use case: A/B test models safely with mirroring and a quality gate', () => {
  test('shadow answers scored next to the primary; the quality export; filtering by target id; replay of gateway traffic', async () => {
    const dir = tempDir('kt-usecase-')
    const shell = await tutorialShell(dir)
    seedConfig('mirroring-quality.yaml', {openai: up.url, anthropic: up.url}, dir)
    const gw = startGateway(shell, dir, ['--policy-config', 'policy-config.yaml', '--port', String(shell.port)])
    await gw.waitFor('Gateway ready')
    assert.match(gw.stderr(), /Mirroring: shadow=candidate-gpt4o-mini, sample_rate=50%/)
    const send = await shell.run(`for i in $(seq 1 24); do curl -s -o /dev/null http://localhost:${shell.port}/v1/chat/completions -H "Content-Type: application/json" -d "{\\"model\\":\\"primary-gpt4o\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"Explain request $i clearly, or decline.\\"}]}"; done`)
    assert.equal(send.code, 0)
    await waitFor(() => readEvents(shell.dbPath, {filter: ['traffic_role=primary']}).length === 24, '24 primary events')
    const shadows = readEvents(shell.dbPath, {filter: ['traffic_role=shadow']})
    const mirrored = readEvents(shell.dbPath, {filter: ['traffic_role=primary']}).filter((e) => e.traffic_mirror !== null)
    assert.equal(shadows.length, mirrored.length, 'one shadow event per mirrored request')
    assert.ok(shadows.length > 0 && shadows.length < 24, `sample_rate 0.5 mirrored ${shadows.length} of 24`)

    const role = await shell.run("kt events list --filter target_id=candidate-gpt4o-mini --format json | jq -r '.[] | [.traffic_role, .metadata.role, .decision] | @tsv' | sort -u")
    assert.deepEqual(role.stdout.trim().split('\n'), ['shadow\tshadow\tescalate'], 'the refusing candidate fails the scorer and escalates')
    assert.match(gw.stderr(), /WARN kt::gateway quality-scorer escalation: shadow event gw_/)

    const today = new Date().toISOString().slice(0, 10)
    const exp = await shell.run(`kt events export \\
--from "${today}" \\
--to "${today}" \\
--filter "quality_scorer" \\
--format csv \\
--output model-comparison.csv`)
    assert.equal(exp.code, 0, exp.stderr)
    const csv = readFileSync(join(dir, 'model-comparison.csv'), 'utf8').trim().split('\r\n')
    assert.equal(csv.length, 1 + 24 + shadows.length, 'every scored answer, primary and shadow')
    assert.match(csv[0]!, /metadata\.quality_scorer\.overall/)
    assert.match(csv[0]!, /metadata\.quality_scorer\.dimensions\.relevance/)

    const replay = await shell.run('kt replay --dataset gateway --candidate simulated:terse --name from-gateway')
    assert.equal(replay.code, 0, replay.stderr + replay.stdout)
    const runs = await shell.run('kt runs show from-gateway --json')
    const run = JSON.parse(runs.stdout) as {total?: number; run?: {total: number}}
    assert.equal(run.total ?? run.run?.total, 24, 'the 24 primary requests, never the shadows')
  })
})
