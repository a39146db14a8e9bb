// `kt report` end to end, the way a user runs it: the built binary on a real SQLite store filled by
// `kt import` and two offline `kt replay` runs with simulated targets.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {kt, ROOT, tempDir} from '../support/cli.js'

describe('kt report', () => {
  let dir = ''
  let db = ''
  const run = (args: string[]) => kt([...args, '--db', db], {cwd: dir})

  before(() => {
    dir = tempDir('kt-report-')
    db = join(dir, 'kt.db')
    const imp = kt(['import', join(ROOT, 'fixtures', 'prod-sample.jsonl'), '--db', db], {cwd: dir})
    assert.equal(imp.code, 0, imp.stderr)
    // Run A: 60 requests, terse candidate, A/A on half; run B: 80 requests (the same first 60 and 20 more), verbose candidate.
    const a = kt(['replay', '--primary', 'simulated:faithful', '--candidate', 'simulated:terse', '--aa', '0.5', '--limit', '60', '--name', 'terse', '--db', db], {cwd: dir})
    assert.equal(a.code, 0, a.stderr)
    const b = kt(['replay', '--primary', 'simulated:faithful', '--candidate', 'simulated:verbose', '--limit', '80', '--name', 'verbose', '--db', db], {cwd: dir})
    assert.equal(b.code, 0, b.stderr)
  })

  after(() => {
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  test('table for the named run: scores it first, prints metrics, gates and verdict, exits 0 even on FAIL', () => {
    const r = run(['report', 'terse'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /scored run run_\w+ \(\d+ answers\) before reporting/)
    assert.match(r.stdout, /^kt report {2}run_\w+ \(terse\)/)
    assert.match(r.stdout, /│ Overall quality \(mean\) +│/)
    assert.match(r.stdout, /✗ FAIL +quality\.overall\.mean_diff > -0\.02 +difference -0\.\d{3} \[/)
    assert.match(r.stdout, /verdict {2}FAIL/)
    assert.match(r.stdout, /noise floor \(A\/A, n=\d+\)/)
    assert.ok(!r.stdout.includes('\u001b['), 'no colour when stdout is not a terminal')
  })

  test('json is the full model, byte-identical for the same seed, and follows --gate and --seed', () => {
    const a = run(['report', 'terse', '--format', 'json', '--gate', 'latency.p50 <= 2x', '--seed', '9'])
    const b = run(['report', 'terse', '--format', 'json', '--gate', 'latency.p50 <= 2x', '--seed', '9'])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(a.stdout, b.stdout)
    assert.ok(!a.stderr.includes('scored run'), 'an already scored run is not scored again')
    const m = JSON.parse(a.stdout) as {schema: string; seed: number; gates: {rule: string}[]; run: {name: string; total: number}; exit_code: number}
    assert.equal(m.schema, 'kt.report/v1')
    assert.equal(m.seed, 9)
    assert.deepEqual(m.gates.map((g) => g.rule), ['latency.p50 <= 2x'])
    assert.equal(m.run.name, 'terse')
    assert.equal(m.run.total, 60)
  })

  test('csv: one row per request and arm, A/A rows where it ran', () => {
    const r = run(['report', 'terse', '--format', 'csv'])
    assert.equal(r.code, 0, r.stderr)
    const rows = parse(r.stdout, {columns: true}) as Record<string, string>[]
    const aa = rows.filter((x) => x.arm === 'primary_aa').length
    assert.ok(aa > 10 && aa < 50, `A/A rows: ${aa}`)
    assert.equal(rows.filter((x) => x.arm === 'primary').length, 60)
    assert.equal(rows.filter((x) => x.arm === 'candidate').length, 60)
    assert.equal(rows.length, 60 * 2 + aa)
    // Similarity sits on every candidate row whose primary and candidate both answered.
    assert.ok(rows.filter((x) => x.arm === 'candidate' && x.status === 'ok').every((x) => Number(x.similarity_dice) >= 0 && x.similarity_dice !== ''))
    assert.ok(rows.filter((x) => x.arm === 'primary').every((x) => x.similarity_dice === ''))
  })

  test('--output writes the file atomically (format from the extension) and nothing to stdout', () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    writeFileSync(join(out, 'report.html'), 'old')
    const r = run(['report', 'terse', '--output', join(out, 'report.html')])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /wrote html report to .*report\.html \(\d+ bytes\)/)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    assert.ok(html.startsWith('<!DOCTYPE html>'))
    assert.match(html, /<svg id="chart-latency" data-chart="latency"/)
    assert.deepEqual(readdirSync(out), ['report.html'], 'no temp file left behind')
  })

  test('--output into a missing directory is a usage error and writes nothing', () => {
    const r = run(['report', 'terse', '--output', join(dir, 'nope', 'r.html')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--output .*r\.html: directory .*nope does not exist/)
  })

  test('--compare pairs the two candidates on the requests both runs share', () => {
    const r = run(['report', 'terse', '--compare', 'verbose'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^A {2}terse \(run_\w+\): simulated:terse/)
    assert.match(r.stdout, /paired on 60 shared requests \(A only: 0, B only: 20\)/)
    assert.match(r.stdout, /│ Overall quality \(mean\) +│ +0\.\d{3} │ +0\.\d{3} │ \+0\.\d{3} \[\+0\.\d{3}, \+0\.\d{3}\] │ \d+ │ ▲ better/)
    const j = run(['report', 'terse', '--compare', 'verbose', '--format', 'json'])
    const m = JSON.parse(j.stdout) as {schema: string; in_both: number; only_b: number; rows: {metric: string; n: number}[]}
    assert.equal(m.schema, 'kt.compare/v1')
    assert.equal(m.in_both, 60)
    assert.equal(m.only_b, 20)
    assert.equal(m.rows.find((x) => x.metric === 'error_rate')!.n, 60)
  })

  test('usage errors exit 2 with a message', () => {
    const html = run(['report', 'terse', '--compare', 'verbose', '--format', 'html'])
    assert.equal(html.code, 2)
    assert.match(html.stderr, /--compare prints a side-by-side comparison as table, json or markdown/)
    const gate = run(['report', 'terse', '--gate', 'latency.p95 <= banana'])
    assert.equal(gate.code, 2)
    assert.match(gate.stderr, /gate "latency\.p95 <= banana"/)
    const missing = run(['report', 'no-such-run'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /no run "no-such-run"/)
    assert.ok(!existsSync(join(dir, 'no-such-run')))
  })
})
