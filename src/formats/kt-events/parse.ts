// Reading kt's own exports back: a CSV row (header names → cells) or a JSON event object becomes an
// EventInput, the stored columns plus tags, metadata and (when the file has them) the bodies.
import type {EventRow} from '../../records/index.js'
import {parseBool, parseNumber, splitTags, unneutralize} from './cells.js'
import {BASE_COLUMNS, BODY_COLUMNS} from './columns.js'
import {METADATA_PREFIX, unflattenMetadata} from './metadata.js'

export type InputFields = Partial<Omit<EventRow, 'import_id' | 'tags' | 'metadata_json' | 'request_json' | 'response_json' | 'response_text'>>

export interface EventInput {
  /** Only the columns the file has: a missing key means "not in the file", null means "empty". */
  fields: InputFields
  tags: string[]
  metadata: Record<string, unknown>
  /** Undefined when the file carries no bodies (a metrics-only export). */
  request?: Record<string, unknown> | null
  response?: Record<string, unknown> | null
  response_text?: string | null
}

/** A row that cannot be read; the importer rejects it with this message and the row's location. */
export class EventInputError extends Error {}

/** §2 row 12: a CSV header with event_id, traffic_role and model is kt's own events CSV. */
export const CSV_SIGNATURE = ['event_id', 'traffic_role', 'model']

export function isKtEventsCsvRow(v: unknown): boolean {
  return isRecord(v) && CSV_SIGNATURE.every((k) => k in v)
}

/** kt's JSON event objects: `id` + `kind` + `timestamp` + nested `usage` and `source` + `traffic_role` + boolean `replayable`. */
export function isKtEventObject(v: unknown): boolean {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    typeof v.kind === 'string' &&
    'timestamp' in v &&
    isRecord(v.usage) &&
    isRecord(v.source) &&
    'traffic_role' in v &&
    typeof v.replayable === 'boolean'
  )
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function parseJsonObjectCell(name: string, cell: string): Record<string, unknown> | null {
  if (cell === '') return null
  let v: unknown
  try {
    v = JSON.parse(cell)
  } catch (error) {
    throw new EventInputError(`column ${name}: invalid JSON (${(error as Error).message})`)
  }
  if (!isRecord(v)) throw new EventInputError(`column ${name}: expected a JSON object`)
  return v
}

export function eventInputFromCsv(row: Record<string, string>): EventInput {
  const fields: Record<string, string | number | null> = {}
  let tags: string[] = []
  for (const c of BASE_COLUMNS) {
    const raw = row[c.name]
    if (raw === undefined) continue
    const cell = unneutralize(raw)
    switch (c.kind) {
      case 'text':
        fields[c.column] = cell === '' ? null : cell
        break
      case 'number': {
        const n = parseNumber(cell)
        if (n === undefined) throw new EventInputError(`column ${c.name}: "${cell}" is not a number`)
        fields[c.column] = n
        break
      }
      case 'bool': {
        const b = parseBool(cell)
        if (b === undefined) throw new EventInputError(`column ${c.name}: "${cell}" is not true or false`)
        fields[c.column] = b === null ? null : b ? 1 : 0
        break
      }
      case 'tags':
        tags = splitTags(cell)
        break
    }
  }
  // A foreign §12 file may carry metadata as one JSON cell; dotted columns go on top of it.
  const base = row.metadata_json !== undefined ? parseJsonObjectCell('metadata_json', unneutralize(row.metadata_json)) : null
  const dotted: [string, string][] = []
  for (const [k, v] of Object.entries(row)) if (k.startsWith(`${METADATA_PREFIX}.`)) dotted.push([k, unneutralize(v)])
  const ev: EventInput = {fields: fields as InputFields, tags, metadata: {...(base ?? {}), ...unflattenMetadata(dotted)}}
  const [req, res, text] = BODY_COLUMNS
  if (row[req!.name] !== undefined) ev.request = parseJsonObjectCell(req!.name, unneutralize(row[req!.name]!))
  if (row[res!.name] !== undefined) ev.response = parseJsonObjectCell(res!.name, unneutralize(row[res!.name]!))
  if (row[text!.name] !== undefined) {
    const t = unneutralize(row[text!.name]!)
    ev.response_text = t === '' ? null : t
  }
  return ev
}

type Kind = 'string' | 'number' | 'boolean'

/** Copies `src[key]` into `fields[column]` when present, checking its type (null is always allowed). */
function take(fields: Record<string, string | number | null>, src: Record<string, unknown>, key: string, column: string, kind: Kind, where: string): void {
  if (!(key in src)) return
  const v = src[key]
  if (v === null || v === undefined) {
    fields[column] = null
    return
  }
  if (typeof v !== kind) throw new EventInputError(`${where}${key}: expected a ${kind} or null, got ${JSON.stringify(v)?.slice(0, 40)}`)
  fields[column] = kind === 'boolean' ? (v ? 1 : 0) : (v as string | number)
}

export function eventInputFromJson(o: Record<string, unknown>): EventInput {
  const f: Record<string, string | number | null> = {}
  const s = (key: string, column = key) => take(f, o, key, column, 'string', '')
  const n = (key: string, column = key) => take(f, o, key, column, 'number', '')
  s('id', 'event_id')
  s('kind')
  s('timestamp')
  take(f, o, 'timestamp_inferred', 'timestamp_inferred', 'boolean', '')
  for (const k of ['dataset', 'provider', 'api', 'model', 'response_model', 'status', 'finish_reason', 'finish_reason_raw', 'cost_source']) s(k)
  for (const k of ['traffic_role', 'trace_id', 'session_id', 'user_id_hash', 'app', 'route', 'environment', 'mirror_group_id']) s(k)
  for (const k of ['primary_event_id', 'shadow_event_id', 'decision', 'policy_id', 'decision_reason', 'comparison_metric', 'comparison_verdict', 'request_hash']) s(k)
  for (const k of ['target_id', 'model_group']) s(k)
  // The gateway's decisions: shown top-level by JSON listings, kept as JSON text in their columns.
  if ('policies_triggered' in o) {
    const v = o.policies_triggered
    if (v !== null && !(Array.isArray(v) && v.every(isRecord))) throw new EventInputError('policies_triggered: expected an array of objects or null')
    f.policies_triggered_json = v === null ? null : JSON.stringify(v)
  }
  if ('traffic_mirror' in o) {
    const v = o.traffic_mirror
    if (v !== null && !isRecord(v)) throw new EventInputError('traffic_mirror: expected an object or null')
    f.traffic_mirror_json = v === null ? null : JSON.stringify(v)
  }
  for (const k of ['http_status', 'latency_ms', 'ttft_ms', 'comparison_score']) n(k)
  n('input_tokens')
  n('output_tokens')
  n('cost', 'cost_usd')
  n('cost_usd')
  take(f, o, 'stream', 'stream', 'boolean', '')
  take(f, o, 'replayable', 'replayable', 'boolean', '')
  if ('usage' in o && o.usage !== null) {
    if (!isRecord(o.usage)) throw new EventInputError('usage: expected an object')
    for (const k of ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens']) {
      take(f, o.usage, k, k, 'number', 'usage.')
    }
  }
  if ('error' in o) {
    if (o.error === null) {
      f.error_type = null
      f.error_code = null
      f.error_message = null
    } else if (isRecord(o.error)) {
      take(f, o.error, 'type', 'error_type', 'string', 'error.')
      take(f, o.error, 'code', 'error_code', 'string', 'error.')
      take(f, o.error, 'message', 'error_message', 'string', 'error.')
    } else {
      throw new EventInputError('error: expected an object or null')
    }
  }
  if (isRecord(o.source)) {
    take(f, o.source, 'format', 'source_format', 'string', 'source.')
    take(f, o.source, 'file', 'source_file', 'string', 'source.')
    take(f, o.source, 'locator', 'source_locator', 'string', 'source.')
    take(f, o.source, 'id', 'source_id', 'string', 'source.')
  }
  if (o.tags !== undefined && o.tags !== null && !(Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string'))) {
    throw new EventInputError('tags: expected an array of strings')
  }
  if (o.metadata !== undefined && o.metadata !== null && !isRecord(o.metadata)) throw new EventInputError('metadata: expected an object')
  const ev: EventInput = {
    fields: f as InputFields,
    tags: Array.isArray(o.tags) ? (o.tags as string[]) : [],
    metadata: isRecord(o.metadata) ? o.metadata : {},
  }
  const body = (key: string): Record<string, unknown> | null => {
    const v = o[key]
    if (v === null || v === undefined) return null
    if (!isRecord(v)) throw new EventInputError(`${key}: expected a JSON object or null`)
    return v
  }
  if ('request' in o) ev.request = body('request')
  if ('response' in o) ev.response = body('response')
  if ('response_text' in o) {
    if (o.response_text !== null && typeof o.response_text !== 'string') throw new EventInputError('response_text: expected a string or null')
    ev.response_text = o.response_text
  }
  return ev
}
