// Per-request CSV for spreadsheets: one row per request and arm, so a sheet can filter on `arm` or put
// the primary and candidate rows of one event_id side by side. `latency_ms` is the request's, over all its calls
// (`attempts`, of which `timeouts` timed out); `latency_censored`: it never answered, the latency is a lower bound. Cells that a spreadsheet would run as a
// formula are neutralised.
import {stringify} from 'csv-stringify/sync'
import {CSV_QUOTING, neutralize} from '../../util/index.js'
import type {ArmData, PairedRequest, RunData, Similarity} from '../../analysis/index.js'
import type {ReportModel} from '../../analysis/index.js'

export const CSV_COLUMNS = [
  'event_id',
  'arm',
  'target',
  'model',
  'status',
  'http_status',
  'error_message',
  'finish_reason',
  'latency_ms',
  'latency_censored',
  'attempts',
  'timeouts',
  'ttft_ms',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'relevance',
  'coherence',
  'completeness',
  'overall',
  'pass',
  'refusal',
  'truncated',
  'empty',
  'similarity_dice',
  'similarity_rougeL',
  'similarity_jaccard',
  'prompt',
  'answer',
] as const

type Cell = string | number | boolean | null

const ARMS = ['primary', 'candidate', 'primary_aa'] as const

function cell(v: Cell | undefined): string | number {
  if (v === null || v === undefined) return ''
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return Number.isFinite(v) ? v : ''
  return neutralize(v)
}

function flag(a: ArmData, name: 'refusal' | 'truncated' | 'empty'): boolean | null {
  const v = a.flags[name]
  return typeof v === 'boolean' ? v : null
}

function row(r: PairedRequest, arm: (typeof ARMS)[number], target: string, a: ArmData | null, sim: Similarity | null): Cell[] {
  if (!a) {
    // A primary or candidate without a result (an interrupted run): keep the row so every request has both arms.
    return [r.event_id, arm, target, r.model, 'missing', ...Array<Cell>(CSV_COLUMNS.length - 7).fill(null), r.prompt, null]
  }
  return [
    r.event_id,
    arm,
    target,
    a.model ?? r.model,
    a.status,
    a.http_status,
    a.error_message,
    a.finish_reason,
    a.latency_ms,
    a.latency_censored,
    a.attempts,
    a.timeouts,
    a.ttft_ms,
    a.input_tokens,
    a.output_tokens,
    a.cost_usd,
    a.scores.relevance,
    a.scores.coherence,
    a.scores.completeness,
    a.scores.overall,
    a.pass,
    flag(a, 'refusal'),
    flag(a, 'truncated'),
    flag(a, 'empty'),
    sim?.dice ?? null,
    sim?.rougeL ?? null,
    sim?.jaccard ?? null,
    r.prompt,
    a.text,
  ]
}

/**
 * Rows: primary and candidate for every request (status `missing` when an arm has no result), plus
 * primary_aa where the A/A arm ran. Similarity is on the candidate row (vs primary) and on the A/A row
 * (primary vs primary': the noise floor); the primary row leaves it empty.
 */
export function renderCsv(data: RunData, model: Pick<ReportModel, 'run'>): string {
  const target: Record<(typeof ARMS)[number], string> = {
    primary: model.run.primary,
    candidate: model.run.candidate,
    primary_aa: model.run.primary,
  }
  const rows: Cell[][] = []
  for (const r of data.requests) {
    rows.push(row(r, 'primary', target.primary, r.primary, null))
    rows.push(row(r, 'candidate', target.candidate, r.candidate, r.similarity))
    if (r.primary_aa) rows.push(row(r, 'primary_aa', target.primary_aa, r.primary_aa, r.noise))
  }
  return stringify(
    rows.map((cells) => cells.map(cell)),
    {header: true, columns: [...CSV_COLUMNS], record_delimiter: 'unix', ...CSV_QUOTING},
  )
}
