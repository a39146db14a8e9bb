// Number and text formatting shared by every report format, so a value reads the same in the
// terminal, the Markdown summary and the HTML page.
import type {JudgeSummary} from '../../scoring/index.js'
import {findMetric} from '../../analysis/index.js'
import type {Decision, GateOutcome, Interval, MetricRow, Verdict} from '../../analysis/index.js'

export type Unit = MetricRow['unit']

const EMPTY = '–'

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && !Number.isNaN(v)
}

/** `-0.004`, `+0.012`: differences carry their sign so a direction is visible at a glance. */
function signed(v: number, digits: number): string {
  const s = v.toFixed(digits)
  // -0.000 reads as a regression that is not there.
  if (Number(s) === 0) return (0).toFixed(digits)
  return v > 0 ? `+${s}` : s
}

function inf(v: number): string | null {
  if (v === Infinity) return '∞'
  if (v === -Infinity) return '-∞'
  return null
}

/** An absolute value of a metric in its unit: 0.812, 2.4%, 812 ms, $0.0041, 1,234. */
export function fmtValue(v: number | null | undefined, unit: Unit): string {
  if (!finite(v)) return EMPTY
  const i = inf(v)
  if (i) return i
  switch (unit) {
    case 'score':
    case 'similarity':
      return v.toFixed(3)
    case 'rate':
      return `${(v * 100).toFixed(1)}%`
    case 'ms':
      return `${Math.round(v).toLocaleString('en-US')} ms`
    case 'usd':
      return fmtUsd(v)
    case 'tokens':
      return Math.round(v).toLocaleString('en-US')
  }
}

export function fmtUsd(v: number | null | undefined): string {
  if (!finite(v)) return EMPTY
  const a = Math.abs(v)
  // Per-request costs are tiny: three significant digits, not a fixed number of decimals.
  const s = a >= 1 ? a.toFixed(2) : String(Number(a.toPrecision(3)))
  return `${v < 0 ? '-' : ''}$${s}`
}

/** One end of a difference, in the metric's unit (percentage points for rates). */
function fmtDiffPoint(v: number | null, unit: Unit): string {
  if (!finite(v)) return EMPTY
  const i = inf(v)
  if (i) return i
  switch (unit) {
    case 'rate':
      return signed(v * 100, 1)
    case 'ms':
    case 'tokens':
      return signed(v, 0)
    case 'usd': {
      if (Math.abs(v) >= 1) return signed(v, 2)
      const s = String(Number(Math.abs(v).toPrecision(3)))
      return v > 0 ? `+$${s}` : v < 0 ? `-$${s}` : '$0'
    }
    default:
      return signed(v, 3)
  }
}

function fmtRatioPoint(v: number | null): string {
  if (!finite(v)) return EMPTY
  return inf(v) ?? v.toFixed(2)
}

const DIFF_SUFFIX: Partial<Record<Unit, string>> = {rate: ' pp', ms: ' ms'}

/** `-0.004 [-0.011, 0.003]`, `+1.2 pp [-0.4, 2.9]`, `1.31× [1.22, 1.44]`. */
export function fmtComparison(c: (Interval & {kind: 'difference' | 'ratio'}) | null, unit: Unit): string {
  if (!c || !finite(c.estimate)) return EMPTY
  if (c.kind === 'ratio') {
    const ci = finite(c.low) && finite(c.high) ? ` [${fmtRatioPoint(c.low)}, ${fmtRatioPoint(c.high)}]` : ''
    return `${fmtRatioPoint(c.estimate)}×${ci}`
  }
  const ci = finite(c.low) && finite(c.high) ? ` [${fmtDiffPoint(c.low, unit)}, ${fmtDiffPoint(c.high, unit)}]` : ''
  return `${fmtDiffPoint(c.estimate, unit)}${DIFF_SUFFIX[unit] ?? ''}${ci}`
}

/**
 * The gate's evaluated quantity: `ratio 1.31× [1.22, 1.44]`, `difference -0.004 [-0.011, 0.003]`. Rates are
 * shown as fractions here (not %), in the unit the rule's threshold is written in (`error_rate <= primary+0.01`).
 */
export function fmtGateValue(g: GateOutcome, unit: Unit): string {
  const v = g.value
  if (!finite(v.estimate)) return 'no estimate'
  const u: Unit = unit === 'rate' ? 'score' : unit
  // An INSUFFICIENT gate's interval (if any) is not one to read.
  const bounds = g.decision !== 'insufficient' && finite(v.low) && finite(v.high)
  if (g.kind === 'absolute') {
    return `value ${fmtValue(v.estimate, u)}${bounds ? ` [${fmtValue(v.low, u)}, ${fmtValue(v.high, u)}]` : ''}`
  }
  return `${g.kind} ${fmtComparison({...v, low: bounds ? v.low : null, high: bounds ? v.high : null, kind: g.kind}, u)}`
}

/**
 * A gate's minimum detectable effect, as the value the rule would FAIL at with 80% power: `≤ -0.048` for a
 * "> -0.02" rule, `≥ 1.34×` for "<= 1.2x". Far beyond the threshold means a PASS is weak evidence.
 */
export function fmtGateMde(g: GateOutcome, unit: Unit): string {
  if (!finite(g.mde)) return EMPTY
  const side = g.op === '>' || g.op === '>=' ? '≤' : '≥'
  const u: Unit = unit === 'rate' ? 'score' : unit
  if (g.kind === 'ratio') return `${side} ${fmtRatioPoint(g.mde)}×`
  if (g.kind === 'absolute') return `${side} ${fmtValue(g.mde, u)}`
  return `${side} ${fmtComparison({estimate: g.mde, low: null, high: null, level: 0, method: '', kind: 'difference'}, u)}`
}

/** A metric row's value for one arm; `≥ ` when it rests on timed-out requests (a lower bound). */
export function fmtRowValue(m: MetricRow, arm: 'primary' | 'candidate'): string {
  const text = fmtValue(m[arm], m.unit)
  return m.lower_bound?.[arm] && text !== EMPTY ? `≥ ${text}` : text
}

/** A latency of one arm (`p50`, `p95`…), `≥ ` when it is a lower bound. */
export function fmtArmLatency(l: {lower_bound: readonly string[]} & Record<'p50' | 'p95' | 'p99' | 'mean', number | null>, key: 'p50' | 'p95' | 'p99' | 'mean'): string {
  const text = fmtValue(l[key], 'ms')
  return l.lower_bound.includes(key) && text !== EMPTY ? `≥ ${text}` : text
}

export function fmtP(p: number | null | undefined): string {
  if (!finite(p)) return EMPTY
  if (p < 0.001) return '<0.001'
  return p.toFixed(3)
}

export function fmtLevel(level: number): string {
  return `${Math.round(level * 1000) / 10}%`
}

/**
 * Whether the candidate is clearly better, clearly worse, or neither: the interval must exclude
 * "no change" (0 for a difference, 1 for a ratio) before a direction is claimed.
 */
export type Direction = 'better' | 'worse' | 'unclear' | 'none'

export function direction(m: Pick<MetricRow, 'comparison' | 'better'>): Direction {
  const c = m.comparison
  if (!c || !m.better || !finite(c.low) || !finite(c.high)) return 'none'
  const zero = c.kind === 'ratio' ? 1 : 0
  if (c.low > zero) return m.better === 'higher' ? 'better' : 'worse'
  if (c.high < zero) return m.better === 'lower' ? 'better' : 'worse'
  return 'unclear'
}

export const DIRECTION_MARK: Record<Direction, string> = {better: '▲ better', worse: '▼ worse', unclear: '≈ no clear change', none: ''}

export const DECISION_SYMBOL: Record<Decision, string> = {pass: '✓', fail: '✗', inconclusive: '?', insufficient: '·'}
export const DECISION_WORD: Record<Decision, string> = {pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', insufficient: 'INSUFFICIENT'}

export const VERDICT_WORD: Record<Verdict, string> = {...DECISION_WORD, none: 'NO GATES'}

/** One sentence on what the verdict means, shared by all formats. */
export function verdictSentence(v: Verdict): string {
  switch (v) {
    case 'pass':
      return 'every gate passed: the candidate is not worse by more than the margins'
    case 'fail':
      return 'at least one gate failed: the candidate is worse by more than a margin'
    case 'inconclusive':
      return 'the evidence does not settle at least one gate either way: more requests would narrow the intervals'
    case 'insufficient':
      return 'too few paired requests for at least one gate'
    case 'none':
      return 'no gates were evaluated'
  }
}

/** Control characters (and the C1 CSI) could move the cursor or recolour a terminal: show them as `?`. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** One line of at most `max` characters: whitespace collapsed, control characters neutralised. */
export function excerpt(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return ''
  const flat = text.replace(/\s+/g, ' ').replace(CONTROL, '?').trim()
  const chars = [...flat]
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`
}

/** Keeps line breaks (for <pre>-like display) but cuts at `max` characters and neutralises control characters. */
export function clip(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return ''
  const clean = text.replace(/\r\n?/g, '\n').replace(CONTROL, '?')
  const chars = [...clean]
  return chars.length <= max ? clean : `${chars.slice(0, max).join('')}… [${chars.length - max} more characters]`
}

export function fmtDelta(v: number | null | undefined): string {
  return finite(v) ? signed(v, 3) : EMPTY
}

export function fmtScore(v: number | null | undefined): string {
  return finite(v) ? v.toFixed(3) : EMPTY
}

export function fmtRate(v: number | null | undefined): string {
  return finite(v) ? `${(v * 100).toFixed(1)}%` : EMPTY
}

/** The unit of a gate's metric: from the metric registry, else the metrics table, else by its name. */
export function unitOf(metric: string, metrics: readonly MetricRow[]): Unit {
  const spec = findMetric(metric)
  if (spec) return spec.unit
  const row = metrics.find((m) => m.metric === metric)
  if (row) return row.unit
  if (metric.startsWith('latency') || metric.startsWith('ttft')) return 'ms'
  if (metric.startsWith('cost')) return 'usd'
  if (metric.endsWith('rate')) return 'rate'
  if (metric.startsWith('similarity')) return 'similarity'
  return 'score'
}

export {EMPTY}

export const JUDGE_HEAD = ['arm', 'judged', 'judge errors', 'judge error rate', 'relevance', 'coherence', 'completeness', 'overall']

/** One row per arm of the judge summary, plus the head-to-head line; shared by every format. */
export function judgeRows(j: JudgeSummary): {rows: string[][]; pairwise: string | null; title: string} {
  const rows: string[][] = []
  for (const arm of ['primary', 'candidate', 'primary_aa'] as const) {
    const a = j.arms[arm]
    if (!a) continue
    rows.push([arm, String(a.judged), String(a.errors), fmtRate(a.error_rate), fmtScore(a.means.relevance), fmtScore(a.means.coherence), fmtScore(a.means.completeness), fmtScore(a.means.overall)])
  }
  const p = j.pairwise
  const pairwise = p
    ? `head to head (both orders, n=${p.n}): candidate win rate ${fmtRate(p.win_rate)} — ${p.candidate_wins} wins, ${p.primary_wins} losses, ${p.ties} ties (${p.inconsistent} from order disagreement), ${p.errors} judge errors`
    : null
  return {rows, pairwise, title: `LLM judge ${j.model ?? ''} (${j.rubric}); judge failures are excluded, never scored 0`}
}
