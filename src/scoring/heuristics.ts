// Offline, deterministic heuristic scorers (docs/scoring-and-gates.md §2). They are regression detectors, not
// quality meters: gate on the paired difference candidate − primary, never on absolute values.
// No clock, no randomness, no network. This file puts the detectors (heuristics/: one file per detector and per
// dimension) together into one score per dimension; heuristics/thresholds.ts holds the numbers of version @1.
import {contentStems, wordTokens} from './text.js'
import {checkFences} from './heuristics/fences.js'
import {scoreCoherence} from './heuristics/coherence.js'
import {scoreCompleteness} from './heuristics/completeness.js'
import {isEmptyText} from './heuristics/empty.js'
import {checkJson} from './heuristics/json.js'
import {analyzePrompt} from './heuristics/parts.js'
import {detectRefusal} from './heuristics/refusal.js'
import {scoreRelevance} from './heuristics/relevance.js'
import {detectRepetition} from './heuristics/repetition.js'
import {checkScript} from './heuristics/script.js'
import {detectTruncation} from './heuristics/truncation.js'
import {round6, SCORERS, type Details, type Dimension, type DimScore, type ResponseFlags, type ResponseScores, type ScoreContext, type ScoreInput} from './heuristics/types.js'

export {buildIdf} from './heuristics/idf.js'
export {responseLength} from './heuristics/completeness.js'
export {promptFromRequest} from './heuristics/prompt.js'
export {DIMENSIONS, SCORERS, type Dimension, type ResponseScores, type ScoreContext, type ScoreInput, type ScorePrompt, type ScoreResponse} from './heuristics/types.js'

function nullDims(details: Details): Record<Dimension, DimScore> {
  return {
    relevance: {score: null, scorer: SCORERS.relevance, details: {...details}},
    coherence: {score: null, scorer: SCORERS.coherence, details: {...details}},
    completeness: {score: null, scorer: SCORERS.completeness, details: {...details}},
  }
}

const NEUTRAL_FLAGS: ResponseFlags = {
  empty: false,
  refusal: false,
  refusal_mixed: false,
  truncated: false,
  json_valid: null,
  fences_ok: true,
  repetition_rep4: 0,
  script_match: true,
}

/**
 * Scores one response (docs/scoring-and-gates.md §2, version @1; each dimension's formula is in its own file).
 * Errors (status ≠ 'ok'), content-filter stops and tool-call turns get null scores: they are
 * counted as rates elsewhere, and text heuristics say nothing about a tool call.
 * Scores are rounded to 6 decimals so reports are byte-stable.
 */
export function scoreResponse(input: ScoreInput, ctx: ScoreContext): ResponseScores {
  const {prompt, response} = input
  if (response.status !== 'ok') return {flags: {...NEUTRAL_FLAGS}, dimensions: nullDims({error: true})}
  if (response.finish_reason === 'content_filter') {
    return {flags: {...NEUTRAL_FLAGS}, dimensions: nullDims({content_filter: true})}
  }
  const text = response.text
  const toolCalls = response.tool_calls
  const empty = isEmptyText(text) && toolCalls === 0
  const refusal = detectRefusal(text)
  const truncation = detectTruncation(text, response.finish_reason)
  const json = prompt.wantsJson ? checkJson(text, prompt.jsonSchema) : null
  const fences = checkFences(text)
  const repetition = detectRepetition(text)
  const script = checkScript(prompt, text)
  const flags: ResponseFlags = {
    empty,
    refusal: refusal.refusal,
    refusal_mixed: refusal.mixed,
    truncated: truncation.truncated,
    json_valid: json ? json.valid : null,
    fences_ok: fences.fences_ok,
    repetition_rep4: round6(repetition.rep4),
    script_match: script.script_match,
  }
  if (toolCalls > 0) return {flags, dimensions: nullDims({tool_calls: toolCalls})}

  const analysis = analyzePrompt(prompt.lastUser, ctx.idf)
  const responseStems = new Set(contentStems(wordTokens(text ?? '')))
  return {
    flags,
    dimensions: {
      relevance: scoreRelevance({analysis, responseStems, empty, refusal, script, json}),
      coherence: scoreCoherence({empty, repetition, fences, truncation}),
      completeness: scoreCompleteness({text, analysis, responseStems, empty, refusal, truncation, json, otherLength: input.otherLength}),
    },
  }
}
