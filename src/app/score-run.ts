// The scoring pass over a replay run: every result gets the quality dimensions (offline heuristics),
// every request gets the similarity of its two answers (and of the primary with itself, when the run
// has an A/A arm). With `judge`, an LLM judge also grades every answer (scores.judge_json; the
// heuristic columns are unchanged). Scores are stored, and each scored answer is also written as a
// `quality_scorer` event so it lists and exports like any other event.
import {requestFromBody} from '../wire/index.js'
import {stableStringify, ulid} from '../records/index.js'
import type {Api, CanonicalRequest} from '../records/index.js'
import type {DB} from '../store/index.js'
import {EventWriter, type EventRow} from '../store/index.js'
import type {Arm} from '../store/index.js'
import {buildIdf, promptFromRequest, responseLength, SCORERS, scoreResponse, type ResponseScores, type ScoreInput, type ScorePrompt} from '../scoring/index.js'
import {createJudge, judgeItems, judgeKey, judgeModelName, judgeSummary, runIsJudged, type JudgeItem, type JudgeOptions, type JudgePass, type JudgeRecord, type JudgeSummary} from '../scoring/index.js'
import {applyPolicy, DEFAULT_QUALITY_POLICY, type QualityPolicy} from '../scoring/index.js'
import {similarity} from '../scoring/index.js'

/** Names every dimension's scorer with its version, so a changed heuristic shows up as a different scorer. */
export const HEURISTIC_SCORER = Object.values(SCORERS).join(',')

/** A stored result joined with its event: what the judge reads, plus what the scorer events need. */
interface ResultJoin extends JudgeItem {
  model: string | null
  timestamp: string
  dataset: string | null
}

export type PromptInfo = ScorePrompt

const NO_PROMPT: PromptInfo = {system: null, lastUser: '', allUserText: '', wantsJson: false}

/** A stored request body in canonical form; null when there is none or it does not parse. */
export function parseStoredRequest(api: Api, requestJson: string | null): CanonicalRequest | null {
  if (!requestJson) return null
  try {
    return requestFromBody(api, JSON.parse(requestJson) as Record<string, unknown>)
  } catch {
    return null
  }
}

/** What the scorers need to know about the prompt, from a request parsed with parseStoredRequest. */
export function promptOfRequest(request: CanonicalRequest | null): PromptInfo {
  if (!request) return NO_PROMPT
  try {
    return promptFromRequest(request)
  } catch {
    return NO_PROMPT
  }
}

/** What the scorers need to know about the prompt, from the stored provider request body. */
export function promptInfo(api: Api, requestJson: string | null): PromptInfo {
  return promptOfRequest(parseStoredRequest(api, requestJson))
}

export interface ScoreRunOptions {
  policy?: QualityPolicy
  /** Re-score even when scores exist (e.g. after a policy change). */
  force?: boolean
  /** Also grade every answer with an LLM judge (opt-in; costs calls unless cached). */
  judge?: JudgeOptions
}

export interface ScoreRunOutcome {
  scored: number
  pairs: number
  skipped: boolean
  /** With `judge`: what this pass asked and spent, and the run's per-arm judge summary. */
  judge: (JudgeSummary & JudgePass) | null
}

const NO_PASS: JudgePass = {calls: 0, cache_hits: 0, spent_usd: 0, max_cost: null, over_budget: 0, unpriced: 0}

/** Tool calls in a stored result's tool_calls_json. */
export function toolCallCount(json: string | null): number {
  if (!json) return 0
  try {
    const calls: unknown = JSON.parse(json)
    return Array.isArray(calls) ? calls.length : 0
  } catch {
    return 0
  }
}

/** Every result has a score, made under this quality policy (the default policy when none is given). */
export function runIsScored(db: DB, runId: string, policy: QualityPolicy = DEFAULT_QUALITY_POLICY): boolean {
  const r = db
    .prepare('SELECT (SELECT count(*) FROM results WHERE run_id = ?) AS results, (SELECT count(*) FROM scores WHERE run_id = ?) AS scores, (SELECT scored_policy FROM runs WHERE id = ?) AS policy')
    .get(runId, runId, runId) as {results: number; scores: number; policy: string | null}
  return r.results > 0 && r.results === r.scores && r.policy === stableStringify(policy)
}

/**
 * Scores every result of a run in one transaction (deterministic: same run, same scores). With
 * `judge`, the judge calls run first (outside the transaction), then everything is written at once;
 * a run already scored is scored again only when it lacks usable results from that judge.
 */
export async function scoreRun(db: DB, runId: string, opts: ScoreRunOptions = {}): Promise<ScoreRunOutcome> {
  const judgeDone = !opts.judge || runIsJudged(db, runId, judgeModelName(opts.judge.target), Boolean(opts.judge.pairwise))
  if (!opts.force && runIsScored(db, runId, opts.policy) && judgeDone) {
    return {scored: 0, pairs: 0, skipped: true, judge: opts.judge ? {...judgeSummary(db, runId), ...NO_PASS, max_cost: opts.judge.maxCost ?? null} : null}
  }
  const policy = opts.policy ?? DEFAULT_QUALITY_POLICY
  const rows = db
    .prepare(
      `SELECT r.event_id, r.arm, r.status, r.finish_reason, r.response_text, r.tool_calls_json,
              e.api, e.request_json, e.model, e.timestamp, e.dataset
       FROM results r JOIN events e ON e.event_id = r.event_id
       WHERE r.run_id = ? ORDER BY r.event_id, r.arm`,
    )
    .all(runId) as ResultJoin[]
  const byEvent = new Map<string, Partial<Record<Arm, ResultJoin>>>()
  for (const r of rows) {
    const m = byEvent.get(r.event_id) ?? {}
    m[r.arm] = r
    byEvent.set(r.event_id, m)
  }
  const prompts = new Map<string, PromptInfo>()
  for (const [id, arms] of byEvent) {
    const any = arms.primary ?? arms.candidate ?? arms.primary_aa!
    prompts.set(id, promptInfo(any.api, any.request_json))
  }
  // IDF over all prompts of the run: a BM25-style weight that needs no outside corpus (docs/scoring-and-gates.md §2).
  const idf = buildIdf([...prompts.values()].map((p) => `${p.system ?? ''}\n${p.allUserText}`))

  // Judge records for this pass. Records from an earlier pass are kept (they were paid for) wherever this pass
  // has none: without a judge, or for what its budget left unasked.
  const judged = new Map<string, JudgeRecord | string>()
  const kept = db.prepare('SELECT event_id, arm, judge_json FROM scores WHERE run_id = ? AND judge_json IS NOT NULL').all(runId) as {event_id: string; arm: Arm; judge_json: string}[]
  for (const k of kept) judged.set(judgeKey(k.event_id, k.arm), k.judge_json)
  let pass: JudgePass = NO_PASS
  if (opts.judge) {
    const judge = createJudge(opts.judge, db)
    for (const [key, record] of await judgeItems(rows, judge, {pairwise: opts.judge.pairwise, concurrency: opts.judge.concurrency, policy})) judged.set(key, record)
    pass = {calls: judge.calls, cache_hits: judge.cacheHits, spent_usd: judge.spent, max_cost: judge.budget, over_budget: judge.overBudget, unpriced: judge.unpriced}
  }

  const insertScore = db.prepare(
    `INSERT OR REPLACE INTO scores (run_id, event_id, arm, relevance, coherence, completeness, overall, pass, flags_json, details_json, on_fail_json, judge_json, scorer)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertPair = db.prepare(
    `INSERT OR REPLACE INTO pairs (run_id, event_id, dice, rouge_l, jaccard, noise_dice, noise_rouge_l, noise_jaccard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const events = new EventWriter(db)
  let scored = 0
  let pairs = 0
  const now = new Date().toISOString()
  db.transaction(() => {
    db.prepare('UPDATE runs SET scored_policy = ? WHERE id = ?').run(stableStringify(policy), runId)
    db.prepare("DELETE FROM events WHERE kind = 'score' AND trace_id = ?").run(runId)
    for (const [eventId, arms] of byEvent) {
      const prompt = prompts.get(eventId)!
      const len = (r?: ResultJoin) => (r && r.status === 'ok' ? responseLength(r.response_text) : null)
      for (const arm of ['primary', 'candidate', 'primary_aa'] as Arm[]) {
        const r = arms[arm]
        if (!r) continue
        const other = arm === 'candidate' ? arms.primary : arms.candidate
        const input: ScoreInput = {
          prompt,
          response: {text: r.response_text, finish_reason: r.finish_reason, status: r.status, tool_calls: toolCallCount(r.tool_calls_json)},
          otherLength: len(other),
        }
        const s: ResponseScores = scoreResponse(input, {idf})
        const verdict = applyPolicy(s.dimensions, policy)
        const d = s.dimensions
        const j = judged.get(judgeKey(eventId, arm))
        const judgeJson = j === undefined ? null : typeof j === 'string' ? j : JSON.stringify(j)
        insertScore.run(
          runId, eventId, arm, d.relevance.score, d.coherence.score, d.completeness.score, verdict.overall,
          verdict.pass === null ? null : verdict.pass ? 1 : 0, JSON.stringify(s.flags),
          JSON.stringify({relevance: d.relevance.details, coherence: d.coherence.details, completeness: d.completeness.details}),
          JSON.stringify(verdict.on_fail), judgeJson, HEURISTIC_SCORER,
        )
        events.write(scoreEvent(runId, eventId, arm, r, verdict, s, now, typeof j === 'object' ? j : null))
        scored++
      }
      const p = arms.primary
      const c = arms.candidate
      if (p && c && p.status === 'ok' && c.status === 'ok') {
        const sim = similarity(p.response_text ?? '', c.response_text ?? '')
        const aa = arms.primary_aa
        const noise = aa && aa.status === 'ok' ? similarity(p.response_text ?? '', aa.response_text ?? '') : null
        insertPair.run(runId, eventId, sim.dice, sim.rougeL, sim.jaccard, noise?.dice ?? null, noise?.rougeL ?? null, noise?.jaccard ?? null)
        pairs++
      }
    }
  })()
  return {scored, pairs, skipped: false, judge: opts.judge ? {...judgeSummary(db, runId), ...pass} : null}
}

function scoreEvent(
  runId: string,
  eventId: string,
  arm: Arm,
  r: ResultJoin,
  verdict: ReturnType<typeof applyPolicy>,
  s: ResponseScores,
  now: string,
  judge: JudgeRecord | null,
): EventRow {
  const dims = {relevance: s.dimensions.relevance.score, coherence: s.dimensions.coherence.score, completeness: s.dimensions.completeness.score}
  return {
    event_id: `sc_${ulid()}`.toLowerCase(),
    kind: 'score',
    timestamp: now,
    timestamp_inferred: 0,
    source_id: eventId,
    source_format: 'kt-score',
    source_file: null,
    source_locator: null,
    dataset: r.dataset,
    import_id: null,
    // The run id doubles as the trace id, so `--filter trace_id=RUN` finds a run's score events.
    trace_id: runId,
    session_id: null,
    user_id_hash: null,
    app: null,
    route: null,
    environment: null,
    provider: null,
    api: r.api,
    model: r.model,
    response_model: null,
    traffic_role: 'comparison',
    mirror_group_id: null,
    primary_event_id: eventId,
    shadow_event_id: null,
    decision: verdict.pass === null ? 'unscored' : verdict.pass ? 'pass' : 'fail',
    policy_id: 'quality_scorer',
    decision_reason: verdict.failed.length ? `below min_score: ${verdict.failed.join(', ')}` : null,
    status: r.status === 'ok' ? 'ok' : 'error',
    http_status: null,
    error_type: null,
    error_code: null,
    error_message: null,
    stream: null,
    finish_reason: r.finish_reason,
    finish_reason_raw: null,
    latency_ms: null,
    ttft_ms: null,
    input_tokens: null,
    output_tokens: null,
    cached_input_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    total_tokens: null,
    cost_usd: null,
    cost_source: null,
    comparison_metric: 'quality.overall',
    comparison_score: verdict.overall,
    comparison_verdict: verdict.pass === null ? null : verdict.pass ? 'same' : 'worse',
    tags: JSON.stringify([`arm=${arm}`, `run=${runId}`]),
    request_hash: null,
    replayable: 0,
    request_json: null,
    response_json: null,
    response_text: null,
    metadata_json: JSON.stringify({
      run_id: runId, arm, scorer: HEURISTIC_SCORER, dimensions: dims, on_fail: verdict.on_fail, flags: s.flags,
      ...(judge ? {judge: {model: judge.model, rubric: judge.rubric, status: judge.status, scores: judge.scores, ...(judge.pairwise ? {pairwise_verdict: judge.pairwise.verdict} : {})}} : {}),
    }),
  }
}
