// Paired score differences candidate − primary for simulations of the mean-difference gates (test/gate/margin.test.ts,
// bench/stats-margin.ts): each family at the margin of `mean_diff > -0.02` (true mean exactly −0.02) and as A/A
// (true mean 0). Every value lies in [−0.6, 0.4], so it is a valid difference of scores around 0.6.

/** Draws one difference from a seeded uniform generator. */
export type DiffGen = (u: () => number) => number

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
}

function clamp(x: number): number {
  return Math.min(0.4, Math.max(-0.6, x))
}

export const DIFFERENCES: Record<'zero-inflated' | 'rare drops in noise' | 'exponential tail' | 'normal', {margin: DiffGen; aa: DiffGen}> = {
  // Most pairs identical, a few lose 0.4 (a truncation, a refusal): issue 12's example.
  'zero-inflated': {
    margin: (u) => (u() < 0.05 ? -0.4 : 0),
    aa: (u) => {
      const x = u()
      return x < 0.025 ? -0.4 : x < 0.05 ? 0.4 : 0
    },
  },
  // A nondeterministic model: small differences everywhere, and 5% of answers dropping by 0.2–0.6 (mean 0.4).
  'rare drops in noise': {
    margin: (u) => clamp(0.03 * normal(u) + (u() < 0.05 ? -(0.2 + 0.4 * u()) : 0)),
    aa: (u) => {
      const x = u()
      return clamp(0.03 * normal(u) + (x < 0.025 ? -(0.2 + 0.2 * u()) : x < 0.05 ? 0.2 + 0.2 * u() : 0))
    },
  },
  // A continuous long left tail (skewness 2): 0.05 − 0.07·Exp(1).
  'exponential tail': {
    margin: (u) => clamp(0.05 - 0.07 * -Math.log(1 - u())),
    aa: (u) => clamp(0.07 - 0.07 * -Math.log(1 - u())),
  },
  normal: {
    margin: (u) => clamp(-0.02 + 0.1 * normal(u)),
    aa: (u) => clamp(0.1 * normal(u)),
  },
}
