// Coherence: does the answer hold together (no loops, no broken code fences, not cut off)?
import type {FenceResult} from './fences.js'
import type {RepetitionResult} from './repetition.js'
import {FENCE_PENALTY, LINE_LOOP_PENALTY, REP4_ALLOWANCE, TRUNCATED_COHERENCE} from './thresholds.js'
import type {TruncationResult} from './truncation.js'
import {clamp01, round6, SCORERS, type DimScore} from './types.js'

export interface CoherenceInput {
  empty: boolean
  repetition: RepetitionResult
  fences: FenceResult
  truncation: TruncationResult
}

/** 0 if empty; else clamp(1 − 2·max(0, rep4 − 0.10)) × (fences ok ? 1 : 0.7) × (truncated ? 0.6 : 1) × (line loop ? 0.5 : 1). */
export function scoreCoherence(i: CoherenceInput): DimScore {
  let coherence = 0
  if (!i.empty) {
    coherence = clamp01(1 - 2 * Math.max(0, i.repetition.rep4 - REP4_ALLOWANCE))
    if (!i.fences.fences_ok) coherence *= FENCE_PENALTY
    if (i.truncation.truncated) coherence *= TRUNCATED_COHERENCE
    if (i.repetition.loop) coherence *= LINE_LOOP_PENALTY
  }
  return {
    score: round6(coherence),
    scorer: SCORERS.coherence,
    details: {
      rep4: round6(i.repetition.rep4),
      max_line_run: i.repetition.max_line_run,
      fences_ok: i.fences.fences_ok,
      fences: i.fences.fences,
      brackets_ok: i.fences.brackets_ok,
      truncated: i.truncation.truncated,
      empty: i.empty,
    },
  }
}
