// Replaying stored requests against a primary and a candidate: run plans, the engine with its limits,
// retries and pacing, and run summaries. May import providers/, config/, store/, wire/, records/, stats/, util/.
export {createReplayRun, selectEvents, type RunMeta} from './create.js'
export {describeRun, type RunDescription} from './describe.js'
export {callThreads, checkTargets, executeRun, type ExecuteOptions, type ExecuteOutcome} from './engine.js'
export {estimateRun, type ArmEstimate} from './estimate.js'
export {buildPlan, liveArms, planRecord, readPlanRecord, resumePlan, validatePlan, type PlannedRun, type ReplaySettings, type ResumeOverrides, type RunPlan, type Selection} from './plan.js'
export {summarizeRun, type ArmSummary} from './summary.js'
export {SCRUBBED_NOTE} from './result-row.js'
