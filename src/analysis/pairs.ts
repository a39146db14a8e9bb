// Paired per-request values (docs/scoring-and-gates.md §4.1): the same request answered by both arms is one observation, so
// per-request noise cancels. Errors are left out of score metrics (they count in error_rate), a null score is "not
// computed", never 0, and a request that timed out keeps its latency as a lower bound (censored).
import type {ArmData, PairedRequest} from './data.js'
import type {MetricSpec, QualityDim, RateName, SimilarityName} from './registry.js'
import type {NoisePair} from '../stats/index.js'

/** Requests left out of a paired comparison, by cause. */
export interface Exclusions {
  /** One arm has no result (run incomplete, or no A/A replay for that request). */
  missing: number
  /** Either arm is an error or timeout (counted in error_rate instead). */
  response_error: number
  /** Either arm has no value: score not computed (tool call, content filter, not scored), no latency, no price… */
  no_value: number
}

/** Paired per-request values for one metric. */
export interface Pairs {
  primary: number[]
  candidate: number[]
  /** Cluster id per pair (conversation or trace; the event id when there is none). */
  clusters: string[]
  excluded: Exclusions
  /** Per pair: the value is only a lower bound (a request that timed out). Absent when nothing can be censored. */
  censored?: {primary: boolean[]; candidate: boolean[]}
}

/** Which answers carry a value: any result, an answered one (ok, or timed out: a latency), or an ok one. */
export type Need = 'any' | 'answered' | 'ok'

/** How a metric reads one arm's answer. */
export interface ValueOf {
  value: (a: ArmData) => number | null
  need: Need
  censored?: (a: ArmData) => boolean
}

export const NO_EXCLUSIONS: Exclusions = {missing: 0, response_error: 0, no_value: 0}

export function describeExclusions(e: Exclusions): string | null {
  const parts: string[] = []
  if (e.response_error) parts.push(`${e.response_error} with a response error`)
  if (e.no_value) parts.push(`${e.no_value} without a value`)
  if (e.missing) parts.push(`${e.missing} missing an arm`)
  if (!parts.length) return null
  return `excluded ${e.response_error + e.no_value + e.missing} requests: ${parts.join(', ')}`
}

function usable(a: ArmData, need: Need): boolean {
  return need === 'any' || a.status === 'ok' || (need === 'answered' && a.status === 'timeout')
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export function scoreValue(dim: QualityDim): ValueOf {
  return {value: (a) => a.scores[dim], need: 'ok'}
}

/** 1/0 per request for a rate; null when it does not apply (unscored answer, error for content rates). */
export function rateValue(rate: RateName): ValueOf {
  switch (rate) {
    case 'error_rate':
      return {value: (a) => (a.status === 'ok' ? 0 : 1), need: 'any'}
    case 'pass_rate':
      return {value: (a) => (a.pass === null ? null : a.pass ? 1 : 0), need: 'any'}
    case 'refusal_rate':
      return {value: (a) => (typeof a.flags.refusal === 'boolean' ? (a.flags.refusal ? 1 : 0) : null), need: 'ok'}
    case 'tool_call_rate':
      return {value: (a) => (a.tool_calls === null ? null : a.tool_calls > 0 ? 1 : 0), need: 'ok'}
    case 'timeout_rate':
      return {value: (a) => (a.timeouts > 0 ? 1 : 0), need: 'any'}
    case 'retry_rate':
      return {value: (a) => (a.attempts > 1 ? 1 : 0), need: 'any'}
    case 'truncation_rate':
      // Truncation is known from the finish reason even before scoring.
      return {
        value: (a) => (typeof a.flags.truncated === 'boolean' ? (a.flags.truncated ? 1 : 0) : a.finish_reason === 'length' ? 1 : a.finish_reason ? 0 : null),
        need: 'ok',
      }
  }
}

/** Latency is the request's own (every call, a timeout at least its timeout); other amounts need an ok answer, cost does not. */
export function amountValue(spec: MetricSpec): ValueOf {
  if (spec.quantile?.field === 'latency_ms') return {value: (a) => a.latency_ms, need: 'answered', censored: (a) => a.latency_censored}
  if (spec.quantile) return {value: (a) => a.ttft_ms, need: 'ok'}
  if (spec.amount === 'cost_usd') return {value: (a) => a.cost_usd, need: 'any'}
  return {value: (a) => a.output_tokens, need: 'ok'}
}

/** Pairs of one run's requests, cached by metric. */
export class Pairing {
  private readonly cache = new Map<string, Pairs>()

  constructor(readonly requests: readonly PairedRequest[]) {}

  /** Both arms' values, per request. */
  pair(key: string, v: ValueOf): Pairs {
    const cached = this.cache.get(key)
    if (cached) return cached
    const out: Pairs = {primary: [], candidate: [], clusters: [], excluded: {...NO_EXCLUSIONS}, ...(v.censored ? {censored: {primary: [], candidate: []}} : {})}
    for (const r of this.requests) {
      if (!r.primary || !r.candidate) {
        out.excluded.missing++
        continue
      }
      if (!usable(r.primary, v.need) || !usable(r.candidate, v.need)) {
        out.excluded.response_error++
        continue
      }
      const p = v.value(r.primary)
      const c = v.value(r.candidate)
      if (!finite(p) || !finite(c)) {
        out.excluded.no_value++
        continue
      }
      out.primary.push(p)
      out.candidate.push(c)
      out.clusters.push(r.cluster ?? r.event_id)
      out.censored?.primary.push(v.censored!(r.primary))
      out.censored?.candidate.push(v.censored!(r.candidate))
    }
    this.cache.set(key, out)
    return out
  }

  /** Candidate values alone (absolute gates do not need the primary). */
  candidateOnly(key: string, v: ValueOf): Pairs {
    const cached = this.cache.get(`cand:${key}`)
    if (cached) return cached
    const out: Pairs = {primary: [], candidate: [], clusters: [], excluded: {...NO_EXCLUSIONS}, ...(v.censored ? {censored: {primary: [], candidate: []}} : {})}
    for (const r of this.requests) {
      if (!r.candidate) {
        out.excluded.missing++
        continue
      }
      if (!usable(r.candidate, v.need)) {
        out.excluded.response_error++
        continue
      }
      const c = v.value(r.candidate)
      if (!finite(c)) {
        out.excluded.no_value++
        continue
      }
      out.candidate.push(c)
      out.clusters.push(r.cluster ?? r.event_id)
      out.censored?.candidate.push(v.censored!(r.candidate))
    }
    this.cache.set(`cand:${key}`, out)
    return out
  }

  scorePairs(dim: QualityDim): Pairs {
    return this.pair(`score:${dim}`, scoreValue(dim))
  }

  ratePairs(rate: RateName): Pairs {
    return this.pair(`rate:${rate}`, rateValue(rate))
  }

  /**
   * Similarity to the primary: every candidate value, and (as `paired`) candidate vs A/A noise on the requests
   * replayed twice, where "primary" holds the A/A similarity.
   */
  similarity(m: SimilarityName): {candidate: number[]; clusters: string[]; paired: Pairs} {
    const candidate: number[] = []
    const clusters: string[] = []
    for (const r of this.requests) {
      if (!r.similarity || !finite(r.similarity[m])) continue
      candidate.push(r.similarity[m])
      clusters.push(r.cluster ?? r.event_id)
    }
    const key = `sim:${m}`
    let paired = this.cache.get(key)
    if (!paired) {
      paired = {primary: [], candidate: [], clusters: [], excluded: {...NO_EXCLUSIONS}}
      for (const r of this.requests) {
        if (!r.noise) continue
        if (!r.similarity) {
          paired.excluded.response_error++
          continue
        }
        paired.primary.push(r.noise[m])
        paired.candidate.push(r.similarity[m])
        paired.clusters.push(r.cluster ?? r.event_id)
      }
      this.cache.set(key, paired)
    }
    return {candidate, clusters, paired}
  }

  /** Per request with any similarity: its candidate and A/A similarity (either may be null), for the beyond-noise rate. */
  noisePairs(m: SimilarityName): {items: NoisePair[]; clusters: string[]} {
    const items: NoisePair[] = []
    const clusters: string[] = []
    for (const r of this.requests) {
      const sim = r.similarity && finite(r.similarity[m]) ? r.similarity[m] : null
      const noise = r.noise && finite(r.noise[m]) ? r.noise[m] : null
      if (sim === null && noise === null) continue
      items.push({sim, noise})
      clusters.push(r.cluster ?? r.event_id)
    }
    return {items, clusters}
  }

  noiseValues(m: SimilarityName): number[] {
    const out: number[] = []
    for (const r of this.requests) if (r.noise && finite(r.noise[m])) out.push(r.noise[m])
    return out
  }
}
