// Text output of `kt gate` (and `kt replay --gate`): one aligned line per rule, then the verdict. `mde` is where the
// rule would FAIL with 80% power at this n (a PASS with an mde far beyond the threshold is weak evidence).
//   ✓ PASS          quality.overall.mean_diff > -0.02   diff -0.004 [-0.011, 0.003] n=412 mde ≤ -0.031
//   ✗ FAIL          latency.p95 <= 1.2x                 ratio 1.31 [1.22, 1.44] n=412 mde ≥ 1.33
//   ? INCONCLUSIVE  error_rate <= primary+0.01          diff 0.002 [-0.004, 0.012] n=412 mde ≥ 0.020
//   · INSUFFICIENT  latency.p99 <= 1.2x                 ratio 1.05 n=412 (need 1000 pairs, have 412)
import type {Decision, GateOutcome, ReportModel} from '../../analysis/index.js'
import {fmtValue, valueStyle} from '../../gate/index.js'
import {findMetric} from '../../analysis/index.js'

const MARK: Record<Decision, string> = {pass: '✓', fail: '✗', inconclusive: '?', insufficient: '·'}

function valueText(g: GateOutcome): string {
  const style = valueStyle(g.kind, findMetric(g.metric)?.unit ?? 'score')
  const name = g.kind === 'ratio' ? 'ratio' : g.kind === 'difference' ? 'diff' : 'value'
  const v = g.value
  if (v.estimate === null) return `n=${g.n}`
  const ci = v.low !== null && v.high !== null && g.decision !== 'insufficient' ? ` [${fmtValue(v.low, style)}, ${fmtValue(v.high, style)}]` : ''
  const side = g.op === '>' || g.op === '>=' ? '≤' : '≥'
  const mde = g.mde !== null && g.decision !== 'insufficient' ? ` mde ${side} ${fmtValue(g.mde, style)}` : ''
  const observed = g.kind === 'absolute' && /observed total/.test(v.method) ? ' (observed total)' : ''
  return `${name} ${fmtValue(v.estimate, style)}${observed ? '' : ci}${observed} n=${g.n}${mde}`
}

export function gateLines(gates: readonly GateOutcome[]): string[] {
  const labelWidth = Math.max(...gates.map((g) => g.decision.length))
  const ruleWidth = Math.max(...gates.map((g) => g.rule.length))
  return gates.map((g) => {
    const label = g.decision.toUpperCase().padEnd(labelWidth)
    const extra = g.decision === 'insufficient' ? ` (${g.reason})` : ''
    return `${MARK[g.decision]} ${label}  ${g.rule.padEnd(ruleWidth)}   ${valueText(g)}${extra}`
  })
}

export function verdictLine(model: ReportModel, allowInconclusive: boolean): string {
  const count = (d: Decision) => model.gates.filter((g) => g.decision === d).length
  const parts = (['fail', 'inconclusive', 'insufficient', 'pass'] as const).filter((d) => count(d) > 0).map((d) => `${count(d)} ${d === 'pass' ? 'passed' : d === 'fail' ? 'failed' : d}`)
  const soft = (model.verdict === 'inconclusive' || model.verdict === 'insufficient') && allowInconclusive ? ', allowed by --allow-inconclusive' : ''
  const mode = model.decision_mode === 'harm' ? ' [harm mode]' : ''
  return `verdict: ${model.verdict.toUpperCase()} (${parts.join(', ')}; exit ${model.exit_code}${soft})${mode}`
}

/** What `--json` prints: the gate outcomes and the verdict, with what is needed to reproduce them. */
export function gateJson(model: ReportModel, level: number): Record<string, unknown> {
  return {
    schema: 'kt.gate/v1',
    run: model.run,
    decision_mode: model.decision_mode,
    level,
    seed: model.seed,
    bootstrap_B: model.bootstrap_B,
    verdict: model.verdict,
    exit_code: model.exit_code,
    gates: model.gates,
    warnings: model.warnings,
  }
}
