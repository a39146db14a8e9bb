// Markdown for a CI job summary (GitHub `$GITHUB_STEP_SUMMARY`, GitLab, PR comments): verdict headline,
// gates, metrics, noise floor, and the worst regressions folded in <details>. All text from the run
// (prompts, answers, names) is escaped: it must not turn into HTML, links or table columns.
import type {Decision, ReportModel, Verdict} from '../../analysis/index.js'
import {
  DECISION_WORD,
  DIRECTION_MARK,
  JUDGE_HEAD,
  VERDICT_WORD,
  clip,
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
} from './format.js'

export interface MarkdownOptions {
  /** At most this many regressed requests (default: all the model holds, which `--worst` sets). */
  worst?: number
  /** Characters per prompt or answer inside <details> (default 1500; step summaries are capped at 1 MiB). */
  maxText?: number
}

const VERDICT_EMOJI: Record<Verdict, string> = {pass: '✅', fail: '❌', inconclusive: '⚠️', insufficient: '⏸️', none: 'ℹ️'}
const DECISION_EMOJI: Record<Decision, string> = {pass: '✅', fail: '❌', inconclusive: '⚠️', insufficient: '⏸️'}

/** HTML-escapes and defuses Markdown syntax so text stays text in a table cell or paragraph. */
export function mdText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1')
}

function mdCell(text: string, max = 200): string {
  return mdText(excerpt(text, max))
}

/** Text for a <pre> block inside <details>: HTML-escaped (GitHub does not parse Markdown inside <pre>). */
function pre(text: string | null, max: number): string {
  if (text === null) return '<pre><i>(no answer)</i></pre>'
  const body = clip(text, max).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return `<pre>${body}</pre>`
}

function table(head: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  const sep = align.map((a) => (a === 'r' ? '---:' : ':---'))
  return [`| ${head.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

function headerSection(model: ReportModel): string[] {
  const r = model.run
  return [
    `## ${VERDICT_EMOJI[model.verdict]} kt report: ${VERDICT_WORD[model.verdict]}`,
    '',
    `${mdText(verdictSentence(model.verdict))}.`,
    '',
    `**Run** \`${excerpt(r.id, 80).replace(/`/g, "'")}\`${r.name ? ` (${mdCell(r.name, 80)})` : ''} · ${r.total} requests · ${mdText(r.status)}  `,
    `**Primary** ${mdCell(r.primary)} · **Candidate** ${mdCell(r.candidate)}  `,
    `${mdText(model.decision_mode)} · scorer ${mdCell(model.scorer)} · bootstrap B=${model.bootstrap_B}, seed ${model.seed}`,
  ]
}

function gatesSection(model: ReportModel): string[] {
  if (!model.gates.length) return []
  return [
    '',
    '### Gates',
    '',
    ...table(
      ['', 'gate', 'decision', 'evaluated', 'n', 'fails at (80% power)', 'reason'],
      model.gates.map((g) => [
        DECISION_EMOJI[g.decision],
        `\`${excerpt(g.rule, 120).replace(/`/g, "'")}\``,
        `**${DECISION_WORD[g.decision]}**`,
        mdText(fmtGateValue(g, unitOf(g.metric, model.metrics))),
        String(g.n),
        mdText(fmtGateMde(g, unitOf(g.metric, model.metrics))),
        mdCell(g.reason, 300),
      ]),
      ['l', 'l', 'l', 'r', 'r', 'r', 'l'],
    ),
  ]
}

function metricsSection(model: ReportModel): string[] {
  if (!model.metrics.length) return []
  const level = model.metrics.find((m) => m.comparison)?.comparison?.level ?? 0.95
  return [
    '',
    '### Metrics',
    '',
    ...table(
      ['metric', 'primary', 'candidate', `Δ or ratio [${fmtLevel(level)} CI]`, 'n', 'p', 'change'],
      model.metrics.map((m) => [
        mdCell(m.label),
        mdText(fmtRowValue(m, 'primary')),
        mdText(fmtRowValue(m, 'candidate')),
        mdText(fmtComparison(m.comparison, m.unit)),
        String(m.n),
        mdText(fmtP(m.p_value)),
        DIRECTION_MARK[direction(m)],
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  ]
}

function noiseSection(model: ReportModel): string[] {
  const nf = model.noise
  const out = ['', '### Noise floor', '']
  if (!nf) return [...out, 'No A/A arm in this run: replay with `--aa 0.3` to measure how much the primary disagrees with itself.']
  const rows: string[][] = [
    ["primary vs primary' similarity (dice, mean)", fmtScore(nf.noise_dice_mean)],
    ['primary vs candidate similarity (dice, mean)', fmtScore(nf.candidate_dice_mean)],
  ]
  if (nf.diff) rows.push(['candidate − noise (paired)', mdText(fmtComparison({...nf.diff, kind: 'difference'}, 'similarity'))])
  if (nf.beyond_noise_rate) {
    const b = nf.beyond_noise_rate
    rows.push(['requests beyond the noise (below its 5th percentile)', mdText(`${fmtValue(b.estimate, 'rate')} [${fmtValue(b.low, 'rate')}, ${fmtValue(b.high, 'rate')}]`)])
  }
  if (nf.aa_score_sd !== null) rows.push(['A/A overall-score SD (scorer noise)', fmtScore(nf.aa_score_sd)])
  return [...out, `${nf.n} requests with an A/A replay.`, '', ...table(['', 'value'], rows, ['l', 'r'])]
}

function judgeSection(model: ReportModel): string[] {
  if (!model.judge) return []
  const j = judgeRows(model.judge)
  return ['', '### LLM judge', '', mdText(j.title), '', ...table(JUDGE_HEAD, j.rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), ...(j.pairwise ? ['', mdText(j.pairwise)] : [])]
}

function worstSection(model: ReportModel, opts: MarkdownOptions): string[] {
  const worst = model.worst.slice(0, opts.worst ?? model.worst.length)
  if (!worst.length) return []
  const max = opts.maxText ?? 1500
  const out = ['', `### Worst regressions (${worst.length} of ${model.worst.length})`]
  for (const w of worst) {
    const reasons = w.reasons.length ? ` — ${mdHtml(excerpt(w.reasons.join('; '), 200))}` : ''
    // <summary> content is HTML: escape, no Markdown.
    out.push('', `<details><summary><code>${mdHtml(excerpt(w.event_id, 80))}</code> Δ overall ${fmtDelta(w.delta)} · dice ${fmtScore(w.dice)}${reasons}</summary>`)
    out.push('', '**Prompt**', '', pre(w.prompt, max), '')
    out.push(`**Primary** (overall ${fmtScore(w.primary_overall)})`, '', pre(w.primary_text, max), '')
    out.push(`**Candidate** (overall ${fmtScore(w.candidate_overall)})`, '', pre(w.candidate_text, max), '', '</details>')
  }
  return out
}

export function renderMarkdown(model: ReportModel, opts: MarkdownOptions = {}): string {
  const out = [
    ...headerSection(model),
    ...gatesSection(model),
    ...metricsSection(model),
    ...noiseSection(model),
    ...judgeSection(model),
    ...worstSection(model, opts),
  ]
  if (model.warnings.length) out.push('', '### Warnings', '', ...model.warnings.map((w) => `- ${mdCell(w, 500)}`))
  out.push('')
  return out.join('\n')
}

function mdHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
