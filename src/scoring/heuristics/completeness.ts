// Completeness: does the answer address every part of the question, at a length comparable to the other arm's?
import type {JsonCheck} from './json.js'
import {enumeratedItems, type PromptAnalysis} from './parts.js'
import type {RefusalResult} from './refusal.js'
import {MIXED_REFUSAL_COMPLETENESS, PART_ANSWERED_RECALL, TRUNCATED_COMPLETENESS} from './thresholds.js'
import type {TruncationResult} from './truncation.js'
import {round6, SCORERS, type DimScore} from './types.js'

/** Length measure used for length adequacy: UTF-16 length of the trimmed text. */
export function responseLength(text: string | null): number {
  return text ? text.trim().length : 0
}

export interface CompletenessInput {
  text: string | null
  analysis: PromptAnalysis
  /** Content stems of the answer. */
  responseStems: ReadonlySet<string>
  empty: boolean
  refusal: RefusalResult
  truncation: TruncationResult
  json: JsonCheck | null
  /** responseLength() of the other arm's answer; null when unknown. */
  otherLength: number | null
}

/** Sub-questions answered: a part counts when 30% of its terms appear, or the answer has that many enumerated items. */
function partsAnswered(i: CompletenessInput): number {
  let answered = 0
  const items = enumeratedItems(i.text ?? '')
  i.analysis.parts.forEach((stems, k) => {
    if (stems.length === 0) {
      answered++
      return
    }
    let hit = 0
    for (const s of stems) if (i.responseStems.has(s)) hit++
    if (hit / stems.length >= PART_ANSWERED_RECALL || items >= k + 1) answered++
  })
  return answered
}

/**
 * 0 if empty, fully refused, or JSON asked for and invalid; else coverage × lengthAdequacy × (truncated ? 0.3 : 1)
 * × (mixed refusal ? 0.7 : 1), with lengthAdequacy = min(1, len / (0.5·max(len, otherLength))).
 */
export function scoreCompleteness(i: CompletenessInput): DimScore {
  const answered = partsAnswered(i)
  const coverage = i.analysis.parts.length > 0 ? answered / i.analysis.parts.length : 1
  const length = responseLength(i.text)
  const other = i.otherLength
  const longer = other === null ? length : Math.max(length, other)
  const lengthAdequacy = other === null || longer === 0 ? 1 : Math.min(1, length / (0.5 * longer))
  const fullRefusal = i.refusal.refusal && !i.refusal.mixed
  let completeness = 0
  if (!i.empty && !fullRefusal && !(i.json && !i.json.valid)) {
    completeness = coverage * lengthAdequacy
    if (i.truncation.truncated) completeness *= TRUNCATED_COMPLETENESS
    if (i.refusal.mixed) completeness *= MIXED_REFUSAL_COMPLETENESS
  }
  const t = i.truncation
  return {
    score: round6(completeness),
    scorer: SCORERS.completeness,
    details: {
      coverage: round6(coverage),
      parts: i.analysis.parts.length,
      parts_answered: answered,
      length_adequacy: round6(lengthAdequacy),
      truncated: t.truncated,
      truncated_by_finish_reason: t.by_finish_reason,
      open_fence: t.open_fence,
      open_json: t.open_json,
      no_terminal: t.no_terminal,
      json_valid: i.json ? i.json.valid : null,
      json_fenced: i.json ? i.json.fenced : null,
      json_schema_valid: i.json ? i.json.schema_valid : null,
      refusal_mixed: i.refusal.mixed,
      empty: i.empty,
    },
  }
}
