// Physical bounds of the numbers a record or a replay result carries. A value outside them is a unit or clock error,
// a corrupt log or a lying upstream, never a measurement: it never reaches a statistic (a p95 latency of 8.5e299 ms,
// a total cost of 1.5e301 dollars). One table, so import, replay and analysis agree on what is possible.

export type BoundedField = 'latency_ms' | 'ttft_ms' | 'tokens' | 'cost_usd'

export interface Bound {
  min: number
  max: number
  /**
   * What import does with a value outside: `flag` stores the record with the value nulled and the raw value in
   * `metadata.invalid_values` (the rest of the record is good data); `reject` refuses the record (the value is used to
   * price, sum and compare it, so a corrupt one makes the whole record untrustworthy).
   */
  action: 'flag' | 'reject'
  unit: string
}

export const BOUNDS: Record<BoundedField, Bound> = {
  // Latency and time to first token: never negative (a negative duration is a clock error). A synchronous LLM call
  // ends within a day: SDKs, proxies and load balancers time out long before (Batch jobs log no per-call latency).
  latency_ms: {min: 0, max: 24 * 3600 * 1000, action: 'flag', unit: 'ms'},
  ttft_ms: {min: 0, max: 24 * 3600 * 1000, action: 'flag', unit: 'ms'},
  // Token counts: a count is never negative, and the largest context windows hold about 10 million tokens; a billion
  // (100× that) leaves room for any model to come and still catches 1e20 and 1e308.
  tokens: {min: 0, max: 1e9, action: 'reject', unit: 'tokens'},
  // Cost of one call in USD: never negative, and even 10 million output tokens at the dearest list price
  // (~$600 per million) cost well under $10,000.
  cost_usd: {min: 0, max: 10_000, action: 'flag', unit: 'USD'},
}

/** Whether `value` (a number already read) is a possible value of `field`. */
export function withinBounds(field: BoundedField, value: number): boolean {
  const b = BOUNDS[field]
  return Number.isFinite(value) && value >= b.min && value <= b.max
}

/** The value when it is possible, else null: how statistics read stored values (old databases included). */
export function physical(field: BoundedField, value: number | null | undefined): number | null {
  return value === null || value === undefined || !withinBounds(field, value) ? null : value
}

/**
 * Why a value is impossible, for a counted reason (no value in it, so that the reasons of one file group):
 * `latency_ms is negative`, `input_tokens is over 1000000000 tokens`.
 */
export function boundProblem(name: string, field: BoundedField, value: number): string {
  const b = BOUNDS[field]
  if (Number.isNaN(value)) return `${name} is not a number`
  if (value < b.min) return `${name} is negative`
  return `${name} is over ${b.max} ${b.unit}`
}
