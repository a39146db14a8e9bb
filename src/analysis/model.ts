// The report of one scored run (`kt.report/v1`): the analysis (analysis/build.ts) and the gate outcomes (gate/) composed
// by report/build.ts, rendered by every output format. Renderers read only this structure, so the formats always agree.
import type {JudgeSummary} from '../scoring/index.js'
import type {QualityPolicy} from '../scoring/index.js'

export type Decision = 'pass' | 'fail' | 'inconclusive' | 'insufficient'
export type Verdict = Decision | 'none'

export interface Interval {
  estimate: number | null
  low: number | null
  high: number | null
  /** Confidence level, e.g. 0.95. */
  level: number
  /** How the interval was made: "paired bootstrap (B=5000)", "Newcombe paired score", "Wilson"… */
  method: string
}

export interface MetricRow {
  /** Name in the gate grammar: quality.overall.mean, latency.p95, error_rate, cost.total, similarity.dice.mean… */
  metric: string
  label: string
  unit: 'score' | 'ms' | 'rate' | 'usd' | 'tokens' | 'similarity'
  primary: number | null
  candidate: number | null
  /** candidate − primary for scores and rates; candidate / primary for latency and cost. */
  comparison: (Interval & {kind: 'difference' | 'ratio'}) | null
  /** Paired observations behind the comparison. */
  n: number
  p_value: number | null
  p_test: string | null
  /** Smallest difference this n could detect (scores and rates), same unit as the comparison. */
  mde: number | null
  /** Which direction is good for the candidate. */
  better: 'higher' | 'lower' | null
  /** Latency quantiles: that arm's value is only a lower bound (it rests on timed-out requests). */
  lower_bound?: {primary: boolean; candidate: boolean}
}

export interface GateOutcome {
  /** The rule as written. */
  rule: string
  metric: string
  decision: Decision
  /** What the rule compares: the difference, ratio or absolute value, with its interval. */
  value: Interval
  threshold: number
  op: '>' | '>=' | '<' | '<='
  kind: 'absolute' | 'difference' | 'ratio'
  n: number
  /**
   * Minimum detectable effect: the value (of the difference, ratio or absolute value compared) at which this rule
   * would FAIL with 80% probability at this n and level. Far beyond the threshold means a PASS says little.
   * Null when it cannot be told (no interval, an unbounded one, an observed total).
   */
  mde: number | null
  reason: string
}

export interface ArmStats {
  arm: 'primary' | 'candidate' | 'primary_aa'
  label: string
  n: number
  ok: number
  error_rate: number
  refusal_rate: number
  truncation_rate: number
  empty_rate: number
  pass_rate: number | null
  /** Share of requests that needed more than one call, and share with at least one call that timed out. */
  retry_rate: number
  timeout_rate: number
  /**
   * Latency of each request over all its calls (a timed-out call counts as at least its timeout). `censored`:
   * requests that never answered (their latency is a lower bound); `lower_bound`: the quantiles that rest on one.
   */
  latency_ms: {p50: number | null; p95: number | null; p99: number | null; mean: number | null; censored: number; lower_bound: ('p50' | 'p95' | 'p99' | 'mean')[]}
  ttft_ms: {p50: number | null; p95: number | null}
  tokens: {input_total: number; output_total: number; output_mean: number | null}
  cost: {total: number | null; per_request: number | null}
  finish_reasons: Record<string, number>
  on_fail: Record<string, number>
  scores: {relevance: number | null; coherence: number | null; completeness: number | null; overall: number | null}
  translation_losses: number
}

export interface ExampleRow {
  event_id: string
  prompt: string
  primary_text: string | null
  candidate_text: string | null
  primary_overall: number | null
  candidate_overall: number | null
  /** candidate − primary overall score (most negative = worst regression). */
  delta: number | null
  dice: number | null
  /** Why it regressed, in words: "candidate truncated", "refusal", "error 529"… */
  reasons: string[]
}

export interface NoiseFloor {
  n: number
  /** Mean similarity primary vs primary' (the A/A noise floor). */
  noise_dice_mean: number | null
  /** Mean similarity primary vs candidate. */
  candidate_dice_mean: number | null
  /** Mean of (candidate similarity − noise similarity), paired, with a bootstrap interval. */
  diff: Interval | null
  /** Share of requests whose candidate similarity is below the 5th percentile of the noise similarities. */
  beyond_noise_rate: Interval | null
  /** SD of A/A overall-score deltas: the measurement noise of the scorers. */
  aa_score_sd: number | null
}

export interface Distributions {
  latency_ms: {primary: number[]; candidate: number[]}
  scores: Record<'relevance' | 'coherence' | 'completeness' | 'overall', {primary: number[]; candidate: number[]}>
  similarity: {candidate: number[]; noise: number[]}
}

/** What analysis/ builds from a run: everything in the report but the gates and what follows from them. */
export type AnalysisModel = Omit<ReportModel, 'gates' | 'verdict' | 'exit_code' | 'decision_mode'>

export interface ReportModel {
  schema: 'kt.report/v1'
  run: {id: string; name: string | null; status: string; created_at: string; primary: string; candidate: string; total: number}
  /** Bootstrap seed and resample count: the same run, seed and B give a byte-identical report. */
  seed: number
  bootstrap_B: number
  decision_mode: 'non-inferiority' | 'harm'
  scorer: string
  policy: QualityPolicy
  arms: ArmStats[]
  metrics: MetricRow[]
  gates: GateOutcome[]
  verdict: Verdict
  /** 0 pass, 1 fail, 3 inconclusive/insufficient (0 with allow-inconclusive), 0 when no gates. */
  exit_code: number
  noise: NoiseFloor | null
  worst: ExampleRow[]
  distributions: Distributions
  /** The opt-in LLM judge's per-arm means and error rates (failures are null, never 0), when the run was judged. */
  judge: JudgeSummary | null
  warnings: string[]
}
