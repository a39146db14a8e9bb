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
  /** How many regressed requests to show (default 5, the model may hold more). */
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

export function renderTable(model: ReportModel, opts: TableOptions = {}): string {
  const colour = opts.color ?? defaultColor()
  const paint = painter(colour)
  const bold = (s: string) => paint('1', s)
  const dim = (s: string) => paint('2', s)
  const out: string[] = []
  const r = model.run
  out.push(bold(`kt report  ${r.id}${r.name ? ` (${excerpt(r.name, 80)})` : ''}`))
  out.push(`primary    ${excerpt(r.primary, 200)}`)
  out.push(`candidate  ${excerpt(r.candidate, 200)}`)
  out.push(
    dim(`${r.total} requests · status ${r.status} · ${model.decision_mode} · scorer ${model.scorer} · bootstrap B=${model.bootstrap_B} seed=${model.seed}`),
  )
  out.push('')

  if (model.metrics.length) {
    const level = model.metrics.find((m) => m.comparison)?.comparison?.level ?? 0.95
    const table = new Table({
      head: ['metric', 'primary', 'candidate', `Δ or ratio [${fmtLevel(level)} CI]`, 'n', 'p', 'change'],
      style: {head: colour ? ['cyan'] : [], border: colour ? ['grey'] : []},
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
        d === 'none' ? '' : paint(DIRECTION_COLOUR[d], DIRECTION_MARK[d]),
      ])
    }
    out.push(table.toString())
    out.push('')
  }

  if (model.gates.length) {
    out.push(bold('gates'))
    const wordWidth = Math.max(...model.gates.map((g) => DECISION_WORD[g.decision].length))
    const ruleWidth = Math.max(...model.gates.map((g) => [...excerpt(g.rule, 80)].length))
    for (const g of model.gates) {
      const head = paint(DECISION_COLOUR[g.decision], `${DECISION_SYMBOL[g.decision]} ${DECISION_WORD[g.decision].padEnd(wordWidth)}`)
      const unit = unitOf(g.metric, model.metrics)
      const mde = g.mde !== null ? `  mde ${fmtGateMde(g, unit)}` : ''
      out.push(`  ${head}  ${excerpt(g.rule, 80).padEnd(ruleWidth)}  ${fmtGateValue(g, unit)}  n=${g.n}${mde}`)
      if (g.reason) out.push(dim(`    ${' '.repeat(wordWidth)}  ${excerpt(g.reason, 400)}`))
    }
    if (model.gates.some((g) => g.mde !== null)) out.push(dim('  mde: where each rule would FAIL with 80% power at this n; far beyond the threshold, a PASS says little'))
    out.push('')
  }
  out.push(`${bold('verdict')}  ${paint(`1;${VERDICT_COLOUR[model.verdict]}`, VERDICT_WORD[model.verdict])}  ${dim(verdictSentence(model.verdict))}`)

  const nf = model.noise
  if (nf) {
    out.push('')
    out.push(bold(`noise floor (A/A, n=${nf.n})`))
    out.push(`  similarity to primary: primary' ${fmtScore(nf.noise_dice_mean)}, candidate ${fmtScore(nf.candidate_dice_mean)} (dice)`)
    if (nf.diff) out.push(`  candidate − noise      ${fmtComparison({...nf.diff, kind: 'difference'}, 'similarity')}`)
    if (nf.beyond_noise_rate) {
      const b = nf.beyond_noise_rate
      out.push(`  beyond noise           ${fmtValue(b.estimate, 'rate')} [${fmtValue(b.low, 'rate')}, ${fmtValue(b.high, 'rate')}] of requests below the 5th percentile of A/A similarity`)
    }
    if (nf.aa_score_sd !== null) out.push(`  A/A score noise (SD)   ${fmtScore(nf.aa_score_sd)}`)
  }

  if (model.judge) {
    const j = judgeRows(model.judge)
    out.push('')
    out.push(bold(j.title))
    const grid = new Table({head: JUDGE_HEAD, style: {head: colour ? ['cyan'] : [], border: colour ? ['grey'] : []}})
    for (const r of j.rows) grid.push(r)
    out.push(grid.toString())
    if (j.pairwise) out.push(`  ${j.pairwise}`)
  }

  const worst = model.worst.slice(0, opts.worst ?? 5)
  if (worst.length) {
    const width = opts.excerpt ?? 100
    out.push('')
    out.push(bold(`worst regressions (${worst.length} of ${model.worst.length})`))
    worst.forEach((w, i) => {
      const reasons = w.reasons.length ? `  ${paint('33', excerpt(w.reasons.join('; '), 300))}` : ''
      out.push(`${String(i + 1).padStart(2)}. ${excerpt(w.event_id, 80)}  Δ overall ${paint('31', fmtDelta(w.delta))}  dice ${fmtScore(w.dice)}${reasons}`)
      out.push(`    ${dim('prompt   ')} ${excerpt(w.prompt, width)}`)
      out.push(`    ${dim('primary  ')} ${w.primary_text === null ? dim('(no answer)') : excerpt(w.primary_text, width)}`)
      out.push(`    ${dim('candidate')} ${w.candidate_text === null ? dim('(no answer)') : excerpt(w.candidate_text, width)}`)
    })
  }

  if (model.warnings.length) {
    out.push('')
    for (const w of model.warnings) out.push(paint('33', `warning: ${excerpt(w, 400)}`))
  }
  return `${out.join('\n')}\n`
}
