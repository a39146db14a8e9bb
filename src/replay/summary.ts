// Per-arm totals of a run, read back from the results table.
import {physical, type Arm} from '../records/index.js'
import {quantileSorted} from '../stats/index.js'
import {resultSummaryRows, type DB} from '../store/index.js'

export interface ArmSummary {
  arm: Arm
  requests: number
  ok: number
  errors: number
  error_rate: number
  latency_p50_ms: number | null
  latency_p95_ms: number | null
  ttft_p50_ms: number | null
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
  /** The first error message, to say why calls failed. */
  first_error: string | null
}

/** A type-7 quantile of an ascending array, null when empty. */
function q(sorted: number[], p: number): number | null {
  return sorted.length ? quantileSorted(sorted, p) : null
}

export function summarizeRun(db: DB, runId: string): ArmSummary[] {
  const rows = resultSummaryRows(db, runId)
  const order: Arm[] = ['primary', 'candidate', 'primary_aa']
  const out: ArmSummary[] = []
  for (const arm of order) {
    const rs = rows.filter((r) => r.arm === arm)
    if (rs.length === 0) continue
    const ok = rs.filter((r) => r.status === 'ok')
    // Impossible values never reach a statistic (records/bounds.ts).
    const lat = ok.map((r) => physical('latency_ms', r.latency_ms)).filter((v): v is number => v !== null).sort((a, b) => a - b)
    const ttft = ok.map((r) => physical('ttft_ms', r.ttft_ms)).filter((v): v is number => v !== null).sort((a, b) => a - b)
    const costs = rs.map((r) => physical('cost_usd', r.cost_usd))
    out.push({
      arm,
      requests: rs.length,
      ok: ok.length,
      errors: rs.length - ok.length,
      error_rate: (rs.length - ok.length) / rs.length,
      latency_p50_ms: q(lat, 0.5),
      latency_p95_ms: q(lat, 0.95),
      ttft_p50_ms: q(ttft, 0.5),
      input_tokens: rs.reduce((a, r) => a + (physical('tokens', r.input_tokens) ?? 0), 0),
      output_tokens: rs.reduce((a, r) => a + (physical('tokens', r.output_tokens) ?? 0), 0),
      cost_usd: costs.every((c) => c === null) ? null : costs.reduce<number>((a, c) => a + (c ?? 0), 0),
      first_error: rs.find((r) => r.status !== 'ok')?.error_message ?? null,
    })
  }
  return out
}
