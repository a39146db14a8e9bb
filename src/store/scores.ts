// The scores and pairs tables: one score row per (request, arm) of a run, one pair row per request
// (similarity of the two answers, and of the primary with itself on A/A requests). Written in one
// transaction per scoring pass; read by reports, gates and the quality-scorer view of events.
import type {Api, Arm} from '../records/index.js'
import type {DB} from './db.js'

/** A result joined with its event's request: what the scorers and the judge read. */
export interface ResultToScore {
  event_id: string
  arm: Arm
  status: string
  finish_reason: string | null
  response_text: string | null
  tool_calls_json: string | null
  api: Api
  request_json: string | null
}

export interface ScoreRow {
  event_id: string
  arm: Arm
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
  pass: boolean | null
  flags_json: string
  details_json: string
  on_fail_json: string
  judge_json: string | null
  scorer: string
}

export interface PairRow {
  event_id: string
  dice: number
  rouge_l: number
  jaccard: number
  noise_dice: number | null
  noise_rouge_l: number | null
  noise_jaccard: number | null
}

/** A stored judge record (`scores.judge_json`) with its arm. */
export interface JudgeRow {
  arm: Arm
  judge_json: string | null
}

/** Every result of a run with its request, in (event, arm) order. */
export function resultsToScore(db: DB, runId: string): ResultToScore[] {
  return db
    .prepare(
      `SELECT r.event_id, r.arm, r.status, r.finish_reason, r.response_text, r.tool_calls_json, e.api, e.request_json
       FROM results r JOIN events e ON e.event_id = r.event_id
       WHERE r.run_id = ? ORDER BY r.event_id, r.arm`,
    )
    .all(runId) as ResultToScore[]
}

/** How far scoring got: results, score rows, and the policy (stable JSON) the scores were made under. */
export function scoringState(db: DB, runId: string): {results: number; scores: number; policy: string | null} {
  return db
    .prepare('SELECT (SELECT count(*) FROM results WHERE run_id = ?) AS results, (SELECT count(*) FROM scores WHERE run_id = ?) AS scores, (SELECT scored_policy FROM runs WHERE id = ?) AS policy')
    .get(runId, runId, runId) as {results: number; scores: number; policy: string | null}
}

/** Judge records already stored for a run (they were paid for: a later pass keeps them). */
export function storedJudgeRecords(db: DB, runId: string): {event_id: string; arm: Arm; judge_json: string}[] {
  return db.prepare('SELECT event_id, arm, judge_json FROM scores WHERE run_id = ? AND judge_json IS NOT NULL').all(runId) as {event_id: string; arm: Arm; judge_json: string}[]
}

/** The judge record of every score of a run, in (event, arm) order. */
export function judgeRows(db: DB, runId: string): JudgeRow[] {
  return db.prepare('SELECT arm, judge_json FROM scores WHERE run_id = ? ORDER BY event_id, arm').all(runId) as JudgeRow[]
}

/** The judge record (or null) of every result of a run, scored or not. */
export function judgeRowsOfResults(db: DB, runId: string): JudgeRow[] {
  return db
    .prepare('SELECT r.arm, s.judge_json FROM results r LEFT JOIN scores s ON s.run_id = r.run_id AND s.event_id = r.event_id AND s.arm = r.arm WHERE r.run_id = ?')
    .all(runId) as JudgeRow[]
}

/** Replaces a run's scores and pairs, and records the policy they were made under, in one transaction. */
export function writeScores(db: DB, runId: string, policy: string, scores: readonly ScoreRow[], pairs: readonly PairRow[]): void {
  const insertScore = db.prepare(
    `INSERT OR REPLACE INTO scores (run_id, event_id, arm, relevance, coherence, completeness, overall, pass, flags_json, details_json, on_fail_json, judge_json, scorer)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertPair = db.prepare(
    'INSERT OR REPLACE INTO pairs (run_id, event_id, dice, rouge_l, jaccard, noise_dice, noise_rouge_l, noise_jaccard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  db.transaction(() => {
    db.prepare('UPDATE runs SET scored_policy = ? WHERE id = ?').run(policy, runId)
    for (const s of scores) {
      insertScore.run(
        runId, s.event_id, s.arm, s.relevance, s.coherence, s.completeness, s.overall, s.pass === null ? null : s.pass ? 1 : 0,
        s.flags_json, s.details_json, s.on_fail_json, s.judge_json, s.scorer,
      )
    }
    for (const p of pairs) insertPair.run(runId, p.event_id, p.dice, p.rouge_l, p.jaccard, p.noise_dice, p.noise_rouge_l, p.noise_jaccard)
  })()
}

/** A run's requests in run order, with the similarity of their answers (null until scored). */
export interface RunItemWithPair {
  event_id: string
  timestamp: string
  model: string | null
  api: Api
  request_json: string | null
  /** The conversation the request belongs to (session, else trace): the unit a cluster bootstrap resamples. */
  cluster: string | null
  dice: number | null
  rouge_l: number | null
  jaccard: number | null
  noise_dice: number | null
  noise_rouge_l: number | null
  noise_jaccard: number | null
}

export function runItemsWithPairs(db: DB, runId: string): RunItemWithPair[] {
  return db
    .prepare(
      `SELECT i.event_id, e.timestamp, e.model, e.api, e.request_json, coalesce(e.session_id, e.trace_id) AS cluster,
              p.dice, p.rouge_l, p.jaccard, p.noise_dice, p.noise_rouge_l, p.noise_jaccard
       FROM run_items i JOIN events e ON e.event_id = i.event_id
       LEFT JOIN pairs p ON p.run_id = i.run_id AND p.event_id = i.event_id
       WHERE i.run_id = ? ORDER BY i.seq`,
    )
    .all(runId) as RunItemWithPair[]
}

/** A result with its scores (null until scored). */
export interface ScoredResult {
  event_id: string
  arm: Arm
  status: string
  http_status: number | null
  error_message: string | null
  latency_ms: number | null
  ttft_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
  finish_reason: string | null
  response_text: string | null
  tool_calls_json: string | null
  model: string | null
  translation_losses_json: string
  simulated: number
  relevance: number | null
  coherence: number | null
  completeness: number | null
  overall: number | null
  pass: number | null
  flags_json: string | null
  on_fail_json: string | null
  /** Calls made (1 + retries; 0 for a recorded answer), each call's latency and status, and the timeout they ran under. */
  attempts: number
  attempts_json: string | null
  timeout_ms: number | null
}

export function resultsWithScores(db: DB, runId: string): ScoredResult[] {
  return db
    .prepare(
      `SELECT r.event_id, r.arm, r.status, r.http_status, r.error_message, r.latency_ms, r.ttft_ms, r.input_tokens, r.output_tokens,
              r.cost_usd, r.finish_reason, r.response_text, r.tool_calls_json, r.model, r.translation_losses_json, r.simulated,
              r.attempts, r.attempts_json, r.timeout_ms, s.relevance, s.coherence, s.completeness, s.overall, s.pass, s.flags_json, s.on_fail_json
       FROM results r LEFT JOIN scores s ON s.run_id = r.run_id AND s.event_id = r.event_id AND s.arm = r.arm
       WHERE r.run_id = ?`,
    )
    .all(runId) as ScoredResult[]
}
