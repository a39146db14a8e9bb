// Human views of events: a boxed table for `list`/`tail`, and one fixed-width line per event for
// `tail --follow` (appends only, never redraws). Text from logs is stripped of control characters so a
// model name cannot move the cursor or inject escape sequences.
import {fmtCost} from './output.js'
import type {EventRow} from '../records/index.js'

export const TABLE_HEAD = ['time (UTC)', 'id', 'kind', 'model', 'status', 'latency', 'in', 'out', 'cost', 'dataset']

export function clean(v: string | null | undefined): string {
  return v ? v.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ') : ''
}

export function shortTime(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(ts)
  return m ? `${m[1]} ${m[2]}` : clean(ts)
}

function kindOf(r: EventRow): string {
  return r.traffic_role && r.traffic_role !== 'primary' && r.traffic_role !== r.kind ? `${clean(r.kind)}/${clean(r.traffic_role)}` : clean(r.kind)
}

function statusOf(r: EventRow): string {
  return r.http_status && r.status !== 'ok' ? `${clean(r.status)} ${r.http_status}` : clean(r.status)
}

function latencyOf(r: EventRow): string {
  return r.latency_ms === null ? '' : `${Math.round(r.latency_ms)} ms`
}

function intOf(v: number | null): string {
  return v === null ? '' : String(Math.round(v))
}

export function tableRow(r: EventRow): string[] {
  return [shortTime(r.timestamp), clean(r.event_id), kindOf(r), clean(r.model), statusOf(r), latencyOf(r), intOf(r.input_tokens), intOf(r.output_tokens), fmtCost(r.cost_usd), clean(r.dataset)]
}

/** One line per event for --follow: time, status, model, latency, tokens, cost, id, dataset. */
export function eventLine(r: EventRow): string {
  const tokens = r.input_tokens === null && r.output_tokens === null ? '' : `${intOf(r.input_tokens) || '?'}→${intOf(r.output_tokens) || '?'} tok`
  const model = (clean(r.model) || kindOf(r)).padEnd(24)
  const dataset = r.dataset ? `  [${clean(r.dataset)}]` : ''
  return `${shortTime(r.timestamp)}  ${statusOf(r).padEnd(9)} ${model} ${latencyOf(r).padStart(8)} ${tokens.padStart(13)} ${fmtCost(r.cost_usd).padStart(9)}  ${clean(r.event_id)}${dataset}`
}
