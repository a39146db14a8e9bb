// Per-arm totals of a run, read back from the results table.
import type {DB} from '../store/index.js'
import type {Arm} from '../store/index.js'

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
}

/** Linear-interpolation (type 7) quantile of an ascending array. */
function q(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (h - lo)
}

export function summarizeRun(db: DB, runId: string): ArmSummary[] {
  const rows = db
    .prepare('SELECT arm, status, latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd FROM results WHERE run_id = ?')
    .all(runId) as {arm: Arm; status: string; latency_ms: number | null; ttft_ms: number | null; input_tokens: number | null; output_tokens: number | null; cost_usd: number | null}[]
  const order: Arm[] = ['primary', 'candidate', 'primary_aa']
  const out: ArmSummary[] = []
  for (const arm of order) {
    const rs = rows.filter((r) => r.arm === arm)
    if (rs.length === 0) continue
    const ok = rs.filter((r) => r.status === 'ok')
    const lat = ok.map((r) => r.latency_ms).filter((v): v is number => v !== null).sort((a, b) => a - b)
    const ttft = ok.map((r) => r.ttft_ms).filter((v): v is number => v !== null).sort((a, b) => a - b)
    const costs = rs.map((r) => r.cost_usd)
    out.push({
      arm,
      requests: rs.length,
      ok: ok.length,
      errors: rs.length - ok.length,
      error_rate: (rs.length - ok.length) / rs.length,
      latency_p50_ms: q(lat, 0.5),
      latency_p95_ms: q(lat, 0.95),
      ttft_p50_ms: q(ttft, 0.5),
      input_tokens: rs.reduce((a, r) => a + (r.input_tokens ?? 0), 0),
      output_tokens: rs.reduce((a, r) => a + (r.output_tokens ?? 0), 0),
      cost_usd: costs.every((c) => c === null) ? null : costs.reduce<number>((a, c) => a + (c ?? 0), 0),
    })
  }
  return out
}
