// The event filter flags shared by `kt events list|tail|export` and `kt export create`, and how they
// become an EventQuery. (Declarations only; the commands stay thin.)
import {Flags} from '@oclif/core'
import {dbFlag} from './base.js'
import {wantsScores, type EventQuery} from '../store/index.js'
import {KtError} from '../util/index.js'
import {parseTimeFlag} from '../util/index.js'
import {EXPORT_FORMATS} from '../app/export-events.js'

const FILTER = 'FILTER'

export const timeFlags = {
  since: Flags.string({description: 'only events at or after now minus this duration (30m, 1h, 7d, 2w) or since an ISO time', helpGroup: FILTER}),
  from: Flags.string({description: 'only events at or after this time (ISO, or a duration ago like 7d)', helpGroup: FILTER}),
  to: Flags.string({description: 'only events at or before this time (ISO, or a duration ago like 1h)', helpGroup: FILTER}),
}

export const filterFlags = {
  ...timeFlags,
  model: Flags.string({char: 'm', description: 'only this model (repeatable: any of them)', multiple: true, helpGroup: FILTER}),
  provider: Flags.string({description: 'only this provider, e.g. openai, anthropic (repeatable)', multiple: true, helpGroup: FILTER}),
  dataset: Flags.string({char: 'd', description: 'only this dataset (repeatable)', multiple: true, helpGroup: FILTER}),
  tag: Flags.string({char: 't', description: 'only events carrying this tag, as key=value (repeatable: all of them)', multiple: true, helpGroup: FILTER}),
  filter: Flags.string({
    description: 'column=value or column!=value (status, kind, traffic_role, decision, policy_id, environment, …), or free text matched in ids, names, tags and metadata (repeatable: all of them)',
    multiple: true,
    helpGroup: FILTER,
  }),
}

/** `kt events export` and `kt export create`. */
export const exportFlags = {
  db: dbFlag,
  ...filterFlags,
  format: Flags.string({char: 'f', description: 'csv (kt events CSV, RFC 4180), json (one array) or jsonl', options: [...EXPORT_FORMATS], default: 'csv'}),
  output: Flags.string({description: 'write to this file (atomically: a temp file renamed when complete) instead of stdout'}),
  'include-bodies': Flags.boolean({description: 'add request_json, response_json and response_text (makes the file replayable after import)'}),
}

export interface FilterFlagValues {
  since?: string
  from?: string
  to?: string
  model?: string[]
  provider?: string[]
  dataset?: string[]
  tag?: string[]
  filter?: string[]
}

/** Flags → query; bad times and malformed tags are usage errors (exit 2) naming the flag. */
export function queryFromFlags(f: FilterFlagValues, now = Date.now()): EventQuery {
  if (f.since !== undefined && f.from !== undefined) throw new KtError('--since and --from both set a start time; use one of them', 2)
  const q: EventQuery = {}
  if (f.since !== undefined) q.from = parseTimeFlag('since', f.since, now)
  if (f.from !== undefined) q.from = parseTimeFlag('from', f.from, now)
  if (f.to !== undefined) q.to = parseTimeFlag('to', f.to, now, true)
  if (q.from && q.to && q.from > q.to) throw new KtError(`the start time ${q.from} is after the end time ${q.to}`, 2)
  for (const t of f.tag ?? []) if (!/^[^=\s]+=.*$/.test(t)) throw new KtError(`--tag "${t}": expected key=value`, 2)
  if (f.model?.length) q.model = f.model
  if (f.provider?.length) q.provider = f.provider
  if (f.dataset?.length) q.dataset = f.dataset
  if (f.tag?.length) q.tags = f.tag
  if (f.filter?.length) q.filter = f.filter
  if (wantsScores(f.filter)) q.scores = true
  return q
}

/** The filters as the user gave them, for manifests and messages. */
export function describeFilters(f: FilterFlagValues): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(f)) if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v
  return out
}
