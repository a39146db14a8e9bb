// The metrics a gate can name (docs/scoring-and-gates.md §5.3) and what each one accepts. One table drives the parser
// (unknown names, "did you mean"), the evaluator (which interval, which minimum sample) and the report.
import type {MetricRow} from './model.js'

export type GateKind = 'absolute' | 'difference' | 'ratio'

/** How a metric is measured; decides the statistics behind each kind of comparison. */
export type Family =
  | 'score' // per-request quality score, paired mean
  | 'score_diff' // quality.<dim>.mean_diff: the paired difference itself
  | 'rate' // per-request event (error, refusal, truncation, pass), paired proportions
  | 'quantile' // latency / ttft quantile of the per-request values
  | 'cost_total' // sum of per-request cost
  | 'mean' // mean of a per-request amount (cost per request, output tokens)
  | 'similarity' // mean similarity primary↔candidate, against the A/A noise
  | 'beyond_noise' // share of requests below the A/A noise floor

export const QUALITY_DIMENSIONS = ['overall', 'relevance', 'coherence', 'completeness'] as const
export type QualityDim = (typeof QUALITY_DIMENSIONS)[number]
export const SIMILARITY_METRICS = ['dice', 'rougeL', 'jaccard'] as const
export type SimilarityName = (typeof SIMILARITY_METRICS)[number]
export type RateName = 'pass_rate' | 'error_rate' | 'refusal_rate' | 'truncation_rate' | 'tool_call_rate' | 'timeout_rate' | 'retry_rate'
export type QuantileName = 'latency.p50' | 'latency.p95' | 'latency.p99' | 'ttft.p95'

/**
 * §4.3: a quantile needs ≥ 10 observations above it, so n ≥ 10/(1 − q); a mean needs 30 pairs. Rates
 * have no pair minimum: their score intervals (Wilson, Newcombe) stay honest with few events.
 */
export const MIN_PAIRS_MEAN = 30
export const MIN_PAIRS_QUANTILE: Record<QuantileName, number> = {'latency.p50': 30, 'latency.p95': 200, 'latency.p99': 1000, 'ttft.p95': 200}
export const MIN_PAIRS_RATE = 1
/**
 * The beyond-noise rate rests on the 5th percentile of the A/A similarities: with 60 of them it falls on the
 * third lowest, and its interval (which resamples them) holds its level; with 20 it rested on the lowest alone
 * and an A/A run failed `<= 0.05` 15% of the time (test/analysis/beyond-noise.test.ts).
 */
export const MIN_NOISE_PAIRS = 60
/** `--decision harm` passes whatever it cannot rule out, so it needs at least this many pairs for every rule. */
export const MIN_PAIRS_HARM = 30

export interface MetricSpec {
  /** Name in the gate grammar. */
  name: string
  label: string
  unit: MetricRow['unit']
  /** null: a change either way is what matters (no direction is better). */
  better: MetricRow['better']
  family: Family
  /** Right-hand sides this metric accepts. */
  kinds: readonly GateKind[]
  minPairs: number
  /** Why a kind is not accepted, with the form to use instead. */
  hint: string
  dim?: QualityDim
  rate?: RateName
  quantile?: {q: 'p50' | 'p95' | 'p99'; field: 'latency_ms' | 'ttft_ms'}
  amount?: 'cost_usd' | 'output_tokens'
  similarity?: SimilarityName
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

function qualitySpecs(): MetricSpec[] {
  const out: MetricSpec[] = []
  for (const dim of QUALITY_DIMENSIONS) {
    out.push({
      name: `quality.${dim}.mean_diff`,
      label: `${cap(dim)} quality, candidate − primary`,
      unit: 'score',
      better: 'higher',
      family: 'score_diff',
      kinds: ['difference'],
      minPairs: MIN_PAIRS_MEAN,
      dim,
      hint: `quality.${dim}.mean_diff is already candidate − primary: compare it with a number (quality.${dim}.mean_diff > -0.02), or use quality.${dim}.mean >= primary-0.02`,
    })
    out.push({
      name: `quality.${dim}.mean`,
      label: `${cap(dim)} quality (mean)`,
      unit: 'score',
      better: 'higher',
      family: 'score',
      kinds: ['absolute', 'difference', 'ratio'],
      minPairs: MIN_PAIRS_MEAN,
      dim,
      hint: '',
    })
  }
  return out
}

function rateSpecs(): MetricSpec[] {
  const rates: [RateName, string, MetricSpec['better']][] = [
    ['pass_rate', 'Pass rate', 'higher'],
    ['error_rate', 'Error rate', 'lower'],
    ['refusal_rate', 'Refusal rate', 'lower'],
    ['truncation_rate', 'Truncation rate', 'lower'],
    // Of the requests that offer tools, the share answered with a tool call: a model that calls tools where the
    // other answered (or the reverse) changes what the application does next, whichever way it goes.
    ['tool_call_rate', 'Tool-call rate (when tools are offered)', null],
    // Per request, over every call made for it (design §4.1): a timeout a retry recovered still counts.
    ['timeout_rate', 'Timeout rate (any call timed out)', 'lower'],
    ['retry_rate', 'Retry rate (more than one call)', 'lower'],
  ]
  return rates.map(([name, label, better]) => ({name, label, unit: 'rate', better, family: 'rate', kinds: ['absolute', 'difference', 'ratio'], minPairs: MIN_PAIRS_RATE, rate: name, hint: ''}))
}

function quantileSpecs(): MetricSpec[] {
  const quantiles: [QuantileName, string, 'p50' | 'p95' | 'p99', 'latency_ms' | 'ttft_ms'][] = [
    ['latency.p50', 'Latency p50', 'p50', 'latency_ms'],
    ['latency.p95', 'Latency p95', 'p95', 'latency_ms'],
    ['latency.p99', 'Latency p99', 'p99', 'latency_ms'],
    ['ttft.p95', 'Time to first token p95', 'p95', 'ttft_ms'],
  ]
  return quantiles.map(([name, label, q, field]) => ({
    name,
    label,
    unit: 'ms',
    better: 'lower',
    family: 'quantile',
    kinds: ['absolute', 'ratio'],
    minPairs: MIN_PAIRS_QUANTILE[name],
    quantile: {q, field},
    hint: `${name} compares as a ratio to the primary (${name} <= 1.2x) or as milliseconds (${name} <= 2500)`,
  }))
}

function amountSpecs(): MetricSpec[] {
  const out: MetricSpec[] = []
  out.push({
    name: 'cost.total',
    label: 'Total cost',
    unit: 'usd',
    better: 'lower',
    family: 'cost_total',
    kinds: ['absolute', 'difference', 'ratio'],
    minPairs: MIN_PAIRS_MEAN,
    amount: 'cost_usd',
    hint: '',
  })
  out.push({
    name: 'cost.per_request',
    label: 'Cost per request',
    unit: 'usd',
    better: 'lower',
    family: 'mean',
    kinds: ['absolute', 'difference', 'ratio'],
    minPairs: MIN_PAIRS_MEAN,
    amount: 'cost_usd',
    hint: '',
  })
  out.push({
    name: 'tokens.output.mean',
    label: 'Output tokens (mean)',
    unit: 'tokens',
    better: 'lower',
    family: 'mean',
    kinds: ['absolute', 'difference', 'ratio'],
    minPairs: MIN_PAIRS_MEAN,
    amount: 'output_tokens',
    hint: '',
  })
  return out
}

function similaritySpecs(): MetricSpec[] {
  const out: MetricSpec[] = []
  const simLabel: Record<SimilarityName, string> = {dice: 'Dice', rougeL: 'ROUGE-L', jaccard: 'Jaccard'}
  for (const m of SIMILARITY_METRICS) {
    out.push({
      name: `similarity.${m}.mean`,
      label: `Similarity to primary, ${simLabel[m]} (mean)`,
      unit: 'similarity',
      better: 'higher',
      family: 'similarity',
      kinds: ['absolute', 'difference', 'ratio'],
      minPairs: MIN_PAIRS_MEAN,
      similarity: m,
      hint: '',
    })
  }
  for (const m of SIMILARITY_METRICS) {
    out.push({
      name: `similarity.${m}.beyond_noise_rate`,
      label: `Beyond A/A noise, ${simLabel[m]}`,
      unit: 'rate',
      better: 'lower',
      family: 'beyond_noise',
      kinds: ['absolute'],
      minPairs: MIN_PAIRS_RATE,
      similarity: m,
      hint: `similarity.${m}.beyond_noise_rate is a share of requests: compare it with a number (similarity.${m}.beyond_noise_rate <= 0.1)`,
    })
  }
  return out
}

export const METRICS: readonly MetricSpec[] = [...qualitySpecs(), ...rateSpecs(), ...quantileSpecs(), ...amountSpecs(), ...similaritySpecs()]
const BY_NAME = new Map(METRICS.map((m) => [m.name.toLowerCase(), m]))

/** Case-insensitive lookup (`similarity.rougel.mean` finds `similarity.rougeL.mean`). */
export function findMetric(name: string): MetricSpec | undefined {
  return BY_NAME.get(name.toLowerCase())
}

export function metricNames(): string[] {
  return METRICS.map((m) => m.name)
}

/** Levenshtein distance (insert, delete, substitute; two rows). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  let cur = new Array<number>(b.length + 1)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1)
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1)
    }
    ;[prev, cur] = [cur, prev]
  }
  return prev[b.length]!
}

/**
 * Closest metric names to a mistyped one: the nearest by edit distance when it is close enough
 * (a third of the name, at least 2), else the names that start with what was typed (`latency` →
 * latency.p50, latency.p95, latency.p99). At most three.
 */
export function suggestMetrics(name: string): string[] {
  const lower = name.toLowerCase()
  const scored = METRICS.map((m) => ({name: m.name, d: editDistance(lower, m.name.toLowerCase())}))
  const best = Math.min(...scored.map((s) => s.d))
  const limit = Math.max(2, Math.floor(lower.length / 3))
  if (best <= limit) return scored.filter((s) => s.d === best).slice(0, 3).map((s) => s.name)
  const prefixed = METRICS.filter((m) => m.name.toLowerCase().startsWith(`${lower}.`) || m.name.toLowerCase().startsWith(lower))
  return prefixed.slice(0, 3).map((m) => m.name)
}
