// A Langfuse OTel span (`langfuse.observation.*`, `langfuse.trace.*` attributes) read as an observation. The OTel
// importer hands such spans here too.
import {asObject, type Json} from '../../wire/index.js'
import {decode, epochMs, str, strings} from '../common/values.js'
import type {FormatContext, Outcome} from '../types.js'
import {observationOutcome} from './observation.js'
import type {TraceInfo} from './shapes.js'

export interface SpanInfo {
  name?: string | null
  traceId?: string | null
  spanId?: string | null
  parentSpanId?: string | null
  startMs?: number | null
  endMs?: number | null
}

/** A Langfuse OTel span's attributes (`langfuse.observation.*`, `langfuse.trace.*`) → outcome. */
export function langfuseSpanOutcome(attrs: Json, span: SpanInfo, locator: string, ctx: FormatContext, format = 'langfuse'): Outcome {
  const a = (k: string) => decode(attrs[`langfuse.observation.${k}`])
  // Metadata arrives either as one object or flattened to `langfuse.observation.metadata.<key>`.
  let metadata: unknown = a('metadata')
  const prefix = 'langfuse.observation.metadata.'
  const flat = Object.keys(attrs).filter((k) => k.startsWith(prefix))
  if (flat.length) metadata = {...asObject(metadata), ...Object.fromEntries(flat.map((k) => [k.slice(prefix.length), decode(attrs[k])]))}
  const obs: Json = {
    id: span.spanId ?? null,
    traceId: span.traceId ?? null,
    parentObservationId: span.parentSpanId ?? null,
    type: str(a('type')) ?? 'span',
    name: span.name ?? null,
    startTime: span.startMs ?? null,
    endTime: span.endMs ?? null,
    completionStartTime: a('completion_start_time'),
    model: a('model.name'),
    modelParameters: a('model.parameters'),
    input: a('input'),
    output: a('output'),
    usageDetails: a('usage_details'),
    costDetails: a('cost_details'),
    level: a('level'),
    statusMessage: a('status_message'),
    metadata,
    promptName: a('prompt.name'),
    promptVersion: a('prompt.version'),
    version: attrs['langfuse.version'],
    environment: attrs['langfuse.environment'] ?? attrs['deployment.environment.name'] ?? attrs['deployment.environment'],
  }
  const trace: TraceInfo = {
    id: span.traceId ?? null,
    name: str(attrs['langfuse.trace.name']),
    tags: strings(attrs['langfuse.trace.tags']),
    userId: str(attrs['langfuse.user.id'] ?? attrs['user.id']),
    sessionId: str(attrs['langfuse.session.id'] ?? attrs['session.id']),
    release: str(attrs['langfuse.release']),
    environment: null,
    timestamp: null,
  }
  const spanMeta: Json = {langfuse_otel: true}
  if (attrs['langfuse.internal.as_root'] === true) spanMeta.langfuse_root = true
  return observationOutcome(obs, trace, locator, ctx, {format, spanMeta})
}

export function spanTiming(o: Json): SpanInfo {
  return {
    name: str(o.name),
    traceId: str(o.traceId ?? o.trace_id),
    spanId: str(o.spanId ?? o.span_id),
    parentSpanId: str(o.parentSpanId ?? o.parent_span_id),
    startMs: epochMs(o.startTimeUnixNano ?? o.start_time_unix_nano ?? o.startTime ?? o.start_time),
    endMs: epochMs(o.endTimeUnixNano ?? o.end_time_unix_nano ?? o.endTime ?? o.end_time),
  }
}
