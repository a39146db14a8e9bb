// Per-arm statistics of the report (docs/scoring-and-gates.md §5.4): counts and rates, latency over every call of a request
// (censored when it never answered), tokens, cost, finish reasons, on_fail actions and mean scores.
import type {ArmData, RunData} from './data.js'
import type {ArmStats} from './model.js'
import {QUALITY_DIMENSIONS} from './registry.js'
import {censoredQuantile, mean, quantileSorted, sum} from '../stats/index.js'

type LatencyKey = ArmStats['latency_ms']['lower_bound'][number]

/** Quantiles of the requests' latencies; one resting on a censored value (or the mean, with any) is a lower bound. */
function latencyStats(answered: ArmData[]): ArmStats['latency_ms'] {
  const values = answered.filter((a) => a.latency_ms !== null)
  const ms = values.map((a) => a.latency_ms!)
  const flags = values.map((a) => a.latency_censored)
  const censored = flags.filter(Boolean).length
  const lowerBound: LatencyKey[] = []
  const q = (key: 'p50' | 'p95' | 'p99', p: number) => {
    if (!ms.length) return null
    const c = censoredQuantile(ms, flags, p)
    if (c.censored) lowerBound.push(key)
    return c.value
  }
  const out = {p50: q('p50', 0.5), p95: q('p95', 0.95), p99: q('p99', 0.99), mean: ms.length ? mean(ms) : null}
  if (censored) lowerBound.push('mean')
  return {...out, censored, lower_bound: lowerBound}
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

function counts(results: ArmData[]): {finish: Record<string, number>; onFail: Record<string, number>} {
  const finish: Record<string, number> = {}
  const onFail: Record<string, number> = {}
  for (const a of results) {
    const k = a.status === 'ok' ? (a.finish_reason ?? 'unknown') : a.status
    finish[k] = (finish[k] ?? 0) + 1
    // Per action (flag/escalate/block): how many answers triggered it at least once.
    for (const action of new Set(a.on_fail.map((f) => f.action))) onFail[action] = (onFail[action] ?? 0) + 1
  }
  return {finish: sortKeys(finish), onFail: sortKeys(onFail)}
}

function armStatsOf(arm: ArmStats['arm'], label: string, results: ArmData[]): ArmStats {
  const ok = results.filter((a) => a.status === 'ok')
  const scored = ok.filter((a) => typeof a.flags.empty === 'boolean')
  const share = (f: (a: ArmData) => boolean, of: ArmData[]) => (of.length ? of.filter(f).length / of.length : 0)
  const judged = results.filter((a) => a.pass !== null)
  const ttft = Float64Array.from(ok.map((a) => a.ttft_ms).filter((v): v is number => v !== null)).sort()
  const outTok = ok.map((a) => a.output_tokens).filter((v): v is number => v !== null)
  const costs = results.map((a) => a.cost_usd).filter((v): v is number => v !== null)
  const {finish, onFail} = counts(results)
  const dimMean = (d: (typeof QUALITY_DIMENSIONS)[number]) => {
    const v = results.map((a) => a.scores[d]).filter((x): x is number => x !== null)
    return v.length ? mean(v) : null
  }
  return {
    arm,
    label,
    n: results.length,
    ok: ok.length,
    error_rate: results.length ? (results.length - ok.length) / results.length : 0,
    refusal_rate: share((a) => a.flags.refusal === true, scored),
    truncation_rate: share((a) => a.flags.truncated === true || (typeof a.flags.truncated !== 'boolean' && a.finish_reason === 'length'), ok),
    empty_rate: share((a) => a.flags.empty === true, scored),
    pass_rate: judged.length ? judged.filter((a) => a.pass === true).length / judged.length : null,
    retry_rate: share((a) => a.attempts > 1, results),
    timeout_rate: share((a) => a.timeouts > 0, results),
    latency_ms: latencyStats(results.filter((a) => a.status === 'ok' || a.status === 'timeout')),
    ttft_ms: {p50: ttft.length ? quantileSorted(ttft, 0.5) : null, p95: ttft.length ? quantileSorted(ttft, 0.95) : null},
    tokens: {
      input_total: sum(results.map((a) => a.input_tokens ?? 0)),
      output_total: sum(results.map((a) => a.output_tokens ?? 0)),
      output_mean: outTok.length ? mean(outTok) : null,
    },
    cost: {total: costs.length ? sum(costs) : null, per_request: costs.length ? sum(costs) / costs.length : null},
    finish_reasons: finish,
    on_fail: onFail,
    scores: {relevance: dimMean('relevance'), coherence: dimMean('coherence'), completeness: dimMean('completeness'), overall: dimMean('overall')},
    translation_losses: results.filter((a) => a.translation_losses.length > 0).length,
  }
}

export function armStats(data: RunData): ArmStats[] {
  const out: ArmStats[] = []
  for (const arm of ['primary', 'candidate', 'primary_aa'] as const) {
    const results = data.requests.map((r) => r[arm]).filter((a): a is ArmData => a !== null)
    if (arm === 'primary_aa' && results.length === 0) continue
    const label = arm === 'primary' ? data.run.primary : arm === 'candidate' ? data.run.candidate : `${data.run.primary} (A/A repeat)`
    out.push(armStatsOf(arm, label, results))
  }
  return out
}
