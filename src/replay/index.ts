// Public face of src/replay/.
export {type RunDescription, describeRun} from './describe.js'
export {type PrimarySpec, type ReplaySettings, type RunPlan, createReplayRun, estimateRun, executeRun, parsePlan} from './engine.js'
export {type ArmSummary, summarizeRun} from './summary.js'
