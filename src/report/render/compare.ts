// `kt report A --compare B` rendered: the comparison model (analysis/compare.ts) as a terminal table, Markdown and JSON.
import Table from 'cli-table3'
import type {CompareModel, CompareSide} from '../../analysis/index.js'
import {DIRECTION_MARK, direction, excerpt, fmtComparison, fmtLevel, fmtValue} from './format.js'
import {mdText} from './markdown.js'

function label(s: CompareSide): string {
  return `${s.name ? `${s.name} ` : ''}(${s.id}): ${s.candidate}`
}

function comparisonHead(level: number): string {
  return `B − A or B / A [${fmtLevel(level)} CI]`
}

export function renderCompareTable(model: CompareModel, opts: {color?: boolean} = {}): string {
  const colour = opts.color ?? false
  const out: string[] = []
  out.push(`A  ${excerpt(label(model.a), 300)}`)
  out.push(`B  ${excerpt(label(model.b), 300)}`)
  out.push(`paired on ${model.in_both} shared requests (A only: ${model.only_a}, B only: ${model.only_b}); candidates compared, B against A`)
  const table = new Table({
    head: ['metric', 'A', 'B', comparisonHead(model.level), 'n', 'B vs A'],
    style: {head: colour ? ['cyan'] : [], border: colour ? ['grey'] : []},
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left'],
  })
  for (const r of model.rows) {
    table.push([r.label, fmtValue(r.a, r.unit), fmtValue(r.b, r.unit), fmtComparison(r.comparison, r.unit), String(r.n), DIRECTION_MARK[direction(r)]])
  }
  out.push(table.toString())
  for (const w of model.warnings) out.push(`warning: ${excerpt(w, 400)}`)
  return `${out.join('\n')}\n`
}

export function renderCompareMarkdown(model: CompareModel): string {
  const out: string[] = []
  out.push('## kt compare: two candidates on the same requests')
  out.push('')
  out.push(`**A** ${mdText(excerpt(label(model.a), 300))}  `)
  out.push(`**B** ${mdText(excerpt(label(model.b), 300))}  `)
  out.push(`Paired on **${model.in_both}** shared requests (A only: ${model.only_a}, B only: ${model.only_b}).`)
  out.push('')
  out.push(`| metric | A | B | ${comparisonHead(model.level)} | n | B vs A |`)
  out.push('| :--- | ---: | ---: | ---: | ---: | :--- |')
  for (const r of model.rows) {
    out.push(
      `| ${mdText(r.label)} | ${mdText(fmtValue(r.a, r.unit))} | ${mdText(fmtValue(r.b, r.unit))} | ${mdText(fmtComparison(r.comparison, r.unit))} | ${r.n} | ${DIRECTION_MARK[direction(r)]} |`,
    )
  }
  if (model.warnings.length) {
    out.push('')
    for (const w of model.warnings) out.push(`- ⚠️ ${mdText(excerpt(w, 400))}`)
  }
  out.push('')
  return out.join('\n')
}

/** compareRuns builds its objects in one fixed key order, so plain JSON is stable; ±Infinity becomes null. */
export function renderCompareJson(model: CompareModel): string {
  return `${JSON.stringify(model, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`
}
