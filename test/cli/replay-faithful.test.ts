// A faithful simulated candidate behaves like the recorded model, tool calls included: replayed against the shipped
// production sample it passes `kt gate` with the default rules, and calls tools exactly as often as the log did.
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, test} from 'node:test'
import {kt, ROOT, tempDir} from '../support/cli.js'

const FIXTURES = join(ROOT, 'fixtures')
const BATCH = join(FIXTURES, 'prod-sample-openai-batch')

describe('kt replay --candidate simulated:faithful on the shipped sample', () => {
  let dir: string
  let db: string
  let runId: string

  before(() => {
    dir = tempDir()
    db = join(dir, 'kt.db')
    const files = [join(FIXTURES, 'prod-sample.jsonl'), ...readdirSync(BATCH).map((f) => join(BATCH, f))]
    const imp = kt(['import', ...files, '--db', db], {cwd: dir})
    assert.equal(imp.code, 0, imp.stderr)
    const r = kt(['replay', '--candidate', 'simulated:faithful', '--db', db, '--json'], {cwd: dir})
    assert.equal(r.code, 0, r.stderr)
    runId = (JSON.parse(r.stdout) as {run_id: string}).run_id
  })

  test('passes kt gate with the default rules', () => {
    const r = kt(['gate', runId, '--db', db], {cwd: dir})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /verdict: PASS/)
  })

  test('calls a tool exactly where the recorded answers did', () => {
    const r = kt(['report', runId, '--db', db, '--format', 'json'], {cwd: dir})
    assert.equal(r.code, 0, r.stderr)
    const rows = (JSON.parse(r.stdout) as {metrics: {metric: string; primary: number | null; candidate: number | null; n: number}[]}).metrics
    const row = rows.find((m) => m.metric === 'tool_call_rate')
    assert.ok(row, `metrics: ${rows.map((m) => m.metric).join(', ')}`)
    assert.ok(row.n >= 40, `n=${row.n}`)
    assert.ok(row.primary! > 0 && row.primary! < 1, `recorded rate ${row.primary}`)
    assert.equal(row.candidate, row.primary)
  })
})
