// Scoring answers: offline heuristics, similarity, the quality policy, and the opt-in LLM judge.
// Stores nothing itself. May import wire/, providers/, config/, records/, stats/ and util/.
export {type ResponseScores, SCORERS, type ScoreInput, type ScorePrompt, buildIdf, promptFromRequest, responseLength, scoreResponse} from './heuristics.js'
export {createJudge} from './judge.js'
export {judgeItems, judgeKey} from './judge-items.js'
export {judgeViaBatch, type JudgeBatchOptions, type JudgeBatchOutcome, type JudgeBatchProgress} from './judge-batch.js'
export {formatJudgeSummary, judgeSummary, runIsJudged, type JudgePass, type JudgeSummary} from './judge-summary.js'
export {judgeFromFlags, judgeModelName} from './judge-target.js'
export type {JudgeItem, JudgeOptions, JudgeRecord} from './judge-types.js'
export {DEFAULT_QUALITY_POLICY, type QualityPolicy, applyPolicy} from './policy.js'
export {SIMILARITY_VERSION, similarity} from './similarity.js'
export {HEURISTIC_SCORER, parseStoredRequest, promptInfo, promptOfRequest, toolCallCount, type PromptInfo} from './prompt.js'
