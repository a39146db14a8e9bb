// Every metric of the report, computed from RunData, paired by request (docs/scoring-and-gates.md §4.1): the same
// request answered by both arms is one observation, so per-request noise cancels. Errors are left
// out of score metrics (they count in error_rate), and a null score is "not computed", never 0.
//
// Statistics come from src/stats: seeded paired bootstrap for means, ratios and quantiles; exact
// McNemar + Newcombe's paired score interval for rates; Wilson for one rate; Wilcoxon signed-rank
// as the reported p-value of mean differences (src/stats has no t distribution, and heuristic
// scores are tied and bounded, where the rank test is the safer of the two, §4.1).
import type {ArmData, PairedRequest, RunData} from './data.js'
import type {Interval, MetricRow} from './model.js'
import {
  beyondNoiseRate,
  mcnemarExact,
  mde as mdeOf,
  mean,
  newcombePairedDiff,
  pairedBootstrapMean,
  pairedBootstrapRatio,
  quantile,
  sd,
  sum,
  wilcoxonSignedRank,
  wilson,
  zCritical,
  type RatioStat,
} from '../stats/index.js'
import {METRICS, MIN_NOISE_PAIRS, type GateKind, type MetricSpec, type QualityDim, type SimilarityName} from './registry.js'

/** §4.1: quantile ratios are bootstrapped with at most 2000 resamples (each one sorts both arms). */
export const QUANTILE_B_CAP = 2000

export interface EngineOptions {
  seed: number
  B: number
  /** Report level, 0..1. */
  level: number
}

/** Requests left out of a paired comparison, by cause. */
export interface Exclusions {
  /** One arm has no result (run incomplete, or no A/A replay for that request). */
  missing: number
  /** Either arm is an error or timeout (counted in error_rate instead). */
  response_error: number
  /** Either arm has no value: score not computed (tool call, content filter, not scored), no latency, no price… */
  no_value: number
}

/** Paired per-request values for one metric. */
export interface Pairs {
  primary: number[]
  candidate: number[]
  /** Cluster id per pair (conversation or trace; the event id when there is none). */
  clusters: string[]
  excluded: Exclusions
}

/** What a gate or a metric row compares, at one confidence level. */
export interface Measurement {
  value: Interval
  /** Observations behind the interval (pairs, or candidate answers for absolute values). */
  n: number
  minPairs: number
  /** Set when the comparison cannot be made: "need 200 pairs, have 40", "no A/A replay"… */
  insufficient: string | null
  excluded: Exclusions
  /** Smallest difference this n could detect (difference comparisons only). */
  mde: number | null
}

const NONE: Exclusions = {missing: 0, response_error: 0, no_value: 0}

function isOk(a: ArmData | null): a is ArmData {
  return a !== null && a.status === 'ok'
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** Cluster ids are only worth the cluster bootstrap when some cluster holds two or more requests. */
function clusterOption(clusters: string[]): string[] | undefined {
  return new Set(clusters).size < clusters.length ? clusters : undefined
}

function countClusters(clusters: string[]): number {
  return new Set(clusters).size
}

function fmtLevel(level: number): string {
  return `${Math.round(level * 1000) / 10}%`
}

export function describeExclusions(e: Exclusions): string | null {
  const parts: string[] = []
  if (e.response_error) parts.push(`${e.response_error} with a response error`)
  if (e.no_value) parts.push(`${e.no_value} without a value`)
  if (e.missing) parts.push(`${e.missing} missing an arm`)
  if (!parts.length) return null
  return `excluded ${e.response_error + e.no_value + e.missing} requests: ${parts.join(', ')}`
}

export class MetricEngine {
  private readonly requests: PairedRequest[]
  private readonly cache = new Map<string, Measurement>()
  private readonly pairCache = new Map<string, Pairs>()

  constructor(
    readonly data: RunData,
    readonly opts: EngineOptions,
  ) {
    this.requests = data.requests
  }

  // ------------------------------------------------------------------------------------- pairing

  private pair(key: string, value: (a: ArmData) => number | null, needOk: boolean): Pairs {
    const cached = this.pairCache.get(key)
    if (cached) return cached
    const out: Pairs = {primary: [], candidate: [], clusters: [], excluded: {...NONE}}
    for (const r of this.requests) {
      if (!r.primary || !r.candidate) {
        out.excluded.missing++
        continue
      }
      if (needOk && (!isOk(r.primary) || !isOk(r.candidate))) {
        out.excluded.response_error++
        continue
      }
      const p = value(r.primary)
      const c = value(r.candidate)
      if (!finite(p) || !finite(c)) {
        out.excluded.no_value++
        continue
      }
      out.primary.push(p)
      out.candidate.push(c)
      out.clusters.push(r.cluster ?? r.event_id)
    }
    this.pairCache.set(key, out)
    return out
  }

  /** Candidate values alone (absolute gates do not need the primary). */
  private candidateOnly(key: string, value: (a: ArmData) => number | null, needOk: boolean): Pairs {
    const cached = this.pairCache.get(`cand:${key}`)
    if (cached) return cached
    const out: Pairs = {primary: [], candidate: [], clusters: [], excluded: {...NONE}}
    for (const r of this.requests) {
      if (!r.candidate) {
        out.excluded.missing++
        continue
      }
      if (needOk && !isOk(r.candidate)) {
        out.excluded.response_error++
        continue
      }
      const c = value(r.candidate)
      if (!finite(c)) {
        out.excluded.no_value++
        continue
      }
      out.candidate.push(c)
      out.clusters.push(r.cluster ?? r.event_id)
    }
    this.pairCache.set(`cand:${key}`, out)
    return out
  }

  scorePairs(dim: QualityDim): Pairs {
    return this.pair(`score:${dim}`, (a) => a.scores[dim], true)
  }

  /** 1/0 per request for a rate; null when it does not apply (unscored answer, error for content rates). */
  private rateValue(rate: string): {value: (a: ArmData) => number | null; needOk: boolean} {
    switch (rate) {
      case 'error_rate':
        return {value: (a) => (a.status === 'ok' ? 0 : 1), needOk: false}
      case 'pass_rate':
        return {value: (a) => (a.pass === null ? null : a.pass ? 1 : 0), needOk: false}
      case 'refusal_rate':
        return {value: (a) => (typeof a.flags.refusal === 'boolean' ? (a.flags.refusal ? 1 : 0) : null), needOk: true}
      case 'tool_call_rate':
        return {value: (a) => (a.tool_calls === null ? null : a.tool_calls > 0 ? 1 : 0), needOk: true}
      default:
        // Truncation is known from the finish reason even before scoring.
        return {
          value: (a) => (typeof a.flags.truncated === 'boolean' ? (a.flags.truncated ? 1 : 0) : a.finish_reason === 'length' ? 1 : a.finish_reason ? 0 : null),
          needOk: true,
        }
    }
  }

  ratePairs(rate: string): Pairs {
    const {value, needOk} = this.rateValue(rate)
    return this.pair(`rate:${rate}`, value, needOk)
  }

  private amountValue(spec: MetricSpec): {value: (a: ArmData) => number | null; needOk: boolean} {
    if (spec.quantile) {
      const field = spec.quantile.field
      return {value: (a) => a[field], needOk: true}
    }
    if (spec.amount === 'cost_usd') return {value: (a) => a.cost_usd, needOk: false}
    return {value: (a) => a.output_tokens, needOk: true}
  }

  private similarityValues(m: SimilarityName): {candidate: number[]; clusters: string[]; paired: Pairs} {
    const key = `sim:${m}`
    const candidate: number[] = []
    const clusters: string[] = []
    for (const r of this.requests) {
      if (!r.similarity || !finite(r.similarity[m])) continue
      candidate.push(r.similarity[m])
      clusters.push(r.cluster ?? r.event_id)
    }
    let paired = this.pairCache.get(key)
    if (!paired) {
      paired = {primary: [], candidate: [], clusters: [], excluded: {...NONE}}
      for (const r of this.requests) {
        if (!r.noise) continue
        if (!r.similarity) {
          paired.excluded.response_error++
          continue
        }
        paired.primary.push(r.noise[m])
        paired.candidate.push(r.similarity[m])
        paired.clusters.push(r.cluster ?? r.event_id)
      }
      this.pairCache.set(key, paired)
    }
    return {candidate, clusters, paired}
  }

  noiseValues(m: SimilarityName): number[] {
    const out: number[] = []
    for (const r of this.requests) if (r.noise && finite(r.noise[m])) out.push(r.noise[m])
    return out
  }

  // ------------------------------------------------------------------------------------- intervals

  private bootMethod(B: number, clusters: string[] | undefined): string {
    return clusters ? `paired cluster bootstrap (B=${B}, ${countClusters(clusters)} clusters)` : `paired bootstrap (B=${B})`
  }

  private meanDiff(p: Pairs, level: number, scale = 1): {value: Interval; mde: number | null} {
    const d = p.candidate.map((c, i) => c - p.primary[i]!)
    const clusters = clusterOption(p.clusters)
    const ci = pairedBootstrapMean(d, {seed: this.opts.seed, B: this.opts.B, level, clusters})
    const s = d.length >= 2 ? sd(d) : NaN
    const mde = Number.isFinite(s) ? mdeOf(s / Math.sqrt(d.length), level) * scale : null
    return {value: {estimate: ci.estimate * scale, low: ci.low * scale, high: ci.high * scale, level, method: this.bootMethod(this.opts.B, clusters)}, mde}
  }

  private meanOf(values: number[], clusterIds: string[], level: number): Interval {
    const clusters = clusterOption(clusterIds)
    const ci = pairedBootstrapMean(values, {seed: this.opts.seed, B: this.opts.B, level, clusters})
    return {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: clusters ? `cluster bootstrap (B=${this.opts.B})` : `bootstrap (B=${this.opts.B})`}
  }

  private ratio(p: Pairs, stat: RatioStat, level: number): Interval {
    const B = stat === 'p50' || stat === 'p95' || stat === 'p99' ? Math.min(this.opts.B, QUANTILE_B_CAP) : this.opts.B
    const clusters = clusterOption(p.clusters)
    const ci = pairedBootstrapRatio(p.primary, p.candidate, stat, {seed: this.opts.seed, B, level, clusters})
    return {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: this.bootMethod(B, clusters)}
  }

  private newcombe(p: Pairs, level: number): {value: Interval; mde: number; p: number; counts: {b: number; c: number}} {
    let a = 0
    let b = 0
    let c = 0
    let d = 0
    for (let i = 0; i < p.primary.length; i++) {
      const x = p.primary[i]! === 1
      const y = p.candidate[i]! === 1
      if (x && y) a++
      else if (x) b++
      else if (y) c++
      else d++
    }
    const ci = newcombePairedDiff({a, b, c, d}, level)
    // SE from the score interval, not from the discordance: with no discordant pair the latter is 0.
    const se = (ci.high - ci.low) / (2 * zCritical(level))
    return {
      value: {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: 'Newcombe paired score interval'},
      mde: mdeOf(se, level),
      p: mcnemarExact(b, c),
      counts: {b, c},
    }
  }

  // ------------------------------------------------------------------------------------- measure

  /** The interval a gate (or a report row) compares, for one metric, kind and level. Cached. */
  measure(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const key = `${spec.name}|${kind}|${level}`
    let m = this.cache.get(key)
    if (!m) {
      m = this.compute(spec, kind, level)
      this.cache.set(key, m)
    }
    return m
  }

  /** No interval; the point estimate alone when there is any data (shown next to INSUFFICIENT). */
  private empty(level: number, method: string, estimate: number | null = null): Interval {
    return {estimate: estimate !== null && Number.isFinite(estimate) ? estimate : null, low: null, high: null, level, method}
  }

  private static stat(values: number[], stat: RatioStat): number {
    if (values.length === 0) return NaN
    if (stat === 'sum') return sum(values)
    if (stat === 'mean') return mean(values)
    return quantile(values, {p50: 0.5, p95: 0.95, p99: 0.99}[stat])
  }

  private static ratioPoint(p: Pairs, stat: RatioStat): number | null {
    const d = MetricEngine.stat(p.primary, stat)
    return d > 0 ? MetricEngine.stat(p.candidate, stat) / d : null
  }

  private short(n: number, need: number, what = 'pairs'): string | null {
    if (n === 0) return `no ${what}`
    return n < need ? `need ${need} ${what}, have ${n}` : null
  }

  private compute(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const need = spec.minPairs
    switch (spec.family) {
      case 'score':
      case 'score_diff': {
        const dim = spec.dim!
        if (kind === 'absolute') {
          const c = this.candidateOnly(`score:${dim}`, (a) => a.scores[dim], true)
          const insufficient = this.short(c.candidate.length, need, 'scored candidate answers')
          const value = insufficient ? this.empty(level, 'bootstrap', mean(c.candidate)) : this.meanOf(c.candidate, c.clusters, level)
          return {value, n: c.candidate.length, minPairs: need, insufficient, excluded: c.excluded, mde: null}
        }
        const p = this.scorePairs(dim)
        return this.pairedAmount(p, kind, level, need, 'mean', 'scored pairs')
      }
      case 'rate': {
        const rate = spec.rate!
        if (kind === 'absolute') {
          const {value, needOk} = this.rateValue(rate)
          const c = this.candidateOnly(`rate:${rate}`, value, needOk)
          const n = c.candidate.length
          if (n < need) return {value: this.empty(level, 'Wilson score interval'), n, minPairs: need, insufficient: this.short(n, need, 'candidate answers'), excluded: c.excluded, mde: null}
          const k = sum(c.candidate)
          const w = wilson(k, n, level)
          return {value: {estimate: k / n, low: w.low, high: w.high, level, method: 'Wilson score interval'}, n, minPairs: need, insufficient: null, excluded: c.excluded, mde: null}
        }
        const p = this.ratePairs(rate)
        const n = p.primary.length
        if (n < need) return {value: this.empty(level, 'Newcombe paired score interval'), n, minPairs: need, insufficient: this.short(n, need), excluded: p.excluded, mde: null}
        if (kind === 'difference') {
          const nc = this.newcombe(p, level)
          return {value: nc.value, n, minPairs: need, insufficient: null, excluded: p.excluded, mde: nc.mde}
        }
        return this.ratioMeasurement(p, 'mean', level, need, 'the primary rate is 0, so a ratio is undefined; use primary+margin')
      }
      case 'quantile': {
        const q = spec.quantile!
        const {value, needOk} = this.amountValue(spec)
        if (kind === 'absolute') {
          const c = this.candidateOnly(q.field, value, needOk)
          const n = c.candidate.length
          const insufficient = this.short(n, need, 'candidate answers')
          if (insufficient) return {value: this.empty(level, 'bootstrap', MetricEngine.stat(c.candidate, q.q)), n, minPairs: need, insufficient, excluded: c.excluded, mde: null}
          // stat(candidate) / stat(1, 1, …) = stat(candidate): the paired ratio bootstrap gives the quantile's own interval.
          const ones = new Array<number>(n).fill(1)
          const v = this.ratio({primary: ones, candidate: c.candidate, clusters: c.clusters, excluded: c.excluded}, q.q, level)
          return {value: {...v, method: v.method.replace('paired ', '')}, n, minPairs: need, insufficient: null, excluded: c.excluded, mde: null}
        }
        const p = this.pair(q.field, value, needOk)
        return this.ratioMeasurement(p, q.q, level, need, `the primary ${q.q} is 0, so a ratio is undefined`)
      }
      case 'cost_total':
      case 'mean': {
        const {value, needOk} = this.amountValue(spec)
        const total = spec.family === 'cost_total'
        if (kind === 'absolute') {
          const c = this.candidateOnly(spec.amount!, value, needOk)
          const n = c.candidate.length
          if (total) {
            // The run's own total is observed, not estimated: there is nothing to resample.
            if (n === 0) return {value: this.empty(level, 'observed'), n, minPairs: 1, insufficient: 'no candidate cost (no price for its model?)', excluded: c.excluded, mde: null}
            const t = sum(c.candidate)
            return {value: {estimate: t, low: t, high: t, level, method: 'observed total'}, n, minPairs: 1, insufficient: null, excluded: c.excluded, mde: null}
          }
          const insufficient = this.short(n, need, 'candidate answers')
          const v = insufficient ? this.empty(level, 'bootstrap', mean(c.candidate)) : this.meanOf(c.candidate, c.clusters, level)
          return {value: v, n, minPairs: need, insufficient, excluded: c.excluded, mde: null}
        }
        const p = this.pair(spec.amount!, value, needOk)
        if (kind === 'ratio') return this.ratioMeasurement(p, total ? 'sum' : 'mean', level, need, `the primary ${spec.amount === 'cost_usd' ? 'cost' : 'amount'} is 0, so a ratio is undefined`)
        return this.pairedAmount(p, 'difference', level, need, total ? 'total' : 'mean', 'pairs')
      }
      case 'similarity': {
        const m = spec.similarity!
        const sims = this.similarityValues(m)
        if (kind === 'absolute') {
          const n = sims.candidate.length
          const insufficient = this.short(n, need, 'compared pairs')
          const v = insufficient ? this.empty(level, 'bootstrap', mean(sims.candidate)) : this.meanOf(sims.candidate, sims.clusters, level)
          return {value: v, n, minPairs: need, insufficient, excluded: {...NONE}, mde: null}
        }
        const p = sims.paired
        if (p.primary.length === 0) {
          return {value: this.empty(level, 'paired bootstrap'), n: 0, minPairs: need, insufficient: 'no A/A replay to compare with (replay with --aa)', excluded: p.excluded, mde: null}
        }
        return this.pairedAmount(p, kind, level, need, 'mean', 'A/A pairs')
      }
      case 'beyond_noise': {
        const m = spec.similarity!
        const sims = this.similarityValues(m)
        const noise = this.noiseValues(m)
        const method = 'Wilson score interval'
        if (noise.length < MIN_NOISE_PAIRS) {
          const why = noise.length === 0 ? 'no A/A replay (replay with --aa)' : `need ${MIN_NOISE_PAIRS} A/A pairs for a 5th percentile, have ${noise.length}`
          return {value: this.empty(level, method), n: sims.candidate.length, minPairs: need, insufficient: why, excluded: {...NONE}, mde: null}
        }
        if (sims.candidate.length === 0) return {value: this.empty(level, method), n: 0, minPairs: need, insufficient: 'no compared pairs', excluded: {...NONE}, mde: null}
        const b = beyondNoiseRate(sims.candidate, noise, {level})
        return {
          value: {estimate: b.rate, low: b.low, high: b.high, level, method: `${method}, below the A/A 5th percentile ${b.threshold.toFixed(3)}`},
          n: b.n,
          minPairs: need,
          insufficient: null,
          excluded: {...NONE},
          mde: null,
        }
      }
    }
  }

  private pairedAmount(p: Pairs, kind: GateKind, level: number, need: number, stat: 'mean' | 'total', what: string): Measurement {
    const n = p.primary.length
    if (kind === 'ratio') return this.ratioMeasurement(p, 'mean', level, need, 'the primary mean is 0, so a ratio is undefined', what)
    const insufficient = this.short(n, need, what)
    const point = n ? (mean(p.candidate) - mean(p.primary)) * (stat === 'total' ? n : 1) : null
    if (insufficient) return {value: this.empty(level, 'paired bootstrap', point), n, minPairs: need, insufficient, excluded: p.excluded, mde: null}
    const {value, mde} = this.meanDiff(p, level, stat === 'total' ? n : 1)
    return {value, n, minPairs: need, insufficient: null, excluded: p.excluded, mde}
  }

  private ratioMeasurement(p: Pairs, stat: RatioStat, level: number, need: number, undefinedWhy: string, what = 'pairs'): Measurement {
    const n = p.primary.length
    const insufficient = this.short(n, need, what)
    if (insufficient) return {value: this.empty(level, 'paired bootstrap', MetricEngine.ratioPoint(p, stat)), n, minPairs: need, insufficient, excluded: p.excluded, mde: null}
    const v = this.ratio(p, stat, level)
    if (v.estimate === null) return {value: v, n, minPairs: need, insufficient: undefinedWhy, excluded: p.excluded, mde: null}
    return {value: v, n, minPairs: need, insufficient: null, excluded: p.excluded, mde: null}
  }

  // ------------------------------------------------------------------------------------- report rows

  /** Every metric row of the report, at the report level, in a fixed order. */
  rows(): MetricRow[] {
    const level = this.opts.level
    const rows: MetricRow[] = []
    const hasNoise = this.requests.some((r) => r.noise !== null)
    for (const spec of METRICS) {
      if (spec.family === 'score_diff') continue
      if (spec.family === 'beyond_noise' && !hasNoise) continue
      rows.push(this.row(spec, level))
    }
    return rows
  }

  private row(spec: MetricSpec, level: number): MetricRow {
    const base = {metric: spec.name, label: spec.label, unit: spec.unit, better: spec.better}
    switch (spec.family) {
      case 'score':
      case 'mean':
      case 'cost_total': {
        const p = spec.family === 'score' ? this.scorePairs(spec.dim!) : this.pair(spec.amount!, this.amountValue(spec).value, this.amountValue(spec).needOk)
        const n = p.primary.length
        const agg = spec.family === 'cost_total' ? sum : mean
        const kind: GateKind = spec.family === 'cost_total' ? 'ratio' : 'difference'
        const m = this.measure(spec, kind, level)
        const d = p.candidate.map((c, i) => c - p.primary[i]!)
        const w = spec.family !== 'cost_total' && n > 0 ? wilcoxonSignedRank(d) : null
        return {
          ...base,
          primary: n ? agg(p.primary) : null,
          candidate: n ? agg(p.candidate) : null,
          comparison: m.insufficient ? null : {...m.value, kind: kind === 'ratio' ? 'ratio' : 'difference'},
          n,
          p_value: w ? w.p : null,
          p_test: w ? `Wilcoxon signed-rank (${w.method})` : null,
          mde: m.mde,
        }
      }
      case 'rate': {
        const p = this.ratePairs(spec.rate!)
        const n = p.primary.length
        const m = this.measure(spec, 'difference', level)
        let b = 0
        let c = 0
        for (let i = 0; i < n; i++) {
          if (p.primary[i] === 1 && p.candidate[i] === 0) b++
          if (p.primary[i] === 0 && p.candidate[i] === 1) c++
        }
        return {
          ...base,
          primary: n ? mean(p.primary) : null,
          candidate: n ? mean(p.candidate) : null,
          comparison: m.insufficient ? null : {...m.value, kind: 'difference'},
          n,
          p_value: n ? mcnemarExact(b, c) : null,
          p_test: n ? 'exact McNemar' : null,
          mde: m.mde,
        }
      }
      case 'quantile': {
        const q = spec.quantile!
        const {value, needOk} = this.amountValue(spec)
        const p = this.pair(q.field, value, needOk)
        const n = p.primary.length
        const m = this.measure(spec, 'ratio', level)
        const qv = {p50: 0.5, p95: 0.95, p99: 0.99}[q.q]
        return {
          ...base,
          primary: n ? quantile(p.primary, qv) : null,
          candidate: n ? quantile(p.candidate, qv) : null,
          comparison: m.insufficient ? null : {...m.value, kind: 'ratio'},
          n,
          p_value: null,
          p_test: null,
          mde: null,
        }
      }
      case 'similarity': {
        const sims = this.similarityValues(spec.similarity!)
        const noise = this.noiseValues(spec.similarity!)
        const paired = sims.paired
        const m = paired.primary.length ? this.measure(spec, 'difference', level) : null
        const d = paired.candidate.map((c, i) => c - paired.primary[i]!)
        const w = d.length ? wilcoxonSignedRank(d) : null
        return {
          ...base,
          primary: noise.length ? mean(noise) : null,
          candidate: sims.candidate.length ? mean(sims.candidate) : null,
          comparison: m && !m.insufficient ? {...m.value, kind: 'difference'} : null,
          n: m ? paired.primary.length : sims.candidate.length,
          p_value: w ? w.p : null,
          p_test: w ? `Wilcoxon signed-rank (${w.method})` : null,
          mde: m ? m.mde : null,
        }
      }
      case 'beyond_noise': {
        const m = this.measure(spec, 'absolute', level)
        return {
          ...base,
          primary: null,
          candidate: m.value.estimate,
          comparison: null,
          n: m.n,
          p_value: null,
          p_test: null,
          mde: null,
        }
      }
      default:
        throw new Error(`no report row for ${spec.name}`)
    }
  }

  /** Rows whose interval was withheld because the sample is under the §4.3 minimum (for warnings). */
  shortRows(): {metric: string; n: number; need: number}[] {
    const out: {metric: string; n: number; need: number}[] = []
    for (const spec of METRICS) {
      if (spec.family === 'score_diff' || spec.family === 'beyond_noise' || spec.family === 'similarity') continue
      const kind: GateKind = spec.family === 'quantile' || spec.family === 'cost_total' ? 'ratio' : 'difference'
      const m = this.measure(spec, kind, this.opts.level)
      if (m.insufficient && m.n > 0 && m.n < m.minPairs) out.push({metric: spec.name, n: m.n, need: m.minPairs})
    }
    return out
  }

  /** Interval label for messages: "95%". */
  static levelText(level: number): string {
    return fmtLevel(level)
  }
}
