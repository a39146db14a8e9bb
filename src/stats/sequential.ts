// Sequential canary statistics (docs/scoring-and-gates.md §4.5): an asymptotic confidence sequence that can be
// checked after every batch, and an mSPRT always-valid p-value for display.

export interface RunningSummary {
  mean: number
  /** Sample SD of the paired differences (or of the 0/1 outcomes for a rate). */
  sd: number
  n: number
}

export interface SequenceBounds {
  low: number
  high: number
  halfWidth: number
}

/**
 * Asymptotic confidence sequence (Waudby-Smith et al., "Time-uniform central limit theory"),
 * two-sided, valid at every n simultaneously: μ̂ ± σ̂·√(2(nρ² + 1)/(n²ρ²) · ln(√(nρ² + 1)/α)),
 * with ρ² = (−2 ln α + ln(1 − 2 ln α))/n*, which makes the sequence tightest at the planned n*.
 */
export function asymptoticConfidenceSequence(
  summary: RunningSummary,
  opts: {alpha?: number; plannedN: number},
): SequenceBounds {
  const alpha = opts.alpha ?? 0.05
  const {mean, sd, n} = summary
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`confidence sequence: alpha must be in (0, 1), got ${alpha}`)
  if (!(opts.plannedN > 0)) throw new RangeError(`confidence sequence: plannedN must be > 0, got ${opts.plannedN}`)
  if (!(n > 0)) return {low: -Infinity, high: Infinity, halfWidth: Infinity}
  const la = Math.log(alpha)
  const rho2 = (-2 * la + Math.log(1 - 2 * la)) / opts.plannedN
  const nr = n * rho2 + 1
  const halfWidth = sd * Math.sqrt(((2 * nr) / (n * n * rho2)) * Math.log(Math.sqrt(nr) / alpha))
  return {low: mean - halfWidth, high: mean + halfWidth, halfWidth}
}

export interface MsprtResult {
  /** ln Λ_n, the log mixture likelihood ratio. */
  logLambda: number
  /** Always-valid p-value: min(previous p, 1/Λ_n), capped at 1. */
  p: number
}

/**
 * Mixture SPRT for a paired mean (Johari et al., "Always valid inference"): normal mixture
 * N(θ₀, τ²) over the effect, known variance σ² (plug in the running SD),
 * Λ_n = √(σ²/(σ² + nτ²))·exp(n²τ²(d̄ − θ₀)² / (2σ²(σ² + nτ²))). Computed in logs so large n
 * does not overflow. Pass the previous p to keep the running minimum.
 */
export function msprt(
  summary: RunningSummary,
  opts: {tau: number; theta0?: number; previousP?: number},
): MsprtResult {
  const theta0 = opts.theta0 ?? 0
  const prev = opts.previousP ?? 1
  const {mean, sd, n} = summary
  if (!(opts.tau > 0)) throw new RangeError(`msprt: tau must be > 0, got ${opts.tau}`)
  const s2 = sd * sd
  const t2 = opts.tau * opts.tau
  if (!(n > 0) || !(s2 > 0)) return {logLambda: 0, p: Math.min(1, prev)}
  const diff = mean - theta0
  const logLambda = 0.5 * Math.log(s2 / (s2 + n * t2)) + (n * n * t2 * diff * diff) / (2 * s2 * (s2 + n * t2))
  return {logLambda, p: Math.min(prev, 1, Math.exp(-logLambda))}
}
