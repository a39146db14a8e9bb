// One self-contained HTML page: inline CSS, inline SVG charts, no script, no font, no URL. A
// Content-Security-Policy forbids loading anything, as a second line of defence behind the escaping
// of every piece of run text (answers routinely contain HTML).
import {quantile} from '../../stats/index.js'
import type {ArmStats, GateOutcome, ReportModel, Verdict} from '../../analysis/index.js'
import {
  DECISION_SYMBOL,
  DECISION_WORD,
  DIRECTION_MARK,
  VERDICT_WORD,
  clip,
  direction,
  fmtArmLatency,
  fmtComparison,
  fmtDelta,
  fmtGateMde,
  fmtGateValue,
  fmtLevel,
  fmtP,
  fmtRate,
  fmtRowValue,
  fmtScore,
  fmtUsd,
  fmtValue,
  judgeRows,
  JUDGE_HEAD,
  unitOf,
  verdictSentence,
  type Unit,
} from './format.js'
import {autoDomain, esc, forest, histogram, type IntervalRow, type Marker} from './svg.js'

export interface HtmlOptions {
  /** At most this many regressed requests (default: all the model holds, which `--worst` sets). */
  worst?: number
  /** Characters per prompt or answer (default 4000). */
  maxText?: number
}

export const SCORE_DIMENSIONS = ['overall', 'relevance', 'coherence', 'completeness'] as const
export const LATENCY_BINS = 24
export const SCORE_BINS = 10
export const SIMILARITY_BINS = 20

const CSS = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#d9dee5;--bg:#fff;--soft:#f5f7fa;--pass:#1a7f37;--fail:#cf222e;--inc:#9a6700;--ins:#6e7781;--p:#4c72b0;--c:#dd8452;--n:#8c8c8c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:14px;margin:14px 0 6px}
.meta{color:var(--muted)}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:4px;color:#fff;margin:8px 8px 8px 0}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-inconclusive{background:var(--inc)}.v-insufficient,.v-none{background:var(--ins)}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num{text-align:right;white-space:nowrap}th.num{text-align:right}
.d-pass{color:var(--pass);font-weight:600}.d-fail{color:var(--fail);font-weight:600}.d-inconclusive{color:var(--inc);font-weight:600}.d-insufficient{color:var(--ins);font-weight:600}
.nowrap{white-space:nowrap}.better{color:var(--pass)}.worse{color:var(--fail)}.unclear{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:16px}
.charts.small{grid-template-columns:repeat(auto-fit,minmax(460px,1fr))}
figure{margin:0;padding:8px;border:1px solid var(--line);border-radius:6px;background:#fff}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
svg.chart{width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:var(--fg)}
svg .tick{fill:var(--muted)}svg .label{fill:var(--muted)}svg .empty{fill:var(--muted);font-size:14px}
svg .axis{stroke:#9aa4b1}svg .grid{stroke:#eceff3}
svg .s-primary{fill:var(--p)}svg .s-candidate{fill:var(--c)}svg .s-noise{fill:var(--n);opacity:.75}
svg .swatch{stroke:none}
svg .marker line{stroke:#333;stroke-dasharray:4 3}svg .marker text{font-size:10px}
svg .marker.m-primary line{stroke:var(--p)}svg .marker.m-candidate line{stroke:var(--c)}svg .marker.m-noise line{stroke:#000;stroke-width:1.5}
svg .track{stroke:#eceff3;stroke-width:8}svg .reference{stroke:#9aa4b1}svg .threshold{stroke:#333;stroke-dasharray:3 2;stroke-width:1.5}
svg .ci{stroke-width:3}svg .row.d-pass .ci,svg .row.d-pass .point{stroke:var(--pass);fill:var(--pass)}
svg .row.d-fail .ci,svg .row.d-fail .point{stroke:var(--fail);fill:var(--fail)}
svg .row.d-inconclusive .ci,svg .row.d-inconclusive .point{stroke:var(--inc);fill:var(--inc)}
svg .row.d-insufficient .ci,svg .row.d-insufficient .point{stroke:var(--ins);fill:var(--ins)}
svg .rowlabel{font-family:ui-monospace,Menlo,Consolas,monospace}
.example{border:1px solid var(--line);border-radius:6px;margin:12px 0;overflow:hidden}
.example header{background:var(--soft);padding:6px 10px;display:flex;gap:14px;flex-wrap:wrap;align-items:baseline}
.example header code{font-weight:600}
.reasons{color:var(--fail)}
.prompt{padding:6px 10px;border-bottom:1px solid var(--line)}
.sides{display:grid;grid-template-columns:1fr 1fr}
.sides>div{padding:6px 10px;min-width:0}.sides>div+div{border-left:1px solid var(--line)}
.side-title{font-weight:600;font-size:12px;color:var(--muted)}
pre{white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere;margin:4px 0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;max-height:360px;overflow:auto}
.none{color:var(--muted);font-style:italic}
.warn{color:var(--inc)}
footer{color:var(--muted);font-size:12px;margin-top:32px;border-top:1px solid var(--line);padding-top:8px}
`

function numCell(text: string): string {
  return `<td class="num">${esc(text)}</td>`
}

function gatesSection(model: ReportModel): string {
  if (!model.gates.length) return '<h2>Gates</h2><p class="none">No gates were evaluated (give --gate RULE or set gates: in the config).</p>'
  const rows: IntervalRow[] = model.gates.map((g) => gateRow(g, unitOf(g.metric, model.metrics)))
  const chart = forest('chart-gates', 'gates', 'Gate intervals against their thresholds', rows, 1100)
  const table = model.gates
    .map(
      (g) =>
        `<tr><td class="d-${g.decision}">${DECISION_SYMBOL[g.decision]} ${DECISION_WORD[g.decision]}</td><td><code>${esc(g.rule)}</code></td>` +
        `${numCell(fmtGateValue(g, unitOf(g.metric, model.metrics)))}${numCell(String(g.n))}${numCell(fmtGateMde(g, unitOf(g.metric, model.metrics)))}<td>${esc(g.reason)}</td></tr>`,
    )
    .join('')
  return (
    `<h2>Gates</h2><figure>${chart}<figcaption>Dot: estimate; bar: ${fmtLevel(model.gates[0]!.value.level)} interval; dashed: the gate's threshold; grey tick: no change.</figcaption></figure>` +
    `<table class="gates"><thead><tr><th>decision</th><th>gate</th><th class="num">evaluated</th><th class="num">n</th><th class="num">fails at (80% power)</th><th>reason</th></tr></thead><tbody>${table}</tbody></table>`
  )
}

function gateRow(g: GateOutcome, unit: Unit): IntervalRow {
  // Rates in the unit the rule is written in (fractions), as in the gate lines.
  const u: Unit = unit === 'rate' ? 'score' : unit
  const fmt =
    g.kind === 'ratio'
      ? (v: number) => `${v.toFixed(2)}×`
      : g.kind === 'absolute'
        ? (v: number) => fmtValue(v, u)
        : (v: number) => fmtComparison({estimate: v, low: null, high: null, level: 0, method: '', kind: 'difference'}, u)
  return {
    label: g.rule,
    estimate: g.value.estimate,
    low: g.value.low,
    high: g.value.high,
    threshold: g.threshold,
    reference: g.kind === 'ratio' ? 1 : g.kind === 'difference' ? 0 : null,
    cls: `d-${g.decision}`,
    fmt,
    text: `${DECISION_WORD[g.decision]} ${fmtGateValue(g, unit)}`,
    short: `${DECISION_WORD[g.decision]} ${g.value.estimate === null ? '' : fmt(g.value.estimate)}`.trim(),
  }
}

function metricsSection(model: ReportModel): string {
  if (!model.metrics.length) return ''
  const level = model.metrics.find((m) => m.comparison)?.comparison?.level ?? 0.95
  const rows = model.metrics
    .map((m) => {
      const d = direction(m)
      return (
        `<tr><td>${esc(m.label)} <span class="meta">${esc(m.metric)}</span></td>${numCell(fmtRowValue(m, 'primary'))}${numCell(fmtRowValue(m, 'candidate'))}` +
        `${numCell(fmtComparison(m.comparison, m.unit))}${numCell(String(m.n))}${numCell(fmtP(m.p_value))}<td class="${d} nowrap">${esc(DIRECTION_MARK[d])}</td></tr>`
      )
    })
    .join('')
  return (
    `<h2>Metrics</h2><table class="metrics"><thead><tr><th>metric</th><th class="num">primary</th><th class="num">candidate</th>` +
    `<th class="num">Δ or ratio [${esc(fmtLevel(level))} CI]</th><th class="num">n</th><th class="num">p</th><th>change</th></tr></thead><tbody>${rows}</tbody></table>`
  )
}

function armsSection(arms: ArmStats[]): string {
  if (!arms.length) return ''
  const rows = arms
    .map(
      (a) =>
        `<tr><td>${esc(a.arm)}</td><td>${esc(a.label)}</td>${numCell(String(a.n))}${numCell(String(a.ok))}${numCell(fmtRate(a.error_rate))}` +
        `${numCell(fmtRate(a.refusal_rate))}${numCell(fmtRate(a.truncation_rate))}${numCell(fmtRate(a.pass_rate))}` +
        `${numCell(fmtRate(a.retry_rate))}${numCell(fmtRate(a.timeout_rate))}` +
        `${numCell(fmtArmLatency(a.latency_ms, 'p50'))}${numCell(fmtArmLatency(a.latency_ms, 'p95'))}${numCell(fmtScore(a.scores.overall))}` +
        `${numCell(fmtValue(a.tokens.output_mean, 'tokens'))}${numCell(fmtUsd(a.cost.total))}</tr>`,
    )
    .join('')
  return (
    `<h2>Arms</h2><table class="arms"><thead><tr><th>arm</th><th>target</th><th class="num">requests</th><th class="num">ok</th><th class="num">errors</th>` +
    `<th class="num">refusals</th><th class="num">truncated</th><th class="num">pass</th><th class="num">retried</th><th class="num">timed out</th>` +
    `<th class="num">p50</th><th class="num">p95</th>` +
    `<th class="num">overall</th><th class="num">output tokens (mean)</th><th class="num">cost</th></tr></thead><tbody>${rows}</tbody></table>`
  )
}

function latencyChart(model: ReportModel): string {
  const d = model.distributions.latency_ms
  const markers: Marker[] = []
  for (const a of model.arms) {
    if (a.arm === 'primary_aa' || a.latency_ms.p95 === null) continue
    markers.push({x: a.latency_ms.p95, label: `${a.arm} p95`, cls: `m-${a.arm}`})
  }
  const series = [
    {name: 'primary', values: d.primary, cls: 's-primary'},
    {name: 'candidate', values: d.candidate, cls: 's-candidate'},
  ]
  const chart = histogram({
    id: 'chart-latency',
    chart: 'latency',
    title: 'Latency distribution per arm',
    desc: `Requests per latency bin (${LATENCY_BINS} bins) for both arms; dashed lines at each arm's p95.`,
    series,
    bins: LATENCY_BINS,
    tail: 0.99,
    xLabel: 'latency (ms)',
    fmt: (v) => `${Math.round(v)}`,
    markers,
    width: 1100,
    height: 280,
  })
  const hi = autoDomain(series.map((s) => s.values), 0.99)[1]
  const above = [...d.primary, ...d.candidate].filter((v) => v > hi).length
  const tail = above ? ` The axis ends at ${Math.round(hi)} ms: the last bars also hold the ${above} slower answers.` : ''
  return `<figure>${chart}<figcaption>${esc(`Successful answers only; dashed lines mark each arm's p95.${tail}`)}</figcaption></figure>`
}

function scoreCharts(model: ReportModel): string {
  return SCORE_DIMENSIONS.map((dim) => {
    const d = model.distributions.scores[dim]
    const chart = histogram({
      id: `chart-scores-${dim}`,
      chart: `scores-${dim}`,
      title: `${dim} score distribution per arm`,
      series: [
        {name: 'primary', values: d.primary, cls: 's-primary'},
        {name: 'candidate', values: d.candidate, cls: 's-candidate'},
      ],
      bins: SCORE_BINS,
      domain: [0, 1],
      xLabel: `${dim} score`,
      fmt: (v) => String(Math.round(v * 100) / 100),
      width: 540,
      height: 220,
    })
    return `<figure>${chart}</figure>`
  }).join('')
}

function similarityChart(model: ReportModel): string {
  const s = model.distributions.similarity
  const markers: Marker[] = []
  let caption = 'No A/A arm in this run, so there is no noise floor to compare with (replay with --aa 0.3).'
  if (s.noise.length) {
    const p5 = quantile(s.noise, 0.05)
    markers.push({x: p5, label: `noise p5 ${p5.toFixed(2)}`, cls: 'm-noise'})
    caption =
      "Candidate answers' similarity to the primary's, against the primary's similarity to its own second answer (the noise floor). " +
      'Bars are shares of each series. Candidate bars left of the dashed line (the 5th percentile of the noise) differ more than the primary differs from itself.'
  }
  const chart = histogram({
    id: 'chart-similarity',
    chart: 'similarity',
    title: 'Similarity to the primary answer against the noise floor',
    series: [
      {name: 'candidate vs primary', values: s.candidate, cls: 's-candidate'},
      ...(s.noise.length ? [{name: "primary' vs primary (A/A)", values: s.noise, cls: 's-noise'}] : []),
    ],
    bins: SIMILARITY_BINS,
    domain: [0, 1],
    xLabel: 'similarity to the primary answer (dice)',
    fmt: (v) => String(Math.round(v * 100) / 100),
    normalize: true,
    markers,
    width: 1100,
    height: 280,
  })
  return `<figure>${chart}<figcaption>${esc(caption)}</figcaption></figure>`
}

function noiseSection(model: ReportModel): string {
  const nf = model.noise
  if (!nf) return ''
  const rows: [string, string][] = [
    ['requests with an A/A replay', String(nf.n)],
    ["primary vs primary' similarity (mean)", fmtScore(nf.noise_dice_mean)],
    ['primary vs candidate similarity (mean)', fmtScore(nf.candidate_dice_mean)],
  ]
  if (nf.diff) rows.push(['candidate − noise (paired)', fmtComparison({...nf.diff, kind: 'difference'}, 'similarity')])
  if (nf.beyond_noise_rate) {
    const b = nf.beyond_noise_rate
    rows.push(['requests beyond the noise', `${fmtValue(b.estimate, 'rate')} [${fmtValue(b.low, 'rate')}, ${fmtValue(b.high, 'rate')}]`])
  }
  if (nf.aa_score_sd !== null) rows.push(['A/A overall-score SD (scorer noise)', fmtScore(nf.aa_score_sd)])
  return `<h3>Noise floor</h3><table class="noise"><tbody>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td>${numCell(v)}</tr>`).join('')}</tbody></table>`
}

function judgeSection(model: ReportModel): string {
  if (!model.judge) return ''
  const j = judgeRows(model.judge)
  const head = JUDGE_HEAD.map((h, i) => `<th${i ? ' class="num"' : ''}>${esc(h)}</th>`).join('')
  const body = j.rows.map((r) => `<tr><td>${esc(r[0]!)}</td>${r.slice(1).map((v) => numCell(v)).join('')}</tr>`).join('')
  return `<h2>LLM judge</h2><p class="meta">${esc(j.title)}</p><table class="judge"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${j.pairwise ? `<p>${esc(j.pairwise)}</p>` : ''}`
}

function answer(text: string | null, max: number): string {
  return text === null ? '<p class="none">(no answer)</p>' : `<pre>${esc(clip(text, max))}</pre>`
}

function worstSection(model: ReportModel, opts: HtmlOptions): string {
  const worst = model.worst.slice(0, opts.worst ?? model.worst.length)
  if (!worst.length) return '<h2>Regressed requests</h2><p class="none">No request regressed.</p>'
  const max = opts.maxText ?? 4000
  const items = worst
    .map(
      (w, i) =>
        `<article class="example" data-event="${esc(w.event_id)}"><header><span>#${i + 1}</span><code>${esc(w.event_id)}</code>` +
        `<span>Δ overall <b>${esc(fmtDelta(w.delta))}</b></span><span>dice ${esc(fmtScore(w.dice))}</span>` +
        `${w.reasons.length ? `<span class="reasons">${esc(w.reasons.join('; '))}</span>` : ''}</header>` +
        `<div class="prompt"><div class="side-title">prompt</div><pre>${esc(clip(w.prompt, max))}</pre></div>` +
        `<div class="sides"><div><div class="side-title">primary · overall ${esc(fmtScore(w.primary_overall))}</div>${answer(w.primary_text, max)}</div>` +
        `<div><div class="side-title">candidate · overall ${esc(fmtScore(w.candidate_overall))}</div>${answer(w.candidate_text, max)}</div></div></article>`,
    )
    .join('')
  return `<h2>Regressed requests (${worst.length} of ${model.worst.length})</h2>${items}`
}

const VERDICT_CLASS: Record<Verdict, string> = {pass: 'v-pass', fail: 'v-fail', inconclusive: 'v-inconclusive', insufficient: 'v-insufficient', none: 'v-none'}

export function renderHtml(model: ReportModel, opts: HtmlOptions = {}): string {
  const r = model.run
  const title = `kt report ${r.id}: ${VERDICT_WORD[model.verdict]}`
  const policy = model.policy
  const dims = (Object.keys(policy.dimensions) as (keyof typeof policy.dimensions)[])
    .map((k) => `${k} weight ${policy.dimensions[k].weight}, min ${policy.dimensions[k].min_score}`)
    .join('; ')
  const body = [
    `<header><h1>${esc(`kt report · ${r.name ?? r.id}`)}</h1>`,
    `<div><span class="verdict ${VERDICT_CLASS[model.verdict]}" data-verdict="${model.verdict}">${esc(VERDICT_WORD[model.verdict])}</span>${esc(verdictSentence(model.verdict))}</div>`,
    `<div class="meta">run <code>${esc(r.id)}</code> · ${r.total} requests · ${esc(r.status)} · created ${esc(r.created_at)}</div>`,
    `<div class="meta">primary <b>${esc(r.primary)}</b> · candidate <b>${esc(r.candidate)}</b></div></header>`,
    gatesSection(model),
    metricsSection(model),
    armsSection(model.arms),
    '<h2>Latency</h2>',
    `<div class="charts">${latencyChart(model)}</div>`,
    '<h2>Quality scores</h2>',
    `<div class="charts small">${scoreCharts(model)}</div>`,
    '<h2>Similarity and noise floor</h2>',
    `<div class="charts">${similarityChart(model)}</div>`,
    noiseSection(model),
    judgeSection(model),
    worstSection(model, opts),
    model.warnings.length ? `<h2>Warnings</h2><ul>${model.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('')}</ul>` : '',
    `<footer>${esc(`${model.decision_mode} · scorer ${model.scorer} · bootstrap B=${model.bootstrap_B}, seed ${model.seed} · policy: ${dims}; overall min ${policy.overall_min_score}; on fail ${policy.on_fail} · ${model.schema}`)}</footer>`,
  ].join('\n')
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${esc(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`
  )
}

