// Seeded PRNG for the bootstrap. mulberry32: 32-bit state, passes the usual small-crush style
// checks well enough for resampling, and is byte-for-byte reproducible across platforms, which
// is what a recorded `seed` in report.json needs. Never Math.random in stats or scoring.

/** Returns a generator of uniform numbers in [0, 1). `seed` is reduced to an unsigned 32-bit integer. */
export function rng(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new RangeError(`rng: seed must be a finite number, got ${seed}`)
  let state = Math.trunc(seed) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Uniform integer in [0, n) from a generator made by `rng`. */
export function randomIndex(next: () => number, n: number): number {
  return Math.floor(next() * n)
}
