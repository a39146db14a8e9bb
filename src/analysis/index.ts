// What a scored run says: its data loaded from the store, per-arm statistics, every metric with its paired
// interval, and the report model. Read by gate/ and report/. May import store/, scoring/, replay/, records/,
// stats/ and util/.
export {type ArmData, type ArmScores, type PairedRequest, type RunData, type Similarity, loadRunData} from './data.js'
export {type EngineOptions, type Exclusions, type Measurement, MetricEngine, type Pairs, QUANTILE_B_CAP, describeExclusions} from './metrics.js'
export type {ArmStats, Decision, Distributions, ExampleRow, GateOutcome, Interval, MetricRow, NoiseFloor, ReportModel, Verdict} from './model.js'
export {type GateKind, METRICS, type MetricSpec, QUALITY_DIMENSIONS, editDistance, findMetric, metricNames, suggestMetrics} from './registry.js'
