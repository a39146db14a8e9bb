// Replaying stored requests against a primary and a candidate: run plans, the engine with its limits,
// retries and pacing, batch submission and collection (--via batch), and run summaries.
// May import providers/, config/, store/, wire/, records/, stats/, util/.
export {createReplayRun, selectEvents, type RunMeta} from './create.js'
export {describeRun, type RunDescription} from './describe.js'
export {callThreads, checkTargets, executeRun, type ExecuteOptions, type ExecuteOutcome} from './engine.js'
export {estimateRun, type ArmEstimate} from './estimate.js'
export {batchArms, buildPlan, liveArms, planRecord, viaOf, type Via, readPlanRecord, resumePlan, validatePlan, type PlannedRun, type ReplaySettings, type ResumeOverrides, type RunPlan, type Selection} from './plan.js'
export {summarizeRun, type ArmSummary} from './summary.js'
export {cancelBatches, pollIntervals, waitForBatches, type BatchProgress, type WaitOptions, type WaitOutcome} from './batch-collect.js'
export {customId, parseCustomId} from './batch-input.js'
export {submitBatches, type SubmitOptions, type SubmitOutcome} from './batch-submit.js'
export {SCRUBBED_NOTE} from './result-row.js'
