// The heuristic scorers' shared vocabulary: what they read (prompt, response) and what they return (flags and one
// score per dimension). Every dimension carries `heuristic/<dim>@<version>`; change the version when a formula or
// threshold (thresholds.ts) changes.
export const SCORERS = {
  relevance: 'heuristic/relevance@1',
  coherence: 'heuristic/coherence@1',
  completeness: 'heuristic/completeness@1',
} as const

export type Dimension = keyof typeof SCORERS
export const DIMENSIONS: readonly Dimension[] = ['relevance', 'coherence', 'completeness']

export interface ScorePrompt {
  system: string | null
  /** Text of the last user turn (what the response must address). */
  lastUser: string
  /** All user turns joined, for script detection when the last turn is too short. */
  allUserText: string
  /** The request asked for JSON output (response_format json_object / json_schema). */
  wantsJson: boolean
  /** JSON Schema the output must satisfy, when the request carried one. */
  jsonSchema?: unknown
}

export interface ScoreResponse {
  text: string | null
  finish_reason: string | null
  status: 'ok' | 'error' | (string & {})
  /** Number of tool calls in the response. */
  tool_calls: number
}

export interface ScoreInput {
  prompt: ScorePrompt
  response: ScoreResponse
  /** responseLength() of the other arm's answer to the same request; null when unknown. */
  otherLength: number | null
}

/** Document frequencies of content stems over the run's prompts (one document per prompt). */
export interface IdfTable {
  readonly documents: number
  readonly df: ReadonlyMap<string, number>
}

export interface ScoreContext {
  idf: IdfTable
}

export type Details = Record<string, number | boolean | null>

export interface DimScore {
  /** In [0, 1]; null when the dimension does not apply (error, content filter, tool-call turn). */
  score: number | null
  scorer: string
  details: Details
}

/**
 * Per-response flags. For a response whose status is not 'ok' they are all "nothing found"
 * (false / null / 0 / true): errors are counted by status, not by these flags.
 */
export interface ResponseFlags {
  empty: boolean
  /** The opening (first two sentences) is a refusal; includes mixed refusals. */
  refusal: boolean
  /** A refusal opening followed by substantive content ("I can't do X, but here is Y …"). */
  refusal_mixed: boolean
  truncated: boolean
  /** JSON.parse (and the schema, when given) succeeded; null when JSON was not requested. */
  json_valid: boolean | null
  /** Code fences paired and brackets inside code blocks balanced. */
  fences_ok: boolean
  /** 1 − distinct/total word 4-grams. */
  repetition_rep4: number
  /** Response is written in the user's script (or the prompt asks for another language). */
  script_match: boolean
}

export interface ResponseScores {
  flags: ResponseFlags
  dimensions: Record<Dimension, DimScore>
}

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x)
/** Scores and details are rounded to 6 decimals so reports are byte-stable. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6
