// `kt gate` and `kt replay --gate` as a user runs them: import a JSONL log, replay it against simulated
// targets, gate the run. Exit codes, output lines, config rules with line numbers, JUnit, JSON.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {kt, PUBLIC_DATA, tempDir} from '../support/cli.js'

/** 240 real prompts (Vicuna, MT-Bench, Self-Instruct) as logged OpenAI chat calls. */
function logLines(): string {
  const dir = join(PUBLIC_DATA, 'prompts')
  const prompts: string[] = []
  for (const f of ['vicuna-bench-questions.jsonl', 'mt-bench-questions.jsonl']) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l.trim()) prompts.push((JSON.parse(l) as {turns: string[]}).turns[0]!)
  }
  for (const l of readFileSync(join(dir, 'self-instruct-seed-tasks.jsonl'), 'utf8').split('\n')) {
    if (l.trim()) prompts.push((JSON.parse(l) as {instruction: string}).instruction)
  }
  return prompts
    .slice(0, 240)
    .map((p, i) =>
      JSON.stringify({
        timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
        request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: p}]},
        response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Answer ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 5, total_tokens: 25}},
        latency_ms: 300 + i,
      }),
    )
    .join('\n')
}

function runCount(db: string): number {
  const d = new Database(db, {readonly: true})
  try {
    return (d.prepare('SELECT count(*) AS n FROM runs').get() as {n: number}).n
  } finally {
    d.close()
  }
}

describe('kt gate', () => {
  let dir: string
  let db: string
  const gate = (...args: string[]) => kt(['gate', ...args, '--db', db], {cwd: dir})

  before(() => {
    dir = tempDir()
    db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'logs.jsonl'), `${logLines()}\n`)
    const imp = kt(['import', join(dir, 'logs.jsonl'), '--db', db], {cwd: dir})
    assert.equal(imp.code, 0, imp.stderr)
    // Identical arms (same simulated target, same seed), a candidate that truncates everything, and a small run.
    for (const [name, args] of [
      ['same', ['--primary', 'simulated:faithful', '--candidate', 'simulated:faithful']],
      ['trunc', ['--primary', 'simulated:faithful', '--candidate', 'simulated:truncate']],
      ['small', ['--primary', 'simulated:faithful', '--candidate', 'simulated:faithful', '--limit', '40']],
    ] as const) {
      const r = kt(['replay', ...args, '--name', name, '--db', db], {cwd: dir})
      assert.equal(r.code, 0, r.stderr)
    }
  })

  test('an unscored run is scored first; the default gates on identical arms are INCONCLUSIVE (exit 3) at n=240', () => {
    const r = gate('same')
    assert.equal(r.code, 3, r.stderr + r.stdout)
    assert.match(r.stderr, /scored run run_\w+ \(480 answers\) before gating/)
    const lines = r.stdout.trim().split('\n')
    assert.match(lines[0]!, /^run run_\w+ \(same\): /)
    // Identical answers: the quality interval is not [0, 0] but ±CP(0 of 240) (docs/scoring-and-gates.md §4.1.1).
    assert.equal(lines[1], '✓ PASS          quality.overall.mean_diff > -0.02   diff 0.000 [-0.015, 0.015] n=240 mde ≤ -0.042')
    assert.match(lines[2]!, /^\? INCONCLUSIVE  error_rate <= primary\+0\.01          diff 0\.000 \[-0\.016, 0\.016\] n=240 mde ≥ 0\.033$/)
    assert.equal(lines[3], '✓ PASS          truncation_rate <= primary+0.02     diff 0.000 [-0.016, 0.016] n=240 mde ≥ 0.043')
    assert.equal(lines[4], '✓ PASS          refusal_rate <= primary+0.02        diff 0.000 [-0.016, 0.016] n=240 mde ≥ 0.043')
    assert.equal(lines[5], '✓ PASS          latency.p50 <= 1.2x                 ratio 1.00 [1.00, 1.00] n=240 mde ≥ 1.20')
    assert.equal(lines[6], '✓ PASS          latency.p95 <= 1.2x                 ratio 1.00 [1.00, 1.00] n=240 mde ≥ 1.20')
    assert.equal(lines[7], '✓ PASS          cost.total <= 1.2x                  ratio 1.00 [1.00, 1.00] n=240 mde ≥ 1.20')
    assert.equal(lines[8], 'verdict: INCONCLUSIVE (1 inconclusive, 6 passed; exit 3)')
    // Scored once: the second gate does not score again.
    const again = gate('same', '--allow-inconclusive')
    assert.equal(again.code, 0)
    assert.doesNotMatch(again.stderr, /scored run/)
    assert.match(again.stdout, /verdict: INCONCLUSIVE \(1 inconclusive, 6 passed; exit 0, allowed by --allow-inconclusive\)/)
    const harm = gate('same', '--decision', 'harm')
    assert.equal(harm.code, 0)
    assert.match(harm.stdout, /✓ PASS  error_rate <= primary\+0\.01/)
    assert.match(harm.stdout, /verdict: PASS \(7 passed; exit 0\) \[harm mode\]/)
  })

  test('PASS exits 0, FAIL exits 1 (also with --allow-inconclusive)', () => {
    const pass = gate('same', '--gate', 'quality.overall.mean_diff > -0.02', '--gate', 'latency.p95 <= 1.2x')
    assert.equal(pass.code, 0, pass.stderr)
    assert.match(pass.stdout, /verdict: PASS \(2 passed; exit 0\)/)
    const fail = gate('trunc', '--allow-inconclusive')
    assert.equal(fail.code, 1, fail.stderr)
    assert.match(fail.stdout, /^✗ FAIL          quality\.overall\.mean_diff > -0\.02   diff -0\.\d{3} \[-0\.\d{3}, -0\.\d{3}\] n=240 mde ≤ -0\.\d{3}$/m)
    assert.match(fail.stdout, /^✗ FAIL          truncation_rate <= primary\+0\.02     diff 1\.000 \[0\.9\d\d, 1\.000\] n=240 mde ≥ 0\.\d{3}$/m)
    assert.match(fail.stdout, /^✓ PASS          cost\.total <= 1\.2x                  ratio 0\.\d\d \[0\.\d\d, 0\.\d\d\] n=240 mde ≥ 1\.\d\d$/m)
    assert.match(fail.stdout, /^\? INCONCLUSIVE  latency\.p95 <= 1\.2x                 ratio 0\.\d\d \[0\.\d\d, 1\.\d\d\] n=240 mde ≥ 1\.\d\d$/m)
    assert.match(fail.stdout, /verdict: FAIL \(2 failed, 2 inconclusive, 3 passed; exit 1\)/)
  })

  test('INSUFFICIENT below the minimum sample: exit 3, with what is needed', () => {
    const r = gate('small', '--gate', 'latency.p95 <= 1.2x', '--gate', 'quality.overall.mean_diff > -0.02')
    assert.equal(r.code, 3)
    assert.match(r.stdout, /^· INSUFFICIENT  latency\.p95 <= 1\.2x                 ratio 1\.00 n=40 \(need 200 pairs, have 40\)$/m)
    // 40 identical pairs cannot rule out a rare large drop within the 0.02 margin: INCONCLUSIVE, not PASS.
    assert.match(r.stdout, /^\? INCONCLUSIVE  quality\.overall\.mean_diff > -0\.02   diff 0\.000 \[-0\.088, 0\.088\] n=40 mde ≤ -0\.\d{3}$/m)
    assert.match(r.stdout, /verdict: INSUFFICIENT \(1 inconclusive, 1 insufficient; exit 3\)/)
    assert.equal(gate('small', '--gate', 'latency.p95 <= 1.2x', '--allow-inconclusive').code, 0)
  })

  test('usage errors exit 2 with one clear message: bad rules (all of them), unknown run, bad level', () => {
    const r = gate('same', '--gate', 'quality.overal.mean_dif > -0.02', '--gate', 'latency.p95 <== 1.2x')
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /2 gate rules have problems/)
    assert.match(r.stderr, /--gate "quality\.overal\.mean_dif > -0\.02": unknown metric "quality\.overal\.mean_dif"; did you mean "quality\.overall\.mean_diff"\? \(column 1\)/)
    assert.match(r.stderr, /--gate "latency\.p95 <== 1\.2x": unknown comparison "<=="; expected >, >=, < or <= \(column 13\)\n {4}latency\.p95 <== 1\.2x\n {16}\^/)
    assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
    const missing = gate('no-such-run')
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /no run "no-such-run"/)
    const level = gate('same', '--level', 'high')
    assert.equal(level.code, 2)
    assert.match(level.stderr, /--level "high": expected a percentage/)
    assert.equal(gate('same', '--decision', 'maybe').code, 2)
  })

  test('rules from the config file, with file and line in errors; --gate replaces them', () => {
    const good = join(dir, 'good.yaml')
    writeFileSync(good, '# gates for CI\ngates:\n  - "quality.overall.mean_diff > -0.5 @90%"\n  - "truncation_rate <= primary+0.05"\n')
    const r = gate('trunc', '--policy-config', good)
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stdout, /✓ PASS  quality\.overall\.mean_diff > -0\.5 @90%/)
    assert.match(r.stdout, /✗ FAIL  truncation_rate <= primary\+0\.05 +diff 1\.000 \[0\.9\d\d, 1\.000\] n=240/)
    assert.doesNotMatch(r.stdout, /latency/)
    const flag = gate('trunc', '--policy-config', good, '--gate', 'cost.total <= 1.2x')
    assert.equal(flag.code, 0)
    assert.doesNotMatch(flag.stdout, /truncation_rate/)

    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'gates:\n  - "quality.overall.mean_diff > -0.02"\n  - "latency.p59 <= 1.5x"\n  - "cost.total <= 1.2"\n')
    const e = gate('trunc', '--policy-config', bad)
    assert.equal(e.code, 2)
    assert.match(e.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: gates\\[1\\] "latency\\.p59 <= 1\\.5x": unknown metric "latency\\.p59"; did you mean "latency\\.p50" or "latency\\.p99"\\?`))
    assert.doesNotMatch(e.stderr, /:2:|:4:/)
  })

  test('--junit writes one testcase per rule: failure for FAIL, skipped for INCONCLUSIVE/INSUFFICIENT', () => {
    const file = join(dir, 'gate.xml')
    const r = gate('trunc', '--junit', file, '--gate', 'quality.overall.mean_diff > -0.02', '--gate', 'error_rate <= primary+0.01', '--gate', 'latency.p99 <= 1.2x', '--gate', 'cost.total <= 1.2x')
    assert.equal(r.code, 1)
    const xml = readFileSync(file, 'utf8')
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="kt" tests="4" failures="1" errors="0" skipped="2">/)
    assert.match(xml, /<testsuite name="kt gate trunc" tests="4" failures="1" errors="0" skipped="2" time="0">/)
    const cases = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)" time="0">([\s\S]*?)<\/testcase>/g)]
    assert.deepEqual(
      cases.map((c) => [c[1], c[2]]),
      [
        ['kt.gate.quality.overall.mean_diff', 'quality.overall.mean_diff &gt; -0.02'],
        ['kt.gate.error_rate', 'error_rate &lt;= primary+0.01'],
        ['kt.gate.latency.p99', 'latency.p99 &lt;= 1.2x'],
        ['kt.gate.cost.total', 'cost.total &lt;= 1.2x'],
      ],
    )
    assert.match(cases[0]![3]!, /<failure message="FAIL: the whole 95% interval of the difference \[-0\.\d+, -0\.\d+\] is below -0\.02" type="gate">/)
    assert.match(cases[1]![3]!, /<skipped message="INCONCLUSIVE: /)
    assert.match(cases[2]![3]!, /<skipped message="INSUFFICIENT: need 1000 pairs, have 240"\/>/)
    assert.doesNotMatch(cases[3]![3]!, /<failure|<skipped/)
    assert.match(xml, /<property name="verdict" value="fail"\/>/)
    // Balanced: every opened element is closed.
    for (const tag of ['testsuites', 'testsuite', 'testcase', 'properties', 'failure', 'system-out']) {
      assert.equal((xml.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length, (xml.match(new RegExp(`</${tag}>`, 'g')) ?? []).length, tag)
    }
    const unwritable = gate('trunc', '--junit', join(dir, 'no', 'such', 'dir', 'x.xml'))
    assert.equal(unwritable.code, 2)
    assert.match(unwritable.stderr, /--junit .*cannot write the report/)
  })

  test('--json: the outcomes and verdict; the same seed gives identical output, another seed other intervals', () => {
    const a = gate('trunc', '--json', '--seed', '5')
    const b = gate('trunc', '--json', '--seed', '5')
    const c = gate('trunc', '--json', '--seed', '6', '--level', '90')
    assert.equal(a.code, 1)
    assert.equal(a.stdout, b.stdout)
    const ja = JSON.parse(a.stdout) as {schema: string; verdict: string; exit_code: number; seed: number; level: number; bootstrap_B: number; gates: {rule: string; decision: string; value: {low: number; level: number}}[]}
    const jc = JSON.parse(c.stdout) as typeof ja
    assert.equal(ja.schema, 'kt.gate/v1')
    assert.deepEqual([ja.verdict, ja.exit_code, ja.seed, ja.level, ja.bootstrap_B], ['fail', 1, 5, 0.95, 5000])
    assert.deepEqual(ja.gates.map((g) => g.decision), ['fail', 'inconclusive', 'fail', 'pass', 'pass', 'inconclusive', 'pass'])
    assert.notEqual(ja.gates[0]!.value.low, jc.gates[0]!.value.low)
    assert.equal(jc.gates[0]!.value.level, 0.9)
    assert.equal(jc.level, 0.9)
  })

  test('kt replay --gate gates the finished run; a bad rule stops it before anything is sent', () => {
    const before = runCount(db)
    const bad = kt(['replay', '--primary', 'simulated:faithful', '--candidate', 'simulated:terse', '--gate', 'latency.p95 <= 1.2z', '--db', db], {cwd: dir})
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /unexpected "z"/)
    assert.equal(runCount(db), before, 'no run was created')
    const r = kt(['replay', '--primary', 'simulated:faithful', '--candidate', 'simulated:truncate', '--limit', '100', '--gate', 'quality.overall.mean_diff > -0.02', '--gate', 'truncation_rate <= primary+0.05', '--db', db], {cwd: dir})
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stdout, /run id: run_\w+\n✗ FAIL  quality\.overall\.mean_diff > -0\.02 /)
    assert.match(r.stdout, /verdict: FAIL \(2 failed; exit 1\)/)
    const ok = kt(['replay', '--primary', 'simulated:faithful', '--candidate', 'simulated:faithful', '--limit', '50', '--gate', 'latency.p95 <= 1.2x', '--allow-inconclusive', '--json', '--db', db], {cwd: dir})
    assert.equal(ok.code, 0, ok.stderr)
    const j = JSON.parse(ok.stdout) as {status: string; gate: {verdict: string; gates: {decision: string}[]}}
    assert.equal(j.status, 'completed')
    assert.equal(j.gate.verdict, 'insufficient')
  })
})
