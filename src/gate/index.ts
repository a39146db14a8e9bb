// The gate language and its decisions: rules parsed with did-you-mean errors, each judged against its
// metric's interval, and the warnings about the rules themselves. May import analysis/ and util/.
export {parseGate, parseGates, GateSyntaxError, type GateInput, type GateOp, type GateRule, type RuleSource} from './parse.js'
export {DEFAULT_GATES, decide, evaluateGate, evaluateGates, refuseBatchLatency, exitCodeOf, verdictOf, fmtValue, type DecisionMode} from './evaluate.js'
export {valueStyle} from './evaluate.js'
export {gateWarnings} from './warnings.js'
