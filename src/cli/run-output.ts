// What `kt replay` and `kt runs wait` show: progress of live calls and of provider batches on stderr (a bar on a
// terminal, a plain line every few seconds otherwise), and how the run ended on stdout.
import type {BatchProgressView, ProgressView, RunOutcome} from '../app/run-finish.js'
import type {BatchProgress} from '../replay/index.js'
import {gateJson, gateLines, verdictLine} from '../report/index.js'
import {fmtCost, fmtNum, renderTable} from './output.js'
import {Progress} from './progress.js'

export function liveProgress(): ProgressView {
  let errors = 0
  const bar = new Progress('replay', {unit: 'calls', extra: () => `errors ${errors}`})
  return {
    update: (done, total, e) => {
      errors = e
      bar.setTotal(total)
      bar.update(done)
    },
    stop: () => bar.stop(),
  }
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`
}

/** States of the batches, e.g. "in_progress 2, finalizing 1". */
export function batchStates(p: BatchProgress): string {
  const n = new Map<string, number>()
  for (const b of p.batches) n.set(b.state, (n.get(b.state) ?? 0) + 1)
  return [...n].map(([state, count]) => `${state} ${count}`).join(', ')
}

export function batchProgress(): BatchProgressView {
  let last: BatchProgress | null = null
  const bar = new Progress('batches', {
    unit: 'requests',
    intervalSec: 5,
    extra: () => (last ? `| ${batchStates(last)} | done ${last.completed} failed ${last.failed} | ${elapsed(last.elapsedMs)}` : ''),
  })
  return {
    update: (p) => {
      last = p
      bar.setTotal(p.requests)
      bar.update(p.completed + p.failed)
    },
    stop: () => bar.stop(),
  }
}

/** The arms table, the run id, the gate lines; for a run still waiting, the command that collects it. */
export function renderRunOutcome(outcome: RunOutcome, allowInconclusive: boolean, out: (text: string) => void): void {
  const batched = new Set(outcome.batch_arms)
  const lat = (arm: string, v: number | null) => (batched.has(arm) ? 'n/a (batch)' : fmtNum(v))
  const rows = outcome.arms.map((a) => [
    a.arm, a.requests, a.errors, `${(a.error_rate * 100).toFixed(1)}%`, lat(a.arm, a.latency_p50_ms), lat(a.arm, a.latency_p95_ms),
    a.input_tokens, a.output_tokens, fmtCost(a.cost_usd),
  ])
  out(renderTable(['arm', 'requests', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'tokens in', 'tokens out', 'cost'], rows))
  out(`run id: ${outcome.run_id}`)
  if (outcome.gate) out([...gateLines(outcome.gate.model.gates), verdictLine(outcome.gate.model, allowInconclusive)].join('\n'))
}

/** The outcome as `--json` prints it. */
export function runOutcomeJson(outcome: RunOutcome): unknown {
  const {gate, ...rest} = outcome
  return {...rest, ...(gate ? {gate: gateJson(gate.model, 0.95)} : {})}
}
