// `kt report A --compare B`: two runs' candidates side by side (e.g. two candidate models replayed on the same
// requests). Only requests both runs share are used, and each comparison is paired on them: B − A for scores and
// rates, B / A for latency, tokens and cost, with the same intervals as the main report (intervals.ts). Only the
// candidate arms are compared; each run's primary matters only for the similarity row, and a warning says when the
// primaries differ.
import type {ArmData, PairedRequest, RunData} from './data.js'
import {DIFF_RANGE, meanDiff, newcombe, ratio, type EngineOptions} from './intervals.js'
import type {Interval, MetricRow} from './model.js'
import {amountValue, NO_EXCLUSIONS, rateValue, scoreValue, type Pairs, type ValueOf} from './pairs.js'
import {findMetric, QUALITY_DIMENSIONS, type RateName} from './registry.js'
import {mean, quantile, sum} from '../stats/index.js'

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
  unit: MetricRow['unit']
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
  in_both: number
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
}

function side(d: RunData): CompareSide {
  const r = d.run
  return {id: r.id, name: r.name, status: r.status, primary: r.primary, candidate: r.candidate, total: d.requests.length}
}

/** A's candidate as "primary", B's as "candidate", on the shared requests where both carry a value. */
function pairsOf(shared: readonly Pair[], get: (r: PairedRequest) => ArmData | null, v: ValueOf, getValue?: (r: PairedRequest) => number | null): Pairs {
  const out: Pairs = {primary: [], candidate: [], clusters: [], excluded: {...NO_EXCLUSIONS}, ...(v.censored ? {censored: {primary: [], candidate: []}} : {})}
  const usable = (x: ArmData) => v.need === 'any' || x.status === 'ok' || (v.need === 'answered' && x.status === 'timeout')
  for (const s of shared) {
    const xa = get(s.a)
    const xb = get(s.b)
    if (!xa || !xb || !usable(xa) || !usable(xb)) continue
    const va = getValue ? getValue(s.a) : v.value(xa)
    const vb = getValue ? getValue(s.b) : v.value(xb)
    if (va === null || vb === null || !Number.isFinite(va) || !Number.isFinite(vb)) continue
    out.primary.push(va)
    out.candidate.push(vb)
    out.clusters.push(s.a.cluster ?? s.a.event_id)
    out.censored?.primary.push(v.censored!(xa))
    out.censored?.candidate.push(v.censored!(xb))
  }
  return out
}

function rows(shared: readonly Pair[], opts: EngineOptions): CompareRow[] {
  const level = opts.level
  const cand = (r: PairedRequest) => r.candidate
  const head = (metric: string) => {
    const spec = findMetric(metric)!
    return {metric, label: spec.label, unit: spec.unit, better: spec.better}
  }
  const meanRow = (metric: string, p: Pairs): CompareRow => {
    const n = p.primary.length
    if (!n) return {...head(metric), a: null, b: null, comparison: null, n}
    return {...head(metric), a: mean(p.primary), b: mean(p.candidate), n, comparison: {kind: 'difference', ...meanDiff(p, opts, level, DIFF_RANGE).value}}
  }
  const rateRow = (rate: RateName): CompareRow => {
    const p = pairsOf(shared, cand, rateValue(rate))
    const n = p.primary.length
    if (!n) return {...head(rate), a: null, b: null, comparison: null, n}
    return {...head(rate), a: mean(p.primary), b: mean(p.candidate), n, comparison: {kind: 'difference', ...newcombe(p, level).value}}
  }
  const ratioRow = (metric: string, stat: 'p50' | 'p95' | 'mean', better = head(metric).better): CompareRow => {
    const p = pairsOf(shared, cand, amountValue(findMetric(metric)!))
    const n = p.primary.length
    if (!n) return {...head(metric), better, a: null, b: null, comparison: null, n}
    const of = (v: number[]) => (stat === 'mean' ? sum(v) / v.length : quantile(v, stat === 'p50' ? 0.5 : 0.95))
    const ci = ratio(p, stat, opts, level)
    return {...head(metric), better, a: of(p.primary), b: of(p.candidate), n, comparison: ci.estimate === null ? null : {kind: 'ratio', ...ci}}
  }
  const similarity = {value: () => null, need: 'any'} as const satisfies ValueOf
  return [
    ...QUALITY_DIMENSIONS.map((dim) => meanRow(`quality.${dim}.mean`, pairsOf(shared, cand, scoreValue(dim)))),
    ...(['pass_rate', 'error_rate', 'refusal_rate', 'truncation_rate', 'tool_call_rate', 'timeout_rate', 'retry_rate'] as const).map(rateRow),
    ratioRow('latency.p50', 'p50'),
    ratioRow('latency.p95', 'p95'),
    // Output length has no better direction between two candidates (shorter may be terser or truncated): no marker.
    ratioRow('tokens.output.mean', 'mean', null),
    ratioRow('cost.per_request', 'mean'),
    {...meanRow('similarity.dice.mean', pairsOf(shared, (r) => r.candidate, similarity, (r) => r.similarity?.dice ?? null)), label: 'Similarity to own primary, Dice (mean)'},
  ]
}

export function compareRuns(a: RunData, b: RunData, opts: CompareOptions = {}): CompareModel {
  const seed = opts.seed ?? 1
  const B = opts.B ?? 5000
  const level = opts.level ?? 0.95
  const byId = new Map(b.requests.map((r) => [r.event_id, r]))
  const aIds = new Set(a.requests.map((r) => r.event_id))
  const shared: Pair[] = []
  for (const ra of a.requests) {
    const rb = byId.get(ra.event_id)
    if (rb) shared.push({a: ra, b: rb})
  }
  const onlyB = b.requests.filter((r) => !aIds.has(r.event_id)).length
  const both = shared.filter((s) => s.a.candidate && s.b.candidate)
  const warnings: string[] = []
  if (shared.length < a.requests.length || shared.length < b.requests.length) {
    warnings.push(`compared on the ${shared.length} requests both runs share; ${a.requests.length - shared.length} only in A and ${onlyB} only in B are left out`)
  }
  if (both.length < shared.length) warnings.push(`${shared.length - both.length} shared requests lack a candidate result in one run and are left out`)
  if (a.run.primary !== b.run.primary) {
    warnings.push(`the runs have different primaries (A: ${a.run.primary}; B: ${b.run.primary}): the similarity row measures each candidate against its own primary`)
  }
  if (a.run.status !== 'completed' || b.run.status !== 'completed') warnings.push('at least one run did not complete')
  return {
    schema: 'kt.compare/v1', a: side(a), b: side(b), in_both: shared.length, only_a: a.requests.length - shared.length, only_b: onlyB,
    seed, bootstrap_B: B, level, rows: rows(both, {seed, B, level}), warnings,
  }
}
