// Thresholds of the heuristic formulas, in one place because together they are version @1 of the scorers:
// change SCORERS' versions (types.ts) when one of them changes.
/** Recall of the prompt's IDF-weighted content terms that counts as fully on topic. */
export const RELEVANCE_FULL_RECALL = 0.5
/** At most this many (highest-IDF) query terms: bounds cost, and long pasted context does not dilute. */
export const MAX_QUERY_TERMS = 64
export const REP4_ALLOWANCE = 0.1
export const FENCE_PENALTY = 0.7
export const TRUNCATED_COHERENCE = 0.6
export const TRUNCATED_COMPLETENESS = 0.3
export const LINE_LOOP_RUN = 3
export const LINE_LOOP_PENALTY = 0.5
export const MIXED_REFUSAL_COMPLETENESS = 0.7
/** Words after the refusal sentence that make a refusal "mixed". */
export const MIXED_REFUSAL_WORDS = 40
export const PART_ANSWERED_RECALL = 0.3
export const MAX_PARTS = 12
/** Below this length the "no terminal punctuation" fallback stays quiet (terse answers like "42"). */
export const TRUNCATION_MIN_CHARS = 60
/** A script switch needs the user's script to be (almost) absent from the response. */
export const SCRIPT_MIN_SHARE = 0.15
