// Public face of the gate engine: the rule language, the metrics, decisions, and gating a stored run.
export {parseGate, parseGates, GateSyntaxError, type GateInput, type GateOp, type GateRule, type RuleSource} from './parse.js'
export {METRICS, findMetric, metricNames, suggestMetrics, editDistance, type GateKind, type MetricSpec} from '../analysis/registry.js'
export {MetricEngine, QUANTILE_B_CAP, type EngineOptions, type Measurement, type Pairs, type Exclusions} from '../analysis/metrics.js'
export {DEFAULT_GATES, decide, evaluateGate, evaluateGates, exitCodeOf, verdictOf, fmtValue, type DecisionMode} from './evaluate.js'
export {gateJson, gateLines, verdictLine} from '../report/render/gate-text.js'
export {junitXml} from '../report/render/junit.js'
export {gateRulesFrom, runGates, type RunGatesOptions, type RunGatesResult} from '../app/gate-run.js'
