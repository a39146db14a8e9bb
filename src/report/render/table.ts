// The terminal summary: a header, the per-metric table (cli-table3), one line per gate, the verdict,
// the noise floor and the worst regressions. Colour only when asked (the command asks when stdout is a TTY).
import Table from 'cli-table3'
import type {Decision, ReportModel, Verdict} from '../../analysis/index.js'
import {
  DECISION_SYMBOL,
  DECISION_WORD,
  DIRECTION_MARK,
  JUDGE_HEAD,
  VERDICT_WORD,
  direction,
  excerpt,
  fmtComparison,
  fmtDelta,
  fmtGateMde,
  fmtGateValue,
  fmtLevel,
  fmtP,
  fmtRowValue,
  fmtScore,
  fmtValue,
  judgeRows,
  unitOf,
  verdictSentence,
  type Direction,
} from './format.js'

export interface TableOptions {
  /** ANSI colours; default: stdout is a TTY and NO_COLOR is unset. */
  color?: boolean
  /** At most this many regressed requests (default: all the model holds, which `--worst` sets). */
  worst?: number
  /** Characters per answer excerpt (default 100). */
  excerpt?: number
}

type Paint = (code: string, text: string) => string

function painter(on: boolean): Paint {
  return on ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text
}

const DECISION_COLOUR: Record<Decision, string> = {pass: '32', fail: '31', inconclusive: '33', insufficient: '90'}
const VERDICT_COLOUR: Record<Verdict, string> = {...DECISION_COLOUR, none: '90'}
const DIRECTION_COLOUR: Record<Direction, string> = {better: '32', worse: '31', unclear: '90', none: '90'}

export function defaultColor(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR
}

interface Style {
  colour: boolean
  paint: Paint
  bold: (s: string) => string
  dim: (s: string) => string
}

function metricsTable(model: ReportModel, st: Style): string[] {
  if (!model.metrics.length) return []
  const level = model.metrics.find((m) => m.comparison)?.comparison?.level ?? 0.95
  const table = new Table({
    head: ['metric', 'primary', 'candidate', `Δ or ratio [${fmtLevel(level)} CI]`, 'n', 'p', 'change'],
    style: {head: st.colour ? ['cyan'] : [], border: st.colour ? ['grey'] : []},
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
  })
  for (const m of model.metrics) {
    const d = direction(m)
    table.push([
      m.label,
      fmtRowValue(m, 'primary'),
      fmtRowValue(m, 'candidate'),
      fmtComparison(m.comparison, m.unit),
      String(m.n),
      fmtP(m.p_value),
      d === 'none' ? '' : st.paint(DIRECTION_COLOUR[d], DIRECTION_MARK[d]),
    ])
  }
  return [table.toString(), '']
}

function gateSection(model: ReportModel, st: Style): string[] {
  if (!model.gates.length) return []
  const out = [st.bold('gates')]
  const wordWidth = Math.max(...model.gates.map((g) => DECISION_WORD[g.decision].length))
  const ruleWidth = Math.max(...model.gates.map((g) => [...excerpt(g.rule, 80)].length))
  for (const g of model.gates) {
    const head = st.paint(DECISION_COLOUR[g.decision], `${DECISION_SYMBOL[g.decision]} ${DECISION_WORD[g.decision].padEnd(wordWidth)}`)
    const unit = unitOf(g.metric, model.metrics)
    const mde = g.mde !== null ? `  mde ${fmtGateMde(g, unit)}` : ''
    out.push(`  ${head}  ${excerpt(g.rule, 80).padEnd(ruleWidth)}  ${fmtGateValue(g, unit)}  n=${g.n}${mde}`)
    if (g.reason) out.push(st.dim(`    ${' '.repeat(wordWidth)}  ${excerpt(g.reason, 400)}`))
  }
  if (model.gates.some((g) => g.mde !== null)) out.push(st.dim('  mde: where each rule would FAIL with 80% power at this n; far beyond the threshold, a PASS says little'))
  out.push('')
  return out
}

function noiseSection(model: ReportModel, st: Style): string[] {
  const nf = model.noise
  if (!nf) return []
  const out = ['', st.bold(`noise floor (A/A, n=${nf.n})`)]
  out.push(`  similarity to primary: primary' ${fmtScore(nf.noise_dice_mean)}, candidate ${fmtScore(nf.candidate_dice_mean)} (dice)`)
  if (nf.diff) out.push(`  candidate − noise      ${fmtComparison({...nf.diff, kind: 'difference'}, 'similarity')}`)
  if (nf.beyond_noise_rate) {
    const b = nf.beyond_noise_rate
    out.push(`  beyond noise           ${fmtValue(b.estimate, 'rate')} [${fmtValue(b.low, 'rate')}, ${fmtValue(b.high, 'rate')}] of requests below the 5th percentile of A/A similarity`)
  }
  if (nf.aa_score_sd !== null) out.push(`  A/A score noise (SD)   ${fmtScore(nf.aa_score_sd)}`)
  return out
}

function judgeSection(model: ReportModel, st: Style): string[] {
  if (!model.judge) return []
  const j = judgeRows(model.judge)
  const grid = new Table({head: JUDGE_HEAD, style: {head: st.colour ? ['cyan'] : [], border: st.colour ? ['grey'] : []}})
  for (const r of j.rows) grid.push(r)
  return ['', st.bold(j.title), grid.toString(), ...(j.pairwise ? [`  ${j.pairwise}`] : [])]
}

function worstSection(model: ReportModel, st: Style, opts: TableOptions): string[] {
  const worst = model.worst.slice(0, opts.worst ?? model.worst.length)
  if (!worst.length) return []
  const width = opts.excerpt ?? 100
  const out = ['', st.bold(`worst regressions (${worst.length} of ${model.worst.length})`)]
  worst.forEach((w, i) => {
    const reasons = w.reasons.length ? `  ${st.paint('33', excerpt(w.reasons.join('; '), 300))}` : ''
    out.push(`${String(i + 1).padStart(2)}. ${excerpt(w.event_id, 80)}  Δ overall ${st.paint('31', fmtDelta(w.delta))}  dice ${fmtScore(w.dice)}${reasons}`)
    out.push(`    ${st.dim('prompt   ')} ${excerpt(w.prompt, width)}`)
    out.push(`    ${st.dim('primary  ')} ${w.primary_text === null ? st.dim('(no answer)') : excerpt(w.primary_text, width)}`)
    out.push(`    ${st.dim('candidate')} ${w.candidate_text === null ? st.dim('(no answer)') : excerpt(w.candidate_text, width)}`)
  })
  return out
}

export function renderTable(model: ReportModel, opts: TableOptions = {}): string {
  const colour = opts.color ?? defaultColor()
  const paint = painter(colour)
  const st: Style = {colour, paint, bold: (s) => paint('1', s), dim: (s) => paint('2', s)}
  const r = model.run
  const out: string[] = [
    st.bold(`kt report  ${r.id}${r.name ? ` (${excerpt(r.name, 80)})` : ''}`),
    `primary    ${excerpt(r.primary, 200)}`,
    `candidate  ${excerpt(r.candidate, 200)}`,
    st.dim(`${r.total} requests · status ${r.status} · ${model.decision_mode} · scorer ${model.scorer} · bootstrap B=${model.bootstrap_B} seed=${model.seed}`),
    '',
    ...metricsTable(model, st),
    ...gateSection(model, st),
    `${st.bold('verdict')}  ${paint(`1;${VERDICT_COLOUR[model.verdict]}`, VERDICT_WORD[model.verdict])}  ${st.dim(verdictSentence(model.verdict))}`,
    ...noiseSection(model, st),
    ...judgeSection(model, st),
    ...worstSection(model, st, opts),
  ]
  if (model.warnings.length) {
    out.push('')
    for (const w of model.warnings) out.push(paint('33', `warning: ${excerpt(w, 400)}`))
  }
  return `${out.join('\n')}\n`
}
