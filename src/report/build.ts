// The ReportModel of a scored run (docs/scoring-and-gates.md §5.4): the analysis (analysis/) with the gate outcomes, verdict and
// rule warnings (gate/) judged on the same metric engine. Pure and deterministic: same RunData, seed and B →
// byte-identical JSON.
import {analyzeRun, type ReportModel, type RunData} from '../analysis/index.js'
import {DEFAULT_GATES, evaluateGates, exitCodeOf, gateWarnings, parseGates, verdictOf, type DecisionMode, type GateInput} from '../gate/index.js'
import type {QualityPolicy} from '../scoring/index.js'
import {KtError} from '../util/index.js'

export interface BuildReportOptions {
  /** Gate rules (strings, or with their config source). Undefined → the default gates; [] → no gates. */
  gates?: readonly (string | GateInput)[]
  /** Bootstrap seed (default 1). */
  seed?: number
  /** Bootstrap resamples (default 5000; quantile ratios use at most 2000, docs/scoring-and-gates.md §4.1). */
  B?: number
  /** Confidence level for rows and for gates without @level: 0.95 or 95 (default 95%). */
  level?: number
  decisionMode?: DecisionMode
  allowInconclusive?: boolean
  /** How many worst regressions to list (default 5). */
  worst?: number
  /** The quality policy the run was scored with (shown in the report; default: the built-in one). */
  policy?: QualityPolicy
}

/** 0.95 and 95 both mean 95%. */
export function normalizeLevel(level: number | undefined): number {
  if (level === undefined) return 0.95
  const v = level > 1 ? level / 100 : level
  if (!(v >= 0.5 && v < 1)) throw new KtError(`confidence level ${level} is out of range; use 50 to 99.9 (percent)`, 2)
  return v
}

export function buildReport(data: RunData, opts: BuildReportOptions = {}): ReportModel {
  const seed = opts.seed ?? 1
  const B = opts.B ?? 5000
  if (!Number.isInteger(seed)) throw new KtError(`seed must be an integer, got ${seed}`, 2)
  if (!Number.isInteger(B) || B < 100) throw new KtError(`bootstrap resamples must be an integer ≥ 100, got ${B}`, 2)
  const level = normalizeLevel(opts.level)
  const mode: DecisionMode = opts.decisionMode ?? 'non-inferiority'
  // Parse first: a bad rule is a usage error, before any work.
  const rules = parseGates(opts.gates ?? DEFAULT_GATES)
  const {model, engine} = analyzeRun(data, {seed, B, level, worst: opts.worst, policy: opts.policy})
  const gates = evaluateGates(engine, rules, mode, level)
  const verdict = verdictOf(gates)
  return {
    ...model,
    decision_mode: mode,
    gates,
    verdict,
    exit_code: exitCodeOf(verdict, opts.allowInconclusive),
    warnings: [...model.warnings, ...gateWarnings(rules, model)],
  }
}
