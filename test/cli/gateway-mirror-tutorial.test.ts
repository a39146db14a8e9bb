// The traffic mirroring tutorial (product docs, seed 002), every step as written, against a `kt gateway run` child
// process and local fake upstreams: lint and start-up lines, the caller sees only the primary, the traffic_mirror
// block of the last event, the batch of prompts, and the aggregate jq program over `kt events list`.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {BIN, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {daemon, readEvents, seedConfig, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'

let primary: FakeUpstream
let shadow: FakeUpstream
let dir: string
let shell: Awaited<ReturnType<typeof tutorialShell>>
let gateway: Daemon

before(async () => {
  primary = await startFakeUpstream({delayMs: 2})
  // The shadow is slower and wordier, as a different model would be.
  shadow = await startFakeUpstream({delayMs: 30, answer: (body) => `A longer answer from another model about: ${JSON.stringify(body.messages).slice(0, 120)}`})
  dir = tempDir('kt-tutorial-mirror-')
  shell = await tutorialShell(dir)
  seedConfig('traffic-mirror.yaml', {openai: primary.url, anthropic: shadow.url}, dir)
})

after(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM')
    await gateway.exited
  }
  await primary.close()
  await shadow.close()
})

const primaries = () => readEvents(shell.dbPath, {filter: ['traffic_role=primary']})

describe('tutorial: traffic mirroring for shadow testing', () => {
  test('step 2: lint and start; the documented start-up lines', async () => {
    const lint = await shell.run('kt policy lint --file policy-config.yaml')
    assert.equal(lint.code, 0, lint.stderr)
    assert.match(lint.stdout, /^Traffic mirror: enabled, primary openai → shadow anthropic, 100% sampled$/m)
    gateway = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', 'policy-config.yaml', '--port', String(shell.port)], {env: shell.env, cwd: dir})
    await gateway.waitFor('Gateway ready')
    const err = gateway.stderr()
    assert.match(err, /^INFO kt::gateway Loaded 2 provider\(s\), 1 policy\(ies\)$/m)
    assert.match(err, /^INFO kt::gateway Traffic mirror: primary=openai, shadow=anthropic, sample_rate=100%$/m)
    assert.match(err, /^INFO kt::gateway Model mapping: gpt-4o-mini→claude-sonnet-4-20250514, gpt-4o→claude-sonnet-4-20250514$/m)
  })

  test('steps 3–4: the caller gets only the primary; the last event holds the comparison', async () => {
    const r = await shell.run(`curl -s http://localhost:${shell.port}/v1/chat/completions \\
-H "Content-Type: application/json" \\
-d '{
"model": "gpt-4o-mini",
"messages": [{"role": "user", "content": "Explain the concept of technical debt in software engineering."}]
}' | jq '{model: .model, provider: .provider}'`)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), {model: 'gpt-4o-mini', provider: 'openai'})
    await waitFor(() => primaries().length === 1, 'the mirrored event')
    const block = await shell.run("kt events tail --last 1 --format json | jq '.traffic_mirror'")
    assert.equal(block.code, 0, block.stderr)
    const m = JSON.parse(block.stdout) as {primary: Record<string, unknown>; shadow: Record<string, unknown>; comparison: Record<string, number>}
    assert.deepEqual(Object.keys(m), ['primary', 'shadow', 'comparison'])
    assert.deepEqual([m.primary.provider, m.primary.model, m.primary.status], ['openai', 'gpt-4o-mini', 'success'])
    assert.deepEqual([m.shadow.provider, m.shadow.model, m.shadow.status], ['anthropic', 'claude-sonnet-4-20250514', 'success'])
    assert.ok((m.shadow.output_tokens as number) > (m.primary.output_tokens as number), 'the wordier shadow')
    assert.equal(m.comparison.token_count_diff, (m.shadow.output_tokens as number) - (m.primary.output_tokens as number))
    assert.ok(m.comparison.content_similarity >= 0 && m.comparison.content_similarity < 1)
    assert.equal(typeof m.comparison.latency_diff_ms, 'number')
  })

  test('steps 5–6: a batch of prompts, then the aggregate over kt events list', async () => {
    const batch = await shell.run(`PROMPTS=(
"What is Kubernetes?"
"Explain CORS in simple terms."
"Write a Python function to calculate Fibonacci numbers."
"What are the SOLID principles?"
"Describe the differences between SQL and NoSQL databases."
)

for prompt in "\${PROMPTS[@]}"; do
curl -s http://localhost:${shell.port}/v1/chat/completions \\
-H "Content-Type: application/json" \\
-d "{\\"model\\":\\"gpt-4o-mini\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"$prompt\\"}]}" > /dev/null
echo "Sent: $prompt"
done`)
    assert.equal(batch.code, 0, batch.stderr)
    assert.equal(batch.stdout.split('\n').filter((l) => l.startsWith('Sent: ')).length, 5)
    await waitFor(() => primaries().length === 6, 'six mirrored events')
    const agg = await shell.run(`kt events list --last 50 --format json \\
| jq '[.[] | select(.traffic_mirror != null) | .traffic_mirror] | {
total_mirrored: length,
avg_primary_latency_ms: (map(.primary.latency_ms) | add / length | round),
avg_shadow_latency_ms: (map(.shadow.latency_ms) | add / length | round),
avg_similarity: (map(.comparison.content_similarity) | add / length * 100 | round / 100),
avg_primary_output_tokens: (map(.primary.output_tokens) | add / length | round),
avg_shadow_output_tokens: (map(.shadow.output_tokens) | add / length | round),
shadow_failures: (map(select(.shadow.status != "success")) | length)
}'`)
    assert.equal(agg.code, 0, agg.stderr)
    const s = JSON.parse(agg.stdout) as Record<string, number>
    assert.deepEqual(Object.keys(s), ['total_mirrored', 'avg_primary_latency_ms', 'avg_shadow_latency_ms', 'avg_similarity', 'avg_primary_output_tokens', 'avg_shadow_output_tokens', 'shadow_failures'])
    assert.equal(s.total_mirrored, 6)
    assert.equal(s.shadow_failures, 0)
    assert.ok(s.avg_shadow_output_tokens! > s.avg_primary_output_tokens!)
    assert.ok(s.avg_similarity! >= 0 && s.avg_similarity! <= 1)
    const shadows = await shell.run("kt events list --filter traffic_role=shadow --format json | jq -r '.[] | [.model, .metadata.role, .primary_event_id != null] | @tsv'")
    assert.deepEqual(shadows.stdout.trim().split('\n'), Array(6).fill('claude-sonnet-4-20250514\tshadow\ttrue'))
  })
})
