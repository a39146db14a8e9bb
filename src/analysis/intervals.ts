// The interval behind each kind of comparison (docs/scoring-and-gates.md §4.1), with the words the report uses for its
// method: the mean interval (studentized bootstrap with the rare-event bound), the paired ratio bootstrap (with
// censored latencies), Newcombe's paired score interval with exact McNemar, and Wilson for one rate.
import type {Interval} from './model.js'
import type {Pairs} from './pairs.js'
import {
  mcnemarExact,
  mde as mdeOf,
  meanInterval,
  newcombePairedDiff,
  normalQuantile,
  pairedBootstrapRatio,
  zCritical,
  type MeanInterval,
  type RatioStat,
} from '../stats/index.js'

/** §4.1: quantile ratios are bootstrapped with at most 2000 resamples (each one sorts both arms). */
export const QUANTILE_B_CAP = 2000

export interface EngineOptions {
  seed: number
  B: number
  /** Report level, 0..1. */
  level: number
}

/** Scores and similarities lie in [0, 1], so their paired differences in [−1, 1]: the rare-event bound applies. */
export type Range = readonly [number, number] | null
export const UNIT_RANGE: Range = [0, 1]
export const DIFF_RANGE: Range = [-1, 1]

/** Cluster ids are only worth the cluster bootstrap when some cluster holds two or more requests. */
export function clusterOption(clusters: readonly string[]): string[] | undefined {
  return new Set(clusters).size < clusters.length ? [...clusters] : undefined
}

function meanMethod(ci: MeanInterval, B: number, clustered: boolean, what: string): string {
  const base = clustered ? `studentized cluster bootstrap (B=${B}, ${ci.units} clusters)` : `studentized bootstrap (B=${B})`
  const ends = [ci.widened.low ? 'low' : null, ci.widened.high ? 'high' : null].filter(Boolean)
  if (!ends.length || !ci.tail) return base
  const beyond = ci.tail.below + ci.tail.above
  return `${base}, ${ends.join(' and ')} end widened by the rare-event bound (${beyond} of ${ci.units} ${clustered ? 'clusters' : what} beyond the bulk)`
}

/** Mean of paired differences candidate − primary (× scale: n for a total). MDE from the interval's own width. */
export function meanDiff(p: Pairs, opts: EngineOptions, level: number, range: Range, scale = 1): {value: Interval; mde: number | null} {
  const d = p.candidate.map((c, i) => c - p.primary[i]!)
  const clusters = clusterOption(p.clusters)
  const ci = meanInterval(d, {seed: opts.seed, B: opts.B, level, clusters, range})
  // SE for the MDE from the bootstrap interval (the rare-event bound is about the sample, not the design).
  const b = ci.bootstrap
  const se = b && Number.isFinite(b.high - b.low) ? (b.high - b.low) / (2 * zCritical(level)) : null
  const mde = se !== null && se > 0 ? mdeOf(se, level) * scale : null
  return {
    value: {estimate: ci.estimate * scale, low: ci.low * scale, high: ci.high * scale, level, method: meanMethod(ci, opts.B, clusters !== undefined, 'pairs')},
    mde,
  }
}

/** Mean of one arm's values (absolute gates). */
export function meanOf(values: readonly number[], clusterIds: readonly string[], opts: EngineOptions, level: number, range: Range): Interval {
  const clusters = clusterOption(clusterIds)
  const ci = meanInterval(values, {seed: opts.seed, B: opts.B, level, clusters, range})
  return {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: meanMethod(ci, opts.B, clusters !== undefined, 'values')}
}

/** stat(candidate) / stat(primary), paired percentile bootstrap; censored latencies open the interval on their side. */
export function ratio(p: Pairs, stat: RatioStat, opts: EngineOptions, level: number): Interval {
  const B = stat === 'p50' || stat === 'p95' || stat === 'p99' ? Math.min(opts.B, QUANTILE_B_CAP) : opts.B
  const clusters = clusterOption(p.clusters)
  const censored = p.censored ? {primary: p.censored.primary, candidate: p.censored.candidate} : undefined
  const ci = pairedBootstrapRatio(p.primary, p.candidate, stat, {seed: opts.seed, B, level, clusters, censored})
  const boot = clusters ? `paired cluster bootstrap (B=${B}, ${new Set(clusters).size} clusters)` : `paired bootstrap (B=${B})`
  const which = [ci.censored.primary ? 'primary' : null, ci.censored.candidate ? 'candidate' : null].filter(Boolean)
  const note = which.length ? `; the ${which.join(' and ')} ${stat} is only a lower bound (timed-out requests)` : ''
  return {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: `${boot}${note}`}
}

/** Discordant counts of paired 0/1 values: b = primary only, c = candidate only. */
export function discordant(p: Pairs): {a: number; b: number; c: number; d: number} {
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
  return {a, b, c, d}
}

/** Newcombe's paired score interval for candidate rate − primary rate, exact McNemar p, MDE from the interval. */
export function newcombe(p: Pairs, level: number): {value: Interval; mde: number; p: number} {
  const counts = discordant(p)
  const ci = newcombePairedDiff(counts, level)
  // SE from the score interval, not from the discordance: with no discordant pair the latter is 0.
  const se = (ci.high - ci.low) / (2 * zCritical(level))
  return {
    value: {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: 'Newcombe paired score interval'},
    mde: mdeOf(se, level),
    p: mcnemarExact(counts.b, counts.c),
  }
}

/** No interval; the point estimate alone when there is any data (shown next to INSUFFICIENT). */
export function noInterval(level: number, method: string, estimate: number | null = null): Interval {
  return {estimate: estimate !== null && Number.isFinite(estimate) ? estimate : null, low: null, high: null, level, method}
}

/** Interval label for messages: "95%". */
export function levelText(level: number): string {
  return `${Math.round(level * 1000) / 10}%`
}

/**
 * Minimum detectable effect of a rule (§4.3): the value at which it would FAIL with 80% probability at this n. The
 * threshold is moved into the bad side by (z₁₋α/₂ + z₀.₈) standard errors, the SE read from the interval's distance
 * between the estimate and the end that decides a FAIL (the high end for a ">" rule), on the log scale for ratios.
 * Null without a finite interval.
 */
export function detectableAt(value: Interval, wantsHigh: boolean, isRatio: boolean, threshold: number): number | null {
  const {estimate, low, high, level} = value
  if (estimate === null || low === null || high === null) return null
  const z = zCritical(level)
  const factor = (z + normalQuantile(0.8)) / z
  const far = wantsHigh ? high : low
  const sign = wantsHigh ? -1 : 1
  if (isRatio) {
    if (!(estimate > 0 && far > 0 && Number.isFinite(far))) return null
    return Math.exp(Math.log(threshold) + sign * factor * Math.abs(Math.log(far) - Math.log(estimate)))
  }
  const half = Math.abs(far - estimate)
  return Number.isFinite(half) ? threshold + sign * factor * half : null
}
