// The commands the README's tour and the product documents show (test/data/seeds/README.md), run as written in a
// shell with `kt` on the PATH and jq in the pipelines, against a database made from the shipped sample. Only the
// illustrative log file name of the tour is made real (the sample, gzipped), and the provider answers come from a
// local fake upstream.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {parse} from 'csv-parse/sync'
import {after, before, describe, test} from 'node:test'
import {BIN, ROOT, tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

const SEEDS = join(ROOT, 'test', 'data', 'seeds')

describe('the documented commands, as written', () => {
  let up: FakeUpstream
  let dir = ''
  let env: NodeJS.ProcessEnv = {}
  // Asynchronous: the fake upstream answers from this process, so the test must not block while kt runs.
  const sh = (script: string) =>
    new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
      const child = spawn('bash', ['-o', 'pipefail', '-c', script], {cwd: dir, env})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.once('close', (code) => resolve({code: code ?? 1, stdout, stderr}))
    })
  const ok = async (script: string) => {
    const r = await sh(script)
    assert.equal(r.code, 0, `${script}\n${r.stderr}`)
    return r.stdout
  }

  before(async () => {
    up = await startFakeUpstream()
    dir = tempDir('kt-docs-')
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'kt'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(bin, 'kt'), 0o755)
    mkdirSync(join(dir, 'logs'))
    writeFileSync(join(dir, 'logs', 'prod-2026-11-20.jsonl.gz'), gzipSync(readFileSync(join(ROOT, 'fixtures', 'prod-sample.jsonl'))))
    env = {...process.env, PATH: `${bin}:${process.env.PATH}`, KT_NO_PROGRESS: '1', OPENAI_API_KEY: 'sk-docs-test', OPENAI_BASE_URL: `${up.url}/v1`}
    for (const k of ['KT_DB', 'KT_HOME', 'KT_CONFIG']) delete env[k]
  })
  after(async () => {
    await up.close()
  })

  test("the README's tour", async () => {
    env.KT_DB = './kt.db'
    await ok('kt import logs/prod-2026-11-20.jsonl.gz --dataset prod-nov --tag env=prod')
    await ok('kt events list --since 1d --model gpt-4o --format table')
    // --follow runs until stopped. The pipeline is built here (kt | jq) so that Ctrl-C can go to kt alone: jq then
    // reads the end of its input and flushes, as it does in a terminal.
    const follow = spawn(process.execPath, [BIN, 'events', 'tail', '--follow', '--format', 'json'], {cwd: dir, env})
    const jq = spawn('jq', ['-r', '.model'], {cwd: dir, env})
    follow.stdout.pipe(jq.stdin)
    let models = ''
    jq.stdout.on('data', (d: Buffer) => (models += d.toString()))
    const jqDone = new Promise<void>((resolve) => jq.once('close', () => resolve()))
    // Ten events are printed at once (--last defaults to 10); then kt waits for new ones until Ctrl-C.
    await new Promise((r) => setTimeout(r, 3000))
    follow.kill('SIGINT')
    await jqDone
    const seen = models.split('\n').filter(Boolean)
    assert.equal(seen.length, 10, models)
    assert.ok(seen.every((m) => /^(gpt|claude)-/.test(m)), models)
    await ok('kt replay --candidate openai:gpt-4o-mini --dataset prod-nov --sample 300 --seed 7 --dry-run')
    await ok('kt replay --candidate openai:gpt-4o-mini --dataset prod-nov --sample 300 --seed 7 --name mini')
    // The sample holds 240 replayable requests, fewer than --sample 300: all of them go.
    assert.equal(up.callCount('/v1/chat/completions') + up.callCount('/v1/messages'), 240)
    await ok('kt report mini --output mini.html')
    assert.ok(readFileSync(join(dir, 'mini.html'), 'utf8').includes('<svg'))
    const gate = await sh('kt gate mini --gate "quality.overall.mean_diff > -0.02" --gate "latency.p95 <= 1.2x"')
    assert.ok([0, 1, 3].includes(gate.code), gate.stderr)
    assert.match(gate.stdout, /quality\.overall\.mean_diff > -0\.02/)
  })

  test('every configuration block of the product documents lints (the LiteLLM one is named as such)', async () => {
    const files = readdirSync(SEEDS).filter((f) => f.endsWith('.yaml'))
    assert.ok(files.length >= 17)
    for (const f of files) {
      const r = await sh(`kt policy lint --file ${JSON.stringify(join(SEEDS, f))}`)
      if (f.startsWith('004')) {
        assert.equal(r.code, 1, f)
        assert.match(r.stdout + r.stderr, /LiteLLM/)
      } else {
        assert.equal(r.code, 0, `${f}: ${r.stdout}${r.stderr}`)
        assert.match(r.stdout, /^✓ Configuration is valid/)
      }
    }
  })

  test('the documents’ event pipelines: models, cost per model, variants, inventory', async () => {
    const counts = await ok("kt events tail --last 20 --format json | jq -r '.model' | sort | uniq -c | sort -rn")
    assert.equal(counts.trim().split('\n').reduce((a, l) => a + Number(l.trim().split(/\s+/)[0]), 0), 20)
    const perModel = JSON.parse(
      await ok(`kt events tail --last 20 --format json | jq -s '
group_by(.model) | map({
model: .[0].model,
requests: length,
total_tokens: (map(.usage.total_tokens) | add),
avg_latency_ms: (map(.latency_ms) | add / length | floor)
})
'`),
    ) as {model: string; requests: number; total_tokens: number; avg_latency_ms: number}[]
    assert.equal(perModel.reduce((a, m) => a + m.requests, 0), 20)
    assert.ok(perModel.every((m) => m.total_tokens > 0 && m.avg_latency_ms > 0))
    const cost = JSON.parse(
      await ok(`kt events list --format json | jq 'group_by(.model) | map({
model: .[0].model,
requests: length,
total_cost: (map(.cost | tonumber) | add),
avg_tokens: (map(.input_tokens + .output_tokens) | add / length)
}) | sort_by(-.total_cost)'`),
    ) as {model: string; total_cost: number}[]
    assert.ok(cost.length >= 3 && cost.every((m) => m.total_cost > 0), JSON.stringify(cost))
    const variants = JSON.parse(
      await ok(`kt events list --format json | jq '[.[] | select(.metadata.ab_tag != null)] |
group_by(.metadata.ab_tag) |
map({
variant: .[0].metadata.ab_tag,
count: length,
avg_latency: (map(.latency_ms) | add / length),
avg_cost: (map(.cost | tonumber) | add / length),
total_cost: (map(.cost | tonumber) | add)
})'`),
    ) as unknown[]
    assert.deepEqual(variants, [], 'imported traffic carries no A/B tag')
    assert.ok((JSON.parse(await ok("kt events list --format json | jq '[.[].model] | unique'")) as string[]).length >= 3)
    await ok('kt events tail --last 5')
    await ok('kt events tail --model gpt-4o')
    await ok('kt events list --since 1h --format table')
  })

  test('quality-scorer verdicts export for a week as CSV, and kt export create writes a described dataset', async () => {
    await ok('kt events export --from "2025-04-01" --to "2025-04-07" --filter "quality_scorer" --format csv --output model-comparison.csv')
    assert.ok(existsSync(join(dir, 'model-comparison.csv')))
    // The same export over the sample's own weeks holds one verdict per scored answer, with its dimensions.
    await ok('kt events export --from "2026-11-01" --to "2026-12-31" --filter "quality_scorer" --format csv --output scored.csv')
    const rows = parse(readFileSync(join(dir, 'scored.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    for (const c of ['policy_id', 'decision', 'metadata.dimensions.relevance', 'metadata.dimensions.coherence', 'metadata.dimensions.completeness', 'metadata.arm']) assert.ok(c in rows[0]!, c)
    assert.equal(rows.length, 480, 'primary and candidate of the 240 requests')
    assert.ok(rows.every((r) => r.policy_id === 'quality_scorer'))
    await ok('kt export create --type events --format json --since 7d --description "Model quality evaluation dataset"')
  })

  test('kt doctor checks the setup and says what to fix', async () => {
    const r = await sh('kt doctor')
    assert.ok([0, 1].includes(r.code), r.stderr)
    assert.match(r.stdout, /database/)
  })
})
