// Builds the ReportModel of a scored run (docs/scoring-and-gates.md §5.4): per-arm statistics, every metric row with
// its paired interval, the gate outcomes and verdict, the A/A noise floor, the worst regressions
// and the raw distributions. Pure and deterministic: same RunData, seed and B → byte-identical JSON.
import {evaluateGates, exitCodeOf, verdictOf, DEFAULT_GATES, type DecisionMode} from '../gate/index.js'
import {describeExclusions, MetricEngine} from '../analysis/index.js'
import {parseGates, type GateInput, type GateRule} from '../gate/index.js'
import {findMetric, QUALITY_DIMENSIONS} from '../analysis/index.js'
import {DEFAULT_QUALITY_POLICY, type QualityPolicy} from '../scoring/index.js'
import {HEURISTIC_SCORER} from '../scoring/index.js'
import {SIMILARITY_VERSION} from '../scoring/index.js'
import {mean, pairedBootstrapMean, quantile, sd, sum} from '../stats/index.js'
import {KtError} from '../util/index.js'
import type {ArmData, PairedRequest, RunData} from '../analysis/index.js'
import type {ArmStats, Distributions, ExampleRow, NoiseFloor, ReportModel} from '../analysis/index.js'

export interface BuildReportOptions {
  /** Gate rules (strings, or with their config source). Undefined → the default gates; [] → no gates. */
  gates?: readonly (string | GateInput)[]
  /** Bootstrap seed (default 1). */
  seed?: number
  /** Bootstrap resamples (default 5000; quantile ratios use at most 2000, docs/scoring-and-gates.md §4.1). */
  B?: number
  /** Confidence level for rows and for gates without @level: 0.95 or 95 (default 95%). */
  level?: number
  decisionMode?: DecisionMode
  allowInconclusive?: boolean
  /** How many worst regressions to list (default 5). */
  worst?: number
  /** The quality policy the run was scored with (shown in the report; default: the built-in one). */
  policy?: QualityPolicy
}

const TEXT_CAP = 2000
const PROMPT_CAP = 500

/** 0.95 and 95 both mean 95%. */
export function normalizeLevel(level: number | undefined): number {
  if (level === undefined) return 0.95
  const v = level > 1 ? level / 100 : level
  if (!(v >= 0.5 && v < 1)) throw new KtError(`confidence level ${level} is out of range; use 50 to 99.9 (percent)`, 2)
  return v
}

function cap(text: string | null, n: number): string | null {
  if (text === null) return null
  return text.length > n ? `${text.slice(0, n)}…` : text
}

export function buildReport(data: RunData, opts: BuildReportOptions = {}): ReportModel {
  const seed = opts.seed ?? 1
  const B = opts.B ?? 5000
  if (!Number.isInteger(seed)) throw new KtError(`seed must be an integer, got ${seed}`, 2)
  if (!Number.isInteger(B) || B < 100) throw new KtError(`bootstrap resamples must be an integer ≥ 100, got ${B}`, 2)
  const level = normalizeLevel(opts.level)
  const mode: DecisionMode = opts.decisionMode ?? 'non-inferiority'
  // Parse first: a bad rule is a usage error, before any work.
  const rules = parseGates(opts.gates ?? DEFAULT_GATES)

  const engine = new MetricEngine(data, {seed, B, level})
  const metrics = engine.rows()
  const gates = evaluateGates(engine, rules, mode, level)
  const verdict = verdictOf(gates)
  const noise = noiseFloor(data, engine, seed, B, level)
  const run = data.run
  return {
    schema: 'kt.report/v1',
    run: {id: run.id, name: run.name, status: run.status, created_at: run.created_at, primary: run.primary, candidate: run.candidate, total: run.total},
    seed,
    bootstrap_B: B,
    decision_mode: mode,
    scorer: `${HEURISTIC_SCORER}, ${SIMILARITY_VERSION}`,
    policy: opts.policy ?? DEFAULT_QUALITY_POLICY,
    arms: armStats(data),
    metrics,
    gates,
    verdict,
    exit_code: exitCodeOf(verdict, opts.allowInconclusive),
    noise,
    worst: worstExamples(data.requests, opts.worst ?? 5),
    distributions: distributions(data.requests),
    judge: data.judge ?? null,
    warnings: [...warnings(data, engine, rules, noise), ...(data.judge?.warnings ?? [])],
  }
}

// ----------------------------------------------------------------------------------------- arms

function armStats(data: RunData): ArmStats[] {
  const out: ArmStats[] = []
  const arms: ArmStats['arm'][] = ['primary', 'candidate', 'primary_aa']
  for (const arm of arms) {
    const results = data.requests.map((r) => r[arm]).filter((a): a is ArmData => a !== null)
    if (arm === 'primary_aa' && results.length === 0) continue
    const ok = results.filter((a) => a.status === 'ok')
    const scored = ok.filter((a) => typeof a.flags.empty === 'boolean')
    const share = (f: (a: ArmData) => boolean, of: ArmData[]) => (of.length ? of.filter(f).length / of.length : 0)
    const judged = results.filter((a) => a.pass !== null)
    const lat = ok.map((a) => a.latency_ms).filter((v): v is number => v !== null)
    const ttft = ok.map((a) => a.ttft_ms).filter((v): v is number => v !== null)
    const outTok = ok.map((a) => a.output_tokens).filter((v): v is number => v !== null)
    const costs = results.map((a) => a.cost_usd).filter((v): v is number => v !== null)
    const finish: Record<string, number> = {}
    const onFail: Record<string, number> = {}
    for (const a of results) {
      const k = a.status === 'ok' ? (a.finish_reason ?? 'unknown') : a.status
      finish[k] = (finish[k] ?? 0) + 1
      // Per action (flag/escalate/block): how many answers triggered it at least once.
      for (const action of new Set(a.on_fail.map((f) => f.action))) onFail[action] = (onFail[action] ?? 0) + 1
    }
    const dimMean = (d: (typeof QUALITY_DIMENSIONS)[number]) => {
      const v = results.map((a) => a.scores[d]).filter((x): x is number => x !== null)
      return v.length ? mean(v) : null
    }
    const q = (v: number[], p: number) => (v.length ? quantile(v, p) : null)
    const label = arm === 'primary' ? data.run.primary : arm === 'candidate' ? data.run.candidate : `${data.run.primary} (A/A repeat)`
    out.push({
      arm,
      label,
      n: results.length,
      ok: ok.length,
      error_rate: results.length ? (results.length - ok.length) / results.length : 0,
      refusal_rate: share((a) => a.flags.refusal === true, scored),
      truncation_rate: share((a) => a.flags.truncated === true || (typeof a.flags.truncated !== 'boolean' && a.finish_reason === 'length'), ok),
      empty_rate: share((a) => a.flags.empty === true, scored),
      pass_rate: judged.length ? judged.filter((a) => a.pass === true).length / judged.length : null,
      latency_ms: {p50: q(lat, 0.5), p95: q(lat, 0.95), p99: q(lat, 0.99), mean: lat.length ? mean(lat) : null},
      ttft_ms: {p50: q(ttft, 0.5), p95: q(ttft, 0.95)},
      tokens: {
        input_total: sum(results.map((a) => a.input_tokens ?? 0)),
        output_total: sum(results.map((a) => a.output_tokens ?? 0)),
        output_mean: outTok.length ? mean(outTok) : null,
      },
      cost: {total: costs.length ? sum(costs) : null, per_request: costs.length ? sum(costs) / costs.length : null},
      finish_reasons: sortKeys(finish),
      on_fail: sortKeys(onFail),
      scores: {relevance: dimMean('relevance'), coherence: dimMean('coherence'), completeness: dimMean('completeness'), overall: dimMean('overall')},
      translation_losses: results.filter((a) => a.translation_losses.length > 0).length,
    })
  }
  return out
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

// ----------------------------------------------------------------------------------------- noise

function noiseFloor(data: RunData, engine: MetricEngine, seed: number, B: number, level: number): NoiseFloor | null {
  const withNoise = data.requests.filter((r) => r.noise !== null)
  if (withNoise.length === 0) return null
  const both = withNoise.filter((r) => r.similarity !== null)
  const noiseDice = withNoise.map((r) => r.noise!.dice)
  const candDice = both.map((r) => r.similarity!.dice)
  let diff: NoiseFloor['diff'] = null
  if (both.length > 0) {
    const d = both.map((r) => r.similarity!.dice - r.noise!.dice)
    const ci = pairedBootstrapMean(d, {seed, B, level})
    diff = {estimate: ci.estimate, low: ci.low, high: ci.high, level, method: `paired bootstrap (B=${B})`}
  }
  const bn = engine.measure(findMetric('similarity.dice.beyond_noise_rate')!, 'absolute', level)
  const aa = data.requests
    .filter((r) => r.primary_aa !== null && r.primary !== null)
    .map((r) => {
      const a = r.primary_aa!.scores.overall
      const p = r.primary!.scores.overall
      return a !== null && p !== null ? a - p : null
    })
    .filter((x): x is number => x !== null)
  return {
    n: both.length,
    noise_dice_mean: both.length ? mean(both.map((r) => r.noise!.dice)) : noiseDice.length ? mean(noiseDice) : null,
    candidate_dice_mean: candDice.length ? mean(candDice) : null,
    diff,
    beyond_noise_rate: bn.insufficient ? null : bn.value,
    aa_score_sd: aa.length >= 2 ? sd(aa) : null,
  }
}


// ----------------------------------------------------------------------------------------- worst

function reasonsFor(r: PairedRequest): string[] {
  const p = r.primary
  const c = r.candidate
  const out: string[] = []
  if (!c) return ['no candidate result']
  if (c.status !== 'ok') {
    const code = c.http_status !== null ? ` ${c.http_status}` : ''
    out.push(c.status === 'timeout' ? 'candidate timed out' : `candidate error${code}${c.error_message ? `: ${c.error_message}` : ''}`)
    return out
  }
  const pf = p?.flags ?? {}
  if (c.flags.empty === true && pf.empty !== true) out.push('candidate answer is empty')
  if (c.flags.refusal === true && pf.refusal !== true) out.push(c.flags.refusal_mixed === true ? 'candidate partly refused' : 'candidate refused')
  if ((c.flags.truncated === true || c.finish_reason === 'length') && pf.truncated !== true) out.push('candidate truncated')
  if (c.flags.json_valid === false && pf.json_valid !== false) out.push('candidate JSON invalid')
  if (c.flags.script_match === false && pf.script_match !== false) out.push('candidate answered in another script')
  if (c.flags.fences_ok === false && pf.fences_ok !== false) out.push('candidate code fences or brackets broken')
  if (p && p.status === 'ok') {
    for (const d of ['relevance', 'coherence', 'completeness'] as const) {
      const a = p.scores[d]
      const b = c.scores[d]
      if (a !== null && b !== null && b - a <= -0.2) out.push(`${d} ${a.toFixed(2)} → ${b.toFixed(2)}`)
    }
    const pl = (p.text ?? '').length
    const cl = (c.text ?? '').length
    if (pl > 0 && cl < 0.5 * pl) out.push(`candidate answer is ${Math.round((100 * cl) / pl)}% of the primary's length`)
  }
  return out
}

function worstExamples(requests: PairedRequest[], k: number): ExampleRow[] {
  if (k <= 0) return []
  const rows = requests.map((r) => {
    const po = r.primary?.scores.overall ?? null
    const co = r.candidate?.scores.overall ?? null
    const delta = po !== null && co !== null ? co - po : null
    return {r, po, co, delta}
  })
  // Scored regressions, most negative first; then candidate errors where the primary answered.
  const scored = rows.filter((x) => x.delta !== null && x.delta < 0).sort((a, b) => a.delta! - b.delta! || (a.r.event_id < b.r.event_id ? -1 : 1))
  const errors = rows.filter((x) => x.r.candidate !== null && x.r.candidate.status !== 'ok' && x.r.primary?.status === 'ok')
  return [...scored, ...errors].slice(0, k).map(({r, po, co, delta}) => ({
    event_id: r.event_id,
    prompt: cap(r.prompt, PROMPT_CAP) ?? '',
    primary_text: cap(r.primary?.text ?? null, TEXT_CAP),
    candidate_text: cap(r.candidate?.text ?? null, TEXT_CAP),
    primary_overall: po,
    candidate_overall: co,
    delta,
    dice: r.similarity?.dice ?? null,
    reasons: reasonsFor(r),
  }))
}

// ----------------------------------------------------------------------------------------- distributions

function distributions(requests: PairedRequest[]): Distributions {
  const okLatency = (a: ArmData | null) => (a && a.status === 'ok' && a.latency_ms !== null ? a.latency_ms : null)
  const nums = (v: (number | null)[]) => v.filter((x): x is number => x !== null)
  const scores = {} as Distributions['scores']
  for (const d of ['relevance', 'coherence', 'completeness', 'overall'] as const) {
    scores[d] = {primary: nums(requests.map((r) => r.primary?.scores[d] ?? null)), candidate: nums(requests.map((r) => r.candidate?.scores[d] ?? null))}
  }
  return {
    latency_ms: {primary: nums(requests.map((r) => okLatency(r.primary))), candidate: nums(requests.map((r) => okLatency(r.candidate)))},
    scores,
    similarity: {candidate: nums(requests.map((r) => r.similarity?.dice ?? null)), noise: nums(requests.map((r) => r.noise?.dice ?? null))},
  }
}

// ----------------------------------------------------------------------------------------- warnings

function warnings(data: RunData, engine: MetricEngine, rules: GateRule[], noise: NoiseFloor | null): string[] {
  const out: string[] = []
  const run = data.run
  if (run.status !== 'completed') out.push(`run ${run.id} is ${run.status}: ${run.results_done} of ${run.results_expected} results; the numbers cover what has been replayed so far`)
  const scoredAny = data.requests.some((r) => r.candidate?.scores.overall != null || r.primary?.scores.overall != null)
  const okAny = data.requests.some((r) => r.candidate?.status === 'ok')
  if (okAny && !scoredAny) out.push('no quality scores in this run: score it first (kt gate scores an unscored run)')
  const quality = engine.scorePairs('overall')
  const ex = describeExclusions(quality.excluded)
  if (ex) out.push(`quality metrics: ${ex} (errors count in error_rate; unscored answers are never counted as 0)`)
  for (const s of engine.shortRows()) out.push(`${s.metric}: ${s.n} pairs, an interval needs ${s.need} (docs/scoring-and-gates.md §4.3); no comparison reported`)
  const clusters = new Set(data.requests.map((r) => r.cluster ?? r.event_id))
  if (clusters.size < data.requests.length) {
    out.push(
      `clustering: ${data.requests.length} requests in ${clusters.size} conversations/traces; bootstrap intervals resample whole conversations, rate intervals assume independent requests`,
    )
  }
  const batched = (run.batch_arms ?? []).filter((a) => a !== 'primary_aa')
  if (batched.length) {
    out.push(`latency: the ${batched.join(' and ')} arm${batched.length > 1 ? 's were' : ' was'} answered through a Batch API; batched calls have no latency or time to first token (they wait in the provider's queue), so latency rows compare nothing and latency gates are refused`)
  }
  const noCost = data.requests.filter((r) => r.candidate?.status === 'ok' && r.candidate.cost_usd === null).length
  if (noCost) out.push(`cost: ${noCost} candidate answers have no price (unknown model; add it under pricing: in the config)`)
  // §4.6: a margin below the measurement noise cannot be told apart from noise.
  if (noise?.aa_score_sd != null && quality.primary.length > 0) {
    const floor = noise.aa_score_sd / Math.sqrt(quality.primary.length)
    for (const r of rules) {
      if (r.spec.family !== 'score' && r.spec.family !== 'score_diff') continue
      if (r.kind === 'difference' && Math.abs(r.threshold) < floor) {
        out.push(`gate "${r.text}": margin ${Math.abs(r.threshold)} is below the A/A score noise (sd ${noise.aa_score_sd.toFixed(3)} / √${quality.primary.length} = ${floor.toFixed(4)})`)
      }
    }
  }
  for (const r of rules) {
    const asks = r.op === '>' || r.op === '>=' ? 'higher' : 'lower'
    // A metric with no better direction (tool_call_rate) can be bounded either way.
    if (r.spec.better !== null && r.spec.better !== asks) {
      out.push(`gate "${r.text}": asks for ${r.metric} to be ${asks === 'higher' ? 'at least' : 'at most'} the threshold, but lower is ${r.spec.better === 'lower' ? 'better' : 'worse'}; check the comparison`)
    }
  }
  return out
}
