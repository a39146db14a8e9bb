// kt's own events exports (`kt events export`, docs/log-formats.md §12): CSV with the §12 header, JSON arrays or
// JSONL of kt event objects. Events come back exactly as exported: same id, every column, tags, metadata,
// dataset (unless --dataset is given) and, when the file has them, bodies parsed by `api` so the event is
// replayable again. Rows without a request body are metrics-only.
import {EventInputError, eventInputFromCsv, eventInputFromJson, isKtEventObject, isKtEventsCsvRow, type EventInput} from './parse.js'
import type {Api, CanonicalRequest, CanonicalResponse, EventFields, FinishReason, Provider, RecordError, Status, TrafficRole} from '../../records/index.js'
import {emptyRequest} from '../../records/index.js'
import {buildRecord, requestFromBody, responseFromBody} from '../../wire/index.js'
import type {Format, FormatContext, Item, Outcome, StoredColumns} from '../types.js'

const FORMAT = 'kt-events'

function detect(value: unknown, shape: string): boolean {
  return shape === 'csv' ? isKtEventsCsvRow(value) : isKtEventObject(value)
}

function parseRequest(api: Api, body: Record<string, unknown>): CanonicalRequest {
  try {
    return requestFromBody(api, body)
  } catch {
    // A body the parsers do not understand is still kept for replay and display.
    return {...emptyRequest(), raw: body}
  }
}

function parseResponse(api: Api, body: Record<string, unknown>): CanonicalResponse {
  try {
    return responseFromBody(api, body).response
  } catch {
    return {text: null, tool_calls: [], reasoning: null, finish_reason: null, finish_reason_raw: null, raw: body}
  }
}

type Fields = EventInput['fields']

/** The response as exported: the stored columns win over what the parsers derive, so nothing changes on the way back. */
function exportedResponse(ev: EventInput, api: Api): CanonicalResponse | null {
  const f = ev.fields
  const finish = (f.finish_reason ?? null) as FinishReason | null
  const finishRaw = f.finish_reason_raw ?? null
  const text = ev.response_text ?? null
  if (ev.response) return {...parseResponse(api, ev.response), text, finish_reason: finish, finish_reason_raw: finishRaw}
  if (finish !== null || finishRaw !== null || text !== null) return {text, tool_calls: [], reasoning: null, finish_reason: finish, finish_reason_raw: finishRaw, raw: null}
  return null
}

function exportedError(f: Fields): RecordError | null {
  const type = f.error_type ?? null
  const code = f.error_code ?? null
  const message = f.error_message ?? null
  return type !== null || code !== null || message !== null ? {type, code, message} : null
}

/** The §12 gateway columns as exported. */
function exportedEvent(f: Fields): Partial<EventFields> {
  return {
    traffic_role: (f.traffic_role ?? null) as TrafficRole | null,
    trace_id: f.trace_id ?? null,
    session_id: f.session_id ?? null,
    user_id_hash: f.user_id_hash ?? null,
    app: f.app ?? null,
    route: f.route ?? null,
    environment: f.environment ?? null,
    mirror_group_id: f.mirror_group_id ?? null,
    primary_event_id: f.primary_event_id ?? null,
    shadow_event_id: f.shadow_event_id ?? null,
    decision: f.decision ?? null,
    policy_id: f.policy_id ?? null,
    decision_reason: f.decision_reason ?? null,
    comparison_metric: f.comparison_metric ?? null,
    comparison_score: f.comparison_score ?? null,
    comparison_verdict: f.comparison_verdict ?? null,
  }
}

/** Stored columns a CanonicalRecord cannot express, as exported. */
function exportedColumns(f: Fields): StoredColumns {
  const columns: StoredColumns = {}
  if (f.dataset !== undefined) columns.dataset = f.dataset
  if (f.kind) columns.kind = f.kind
  if (f.request_hash !== undefined) columns.request_hash = f.request_hash
  if (f.stream !== undefined) columns.stream = f.stream === null ? null : f.stream === 1
  if (f.provider !== undefined) columns.provider = f.provider
  if (f.api !== undefined) columns.api = f.api
  return columns
}

export function eventToOutcome(ev: EventInput, item: Item, ctx: FormatContext): Outcome {
  const f = ev.fields
  const locator = item.locator
  if (!f.event_id) return {kind: 'reject', reason: 'missing event_id', locator}
  if (!f.timestamp || Number.isNaN(Date.parse(f.timestamp))) {
    return {kind: 'reject', reason: f.timestamp ? `timestamp "${f.timestamp}" is not an ISO time` : 'missing timestamp', locator}
  }
  const api = (f.api ?? 'unknown') as Api
  const request = ev.request ? parseRequest(api, ev.request) : null
  if (request && f.stream !== undefined && f.stream !== null) request.stream = f.stream === 1
  const usage = {
    input_tokens: f.input_tokens ?? null,
    output_tokens: f.output_tokens ?? null,
    cached_input_tokens: f.cached_input_tokens ?? null,
    cache_write_tokens: f.cache_write_tokens ?? null,
    reasoning_tokens: f.reasoning_tokens ?? null,
    total_tokens: f.total_tokens ?? null,
  }
  const record = buildRecord(
    {
      format: FORMAT,
      locator,
      id: f.event_id,
      source_id: f.source_id ?? null,
      timestamp: f.timestamp,
      provider: (f.provider ?? undefined) as Provider | undefined,
      api,
      model: f.model ?? null,
      response_model: f.response_model ?? null,
      request,
      response: exportedResponse(ev, api),
      usage,
      latency_ms: f.latency_ms ?? null,
      ttft_ms: f.ttft_ms ?? null,
      status: (f.status ?? undefined) as Status | undefined,
      http_status: f.http_status ?? null,
      error: exportedError(f),
      cost_usd: f.cost_usd ?? null,
      tags: ev.tags,
      metadata: ev.metadata,
      event: exportedEvent(f),
      // Replayable only when the file carries the request body (§12: rows without request_json are metrics-only).
      replayable: f.replayable === undefined ? undefined : f.replayable === 1 && request !== null,
    },
    ctx,
  )
  // buildRecord fills gaps for raw logs (total tokens, cost source, inferred time, provider guess, a usage
  // flag); a kt export already has the final values, so they are put back as they were.
  record.usage = usage
  record.timestamp_inferred = f.timestamp_inferred === 1
  if (f.cost_source !== undefined && record.cost_usd !== null) record.cost_source = f.cost_source as 'reported' | 'computed' | null
  // The metadata as exported (buildRecord's usage flag left out), with what sanitizing it noted.
  if (record.metadata.usage_inconsistent !== undefined && ev.metadata.usage_inconsistent === undefined) {
    const {usage_inconsistent: _flag, ...rest} = record.metadata
    record.metadata = rest
  }
  record.source = {format: f.source_format ?? FORMAT, file: f.source_file ?? null, locator: f.source_locator ?? null}
  return {kind: 'record', record, columns: exportedColumns(f)}
}

export const ktEventsFormat: Format = {
  name: FORMAT,
  title: "kt's own events export (kt events export: CSV, JSON or JSONL)",
  shapes: ['csv', 'jsonl', 'json'],
  detect: (v, shape) => detect(v, shape),
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      const v = item.value
      try {
        if (isKtEventsCsvRow(v) && !isKtEventObject(v)) {
          yield eventToOutcome(eventInputFromCsv(v as Record<string, string>), item, ctx)
        } else if (isKtEventObject(v)) {
          yield eventToOutcome(eventInputFromJson(v as Record<string, unknown>), item, ctx)
        } else {
          yield {kind: 'reject', reason: 'not a kt event (expected a row or object as kt events export writes it)', locator: item.locator}
        }
      } catch (error) {
        if (error instanceof EventInputError) yield {kind: 'reject', reason: error.message, locator: item.locator}
        else throw error
      }
    },
  }),
}
