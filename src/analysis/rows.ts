// The metric rows of the report (docs/scoring-and-gates.md §5.4): every metric at the report level, in the registry's
// order, each with both arms' values, its paired comparison, n, a p-value where one is reported, and the MDE.
import type {MetricEngine} from './measure.js'
import type {MetricRow} from './model.js'
import {amountValue} from './pairs.js'
import {METRICS, type GateKind, type MetricSpec} from './registry.js'
import {censoredQuantile, mean, sum, wilcoxonSignedRank} from '../stats/index.js'

const QUANTILE_P: Record<'p50' | 'p95' | 'p99', number> = {p50: 0.5, p95: 0.95, p99: 0.99}

/** Every metric row of the report, at the report level, in a fixed order. */
export function metricRows(engine: MetricEngine): MetricRow[] {
  const hasNoise = engine.data.requests.some((r) => r.noise !== null)
  const rows: MetricRow[] = []
  for (const spec of METRICS) {
    if (spec.family === 'score_diff') continue
    if (spec.family === 'beyond_noise' && !hasNoise) continue
    rows.push(row(engine, spec))
  }
  return rows
}

function wilcoxon(primary: number[], candidate: number[]): {p_value: number | null; p_test: string | null} {
  if (!primary.length) return {p_value: null, p_test: null}
  const w = wilcoxonSignedRank(candidate.map((c, i) => c - primary[i]!))
  return {p_value: w.p, p_test: `Wilcoxon signed-rank (${w.method})`}
}

type Base = Pick<MetricRow, 'metric' | 'label' | 'unit' | 'better'>

/** Scores and amounts: means (or the total) of both arms, the paired difference (the cost ratio for a total). */
function amountRow(engine: MetricEngine, spec: MetricSpec, base: Base): MetricRow {
  const p = spec.family === 'score' ? engine.pairing.scorePairs(spec.dim!) : engine.pairing.pair(spec.amount!, amountValue(spec))
  const n = p.primary.length
  const total = spec.family === 'cost_total'
  const kind: GateKind = total ? 'ratio' : 'difference'
  const m = engine.measure(spec, kind, engine.opts.level)
  const agg = total ? sum : mean
  return {
    ...base,
    primary: n ? agg(p.primary) : null,
    candidate: n ? agg(p.candidate) : null,
    comparison: m.insufficient ? null : {...m.value, kind},
    n,
    ...(total ? {p_value: null, p_test: null} : wilcoxon(p.primary, p.candidate)),
    mde: m.mde,
  }
}

function rateRow(engine: MetricEngine, spec: MetricSpec, base: Base): MetricRow {
  const p = engine.pairing.ratePairs(spec.rate!)
  const n = p.primary.length
  const m = engine.measure(spec, 'difference', engine.opts.level)
  return {
    ...base,
    primary: n ? mean(p.primary) : null,
    candidate: n ? mean(p.candidate) : null,
    comparison: m.insufficient ? null : {...m.value, kind: 'difference'},
    n,
    p_value: m.p ?? null,
    p_test: m.p !== undefined ? 'exact McNemar' : null,
    mde: m.mde,
  }
}

/** Latency and TTFT quantiles of both arms (marked as lower bounds when they rest on timed-out requests), and their ratio. */
function quantileRow(engine: MetricEngine, spec: MetricSpec, base: Base): MetricRow {
  const q = spec.quantile!
  const p = engine.pairing.pair(q.field, amountValue(spec))
  const n = p.primary.length
  const m = engine.measure(spec, 'ratio', engine.opts.level)
  const pq = censoredQuantile(p.primary, p.censored?.primary, QUANTILE_P[q.q])
  const cq = censoredQuantile(p.candidate, p.censored?.candidate, QUANTILE_P[q.q])
  return {
    ...base,
    primary: n ? pq.value : null,
    candidate: n ? cq.value : null,
    comparison: m.insufficient ? null : {...m.value, kind: 'ratio'},
    n,
    p_value: null,
    p_test: null,
    mde: null,
    ...(pq.censored || cq.censored ? {lower_bound: {primary: pq.censored, candidate: cq.censored}} : {}),
  }
}

/** Similarity: "primary" is the A/A similarity, "candidate" the candidate's; compared paired on the A/A requests. */
function similarityRow(engine: MetricEngine, spec: MetricSpec, base: Base): MetricRow {
  const sims = engine.pairing.similarity(spec.similarity!)
  const noise = engine.pairing.noiseValues(spec.similarity!)
  const paired = sims.paired
  const m = paired.primary.length ? engine.measure(spec, 'difference', engine.opts.level) : null
  return {
    ...base,
    primary: noise.length ? mean(noise) : null,
    candidate: sims.candidate.length ? mean(sims.candidate) : null,
    comparison: m && !m.insufficient ? {...m.value, kind: 'difference'} : null,
    n: m ? paired.primary.length : sims.candidate.length,
    ...wilcoxon(paired.primary, paired.candidate),
    mde: m ? m.mde : null,
  }
}

function row(engine: MetricEngine, spec: MetricSpec): MetricRow {
  const base: Base = {metric: spec.name, label: spec.label, unit: spec.unit, better: spec.better}
  switch (spec.family) {
    case 'score':
    case 'mean':
    case 'cost_total':
      return amountRow(engine, spec, base)
    case 'rate':
      return rateRow(engine, spec, base)
    case 'quantile':
      return quantileRow(engine, spec, base)
    case 'similarity':
      return similarityRow(engine, spec, base)
    case 'beyond_noise': {
      const m = engine.measure(spec, 'absolute', engine.opts.level)
      return {...base, primary: null, candidate: m.value.estimate, comparison: null, n: m.n, p_value: null, p_test: null, mde: null}
    }
    default:
      throw new Error(`no report row for ${spec.name}`)
  }
}

/** Rows whose interval was withheld because the sample is under the §4.3 minimum (for warnings). */
export function shortRows(engine: MetricEngine): {metric: string; n: number; need: number}[] {
  const out: {metric: string; n: number; need: number}[] = []
  for (const spec of METRICS) {
    if (spec.family === 'score_diff' || spec.family === 'beyond_noise' || spec.family === 'similarity') continue
    const kind: GateKind = spec.family === 'quantile' || spec.family === 'cost_total' ? 'ratio' : 'difference'
    const m = engine.measure(spec, kind, engine.opts.level)
    if (m.insufficient && m.n > 0 && m.n < m.minPairs) out.push({metric: spec.name, n: m.n, need: m.minPairs})
  }
  return out
}
