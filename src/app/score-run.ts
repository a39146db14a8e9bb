// The scoring pass over a replay run: every result gets the quality dimensions (offline heuristics),
// every request gets the similarity of its two answers (and of the primary with itself, when the run
// has an A/A arm). With `judge`, an LLM judge also grades every answer (scores.judge_json; the
// heuristic columns are unchanged). Scores stay with their run: listings show them as quality-scorer
// verdicts only when asked (`kt events export --filter quality_scorer`).
import type {Arm} from '../records/index.js'
import {scrubJsonText, stableStringify} from '../records/index.js'
import {
  applyPolicy,
  buildIdf,
  createJudge,
  DEFAULT_QUALITY_POLICY,
  HEURISTIC_SCORER,
  judgeItems,
  judgeViaBatch,
  judgeKey,
  judgeModelName,
  judgeSummary,
  promptInfo,
  responseLength,
  runIsJudged,
  scoreResponse,
  similarity,
  toolCallCount,
  type JudgeOptions,
  type JudgePass,
  type JudgeRecord,
  type JudgeSummary,
  type PromptInfo,
  type QualityPolicy,
  type ScoreInput,
} from '../scoring/index.js'
import {judgeRows, judgeRowsOfResults, resultsToScore, scoringState, storedJudgeRecords, writeScores, type DB, type PairRow, type ResultToScore, type ScoreRow} from '../store/index.js'

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

/** Every result has a score, made under this quality policy (the default policy when none is given). */
export function runIsScored(db: DB, runId: string, policy: QualityPolicy = DEFAULT_QUALITY_POLICY): boolean {
  const r = scoringState(db, runId)
  return r.results > 0 && r.results === r.scores && r.policy === stableStringify(policy)
}

/**
 * The judge records this pass scores with. Records from an earlier pass are kept (they were paid for) wherever this
 * pass has none: without a judge, or for what its budget left unasked.
 */
async function judgePass(db: DB, runId: string, rows: ResultToScore[], opts: ScoreRunOptions, policy: QualityPolicy): Promise<{judged: Map<string, JudgeRecord | string>; pass: JudgePass}> {
  const judged = new Map<string, JudgeRecord | string>()
  for (const k of storedJudgeRecords(db, runId)) judged.set(judgeKey(k.event_id, k.arm), k.judge_json)
  if (!opts.judge) return {judged, pass: NO_PASS}
  const judge = createJudge(opts.judge, db.name)
  const itemOpts = {pairwise: opts.judge.pairwise, concurrency: opts.judge.concurrency, policy}
  // Through the Batch API first: its well-formed answers land in the judge's cache, so the live pass reads them.
  const batched = opts.judge.via === 'batch' ? await judgeViaBatch(judge, rows, {...itemOpts, stop: opts.judge.stop, onProgress: opts.judge.onBatchProgress}) : null
  const hitsBefore = batched ? judge.cacheHits : 0
  for (const [key, record] of await judgeItems(rows, judge, itemOpts)) judged.set(key, record)
  const pass: JudgePass = {calls: judge.calls, cache_hits: judge.cacheHits - hitsBefore, spent_usd: judge.spent, max_cost: judge.budget, over_budget: judge.overBudget, unpriced: judge.unpriced}
  if (batched) pass.batch = {sent: batched.sent, answered: batched.answered, batch_ids: batched.batchIds, resumed_batch_ids: batched.resumedBatchIds}
  return {judged, pass}
}

/**
 * Scores every result of a run in one transaction (deterministic: same run, same scores). With
 * `judge`, the judge calls run first (outside the transaction), then everything is written at once;
 * a run already scored is scored again only when it lacks usable results from that judge.
 */
export async function scoreRun(db: DB, runId: string, opts: ScoreRunOptions = {}): Promise<ScoreRunOutcome> {
  const judgeDone = !opts.judge || runIsJudged(judgeRowsOfResults(db, runId), judgeModelName(opts.judge.target), Boolean(opts.judge.pairwise))
  if (!opts.force && runIsScored(db, runId, opts.policy) && judgeDone) {
    return {scored: 0, pairs: 0, skipped: true, judge: opts.judge ? {...judgeSummary(judgeRows(db, runId)), ...NO_PASS, max_cost: opts.judge.maxCost ?? null} : null}
  }
  const policy = opts.policy ?? DEFAULT_QUALITY_POLICY
  const rows = resultsToScore(db, runId)
  const byEvent = new Map<string, Partial<Record<Arm, ResultToScore>>>()
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

  const {judged, pass} = await judgePass(db, runId, rows, opts, policy)
  const scores: ScoreRow[] = []
  const pairs: PairRow[] = []
  for (const [eventId, arms] of byEvent) {
    const prompt = prompts.get(eventId)!
    const len = (r?: ResultToScore) => (r && r.status === 'ok' ? responseLength(r.response_text) : null)
    for (const arm of ['primary', 'candidate', 'primary_aa'] as Arm[]) {
      const r = arms[arm]
      if (!r) continue
      const other = arm === 'candidate' ? arms.primary : arms.candidate
      const input: ScoreInput = {
        prompt,
        response: {text: r.response_text, finish_reason: r.finish_reason, status: r.status, tool_calls: toolCallCount(r.tool_calls_json)},
        otherLength: len(other),
      }
      const s = scoreResponse(input, {idf})
      const verdict = applyPolicy(s.dimensions, policy)
      const d = s.dimensions
      const j = judged.get(judgeKey(eventId, arm))
      scores.push({
        event_id: eventId,
        arm,
        relevance: d.relevance.score,
        coherence: d.coherence.score,
        completeness: d.completeness.score,
        overall: verdict.overall,
        pass: verdict.pass,
        flags_json: JSON.stringify(s.flags),
        details_json: JSON.stringify({relevance: d.relevance.details, coherence: d.coherence.details, completeness: d.completeness.details}),
        on_fail_json: JSON.stringify(verdict.on_fail),
        judge_json: j === undefined ? null : scrubJsonText(typeof j === 'string' ? j : JSON.stringify(j)),
        scorer: HEURISTIC_SCORER,
      })
    }
    const p = arms.primary
    const c = arms.candidate
    if (p && c && p.status === 'ok' && c.status === 'ok') {
      const sim = similarity(p.response_text ?? '', c.response_text ?? '')
      const aa = arms.primary_aa
      const noise = aa && aa.status === 'ok' ? similarity(p.response_text ?? '', aa.response_text ?? '') : null
      pairs.push({event_id: eventId, dice: sim.dice, rouge_l: sim.rougeL, jaccard: sim.jaccard, noise_dice: noise?.dice ?? null, noise_rouge_l: noise?.rougeL ?? null, noise_jaccard: noise?.jaccard ?? null})
    }
  }
  writeScores(db, runId, stableStringify(policy), scores, pairs)
  return {scored: scores.length, pairs: pairs.length, skipped: false, judge: opts.judge ? {...judgeSummary(judgeRows(db, runId)), ...pass} : null}
}
