// Credentials never reach the database, an export, a report or a message (issue 11, item 3). A secret-bearing sample of
// every import format (test/data/secrets/, each planted secret listed in planted.json) is imported, replayed against a
// fake upstream whose errors and answers echo keys (with a config target whose custom header is a secret too), judged
// by a judge quoting a key, exported in every format (with and without bodies) and reported in every format; then
// the database files (WAL included), the judge cache, every output file and every stdout and stderr are searched for
// every planted secret: none may be found.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {formats} from '../../src/formats/index.js'
import {ktAsync, ROOT, tempDir, type RunResult} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {judgeKind, scoresJson} from '../support/judge-fixture.js'

const DATA = join(ROOT, 'test', 'data', 'secrets')
const PLANTED = JSON.parse(readFileSync(join(DATA, 'planted.json'), 'utf8')) as Record<string, string>

/** Secrets that only exist at run time: the keys kt is given, and what the upstream and the judge echo. */
const RUNTIME = {
  replay_key: 'sk-proj-REPLAYkeyQ1w2e3r4t5y6u7i8o9',
  judge_key: 'sk-proj-JUDGEkeyZ9x8c7v6b5n4m3l2k1',
  config_header: 'CFGorgTok5f6g7h8j9k0l1z',
  upstream_5xx_api_key: 'UPSTREAMapiKey3e4r5t6y7u',
  upstream_answer_key: 'sk-UPSTREAManswer8i9o0p1a2s3d',
  judge_quoted_key: 'sk-JUDGEquoted4f5g6h7j8k9l0z',
}

describe('secrets: every format in, every output out, no planted secret anywhere', () => {
  let up: FakeUpstream
  let dir: string
  let db: string
  const outputs: {what: string; text: string}[] = []
  let holder: Database.Database | null = null

  const run = async (args: string[], env: Record<string, string> = {}): Promise<RunResult> => {
    const r = await ktAsync([...args, '--db', db], {env, cwd: dir})
    outputs.push({what: `kt ${args.join(' ')} (stdout)`, text: r.stdout}, {what: `kt ${args.join(' ')} (stderr)`, text: r.stderr})
    return r
  }

  before(async () => {
    let chat = 0
    up = await startFakeUpstream({
      answer: (body) => {
        if (judgeKind(body) === 'pointwise') return scoresJson(4, 4, 4).replace('It addresses the question.', `It pasted the key ${RUNTIME.judge_quoted_key} verbatim.`)
        return `Here you go. Your replacement key is ${RUNTIME.upstream_answer_key}.`
      },
      faults: (_i, body, path) => {
        if (path !== '/v1/chat/completions' || judgeKind(body) !== null) return null
        chat++
        // The upstream echoes the key it was sent, dumps a proxy page with credentials, and leaks a custom header.
        if (chat === 1) return {type: 'http', status: 401, message: `Incorrect API key provided: ${RUNTIME.replay_key}. You can find your API key at https://platform.openai.com/account/api-keys.`}
        if (chat === 2) return {type: 'text', status: 502, body: `<html>Bad gateway: Authorization: Bearer ${RUNTIME.replay_key} api_key=${RUNTIME.upstream_5xx_api_key}</html>`}
        if (chat === 3) return {type: 'http', status: 500, message: `tenant header rejected: x-org-token: ${RUNTIME.config_header}`}
        return null
      },
    })
    dir = tempDir('kt-secrets-')
    db = join(dir, 'kt.db')
    writeFileSync(
      join(dir, 'policy-config.yaml'),
      [
        'providers:',
        '  targets:',
        '    - id: cand',
        '      provider: openai',
        '      model: gpt-4o-mini',
        `      base_url: ${up.url}/v1`,
        '      secret_key_ref: {env: OPENAI_API_KEY}',
        `      headers: {X-Org-Token: ${RUNTIME.config_header}}`,
        '',
      ].join('\n'),
    )
  })
  after(async () => {
    holder?.close()
    await up.close()
  })

  test('every import format has a secret-bearing sample', () => {
    const files = readdirSync(DATA).filter((f) => f !== 'planted.json' && f !== 'README.md')
    const r = new Set<string>()
    for (const f of files) r.add(f)
    // One sample per format (Batch formats as input + output pairs); the formats list is kt's own.
    const sampled = new Set(['openai-chat', 'anthropic-messages', 'sse', 'openai-batch', 'anthropic-batch', 'litellm', 'litellm-spend-logs', 'langfuse', 'otel', 'har', 'recording', 'kt-events'])
    for (const f of formats) if (f.shapes.length > 0) assert.ok(sampled.has(f.name), `a secret-bearing sample for ${f.name}`)
    assert.ok(files.length >= sampled.size)
  })

  test('import, replay, judge, export and report: the planted secrets are nowhere', async () => {
    const files = readdirSync(DATA).filter((f) => f !== 'planted.json' && f !== 'README.md').map((f) => join(DATA, f))
    const imp = await run(['import', ...files, '--json'])
    assert.equal(imp.code, 0, imp.stderr)
    const summary = JSON.parse(imp.stdout) as {files: {file: string; format: string; imported: number; not_replayable: number; error: string | null}[]}
    for (const f of summary.files) assert.equal(f.error, null, f.file)
    assert.deepEqual(new Set(summary.files.map((f) => f.format)).size, 12, 'all twelve formats read')
    // Held open so that the WAL file stays on disk to be searched too.
    holder = new Database(db, {readonly: true})

    const env = {OPENAI_API_KEY: RUNTIME.replay_key}
    const rep = await run(['replay', '--candidate', 'cand', '--config', join(dir, 'policy-config.yaml'), '--name', 'sec', '--retries', '0', '--concurrency', '1', '--json'], env)
    assert.ok(rep.code === 0 || rep.code === 1, rep.stderr)
    const results = holder.prepare("SELECT error_type, error_message, response_text, translation_losses_json FROM results WHERE arm = 'candidate'").all() as {error_type: string | null; error_message: string | null; response_text: string | null; translation_losses_json: string}[]
    // The echoes happened (so the search below can fail), and what was stored of them is masked.
    assert.ok(results.some((r) => r.error_message?.startsWith('Incorrect API key provided: [redacted]')), JSON.stringify(results.map((r) => r.error_message)))
    assert.ok(results.some((r) => /Bearer \[redacted\]|Authorization: \[redacted\]/.test(r.error_message ?? '')))
    assert.ok(results.some((r) => r.response_text?.includes('Your replacement key is [redacted]')))
    assert.ok(results.some((r) => JSON.parse(r.translation_losses_json).some((l: string) => l.includes('credentials found in the log were masked'))))

    const judge = ['--judge', `openai:gpt-judge@${up.url}/v1`]
    const judgeEnv = {OPENAI_API_KEY: RUNTIME.judge_key}
    for (const format of ['table', 'json', 'csv', 'markdown', 'html']) {
      const r = await run(['report', 'sec', '--format', format, ...judge], judgeEnv)
      assert.equal(r.code, 0, `${format}: ${r.stderr}`)
      const file = await run(['report', 'sec', '--format', format, '--output', join(dir, `report.${format}`)])
      assert.equal(file.code, 0, file.stderr)
    }
    assert.ok(holder.prepare("SELECT count(*) FROM scores WHERE judge_json LIKE '%[redacted]%'").pluck().get() as number > 0, 'the judge quoted a key, stored masked')
    const gate = await run(['gate', 'sec', '--json', '--allow-inconclusive'])
    assert.ok([0, 1, 3].includes(gate.code), gate.stderr)

    for (const format of ['csv', 'json', 'jsonl']) {
      for (const bodies of [false, true]) {
        const extra = bodies ? ['--include-bodies'] : []
        const out = await run(['events', 'export', '--format', format, ...extra])
        assert.equal(out.code, 0, out.stderr)
        const file = await run(['events', 'export', '--format', format, ...extra, '--output', join(dir, `events${bodies ? '-bodies' : ''}.${format}`)])
        assert.equal(file.code, 0, file.stderr)
      }
    }
    await run(['events', 'export', '--filter', 'kind=score', '--format', 'jsonl', '--include-bodies'])
    await run(['events', 'list', '--format', 'json'])
    await run(['events', 'list', '--format', 'table'])
    await run(['runs', 'show', 'sec', '--json'])
    await run(['runs', 'list', '--json'])

    // Everything kt wrote: the database (WAL and shared memory included), the judge cache, every report and export.
    const written: string[] = []
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        if (statSync(p).isDirectory()) walk(p)
        else written.push(p)
      }
    }
    walk(dir)
    assert.ok(written.some((p) => p.endsWith('kt.db-wal')), `the WAL is searched too: ${written.join(', ')}`)
    assert.ok(written.some((p) => p.includes('judge-cache')), 'the judge cache is searched too')
    const haystacks = [...outputs, ...written.filter((p) => !p.endsWith('policy-config.yaml')).map((p) => ({what: p, text: readFileSync(p).toString('latin1')}))]
    const secrets = {...PLANTED, ...RUNTIME}
    const found: string[] = []
    for (const [name, value] of Object.entries(secrets)) {
      for (const h of haystacks) if (h.text.includes(value)) found.push(`${name} in ${h.what}`)
    }
    assert.deepEqual(found, [])
  })
})
