// The kt events CSV column set (docs/log-formats.md §12 in its order, then kt's own columns a lossless round trip
// needs, then `metadata.*`, then the optional bodies), and how each stored column becomes a cell.
import type {EventRow} from '../../records/index.js'
import {boolCell, joinTags, neutralize} from './cells.js'

export type CellKind = 'text' | 'number' | 'bool' | 'tags'

export interface CsvColumn {
  /** Header name. */
  name: string
  /** The events table column it comes from. */
  column: keyof EventRow
  kind: CellKind
}

const col = (name: string, kind: CellKind = 'text', column: keyof EventRow = name as keyof EventRow): CsvColumn => ({name, column, kind})

/** §12 columns, in the order of the spec. */
export const SPEC_COLUMNS: CsvColumn[] = [
  col('event_id'),
  col('timestamp'),
  col('trace_id'),
  col('session_id'),
  col('user_id_hash'),
  col('app'),
  col('route'),
  col('environment'),
  col('provider'),
  col('api'),
  col('model'),
  col('response_model'),
  col('traffic_role'),
  col('mirror_group_id'),
  col('primary_event_id'),
  col('shadow_event_id'),
  col('decision'),
  col('policy_id'),
  col('decision_reason'),
  col('status'),
  col('http_status', 'number'),
  col('error_type'),
  col('error_message'),
  col('stream', 'bool'),
  col('finish_reason'),
  col('latency_ms', 'number'),
  col('ttft_ms', 'number'),
  col('input_tokens', 'number'),
  col('output_tokens', 'number'),
  col('cached_input_tokens', 'number'),
  col('cache_write_tokens', 'number'),
  col('reasoning_tokens', 'number'),
  col('total_tokens', 'number'),
  col('cost_usd', 'number'),
  col('cost_source'),
  col('comparison_metric'),
  col('comparison_score', 'number'),
  col('comparison_verdict'),
  col('tags', 'tags'),
  col('request_hash'),
]

/** kt's own columns after the §12 set: what a re-import needs to restore the stored event exactly. */
export const KT_COLUMNS: CsvColumn[] = [
  col('request_id', 'text', 'source_id'),
  col('dataset'),
  col('kind'),
  col('source_format'),
  col('source_file'),
  col('source_locator'),
  col('replayable', 'bool'),
  col('error_code'),
  col('finish_reason_raw'),
  col('timestamp_inferred', 'bool'),
]

export const BASE_COLUMNS: CsvColumn[] = [...SPEC_COLUMNS, ...KT_COLUMNS]

/** Last, with --include-bodies (they can be large, so spreadsheets show the metrics first). */
export const BODY_COLUMNS: CsvColumn[] = [col('request_json'), col('response_json'), col('response_text')]

/** The events-table columns a CSV or JSON export reads (bodies only when asked). */
export function selectedColumns(withBodies: boolean): (keyof EventRow)[] {
  const cols: (keyof EventRow)[] = BASE_COLUMNS.map((c) => c.column)
  cols.push('metadata_json')
  // Gateway decisions: JSON listings show them top-level (rowToEvent); not CSV cells.
  cols.push('target_id', 'model_group', 'policies_triggered_json', 'traffic_mirror_json')
  if (withBodies) cols.push('request_json', 'response_json', 'response_text')
  return cols
}

/**
 * One stored value as a CSV cell: empty = null, booleans `true|false`, numbers as JavaScript prints them
 * (shortest text that reads back as the same double), strings formula-neutralised.
 */
export function cellOf(c: CsvColumn, v: unknown): string {
  if (v === null || v === undefined) return ''
  switch (c.kind) {
    case 'bool':
      return boolCell(typeof v === 'number' || typeof v === 'boolean' ? v : null)
    case 'number':
      return typeof v === 'number' ? String(v) : neutralize(String(v))
    case 'tags': {
      let tags: unknown
      try {
        tags = JSON.parse(String(v))
      } catch {
        tags = []
      }
      return neutralize(joinTags(Array.isArray(tags) ? tags.map(String) : []))
    }
    default:
      return neutralize(String(v))
  }
}
