// Public face of the gate engine: the rule language and decisions. Metrics live in analysis/, renderers in report/.
export {parseGate, parseGates, GateSyntaxError, type GateInput, type GateOp, type GateRule, type RuleSource} from './parse.js'
export {DEFAULT_GATES, decide, evaluateGate, evaluateGates, exitCodeOf, verdictOf, fmtValue, type DecisionMode} from './evaluate.js'
export {valueStyle} from './evaluate.js'
