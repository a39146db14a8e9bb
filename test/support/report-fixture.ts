// A fixed RunData and a hand-built ReportModel for the renderer tests and golden files. The text is
// hostile on purpose: HTML and script in answers, spreadsheet formulas, terminal escapes, Markdown
// syntax, non-Latin script, quotes in names.
import type {ArmData, PairedRequest, RunData} from '../../src/analysis/data.js'
import type {ExampleRow, ReportModel} from '../../src/analysis/model.js'
import type {RunDescription} from '../../src/replay/describe.js'
import {DEFAULT_QUALITY_POLICY} from '../../src/scoring/policy.js'
import {rng} from '../../src/stats/rng.js'
import {arm as baseArm} from './run-data.js'

/** kt's seeded generator (mulberry32), so the fixture is the same on every machine. */
const prng = rng

const r3 = (v: number) => Math.round(v * 1000) / 1000

export const HOSTILE_ANSWER = '<script>alert("pwned")</script><img src="https://evil.example/x.png" onerror="alert(1)"> see https://docs.example.com & more'
export const FORMULA_PROMPT = '=HYPERLINK("https://evil.example","click")'
export const ESCAPE_ANSWER = 'red \u001b[31mALERT\u001b[0m text | with *markdown* _chars_ and `ticks`'

const PROMPTS = [
  'Where is my parcel 1Z999?',
  FORMULA_PROMPT,
  'How do I return a damaged item?',
  '+1 555 0100 is not answering, what now?',
  '-5 stars, the label printer jams',
  '@support can I change the delivery address?',
  'Wie lange dauert der Versand nach Österreich?',
  '配送にはどのくらい時間がかかりますか？',
  'Cancel my order #4411',
  'Why was I charged twice?',
  'What are your opening hours?',
  'Can I ship lithium batteries?',
]

function arm(over: Partial<ArmData> & {text: string | null}): ArmData {
  return baseArm({
    input_tokens: 40,
    output_tokens: 60,
    cost_usd: 0.0002,
    model: 'gpt-4o-mini',
    scores: {relevance: 0.8, coherence: 1, completeness: 0.9, overall: 0.89},
    pass: true,
    simulated: false,
    ...over,
  })
}

export const RUN: RunDescription = {
  id: 'run_01fixture0000000000000000',
  name: 'nightly "<b>bold</b>"',
  created_at: '2026-11-20T10:00:00.000Z',
  updated_at: '2026-11-20T10:05:00.000Z',
  status: 'completed',
  primary: 'recorded (logged responses)',
  candidate: 'haiku (anthropic:claude-3-5-haiku-20241022)',
  total: PROMPTS.length,
  results_done: 28,
  results_expected: 28,
  errors: 1,
  settings: {
    selection: {seed: 1},
    modelMap: {},
    concurrency: 8,
    rps: null,
    tpm: null,
    timeoutMs: 60000,
    retries: 3,
    maxCost: null,
    aa: 0.34,
    seed: 1,
    pricing: {},
  } as unknown as RunDescription['settings'],
  config: null,
}

/** 12 requests: primary and candidate on each (one candidate error, one missing candidate), A/A on four. */
export function fixtureRunData(): RunData {
  const next = prng(7)
  const requests: PairedRequest[] = PROMPTS.map((prompt, i) => {
    const pOverall = r3(0.7 + next() * 0.3)
    const cOverall = r3(Math.max(0, pOverall - 0.25 + next() * 0.3))
    const primary = arm({
      text: i === 2 ? 'Pack it, print the label, drop it off.\nRefund in 5 days.' : `Primary answer ${i}: here is how it works.`,
      latency_ms: Math.round(300 + next() * 900),
      scores: {relevance: r3(pOverall - 0.05), coherence: 1, completeness: r3(pOverall), overall: pOverall},
      model: 'gpt-4o',
      cost_usd: 0.0003,
    })
    let candidate: ArmData | null = arm({
      text: i === 0 ? HOSTILE_ANSWER : i === 4 ? ESCAPE_ANSWER : i === 1 ? '=1+1' : `Candidate answer ${i}.`,
      latency_ms: Math.round(250 + next() * 1200),
      scores: {relevance: r3(cOverall), coherence: 1, completeness: r3(cOverall - 0.02), overall: cOverall},
      pass: cOverall >= 0.6,
      model: 'claude-3-5-haiku-20241022',
      cost_usd: 0.00025,
      flags: {empty: false, refusal: i === 5, truncated: i === 3, json_valid: null},
      finish_reason: i === 3 ? 'length' : 'stop',
    })
    if (i === 9) {
      candidate = arm({
        text: null, status: 'error', http_status: 529, error_message: 'Overloaded', latency_ms: 90, output_tokens: null, cost_usd: null,
        scores: {relevance: null, coherence: null, completeness: null, overall: null}, pass: null, flags: {}, finish_reason: null,
      })
    }
    if (i === 11) candidate = null
    const aa = i % 3 === 0 ? arm({text: `Primary answer ${i}: this is how it works.`, latency_ms: Math.round(300 + next() * 900), model: 'gpt-4o'}) : null
    const ok = candidate !== null && candidate.status === 'ok'
    return {
      event_id: `ev_${String(i).padStart(2, '0')}${i === 6 ? '"><svg onload=alert(1)>' : ''}`,
      timestamp: `2026-11-19T00:00:${String(i).padStart(2, '0')}.000Z`,
      model: 'gpt-4o',
      prompt,
      cluster: i < 4 ? 'conv-1' : null,
      primary,
      candidate,
      primary_aa: aa,
      similarity: ok ? {dice: r3(0.2 + next() * 0.7), rougeL: r3(0.2 + next() * 0.6), jaccard: r3(0.1 + next() * 0.6)} : null,
      noise: aa ? {dice: r3(0.8 + next() * 0.2), rougeL: r3(0.75 + next() * 0.2), jaccard: r3(0.7 + next() * 0.2)} : null,
    }
  })
  return {run: RUN, requests}
}

/** A second run sharing ev_00..ev_07 with the first, plus two requests of its own; a more verbose candidate. */
export function fixtureRunDataB(): RunData {
  const a = fixtureRunData()
  const next = prng(11)
  const shared = a.requests.slice(0, 8).map((r) => ({
    ...r,
    candidate: r.candidate
      ? {
          ...r.candidate,
          text: `${r.candidate.text ?? ''} (longer)`,
          latency_ms: r.candidate.latency_ms === null ? null : Math.round(r.candidate.latency_ms * (1.1 + next() * 0.3)),
          output_tokens: 90,
          cost_usd: 0.0004,
          scores: {...r.candidate.scores, overall: r.candidate.scores.overall === null ? null : r3(Math.min(1, r.candidate.scores.overall + 0.05 + next() * 0.05))},
        }
      : null,
  }))
  const extra: PairedRequest[] = [20, 21].map((i) => ({
    ...a.requests[10]!,
    event_id: `ev_${i}`,
    prompt: `Only in B ${i}`,
  }))
  return {
    run: {...RUN, id: 'run_01fixtureb00000000000000', name: 'verbose', candidate: 'mini (openai:gpt-4o-mini)', total: 10},
    requests: [...shared, ...extra],
  }
}

function series(seed: number, n: number, lo: number, spread: number, tail = 0): number[] {
  const next = prng(seed)
  return Array.from({length: n}, (_, i) => Math.round(lo + next() * spread + (i % 17 === 0 ? tail : 0)))
}

function unit(seed: number, n: number, lo: number, hi: number): number[] {
  const next = prng(seed)
  return Array.from({length: n}, () => r3(lo + next() * (hi - lo)))
}

export const LATENCY_N = {primary: 60, candidate: 58}
export const SIMILARITY_N = {candidate: 40, noise: 16}

/** A hand-built model with every decision, a ratio interval with an unbounded end, and a noise floor. */
export function fixtureModel(): ReportModel {
  const data = fixtureRunData()
  const level = 0.95
  return {
    schema: 'kt.report/v1',
    run: {id: RUN.id, name: RUN.name, status: RUN.status, created_at: RUN.created_at, primary: RUN.primary, candidate: RUN.candidate, total: RUN.total},
    seed: 7,
    bootstrap_B: 2000,
    decision_mode: 'non-inferiority',
    scorer: 'heuristic@1, similarity@1',
    policy: DEFAULT_QUALITY_POLICY,
    arms: [
      {
        arm: 'primary', label: RUN.primary, n: 12, ok: 12, error_rate: 0, refusal_rate: 0, truncation_rate: 0, empty_rate: 0, pass_rate: 0.917, retry_rate: 0, timeout_rate: 0,
        latency_ms: {p50: 742, p95: 1180, p99: 1201, mean: 760, censored: 0, lower_bound: []}, ttft_ms: {p50: null, p95: null},
        tokens: {input_total: 480, output_total: 720, output_mean: 60}, cost: {total: 0.0036, per_request: 0.0003},
        finish_reasons: {stop: 12}, on_fail: {}, scores: {relevance: 0.81, coherence: 1, completeness: 0.86, overall: 0.858}, translation_losses: 0,
      },
      {
        arm: 'candidate', label: RUN.candidate, n: 11, ok: 10, error_rate: 0.0909, refusal_rate: 0.1, truncation_rate: 0.1, empty_rate: 0, pass_rate: 0.6, retry_rate: 0.182, timeout_rate: 0.0909,
        latency_ms: {p50: 903, p95: 1455, p99: 1460, mean: 880, censored: 1, lower_bound: ['p99', 'mean']}, ttft_ms: {p50: null, p95: null},
        tokens: {input_total: 440, output_total: 600, output_mean: 60}, cost: {total: 0.0025, per_request: 0.000227},
        finish_reasons: {error: 1, length: 1, stop: 9}, on_fail: {flag: 4}, scores: {relevance: 0.7, coherence: 1, completeness: 0.68, overall: 0.772},
        translation_losses: 2,
      },
      {
        arm: 'primary_aa', label: `${RUN.primary} (A/A repeat)`, n: 4, ok: 4, error_rate: 0, refusal_rate: 0, truncation_rate: 0, empty_rate: 0, pass_rate: 1, retry_rate: 0, timeout_rate: 0,
        latency_ms: {p50: 700, p95: 1000, p99: 1010, mean: 720, censored: 0, lower_bound: []}, ttft_ms: {p50: null, p95: null},
        tokens: {input_total: 160, output_total: 240, output_mean: 60}, cost: {total: 0.0008, per_request: 0.0002},
        finish_reasons: {stop: 4}, on_fail: {}, scores: {relevance: 0.8, coherence: 1, completeness: 0.9, overall: 0.89}, translation_losses: 0,
      },
    ],
    metrics: [
      {
        metric: 'quality.overall.mean', label: 'Overall quality (mean)', unit: 'score', primary: 0.858, candidate: 0.772,
        comparison: {kind: 'difference', estimate: -0.086, low: -0.142, high: -0.031, level, method: 'paired bootstrap (B=2000)'},
        n: 10, p_value: 0.0039, p_test: 'Wilcoxon signed-rank (exact)', mde: 0.061, better: 'higher',
      },
      {
        metric: 'pass_rate', label: 'Pass rate', unit: 'rate', primary: 0.9, candidate: 0.6,
        comparison: {kind: 'difference', estimate: -0.3, low: -0.55, high: -0.02, level, method: 'Newcombe paired score'},
        n: 10, p_value: 0.0625, p_test: 'exact McNemar', mde: 0.25, better: 'higher',
      },
      {
        metric: 'error_rate', label: 'Error rate', unit: 'rate', primary: 0, candidate: 0.0909,
        comparison: {kind: 'difference', estimate: 0.0909, low: -0.05, high: 0.38, level, method: 'Newcombe paired score'},
        n: 11, p_value: 1, p_test: 'exact McNemar', mde: 0.2, better: 'lower',
      },
      {
        metric: 'latency.p95', label: 'Latency p95', unit: 'ms', primary: 1180, candidate: 1455,
        comparison: {kind: 'ratio', estimate: 1.233, low: 0.98, high: Infinity, level, method: 'paired bootstrap (B=2000); the candidate p95 is only a lower bound (timed-out requests)'},
        n: 10, p_value: null, p_test: null, mde: null, better: 'lower', lower_bound: {primary: false, candidate: true},
      },
      {
        metric: 'cost.total', label: 'Total cost', unit: 'usd', primary: 0.0036, candidate: 0.0025,
        comparison: {kind: 'ratio', estimate: 0.694, low: 0.65, high: 0.74, level, method: 'paired bootstrap (B=2000)'},
        n: 10, p_value: null, p_test: null, mde: null, better: 'lower',
      },
      {
        metric: 'tokens.output.mean', label: 'Output tokens (mean)', unit: 'tokens', primary: 60, candidate: 60,
        comparison: {kind: 'difference', estimate: 0, low: -4, high: 4, level, method: 'paired bootstrap (B=2000)'},
        n: 10, p_value: 1, p_test: 'Wilcoxon signed-rank (exact)', mde: 6, better: 'lower',
      },
      {
        metric: 'similarity.dice.mean', label: 'Similarity to primary, Dice (mean)', unit: 'similarity', primary: 0.9, candidate: 0.55,
        comparison: {kind: 'difference', estimate: -0.35, low: -0.48, high: -0.22, level, method: 'paired bootstrap (B=2000)'},
        n: 4, p_value: null, p_test: null, mde: null, better: 'higher',
      },
      {
        metric: 'latency.p99', label: 'Latency p99', unit: 'ms', primary: 1201, candidate: 1460, comparison: null,
        n: 10, p_value: null, p_test: null, mde: null, better: 'lower',
      },
    ],
    gates: [
      {
        rule: 'quality.overall.mean_diff > -0.02', metric: 'quality.overall.mean_diff', decision: 'fail',
        value: {estimate: -0.086, low: -0.142, high: -0.031, level, method: 'paired bootstrap (B=2000)'}, threshold: -0.02, op: '>', kind: 'difference', n: 10, mde: -0.07,
        reason: 'the whole 95% interval of the difference [-0.142, -0.031] is below -0.02',
      },
      {
        rule: 'error_rate <= primary+0.01', metric: 'error_rate', decision: 'inconclusive',
        value: {estimate: 0.0909, low: -0.05, high: 0.38, level, method: 'Newcombe paired score'}, threshold: 0.01, op: '<=', kind: 'difference', n: 11, mde: 0.427,
        reason: 'the 95% interval of the difference [-0.050, 0.380] straddles 0.01: more pairs or a wider margin would settle it',
      },
      {
        rule: 'cost.total <= 1.2x', metric: 'cost.total', decision: 'pass',
        value: {estimate: 0.694, low: 0.65, high: 0.74, level, method: 'paired bootstrap (B=2000)'}, threshold: 1.2, op: '<=', kind: 'ratio', n: 10, mde: 1.287,
        reason: 'the whole 95% interval of the ratio [0.65, 0.74] is below 1.2x',
      },
      {
        rule: 'latency.p95 <= 1.2x', metric: 'latency.p95', decision: 'insufficient',
        value: {estimate: 1.233, low: null, high: null, level, method: 'paired bootstrap'}, threshold: 1.2, op: '<=', kind: 'ratio', n: 10, mde: null,
        reason: 'need 200 pairs, have 10',
      },
      {
        rule: 'quality.overall.mean >= 0.6', metric: 'quality.overall.mean', decision: 'pass',
        value: {estimate: 0.772, low: 0.71, high: 0.83, level, method: 'bootstrap'}, threshold: 0.6, op: '>=', kind: 'absolute', n: 10, mde: 0.503,
        reason: 'the whole 95% interval of the value [0.710, 0.830] is above 0.6',
      },
    ],
    verdict: 'fail',
    exit_code: 1,
    noise: {
      n: 4,
      noise_dice_mean: 0.9,
      candidate_dice_mean: 0.55,
      diff: {estimate: -0.35, low: -0.48, high: -0.22, level, method: 'paired bootstrap (B=2000)'},
      beyond_noise_rate: {estimate: 0.75, low: 0.3, high: 0.954, level, method: 'Wilson'},
      aa_score_sd: 0.021,
    },
    worst: data.requests
      .filter((r) => r.candidate?.scores.overall != null)
      .map((r) => ({r, d: r.candidate!.scores.overall! - r.primary!.scores.overall!}))
      .sort((a, b) => a.d - b.d || (a.r.event_id < b.r.event_id ? -1 : 1))
      .slice(0, 5)
      .map(({r, d}): ExampleRow => ({
        event_id: r.event_id,
        prompt: r.prompt,
        primary_text: r.primary!.text,
        candidate_text: r.candidate!.text,
        primary_overall: r.primary!.scores.overall,
        candidate_overall: r.candidate!.scores.overall,
        delta: r3(d),
        dice: r.similarity?.dice ?? null,
        reasons: r.event_id.startsWith('ev_03') ? ['candidate truncated', 'completeness 0.90 → 0.41'] : ['relevance 0.95 → 0.62 <b>'],
      }))
      .concat([
        {
          event_id: 'ev_00',
          prompt: 'Where is my parcel 1Z999?',
          primary_text: 'It is in Leeds.',
          candidate_text: HOSTILE_ANSWER,
          primary_overall: 0.9,
          candidate_overall: null,
          delta: null,
          dice: null,
          reasons: ['candidate error 529: Overloaded'],
        },
        {
          event_id: 'ev_04',
          prompt: '-5 stars, the label printer jams',
          primary_text: null,
          candidate_text: ESCAPE_ANSWER,
          primary_overall: null,
          candidate_overall: 0.5,
          delta: null,
          dice: null,
          reasons: [],
        },
      ]),
    distributions: {
      latency_ms: {primary: series(1, LATENCY_N.primary, 250, 900, 2600), candidate: series(2, LATENCY_N.candidate, 300, 1100, 3000)},
      scores: {
        relevance: {primary: unit(3, 30, 0.4, 1), candidate: unit(4, 28, 0.1, 1)},
        coherence: {primary: unit(5, 30, 0.9, 1), candidate: unit(6, 28, 0.7, 1)},
        completeness: {primary: unit(7, 30, 0.5, 1), candidate: unit(8, 28, 0, 1)},
        overall: {primary: unit(9, 30, 0.6, 1), candidate: unit(10, 28, 0.3, 1)},
      },
      similarity: {candidate: unit(11, SIMILARITY_N.candidate, 0.05, 1), noise: unit(12, SIMILARITY_N.noise, 0.7, 1)},
    },
    // A judged run: means, a judge error on one arm (never counted as 0) and a head-to-head line.
    judge: {
      model: 'gpt-4.1',
      rubric: 'kt-rubric@1',
      arms: {
        primary: {n: 40, judged: 39, errors: 1, not_judged: 0, error_rate: 1 / 40, cached: 12, means: {relevance: 0.85, coherence: 0.9, completeness: 0.8, overall: 0.85}},
        candidate: {n: 40, judged: 40, errors: 0, not_judged: 0, error_rate: 0, cached: 0, means: {relevance: 0.7, coherence: 0.88, completeness: 0.6, overall: 0.72}},
      },
      pairwise: {n: 38, candidate_wins: 9, primary_wins: 21, ties: 8, inconsistent: 5, errors: 2, error_rate: 2 / 40, win_rate: 13 / 38},
      warnings: [],
    },
    warnings: ['clustering: 12 requests in 9 conversations/traces; <i>bootstrap</i> resamples whole conversations', 'latency.p99: 10 pairs, an interval needs 1000'],
  }
}

/** The same model without gates, noise, regressions or data: every "nothing to show" path. */
export function emptyModel(): ReportModel {
  const m = fixtureModel()
  return {
    ...m,
    gates: [],
    verdict: 'none',
    exit_code: 0,
    noise: null,
    judge: null,
    worst: [],
    warnings: [],
    distributions: {
      latency_ms: {primary: [], candidate: []},
      scores: {
        relevance: {primary: [], candidate: []},
        coherence: {primary: [], candidate: []},
        completeness: {primary: [], candidate: []},
        overall: {primary: [], candidate: []},
      },
      similarity: {candidate: [], noise: []},
    },
  }
}
