// What the report warns about the run itself (docs/scoring-and-gates.md §5.4): an incomplete or unscored run, exclusions, samples
// under the §4.3 minimum, conversations resampled as clusters, unpriced answers, retries and timeouts.
// Warnings about the rules a run is gated with live in gate/warnings.ts.
import type {RunData} from './data.js'
import type {MetricEngine} from './measure.js'
import {describeExclusions} from './pairs.js'
import {shortRows} from './rows.js'

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`
}

/** Retries and timeouts per live arm: a timeout a retry recovered is slow, not an error, and shows in latency. */
function callWarnings(data: RunData): string[] {
  const out: string[] = []
  for (const arm of ['primary', 'candidate'] as const) {
    const results = data.requests.map((r) => r[arm]).filter((a) => a !== null)
    const timedOut = results.filter((a) => a.timeouts > 0).length
    if (!timedOut) continue
    const never = results.filter((a) => a.status === 'timeout').length
    out.push(
      `${arm}: ${timedOut} of ${results.length} requests (${pct(timedOut / results.length)}) had a call time out` +
        `${never ? `, ${never} never answered` : ''}; their latency counts at least the timeout (a lower bound, marked ≥)`,
    )
  }
  return out
}

export function runWarnings(engine: MetricEngine): string[] {
  const data = engine.data
  const out: string[] = []
  const run = data.run
  if (run.status !== 'completed') out.push(`run ${run.id} is ${run.status}: ${run.results_done} of ${run.results_expected} results; the numbers cover what has been replayed so far`)
  const scoredAny = data.requests.some((r) => r.candidate?.scores.overall != null || r.primary?.scores.overall != null)
  const okAny = data.requests.some((r) => r.candidate?.status === 'ok')
  if (okAny && !scoredAny) out.push('no quality scores in this run: score it first (kt gate scores an unscored run)')
  const ex = describeExclusions(engine.pairing.scorePairs('overall').excluded)
  if (ex) out.push(`quality metrics: ${ex} (errors count in error_rate; unscored answers are never counted as 0)`)
  for (const s of shortRows(engine)) out.push(`${s.metric}: ${s.n} pairs, an interval needs ${s.need} (docs/scoring-and-gates.md §4.3); no comparison reported`)
  const clusters = new Set(data.requests.map((r) => r.cluster ?? r.event_id))
  if (clusters.size < data.requests.length) {
    out.push(
      `clustering: ${data.requests.length} requests in ${clusters.size} conversations/traces (multi-turn); bootstrap intervals resample whole conversations, rate intervals assume independent requests`,
    )
  }
  const batched = (data.run.batch_arms ?? []).filter((a) => a !== 'primary_aa')
  if (batched.length) {
    out.push(`latency: the ${batched.join(' and ')} arm${batched.length > 1 ? 's were' : ' was'} answered through a Batch API; batched calls have no latency or time to first token (they wait in the provider's queue), so latency rows compare nothing and latency gates are refused`)
  }
  const noCost = data.requests.filter((r) => r.candidate?.status === 'ok' && r.candidate.cost_usd === null).length
  if (noCost) out.push(`cost: ${noCost} candidate answers have no price (unknown model; add it under pricing: in the config)`)
  out.push(...callWarnings(data))
  return out
}
