// Public face of src/scoring/.
export {type ResponseScores, SCORERS, type ScoreInput, type ScorePrompt, buildIdf, promptFromRequest, responseLength, scoreResponse} from './heuristics.js'
export {type JudgeItem, type JudgeOptions, type JudgePass, type JudgeRecord, type JudgeSummary, createJudge, formatJudgeSummary, judgeFromFlags, judgeItems, judgeKey, judgeModelName, judgeSummary, runIsJudged} from './judge.js'
export {DEFAULT_QUALITY_POLICY, type QualityPolicy, applyPolicy} from './policy.js'
export {SIMILARITY_VERSION, similarity} from './similarity.js'
