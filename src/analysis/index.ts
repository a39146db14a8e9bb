// What a scored run says: its data loaded from the store, paired values, per-arm statistics, every metric with its
// interval, and the report model without its gates. Read by gate/ and report/. May import store/, scoring/, replay/,
// records/, stats/ and util/.
export {type ArmData, type ArmScores, type PairedRequest, type RunData, type Similarity, loadRunData} from './data.js'
export {describeExclusions, type Exclusions, type Pairs} from './pairs.js'
export {detectableAt, type EngineOptions, levelText, QUANTILE_B_CAP} from './intervals.js'
export {type Measurement, MetricEngine} from './measure.js'
export {metricRows, shortRows} from './rows.js'
export {analyzeRun, type AnalysisOptions} from './build.js'
export {compareRuns, type CompareModel, type CompareOptions, type CompareRow, type CompareSide} from './compare.js'
export type {AnalysisModel, ArmStats, Decision, Distributions, ExampleRow, GateOutcome, Interval, MetricRow, NoiseFloor, ReportModel, Verdict} from './model.js'
export {
  type GateKind,
  METRICS,
  MIN_PAIRS_HARM,
  MIN_PAIRS_MEAN,
  type MetricSpec,
  QUALITY_DIMENSIONS,
  editDistance,
  findMetric,
  metricNames,
  suggestMetrics,
} from './registry.js'
