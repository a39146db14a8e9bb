// Reading judge results back: whether a run is judged, per-arm means and error rates, the head-to-head summary,
// and the lines printed about them.
import type {Arm} from '../records/index.js'
import {RUBRIC_VERSION} from './judge-prompt.js'
import {NULL_SCORES, type JudgeRecord, type JudgeScores} from './judge-types.js'

export function parseJudgeJson(text: string | null): JudgeRecord | null {
  if (!text) return null
  try {
    const v = JSON.parse(text) as JudgeRecord
    return v && typeof v === 'object' && typeof v.status === 'string' ? v : null
  } catch {
    return null
  }
}

/**
 * True when every result of the run (`rows`: its stored judge record, or null) carries a usable judge record from `model` (judge errors do not
 * count, so asking again retries them; cached answers make that cheap) and, in pairwise mode, a
 * head-to-head record on the candidate.
 */
export function runIsJudged(rows: readonly {arm: Arm; judge_json: string | null}[], model: string, pairwise: boolean): boolean {
  if (rows.length === 0) return false
  return rows.every((r) => {
    const j = parseJudgeJson(r.judge_json)
    if (!j || j.model !== model || j.rubric !== RUBRIC_VERSION || j.status === 'judge_error') return false
    if (pairwise && r.arm === 'candidate') return !!j.pairwise && j.pairwise.status !== 'judge_error'
    return true
  })
}

export interface JudgeArmSummary {
  /** Results with a judge record. */
  n: number
  judged: number
  errors: number
  /** Answers that were errors themselves (not sent to the judge). */
  not_judged: number
  /** errors / (judged + errors); null when nothing was sent to the judge. */
  error_rate: number | null
  cached: number
  means: JudgeScores
}

export interface PairwiseSummary {
  /** Requests with a valid head-to-head verdict. */
  n: number
  candidate_wins: number
  primary_wins: number
  ties: number
  /** Ties that come from the two orders disagreeing (position bias). */
  inconsistent: number
  errors: number
  error_rate: number | null
  /** (W + ½T) / n for the candidate; null when n = 0. */
  win_rate: number | null
}

export interface JudgeSummary {
  model: string | null
  rubric: string
  arms: Partial<Record<Arm, JudgeArmSummary>>
  pairwise: PairwiseSummary | null
  warnings: string[]
}

/** One judging pass: upstream calls, cache hits, estimated spend, and what its budget left unasked. */
export interface JudgePass {
  calls: number
  cache_hits: number
  spent_usd: number
  /** The pass's USD cap; null without one. */
  max_cost: number | null
  /** Asks not sent because they could have passed max_cost; a later pass asks them. */
  over_budget: number
  /** Calls whose cost could not be priced (they count 0 against max_cost). */
  unpriced: number
  /** With --judge-via batch: asks sent through the Batch API, answers it gave that were taken, and its batches. */
  /** resumed_batch_ids: batches a stopped pass left, waited for and collected by this one. */
  batch?: {sent: number; answered: number; batch_ids: string[]; resumed_batch_ids: string[]}
}

/** Judge error rate above which judge-based comparisons should not be trusted (docs/scoring-and-gates.md §1). */
export const JUDGE_ERROR_RATE_LIMIT = 0.05

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}

/** Per-arm judge means and error rates, and the head-to-head summary, from a run's stored judge records. */
export function judgeSummary(rows: readonly {arm: Arm; judge_json: string | null}[]): JudgeSummary {
  const models = new Set<string>()
  const arms: Partial<Record<Arm, JudgeArmSummary>> = {}
  const sums: Partial<Record<Arm, Record<keyof JudgeScores, {sum: number; n: number}>>> = {}
  let pw: PairwiseSummary | null = null
  for (const row of rows) {
    const j = parseJudgeJson(row.judge_json)
    if (!j) continue
    models.add(j.model)
    const a = (arms[row.arm] ??= {n: 0, judged: 0, errors: 0, not_judged: 0, error_rate: null, cached: 0, means: {...NULL_SCORES}})
    const s = (sums[row.arm] ??= {relevance: {sum: 0, n: 0}, coherence: {sum: 0, n: 0}, completeness: {sum: 0, n: 0}, overall: {sum: 0, n: 0}})
    a.n++
    if (j.status === 'ok') {
      a.judged++
      if (j.cached) a.cached++
      for (const k of ['relevance', 'coherence', 'completeness', 'overall'] as const) {
        const v = j.scores[k]
        if (typeof v === 'number' && Number.isFinite(v)) {
          s[k].sum += v
          s[k].n++
        }
      }
    } else if (j.status === 'judge_error') a.errors++
    else a.not_judged++
    if (j.pairwise) {
      pw ??= {n: 0, candidate_wins: 0, primary_wins: 0, ties: 0, inconsistent: 0, errors: 0, error_rate: null, win_rate: null}
      const p = j.pairwise
      if (p.status === 'ok' && p.verdict) {
        pw.n++
        if (p.verdict === 'candidate') pw.candidate_wins++
        else if (p.verdict === 'primary') pw.primary_wins++
        else pw.ties++
        if (p.consistent === false) pw.inconsistent++
      } else if (p.status === 'judge_error') pw.errors++
    }
  }
  const warnings: string[] = []
  for (const [arm, a] of Object.entries(arms) as [Arm, JudgeArmSummary][]) {
    const s = sums[arm]!
    a.error_rate = a.judged + a.errors > 0 ? round6(a.errors / (a.judged + a.errors)) : null
    a.means = {
      relevance: s.relevance.n ? round6(s.relevance.sum / s.relevance.n) : null,
      coherence: s.coherence.n ? round6(s.coherence.sum / s.coherence.n) : null,
      completeness: s.completeness.n ? round6(s.completeness.sum / s.completeness.n) : null,
      overall: s.overall.n ? round6(s.overall.sum / s.overall.n) : null,
    }
    if (a.error_rate !== null && a.error_rate > JUDGE_ERROR_RATE_LIMIT) {
      warnings.push(`judge error rate on ${arm} is ${(a.error_rate * 100).toFixed(1)}% (above ${JUDGE_ERROR_RATE_LIMIT * 100}%): its judge scores are not reliable`)
    }
  }
  const p = arms.primary?.error_rate
  const c = arms.candidate?.error_rate
  if (p != null && c != null && Math.abs(p - c) > 0.02) {
    warnings.push(`judge error rates differ between arms (primary ${(p * 100).toFixed(1)}%, candidate ${(c * 100).toFixed(1)}%): failures are not missing at random`)
  }
  if (pw) {
    const total = pw.n + pw.errors
    pw.error_rate = total > 0 ? round6(pw.errors / total) : null
    pw.win_rate = pw.n > 0 ? round6((pw.candidate_wins + 0.5 * pw.ties) / pw.n) : null
  }
  if (models.size > 1) warnings.push(`judge records come from more than one judge (${[...models].join(', ')})`)
  return {model: models.size ? [...models].join(', ') : null, rubric: RUBRIC_VERSION, arms, pairwise: pw, warnings}
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`
}

function num(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3)
}

/** Human-readable lines for stderr notes (no keys, no prompts). */
export function formatJudgeSummary(s: JudgeSummary & Partial<JudgePass>): string[] {
  const budget: string[] = []
  if (s.over_budget) {
    budget.push(`  budget: $${(s.spent_usd ?? 0).toFixed(4)} of $${(s.max_cost ?? 0).toFixed(4)} spent; ${s.over_budget} judge calls not made, so those answers have no judge record yet (a later --judge pass asks them; verdicts already given come from the cache)`)
  }
  if (s.unpriced && s.max_cost != null) {
    budget.push(`  warning: ${s.unpriced} judge calls could not be priced (their model is not in the price table; add it under pricing:), so they did not count against the budget`)
  }
  if (s.batch) {
    const resumed = s.batch.resumed_batch_ids.length ? `, after collecting ${s.batch.resumed_batch_ids.join(', ')} left by a stopped pass` : ''
    budget.push(`  batch: ${s.batch.sent} asks through the Batch API (${s.batch.batch_ids.join(', ') || 'none'})${resumed}, ${s.batch.answered} answered well; the rest were asked live`)
  }
  if (!s.model) return ['judge: no judge results in this run', ...budget]
  const lines = [`judge ${s.model} (${s.rubric}):`, ...budget]
  for (const arm of ['primary', 'candidate', 'primary_aa'] as Arm[]) {
    const a = s.arms[arm]
    if (!a) continue
    lines.push(
      `  ${arm}: overall ${num(a.means.overall)} (relevance ${num(a.means.relevance)}, coherence ${num(a.means.coherence)}, completeness ${num(a.means.completeness)}); ` +
        `judged ${a.judged}, judge errors ${a.errors} (${pct(a.error_rate)})${a.not_judged ? `, not judged ${a.not_judged}` : ''}${a.cached ? `, cached ${a.cached}` : ''}`,
    )
  }
  const pw = s.pairwise
  if (pw) {
    lines.push(
      `  pairwise: candidate win rate ${num(pw.win_rate)} over ${pw.n} requests (wins ${pw.candidate_wins}, losses ${pw.primary_wins}, ties ${pw.ties} of which inconsistent ${pw.inconsistent}); judge errors ${pw.errors} (${pct(pw.error_rate)})`,
    )
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`)
  return lines
}
