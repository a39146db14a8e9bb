// What the LLM judge is asked to do (its options) and what it records per answer (scores.judge_json).
import type {PriceOverrides, TargetSpec} from '../providers/index.js'
import type {Api, Arm} from '../records/index.js'

export interface JudgeOptions {
  target: TargetSpec
  /** Also compare primary and candidate head to head, in both orders. */
  pairwise?: boolean
  /** Where cached verdicts live [default: .kt/judge-cache next to the database]. */
  cacheDir?: string
  /** Judge calls in flight [default 4, and never above the target's max_concurrency]. */
  concurrency?: number
  /** Base backoff before retrying a retryable upstream failure [default 1000 ms]. */
  retryBaseMs?: number
  /**
   * USD the judge may spend in this pass, priced from each call's usage (`pricing`, then the shipped table). A
   * call goes out only when its estimate still fits; answers left over get no judge record, so that a later pass
   * judges them (what was already judged comes from the cache, free). Unset: no cap.
   */
  maxCost?: number | null
  /** `batch`: first ask everything not cached through the judge target's Batch API (half price, within 24 hours),
   *  then live only what it did not answer well. Default `live`. */
  via?: 'live' | 'batch'
  /** With `via: batch`: ends the wait for the batch (Ctrl-C, SIGTERM), and reports its progress. */
  stop?: AbortSignal
  onBatchProgress?: (p: {batches: number; requests: number; completed: number; failed: number; elapsedMs: number}) => void
  pricing?: PriceOverrides
}

export type JudgeStatus = 'ok' | 'judge_error' | 'not_judged'
export type PairVerdict = 'candidate' | 'primary' | 'tie'
export type Letter = 'A' | 'B' | 'C'

export interface JudgeScores {
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
}

export interface PairwiseRecord {
  /** null unless status is ok. */
  verdict: PairVerdict | null
  /** Verdict with A = primary, B = candidate. */
  g1: Letter | null
  /** Verdict with A = candidate, B = primary. */
  g2: Letter | null
  consistent: boolean | null
  status: JudgeStatus
  reason: string | null
  cached: boolean
}

/** What `scores.judge_json` holds for one (request, arm). */
export interface JudgeRecord {
  model: string
  rubric: string
  prompt_sha256: string | null
  /** 0..1 ((s − 1) / 4 of the 1–5 rubric); all null unless status is ok. */
  scores: JudgeScores
  reason: string
  status: JudgeStatus
  cached: boolean
  /** On the candidate's record only, in pairwise mode. */
  pairwise?: PairwiseRecord
}

export const NULL_SCORES: JudgeScores = {relevance: null, coherence: null, completeness: null, overall: null}

/** One stored result, as the scoring pass reads it. */
export interface JudgeItem {
  event_id: string
  arm: Arm
  status: string
  finish_reason: string | null
  response_text: string | null
  tool_calls_json: string | null
  api: Api
  request_json: string | null
}
