// Gate decisions (docs/scoring-and-gates.md §4.4, §5.3). A gate compares a confidence interval with its threshold:
//   non-inferiority (default): PASS when every value in the interval satisfies the rule, FAIL when
//     none does, INCONCLUSIVE otherwise;
//   harm (`--decision harm`): FAIL only when no value satisfies the rule, else PASS.
// Below the §4.3 minimum sample a gate is INSUFFICIENT, never PASS, in both modes; harm mode needs at least 30
// pairs for every rule, since it passes whatever a wide interval cannot rule out. All gates must
// pass to ship: an intersection–union test, so each gate runs at its own level (§4.2).
import type {Decision, GateOutcome, Interval, Verdict} from '../analysis/index.js'
import {describeExclusions, detectableAt, MetricEngine, MIN_PAIRS_HARM, type Measurement} from '../analysis/index.js'
import type {GateOp, GateRule} from './parse.js'
import {KtError} from '../util/index.js'

export type DecisionMode = 'non-inferiority' | 'harm'

/**
 * Used when no rule is given on the command line or in the config (docs/scoring-and-gates.md §5.3). Besides the mean
 * quality difference, the rates that catch rare regressions (truncation, refusal, error) and the median latency:
 * a 10% truncation moves the mean score by less than the noise of a nondeterministic model, but its rate by far more
 * than a 2-point margin (test/gate/selfcheck.test.ts, bench/stats-power.ts; docs/scoring-and-gates.md §5.3).
 */
export const DEFAULT_GATES: readonly string[] = [
  'quality.overall.mean_diff > -0.02',
  'error_rate <= primary+0.01',
  'truncation_rate <= primary+0.02',
  'refusal_rate <= primary+0.02',
  'latency.p50 <= 1.2x',
  'latency.p95 <= 1.2x',
  'cost.total <= 1.2x',
]

function holds(value: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
  }
}

/**
 * The three-way outcome for an interval [low, high]: `all` = every value satisfies the rule (the
 * bound nearest the threshold does), `none` = no value does (the bound farthest from it does not).
 */
export function decide(low: number, high: number, op: GateOp, threshold: number, mode: DecisionMode): Exclude<Decision, 'insufficient'> {
  const wantsHigh = op === '>' || op === '>='
  const all = holds(wantsHigh ? low : high, op, threshold)
  const none = !holds(wantsHigh ? high : low, op, threshold)
  if (none) return 'fail'
  if (mode === 'harm') return 'pass'
  return all ? 'pass' : 'inconclusive'
}

/** How a number is shown in gate lines and reasons: by what it measures. */
export type ValueStyle = 'ratio' | 'ms' | 'usd' | 'tokens' | 'fraction'

export function valueStyle(kind: 'absolute' | 'difference' | 'ratio', unit: string): ValueStyle {
  if (kind === 'ratio') return 'ratio'
  if (unit === 'ms') return 'ms'
  if (unit === 'usd') return 'usd'
  if (unit === 'tokens') return 'tokens'
  return 'fraction'
}

/** Scores, rates and similarities with 3 decimals, ratios with 2, ms whole, dollars with 3 significant digits. */
export function fmtValue(v: number | null, style: ValueStyle): string {
  if (v === null || Number.isNaN(v)) return '?'
  if (v === Infinity) return '∞'
  if (v === -Infinity) return '-∞'
  let s: string
  switch (style) {
    case 'ratio':
      s = v.toFixed(2)
      break
    case 'ms':
      s = Math.round(v).toString()
      break
    case 'tokens':
      s = Math.abs(v) >= 100 ? Math.round(v).toString() : v.toFixed(1)
      break
    case 'usd':
      s = Math.abs(v) >= 1 ? v.toFixed(2) : Number(v.toPrecision(3)).toString()
      break
    default:
      s = v.toFixed(3)
  }
  // "-0.000" is zero.
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s
}

function fmtInterval(v: Interval, style: ValueStyle): string {
  return `[${fmtValue(v.low, style)}, ${fmtValue(v.high, style)}]`
}

function side(op: GateOp): string {
  return op === '>' || op === '>=' ? 'above' : 'below'
}

function reasonFor(rule: GateRule, m: Measurement, decision: Decision, mode: DecisionMode): string {
  const lvl = MetricEngine.levelText(m.value.level)
  const style = valueStyle(rule.kind, rule.spec.unit)
  const what = rule.kind === 'ratio' ? 'ratio' : rule.kind === 'difference' ? 'difference' : 'value'
  const t = `${rule.threshold}${rule.kind === 'ratio' ? 'x' : ''}`
  const ex = describeExclusions(m.excluded)
  const tail = ex && (rule.spec.family === 'score' || rule.spec.family === 'score_diff') ? `; ${ex}` : ''
  if (decision === 'insufficient') return `${m.insufficient}${tail}`
  const wantsHigh = rule.op === '>' || rule.op === '>='
  const away = wantsHigh ? 'below' : 'above'
  if (m.observed) {
    const v = fmtValue(m.value.estimate, style)
    const note = 'an observed total of this run, not an estimate: it says nothing about other traffic'
    return decision === 'pass' ? `the total ${v} is ${side(rule.op)} ${t} (${note})` : `the total ${v} is ${away} ${t} (${note})`
  }
  const ci = fmtInterval(m.value, style)
  if (decision === 'pass') {
    if (mode === 'harm' && !(holds(wantsHigh ? m.value.low! : m.value.high!, rule.op, rule.threshold))) {
      return `harm mode: the ${lvl} interval of the ${what} ${ci} is not entirely ${away} ${t}${tail}`
    }
    return `the whole ${lvl} interval of the ${what} ${ci} is ${side(rule.op)} ${t}${tail}`
  }
  if (decision === 'fail') return `the whole ${lvl} interval of the ${what} ${ci} is ${away} ${t}${tail}`
  const mde = m.mde !== null ? `; at n=${m.n} the smallest detectable change is ${fmtValue(m.mde, style)}` : ''
  return `the ${lvl} interval of the ${what} ${ci} straddles ${t}: more pairs or a wider margin would settle it${mde}${tail}`
}

/** Evaluates one parsed rule with the engine's data. `level` is the report level, used when the rule has no @level. */
export function evaluateGate(engine: MetricEngine, rule: GateRule, mode: DecisionMode, level: number): GateOutcome {
  const lvl = rule.level ?? level
  const measured = engine.measure(rule.spec, rule.kind, lvl)
  // Harm mode passes whatever the interval cannot rule out: below MIN_PAIRS_HARM that is almost anything.
  const need = mode === 'harm' ? Math.max(measured.minPairs, MIN_PAIRS_HARM) : measured.minPairs
  const m: Measurement = measured.insufficient === null && measured.n < need ? {...measured, minPairs: need, insufficient: `harm mode needs ${need} pairs, have ${measured.n}`} : measured
  const {low, high} = m.value
  let decision: Decision
  if (m.insufficient || low === null || high === null) decision = 'insufficient'
  else decision = decide(low, high, rule.op, rule.threshold, mode)
  const reason = reasonFor(rule, {...m, insufficient: m.insufficient ?? (decision === 'insufficient' ? 'no interval could be computed' : null)}, decision, mode)
  const mde = decision === 'insufficient' || m.observed ? null : detectableAt(m.value, rule.op === '>' || rule.op === '>=', rule.kind === 'ratio', rule.threshold)
  return {rule: rule.text, metric: rule.metric, decision, value: m.value, threshold: rule.threshold, op: rule.op, kind: rule.kind, n: m.n, mde, reason}
}

export function evaluateGates(engine: MetricEngine, rules: readonly GateRule[], mode: DecisionMode, level: number): GateOutcome[] {
  refuseBatchLatency(rules, engine.data.run.batch_arms ?? [])
  return rules.map((r) => evaluateGate(engine, r, mode, level))
}

/**
 * A batched arm (kt replay --via batch) has no latency: its requests waited in the provider's queue for up to a day.
 * A latency or time-to-first-token rule on it would judge numbers that mean nothing, so it is refused (exit 2).
 */
export function refuseBatchLatency(rules: readonly GateRule[], batchArms: readonly string[]): void {
  const arms = batchArms.filter((a) => a === 'primary' || a === 'candidate')
  const bad = rules.filter((r) => r.spec.quantile !== undefined)
  if (arms.length === 0 || bad.length === 0) return
  throw new KtError(
    `${bad.map((r) => `gate "${r.text}"`).join(', ')}: the ${arms.join(' and ')} arm${arms.length > 1 ? 's were' : ' was'} answered through a Batch API, ` +
      "where a request's time is spent in the provider's queue, not the model's; latency and ttft gates cannot judge it. " +
      'Drop the rule, or replay that arm live to gate latency.',
    2,
  )
}

/** fail if any gate fails; else insufficient if any lacks data; else inconclusive if any; else pass. No gates: none. */
export function verdictOf(outcomes: readonly GateOutcome[]): Verdict {
  if (outcomes.length === 0) return 'none'
  if (outcomes.some((o) => o.decision === 'fail')) return 'fail'
  if (outcomes.some((o) => o.decision === 'insufficient')) return 'insufficient'
  if (outcomes.some((o) => o.decision === 'inconclusive')) return 'inconclusive'
  return 'pass'
}

/** §5.4: 0 pass (and no gates), 1 fail, 3 inconclusive/insufficient (0 with allow-inconclusive). */
export function exitCodeOf(verdict: Verdict, allowInconclusive = false): number {
  if (verdict === 'fail') return 1
  if (verdict === 'inconclusive' || verdict === 'insufficient') return allowInconclusive ? 0 : 3
  return 0
}
