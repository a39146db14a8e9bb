// Relevance: does the answer talk about what the last user turn asked (IDF-weighted recall of its content terms)?
import type {JsonCheck} from './json.js'
import type {PromptAnalysis} from './parts.js'
import type {RefusalResult} from './refusal.js'
import type {ScriptResult} from './script.js'
import {RELEVANCE_FULL_RECALL} from './thresholds.js'
import {round6, SCORERS, type DimScore} from './types.js'

export interface RelevanceInput {
  analysis: PromptAnalysis
  /** Content stems of the answer. */
  responseStems: ReadonlySet<string>
  empty: boolean
  refusal: RefusalResult
  script: ScriptResult
  json: JsonCheck | null
}

/**
 * 0 if empty, fully refused or in the wrong script; 1 when the prompt has no content terms, the answer is in
 * another (allowed) script, or it is JSON that satisfies the request's schema; else min(1, idfRecall / 0.5) over
 * the last user turn's top-64 IDF content terms.
 */
export function scoreRelevance(i: RelevanceInput): DimScore {
  let totalWeight = 0
  let hitWeight = 0
  for (const q of i.analysis.queryTerms) {
    totalWeight += q.weight
    if (i.responseStems.has(q.stem)) hitWeight += q.weight
  }
  const idfRecall = totalWeight > 0 ? hitWeight / totalWeight : null
  // Lexical recall cannot see relevance across languages (an allowed translation) or inside a
  // schema-valid JSON object whose shape the request fixed; those count as on topic (a number,
  // not null, so the pair stays comparable with an arm that refused or returned nothing).
  const schemaSatisfied = i.json !== null && i.json.valid && i.json.schema_valid === true
  const fullRefusal = i.refusal.refusal && !i.refusal.mixed
  let relevance: number
  if (i.empty || fullRefusal || !i.script.script_match) relevance = 0
  else if (idfRecall === null || i.script.cross_script || schemaSatisfied) relevance = 1
  else relevance = Math.min(1, idfRecall / RELEVANCE_FULL_RECALL)
  return {
    score: round6(relevance),
    scorer: SCORERS.relevance,
    details: {
      idf_recall: idfRecall === null ? null : round6(idfRecall),
      query_terms: i.analysis.queryTerms.length,
      script_match: i.script.script_match,
      script_check_skipped: i.script.skipped,
      cross_script: i.script.cross_script,
      schema_satisfied: schemaSatisfied,
      user_script_share: i.script.user_script_share === null ? null : round6(i.script.user_script_share),
      refusal: i.refusal.refusal,
      empty: i.empty,
    },
  }
}
