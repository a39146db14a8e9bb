// What every bootstrap in src/stats shares: its options, their checks, and the grouping of observations into the
// units it resamples (single observations, or whole clusters: requests of one conversation are not independent).

import {rng} from './rng.js'

export interface BootstrapOptions {
  /** Number of bootstrap replicates (default 5000). */
  B?: number
  /** PRNG seed; record it in the report so the interval can be reproduced. */
  seed: number
  /** Two-sided confidence level (default 0.95). */
  level?: number
  /**
   * Optional cluster id per observation (conversation, user). When given, whole clusters are
   * resampled, because requests from one conversation are not independent.
   */
  clusters?: ReadonlyArray<string | number>
}

export interface Resolved {
  B: number
  level: number
  next: () => number
}

export function resolve(opts: BootstrapOptions): Resolved {
  const B = opts.B ?? 5000
  const level = opts.level ?? 0.95
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`bootstrap: B must be a positive integer, got ${B}`)
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`)
  return {B, level, next: rng(opts.seed)}
}

/** Groups observation indices by cluster id in order of first appearance (deterministic). */
export function groupClusters(clusters: ReadonlyArray<string | number>, n: number): number[][] {
  if (clusters.length !== n) {
    throw new RangeError(`bootstrap: clusters has ${clusters.length} entries for ${n} observations`)
  }
  const byId = new Map<string | number, number[]>()
  for (let i = 0; i < n; i++) {
    const id = clusters[i]!
    let members = byId.get(id)
    if (!members) byId.set(id, (members = []))
    members.push(i)
  }
  return [...byId.values()]
}
