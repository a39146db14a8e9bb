// Builds the analysis of a scored run (docs/scoring-and-gates.md §5.4): per-arm statistics, every metric row with its paired
// interval, the A/A noise floor, the worst regressions, the raw distributions and the run's warnings. Pure and
// deterministic: same RunData, seed and B → the same model. Gates are judged on the same engine by gate/, and
// report/build.ts composes the two.
import {armStats} from './arms.js'
import type {RunData} from './data.js'
import {distributions, worstExamples} from './examples.js'
import {MetricEngine} from './measure.js'
import type {AnalysisModel} from './model.js'
import {noiseFloor} from './noise-floor.js'
import {metricRows} from './rows.js'
import {runWarnings} from './warnings.js'
import {DEFAULT_QUALITY_POLICY, HEURISTIC_SCORER, SIMILARITY_VERSION, type QualityPolicy} from '../scoring/index.js'

export interface AnalysisOptions {
  seed: number
  B: number
  /** Confidence level of the rows, 0..1. */
  level: number
  /** How many worst regressions to list (default 5). */
  worst?: number
  /** The quality policy the run was scored with (shown in the report; default: the built-in one). */
  policy?: QualityPolicy
}

export function analyzeRun(data: RunData, opts: AnalysisOptions): {model: AnalysisModel; engine: MetricEngine} {
  const engine = new MetricEngine(data, {seed: opts.seed, B: opts.B, level: opts.level})
  const run = data.run
  const model: AnalysisModel = {
    schema: 'kt.report/v1',
    run: {id: run.id, name: run.name, status: run.status, created_at: run.created_at, primary: run.primary, candidate: run.candidate, total: run.total},
    seed: opts.seed,
    bootstrap_B: opts.B,
    scorer: `${HEURISTIC_SCORER}, ${SIMILARITY_VERSION}`,
    policy: opts.policy ?? DEFAULT_QUALITY_POLICY,
    arms: armStats(data),
    metrics: metricRows(engine),
    noise: noiseFloor(engine),
    worst: worstExamples(data.requests, opts.worst ?? 5),
    distributions: distributions(data.requests),
    judge: data.judge ?? null,
    warnings: [...runWarnings(engine), ...(data.judge?.warnings ?? [])],
  }
  return {model, engine}
}
