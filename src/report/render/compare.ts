// `kt report A --compare B`: two runs' candidates side by side (e.g. two candidate models replayed on
// the same requests). Only requests both runs share are used, and each comparison is paired on them:
// B − A for scores and rates, B / A for latency, tokens and cost, with the same seeded bootstrap (or
// Newcombe interval for rates) as the main report. Only the candidate arms are compared; each run's
// primary matters only for the similarity row, and a warning says when the primaries differ.
import Table from 'cli-table3'
import {mean, newcombePairedDiff, pairedBootstrapMean, pairedBootstrapRatio, quantile, sum} from '../../stats/index.js'
import type {ArmData, PairedRequest, RunData} from '../../analysis/index.js'
import type {Interval} from '../../analysis/index.js'
import {DIRECTION_MARK, direction, excerpt, fmtComparison, fmtLevel, fmtValue, type Unit} from './format.js'
import {mdText} from './markdown.js'

export interface CompareSide {
  id: string
  name: string | null
  status: string
  primary: string
  candidate: string
  total: number
}

export interface CompareRow {
  metric: string
  label: string
  unit: Unit
  better: 'higher' | 'lower' | null
  /** Run A's candidate on the shared requests that enter this row. */
  a: number | null
  b: number | null
  /** B − A (difference) or B / A (ratio), paired on the shared requests. */
  comparison: (Interval & {kind: 'difference' | 'ratio'}) | null
  n: number
}

export interface CompareModel {
  schema: 'kt.compare/v1'
  a: CompareSide
  b: CompareSide
  /** Requests in both runs (by event id): the only ones compared. */
  shared: number
  only_a: number
  only_b: number
  seed: number
  bootstrap_B: number
  level: number
  rows: CompareRow[]
  warnings: string[]
}

export interface CompareOptions {
  seed?: number
  B?: number
  level?: number
}

interface Pair {
  a: PairedRequest
  b: PairedRequest
  ca: ArmData
  cb: ArmData
}

function side(d: RunData): CompareSide {
  const r = d.run
  return {id: r.id, name: r.name, status: r.status, primary: r.primary, candidate: r.candidate, total: d.requests.length}
}

export function compareRuns(a: RunData, b: RunData, opts: CompareOptions = {}): CompareModel {
  const seed = opts.seed ?? 1
  const B = opts.B ?? 5000
  const level = opts.level ?? 0.95
  const byId = new Map(b.requests.map((r) => [r.event_id, r]))
  const aIds = new Set(a.requests.map((r) => r.event_id))
  const shared: {a: PairedRequest; b: PairedRequest}[] = []
  for (const ra of a.requests) {
    const rb = byId.get(ra.event_id)
    if (rb) shared.push({a: ra, b: rb})
  }
  const onlyB = b.requests.filter((r) => !aIds.has(r.event_id)).length
  // Pairs where both candidates have a result; the rows narrow further (scored, ok, priced…).
  const pairs: Pair[] = shared.filter((s) => s.a.candidate && s.b.candidate).map((s) => ({...s, ca: s.a.candidate!, cb: s.b.candidate!}))
  const clusters = pairs.some((p) => p.a.cluster) ? pairs.map((p) => p.a.cluster ?? `event:${p.a.event_id}`) : undefined
  const boot = {seed, B, level}

  const meanRow = (metric: string, label: string, unit: Unit, better: 'higher' | 'lower', get: (p: Pair, which: 'a' | 'b') => number | null): CompareRow => {
    const idx: number[] = []
    const va: number[] = []
    const vb: number[] = []
    pairs.forEach((p, i) => {
      const x = get(p, 'a')
      const y = get(p, 'b')
      if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) return
      idx.push(i)
      va.push(x)
      vb.push(y)
    })
    if (!va.length) return {metric, label, unit, better, a: null, b: null, comparison: null, n: 0}
    const ci = pairedBootstrapMean(
      vb.map((y, i) => y - va[i]!),
      {...boot, clusters: clusters ? idx.map((i) => clusters[i]!) : undefined},
    )
    return {
      metric, label, unit, better, a: mean(va), b: mean(vb), n: va.length,
      comparison: {kind: 'difference', estimate: ci.estimate, low: ci.low, high: ci.high, level, method: `paired bootstrap (B=${B})`},
    }
  }

  const rateRow = (metric: string, label: string, better: 'higher' | 'lower' | null, get: (arm: ArmData) => boolean | null): CompareRow => {
    const counts = {a: 0, b: 0, c: 0, d: 0}
    let n = 0
    for (const p of pairs) {
      const x = get(p.ca)
      const y = get(p.cb)
      if (x === null || y === null) continue
      n++
      if (x && y) counts.a++
      else if (x) counts.b++
      else if (y) counts.c++
      else counts.d++
    }
    if (!n) return {metric, label, unit: 'rate', better, a: null, b: null, comparison: null, n: 0}
    const ci = newcombePairedDiff(counts, level)
    return {
      metric, label, unit: 'rate', better, a: (counts.a + counts.b) / n, b: (counts.a + counts.c) / n, n,
      comparison: {kind: 'difference', estimate: ci.estimate, low: ci.low, high: ci.high, level, method: 'Newcombe paired score'},
    }
  }

  // Output length has no better direction (shorter may be terser or truncated): no marker for it.
  const ratioRow = (metric: string, label: string, unit: Unit, stat: 'p50' | 'p95' | 'mean', get: (arm: ArmData) => number | null, better: 'lower' | null = 'lower'): CompareRow => {
    const idx: number[] = []
    const va: number[] = []
    const vb: number[] = []
    pairs.forEach((p, i) => {
      const x = get(p.ca)
      const y = get(p.cb)
      if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) return
      idx.push(i)
      va.push(x)
      vb.push(y)
    })
    if (!va.length) return {metric, label, unit, better, a: null, b: null, comparison: null, n: 0}
    const ci = pairedBootstrapRatio(va, vb, stat, {...boot, clusters: clusters ? idx.map((i) => clusters[i]!) : undefined})
    const of = (v: number[]) => (stat === 'mean' ? sum(v) / v.length : quantile(v, stat === 'p50' ? 0.5 : 0.95))
    return {
      metric, label, unit, better, a: of(va), b: of(vb), n: va.length,
      comparison: ci.estimate === null ? null : {kind: 'ratio', estimate: ci.estimate, low: ci.low, high: ci.high, level, method: `paired bootstrap (B=${B})`},
    }
  }

  const ok = (arm: ArmData) => arm.status === 'ok'
  const flag = (name: 'refusal' | 'truncated') => (arm: ArmData) => (ok(arm) && typeof arm.flags[name] === 'boolean' ? (arm.flags[name] as boolean) : null)
  const score = (dim: 'overall' | 'relevance' | 'coherence' | 'completeness') => (p: Pair, w: 'a' | 'b') => (w === 'a' ? p.ca : p.cb).scores[dim]

  const rows: CompareRow[] = [
    meanRow('quality.overall.mean', 'overall score', 'score', 'higher', score('overall')),
    meanRow('quality.relevance.mean', 'relevance', 'score', 'higher', score('relevance')),
    meanRow('quality.coherence.mean', 'coherence', 'score', 'higher', score('coherence')),
    meanRow('quality.completeness.mean', 'completeness', 'score', 'higher', score('completeness')),
    rateRow('pass_rate', 'pass rate', 'higher', (arm) => arm.pass),
    rateRow('error_rate', 'error rate', 'lower', (arm) => !ok(arm)),
    rateRow('refusal_rate', 'refusal rate', 'lower', flag('refusal')),
    rateRow('truncation_rate', 'truncation rate', 'lower', flag('truncated')),
    rateRow('tool_call_rate', 'tool-call rate (when tools are offered)', null, (arm) => (ok(arm) && arm.tool_calls !== null ? arm.tool_calls > 0 : null)),
    ratioRow('latency.p50', 'latency p50', 'ms', 'p50', (arm) => (ok(arm) ? arm.latency_ms : null)),
    ratioRow('latency.p95', 'latency p95', 'ms', 'p95', (arm) => (ok(arm) ? arm.latency_ms : null)),
    ratioRow('tokens.output.mean', 'output tokens (mean)', 'tokens', 'mean', (arm) => (ok(arm) ? arm.output_tokens : null), null),
    ratioRow('cost.per_request', 'cost per request', 'usd', 'mean', (arm) => arm.cost_usd),
    meanRow('similarity.dice.mean', 'similarity to own primary (dice)', 'similarity', 'higher', (p, w) => (w === 'a' ? p.a.similarity?.dice : p.b.similarity?.dice) ?? null),
  ]

  const warnings: string[] = []
  if (shared.length < a.requests.length || shared.length < b.requests.length) {
    warnings.push(
      `compared on the ${shared.length} requests both runs share; ${a.requests.length - shared.length} only in A and ${onlyB} only in B are left out`,
    )
  }
  if (pairs.length < shared.length) warnings.push(`${shared.length - pairs.length} shared requests lack a candidate result in one run and are left out`)
  if (a.run.primary !== b.run.primary) {
    warnings.push(`the runs have different primaries (A: ${a.run.primary}; B: ${b.run.primary}): the similarity row measures each candidate against its own primary`)
  }
  if (a.run.status !== 'completed' || b.run.status !== 'completed') warnings.push('at least one run did not complete')
  return {
    schema: 'kt.compare/v1', a: side(a), b: side(b), shared: shared.length, only_a: a.requests.length - shared.length, only_b: onlyB,
    seed, bootstrap_B: B, level, rows, warnings,
  }
}

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
  out.push(`paired on ${model.shared} shared requests (A only: ${model.only_a}, B only: ${model.only_b}); candidates compared, B against A`)
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
  out.push(`Paired on **${model.shared}** shared requests (A only: ${model.only_a}, B only: ${model.only_b}).`)
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
