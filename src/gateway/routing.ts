// Picking a member of a model group. Weighted groups and traffic splits draw by share: a user key (the `user` field,
// Anthropic's metadata.user_id or the x-kt-user header) draws through a hash of the group name and the key, so one
// user keeps one member across requests, restarts and instances (a pure function of the config and the key);
// without a key the draw is random. Routed groups (lowest_latency, cost_optimized, highest_quality) read what the
// gateway observed and the price table, and say which rule decided.
import {createHash} from 'node:crypto'
import {estimateCost, type PriceOverrides} from '../providers/index.js'
import type {SpendTotals} from './spend.js'

/** A number in [0, 1) fixed by `scope` and `key`: the same on every machine and after every restart. */
export function stickyUnit(scope: string, key: string): number {
  const hex = createHash('sha256').update(scope).update('\n').update(key).digest('hex')
  // 52 bits: exactly representable, uniform.
  return parseInt(hex.slice(0, 13), 16) / 2 ** 52
}

/** The member whose cumulative share covers `u` (shares in config order; the last member absorbs rounding). */
export function pickByShare<T extends {share: number}>(members: readonly T[], u: number): T {
  let acc = 0
  for (const m of members) {
    acc += m.share
    if (u < acc) return m
  }
  return members[members.length - 1]!
}

/** The draw for a group or split: sticky when a user key is given, random otherwise. */
export function drawFor(scope: string, userKey: string | null, random: () => number = Math.random): {u: number; sticky: boolean} {
  return userKey ? {u: stickyUnit(scope, userKey), sticky: true} : {u: random(), sticky: false}
}

interface Stat {
  value: number
  n: number
  /** Pick counter value when last updated (for re-probing stale members). */
  at: number
}

const LATENCY_ALPHA = 0.2
const QUALITY_ALPHA = 0.1
/** Members with fewer observations are tried first, so every member gets measured. */
export const MIN_OBSERVATIONS = 3
/** Every Nth pick of a routed group re-measures its least recently measured member. */
export const REPROBE_EVERY = 20

/** What the gateway has seen: per `target|model` exponentially weighted latency and quality score; its spend. */
export class Observations {
  private readonly latency = new Map<string, Stat>()
  private readonly quality = new Map<string, Stat>()
  private picks = 0
  private readonly groupPicks = new Map<string, number>()
  /** The spend this UTC day and month as the side thread last posted it; null while it tracks none (no budget). */
  spend: SpendTotals | null = null

  observeLatency(key: string, ms: number): void {
    this.update(this.latency, key, ms, LATENCY_ALPHA)
  }

  observeQuality(key: string, overall: number): void {
    this.update(this.quality, key, overall, QUALITY_ALPHA)
  }

  private update(map: Map<string, Stat>, key: string, v: number, alpha: number): void {
    if (!Number.isFinite(v)) return
    const s = map.get(key)
    if (!s) map.set(key, {value: v, n: 1, at: this.picks})
    else {
      s.value += alpha * (v - s.value)
      s.n++
      s.at = this.picks
    }
  }

  latencyOf(key: string): Stat | undefined {
    return this.latency.get(key)
  }

  qualityOf(key: string): Stat | undefined {
    return this.quality.get(key)
  }

  /** Counts a pick of `group`; returns how many picks it had before. */
  countPick(group: string): number {
    this.picks++
    const n = this.groupPicks.get(group) ?? 0
    this.groupPicks.set(group, n + 1)
    return n
  }
}

export interface Candidate {
  /** `target|model`. */
  key: string
  model: string
}

export interface RoutedPick<C extends Candidate> {
  member: C
  rule: string
}

function fmtMs(v: number): string {
  return `${Math.round(v)} ms`
}

/** Members never (or barely) measured come first; then, now and then, the least recently measured one. */
function explore<C extends Candidate>(group: string, strategy: string, members: readonly C[], stat: (k: string) => Stat | undefined, pickNo: number): RoutedPick<C> | null {
  let least: C | null = null
  let leastN = Infinity
  for (const m of members) {
    const n = stat(m.key)?.n ?? 0
    if (n < MIN_OBSERVATIONS && n < leastN) {
      least = m
      leastN = n
    }
  }
  if (least) return {member: least, rule: `${strategy}: measuring ${least.model} (${leastN} of ${MIN_OBSERVATIONS} observations)`}
  if (pickNo > 0 && pickNo % REPROBE_EVERY === 0) {
    let stale: C = members[0]!
    for (const m of members) if ((stat(m.key)?.at ?? 0) < (stat(stale.key)?.at ?? 0)) stale = m
    return {member: stale, rule: `${strategy}: re-measuring ${stale.model} (every ${REPROBE_EVERY}th request of group "${group}")`}
  }
  return null
}

export function pickLowestLatency<C extends Candidate>(group: string, members: readonly C[], obs: Observations): RoutedPick<C> {
  const pickNo = obs.countPick(group)
  const probe = explore(group, 'lowest_latency', members, (k) => obs.latencyOf(k), pickNo)
  if (probe) return probe
  let best = members[0]!
  for (const m of members) if (obs.latencyOf(m.key)!.value < obs.latencyOf(best.key)!.value) best = m
  const others = members.filter((m) => m !== best).map((m) => `${m.model} ${fmtMs(obs.latencyOf(m.key)!.value)}`)
  return {member: best, rule: `lowest_latency: ${best.model} (${fmtMs(obs.latencyOf(best.key)!.value)} observed${others.length ? `; ${others.join(', ')}` : ''})`}
}

export function pickHighestQuality<C extends Candidate>(group: string, members: readonly C[], obs: Observations): RoutedPick<C> {
  const pickNo = obs.countPick(group)
  const probe = explore(group, 'highest_quality', members, (k) => obs.qualityOf(k), pickNo)
  if (probe) return probe
  let best = members[0]!
  for (const m of members) if (obs.qualityOf(m.key)!.value > obs.qualityOf(best.key)!.value) best = m
  const fmt = (m: C) => obs.qualityOf(m.key)!.value.toFixed(3)
  const others = members.filter((m) => m !== best).map((m) => `${m.model} ${fmt(m)}`)
  return {member: best, rule: `highest_quality: ${best.model} (mean score ${fmt(best)}${others.length ? `; ${others.join(', ')}` : ''})`}
}

/** The cheapest member for this request's expected tokens; unpriced models go last. */
export function pickCostOptimized<C extends Candidate>(members: readonly C[], inputTokens: number, outputTokens: number, pricing: PriceOverrides): RoutedPick<C> {
  const usage = {input_tokens: inputTokens, output_tokens: outputTokens, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: null}
  const priced = members.map((m) => ({m, usd: estimateCost(m.model, usage, pricing)}))
  let best = priced[0]!
  for (const p of priced) if (p.usd !== null && (best.usd === null || p.usd < best.usd)) best = p
  const fmt = (usd: number | null) => (usd === null ? 'unpriced' : `$${usd.toFixed(6)}`)
  const others = priced.filter((p) => p !== best).map((p) => `${p.m.model} ${fmt(p.usd)}`)
  return {member: best.m, rule: `cost_optimized: ${best.m.model} (${fmt(best.usd)} for ~${inputTokens}+${outputTokens} tokens${others.length ? `; ${others.join(', ')}` : ''})`}
}
