// Scoring answers: offline heuristics, similarity, the quality policy, and the opt-in LLM judge.
// Stores nothing itself. May import wire/, providers/, config/, records/, stats/ and util/.
export {type ResponseScores, SCORERS, type ScoreInput, type ScorePrompt, buildIdf, promptFromRequest, responseLength, scoreResponse} from './heuristics.js'
export {type JudgeItem, type JudgeOptions, type JudgePass, type JudgeRecord, type JudgeSummary, createJudge, formatJudgeSummary, judgeFromFlags, judgeItems, judgeKey, judgeModelName, judgeSummary, runIsJudged} from './judge.js'
export {DEFAULT_QUALITY_POLICY, type QualityPolicy, applyPolicy} from './policy.js'
export {SIMILARITY_VERSION, similarity} from './similarity.js'
export {HEURISTIC_SCORER, parseStoredRequest, promptInfo, promptOfRequest, toolCallCount, type PromptInfo} from './prompt.js'
