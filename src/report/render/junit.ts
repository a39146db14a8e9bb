// JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters): one testcase per gate rule;
// FAIL is a <failure>, INCONCLUSIVE and INSUFFICIENT are <skipped> (they are not known to be bad,
// and exit 3 already stops the pipeline unless --allow-inconclusive).
import type {ReportModel} from '../../analysis/index.js'
import {gateLines} from './gate-text.js'

function esc(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // XML 1.0 forbids most control characters, even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  )
}

export function junitXml(model: ReportModel): string {
  const gates = model.gates
  const failures = gates.filter((g) => g.decision === 'fail').length
  const skipped = gates.filter((g) => g.decision === 'inconclusive' || g.decision === 'insufficient').length
  const lines = gateLines(gates)
  const suite = `kt gate ${model.run.name ?? model.run.id}`
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  out.push(`<testsuites name="kt" tests="${gates.length}" failures="${failures}" errors="0" skipped="${skipped}">`)
  out.push(`  <testsuite name="${esc(suite)}" tests="${gates.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">`)
  out.push('    <properties>')
  const props: [string, string][] = [
    ['run_id', model.run.id],
    ['primary', model.run.primary],
    ['candidate', model.run.candidate],
    ['verdict', model.verdict],
    ['exit_code', String(model.exit_code)],
    ['decision_mode', model.decision_mode],
    ['seed', String(model.seed)],
    ['bootstrap_B', String(model.bootstrap_B)],
  ]
  for (const [k, v] of props) out.push(`      <property name="${k}" value="${esc(v)}"/>`)
  out.push('    </properties>')
  gates.forEach((g, i) => {
    out.push(`    <testcase classname="kt.gate.${esc(g.metric)}" name="${esc(g.rule)}" time="0">`)
    const message = `${g.decision.toUpperCase()}: ${g.reason}`
    if (g.decision === 'fail') out.push(`      <failure message="${esc(message)}" type="gate">${esc(lines[i]!)}</failure>`)
    else if (g.decision !== 'pass') out.push(`      <skipped message="${esc(message)}"/>`)
    out.push(`      <system-out>${esc(lines[i]!)}</system-out>`)
    out.push('    </testcase>')
  })
  if (model.warnings.length) out.push(`    <system-err>${esc(model.warnings.join('\n'))}</system-err>`)
  out.push('  </testsuite>')
  out.push('</testsuites>')
  return `${out.join('\n')}\n`
}
