// What a gate or a report row compares, for one metric, kind of comparison and level (docs/scoring-and-gates.md §4.1, §4.3):
// the interval, the observations behind it, what was excluded, and INSUFFICIENT below the minimum sample.
import type {RunData} from './data.js'
import {
  clusterOption,
  DIFF_RANGE,
  levelText,
  meanDiff,
  meanOf,
  newcombe,
  noInterval,
  QUANTILE_B_CAP,
  ratio,
  UNIT_RANGE,
  type EngineOptions,
  type Range,
} from './intervals.js'
import type {Interval} from './model.js'
import {amountValue, NO_EXCLUSIONS, Pairing, rateValue, scoreValue, type Exclusions, type Pairs} from './pairs.js'
import {MIN_NOISE_PAIRS, type GateKind, type MetricSpec} from './registry.js'
import {beyondNoiseRate, mean, quantile, sum, wilson, type RatioStat} from '../stats/index.js'

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
  /** The value is this run's observed total (cost.total against a number): a fact of the run, not an estimate. */
  observed?: boolean
  /** Exact McNemar p-value of a paired rate difference. */
  p?: number
}

const QUANTILE_P: Record<'p50' | 'p95' | 'p99', number> = {p50: 0.5, p95: 0.95, p99: 0.99}

function short(n: number, need: number, what = 'pairs'): string | null {
  if (n === 0) return `no ${what}`
  return n < need ? `need ${need} ${what}, have ${n}` : null
}

function statOf(values: number[], stat: RatioStat): number {
  if (values.length === 0) return NaN
  if (stat === 'sum') return sum(values)
  if (stat === 'mean') return mean(values)
  return quantile(values, QUANTILE_P[stat])
}

function ratioPoint(p: Pairs, stat: RatioStat): number | null {
  const d = statOf(p.primary, stat)
  return d > 0 ? statOf(p.candidate, stat) / d : null
}

export class MetricEngine {
  readonly pairing: Pairing
  private readonly cache = new Map<string, Measurement>()

  constructor(
    readonly data: RunData,
    readonly opts: EngineOptions,
  ) {
    this.pairing = new Pairing(data.requests)
  }

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

  /** Interval label for messages: "95%". */
  static levelText(level: number): string {
    return levelText(level)
  }

  private compute(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    switch (spec.family) {
      case 'score':
      case 'score_diff':
        return this.score(spec, kind, level)
      case 'rate':
        return this.rate(spec, kind, level)
      case 'quantile':
        return this.quantile(spec, kind, level)
      case 'cost_total':
      case 'mean':
        return this.amount(spec, kind, level)
      case 'similarity':
        return this.similarity(spec, kind, level)
      case 'beyond_noise':
        return this.beyondNoise(spec, level)
    }
  }

  private score(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const dim = spec.dim!
    if (kind !== 'absolute') return this.paired(this.pairing.scorePairs(dim), kind, level, spec.minPairs, 'mean', 'scored pairs', DIFF_RANGE)
    const c = this.pairing.candidateOnly(`score:${dim}`, scoreValue(dim))
    return this.absoluteMean(c, spec.minPairs, level, 'scored candidate answers', UNIT_RANGE)
  }

  private rate(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const rate = spec.rate!
    const need = spec.minPairs
    if (kind === 'absolute') {
      const c = this.pairing.candidateOnly(`rate:${rate}`, rateValue(rate))
      const n = c.candidate.length
      const base = {n, minPairs: need, excluded: c.excluded, mde: null}
      if (n < need) return {...base, value: noInterval(level, 'Wilson score interval'), insufficient: short(n, need, 'candidate answers')}
      const k = sum(c.candidate)
      const w = wilson(k, n, level)
      return {...base, value: {estimate: k / n, low: w.low, high: w.high, level, method: 'Wilson score interval'}, insufficient: null}
    }
    const p = this.pairing.ratePairs(rate)
    const n = p.primary.length
    if (n < need) return {value: noInterval(level, 'Newcombe paired score interval'), n, minPairs: need, insufficient: short(n, need), excluded: p.excluded, mde: null}
    if (kind === 'difference') {
      const nc = newcombe(p, level)
      return {value: nc.value, n, minPairs: need, insufficient: null, excluded: p.excluded, mde: nc.mde, p: nc.p}
    }
    return this.ratioMeasurement(p, 'mean', level, need, 'the primary rate is 0, so a ratio is undefined; use primary+margin')
  }

  private quantile(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const q = spec.quantile!
    const need = spec.minPairs
    const v = amountValue(spec)
    if (kind !== 'absolute') return this.ratioMeasurement(this.pairing.pair(q.field, v), q.q, level, need, `the primary ${q.q} is 0, so a ratio is undefined`)
    const c = this.pairing.candidateOnly(q.field, v)
    const n = c.candidate.length
    const insufficient = short(n, need, 'candidate answers')
    const base = {n, minPairs: need, excluded: c.excluded, mde: null}
    if (insufficient) return {...base, value: noInterval(level, 'bootstrap', statOf(c.candidate, q.q)), insufficient}
    // stat(candidate) / stat(1, 1, …) = stat(candidate): the paired ratio bootstrap gives the quantile's own interval.
    const ones = new Array<number>(n).fill(1)
    const censored = c.censored ? {primary: ones.map(() => false), candidate: c.censored.candidate} : undefined
    const value = ratio({primary: ones, candidate: c.candidate, clusters: c.clusters, excluded: c.excluded, censored}, q.q, this.opts, level)
    return {...base, value: {...value, method: value.method.replace('paired ', '')}, insufficient: null}
  }

  private amount(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const v = amountValue(spec)
    const total = spec.family === 'cost_total'
    const need = spec.minPairs
    if (kind === 'absolute') {
      const c = this.pairing.candidateOnly(spec.amount!, v)
      if (!total) return this.absoluteMean(c, need, level, 'candidate answers', null)
      // The run's own total is observed, not estimated: there is nothing to resample, and it says nothing of other traffic.
      const n = c.candidate.length
      const method = 'observed total of this run (not an estimate)'
      if (n === 0) return {value: noInterval(level, method), n, minPairs: 1, insufficient: 'no candidate cost (no price for its model?)', excluded: c.excluded, mde: null}
      const t = sum(c.candidate)
      return {value: {estimate: t, low: t, high: t, level, method}, n, minPairs: 1, insufficient: null, excluded: c.excluded, mde: null, observed: true}
    }
    const p = this.pairing.pair(spec.amount!, v)
    if (kind === 'ratio') return this.ratioMeasurement(p, total ? 'sum' : 'mean', level, need, `the primary ${spec.amount === 'cost_usd' ? 'cost' : 'amount'} is 0, so a ratio is undefined`)
    return this.paired(p, 'difference', level, need, total ? 'total' : 'mean', 'pairs', null)
  }

  private similarity(spec: MetricSpec, kind: GateKind, level: number): Measurement {
    const sims = this.pairing.similarity(spec.similarity!)
    const need = spec.minPairs
    if (kind === 'absolute') {
      return this.absoluteMean({primary: [], candidate: sims.candidate, clusters: sims.clusters, excluded: {...NO_EXCLUSIONS}}, need, level, 'compared pairs', UNIT_RANGE)
    }
    const p = sims.paired
    if (p.primary.length === 0) {
      return {value: noInterval(level, 'paired bootstrap'), n: 0, minPairs: need, insufficient: 'no A/A replay to compare with (replay with --aa)', excluded: p.excluded, mde: null}
    }
    return this.paired(p, kind, level, need, 'mean', 'A/A pairs', DIFF_RANGE)
  }

  private beyondNoise(spec: MetricSpec, level: number): Measurement {
    const {items, clusters} = this.pairing.noisePairs(spec.similarity!)
    const m = items.filter((it) => it.noise !== null).length
    const n = items.filter((it) => it.sim !== null).length
    const method = 'bootstrap of requests with their A/A pairs'
    const base = {n, minPairs: spec.minPairs, excluded: {...NO_EXCLUSIONS}, mde: null}
    if (m < MIN_NOISE_PAIRS) {
      const why = m === 0 ? 'no A/A replay (replay with --aa)' : `need ${MIN_NOISE_PAIRS} A/A pairs for the 5th percentile of the noise, have ${m}`
      return {...base, value: noInterval(level, method), insufficient: why}
    }
    if (n === 0) return {...base, value: noInterval(level, method), insufficient: 'no compared pairs'}
    const B = Math.min(this.opts.B, QUANTILE_B_CAP)
    const b = beyondNoiseRate(items, {seed: this.opts.seed, B, level, clusters: clusterOption(clusters)})
    const rank = Math.max(1, Math.floor(0.05 * (m + 1)))
    return {
      ...base,
      value: {estimate: b.rate, low: b.low, high: b.high, level, method: `${method} (B=${B}); below the ${rank}${ordinal(rank)} lowest of ${m} A/A similarities (${b.threshold.toFixed(3)})`},
      insufficient: null,
    }
  }

  private absoluteMean(c: Pairs, need: number, level: number, what: string, range: Range): Measurement {
    const n = c.candidate.length
    const insufficient = short(n, need, what)
    const value = insufficient ? noInterval(level, 'studentized bootstrap', mean(c.candidate)) : meanOf(c.candidate, c.clusters, this.opts, level, range)
    return {value, n, minPairs: need, insufficient, excluded: c.excluded, mde: null}
  }

  private paired(p: Pairs, kind: GateKind, level: number, need: number, stat: 'mean' | 'total', what: string, range: Range): Measurement {
    const n = p.primary.length
    if (kind === 'ratio') return this.ratioMeasurement(p, 'mean', level, need, 'the primary mean is 0, so a ratio is undefined', what)
    const insufficient = short(n, need, what)
    const scale = stat === 'total' ? n : 1
    const point = n ? (mean(p.candidate) - mean(p.primary)) * scale : null
    if (insufficient) return {value: noInterval(level, 'studentized bootstrap', point), n, minPairs: need, insufficient, excluded: p.excluded, mde: null}
    const {value, mde} = meanDiff(p, this.opts, level, range, scale)
    return {value, n, minPairs: need, insufficient: null, excluded: p.excluded, mde}
  }

  private ratioMeasurement(p: Pairs, stat: RatioStat, level: number, need: number, undefinedWhy: string, what = 'pairs'): Measurement {
    const n = p.primary.length
    const insufficient = short(n, need, what)
    const base = {n, minPairs: need, excluded: p.excluded, mde: null}
    if (insufficient) return {...base, value: noInterval(level, 'paired bootstrap', ratioPoint(p, stat)), insufficient}
    const value = ratio(p, stat, this.opts, level)
    return {...base, value, insufficient: value.estimate === null ? undefinedWhy : null}
  }
}

function ordinal(k: number): string {
  const tens = k % 100
  if (tens >= 11 && tens <= 13) return 'th'
  return ({1: 'st', 2: 'nd', 3: 'rd'} as Record<number, string>)[k % 10] ?? 'th'
}
