// The report of one scored run (`kt.report/v1`): built once by the metrics/gate engine, rendered
// by every output format. Renderers read only this structure, so the formats always agree.
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
  latency_ms: {p50: number | null; p95: number | null; p99: number | null; mean: number | null}
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
