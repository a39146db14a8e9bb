// OpenTelemetry (docs/log-formats.md §10): OTLP/JSON trace envelopes (`resourceSpans`, one per line from the
// collector file exporter) and flat span-attribute maps, in any of the conventions LLM instrumentations use.
// Only LLM-call spans become records; tool, agent, chain and embedding spans are counted as skipped (agent
// spans repeat their children's usage).
import {asObject, type Json} from '../../wire/index.js'
import {objectParser} from '../common/parser.js'
import type {Format, FormatContext, Item, Outcome} from '../types.js'
import {detectOtel, envelopeSpans, isEnvelope, isLogsEnvelope, kvMap, singleSpanAttributes, spanFrom} from './otlp.js'
import {spanOutcome} from './record.js'

function* parseOtel(v: Json, item: Item, ctx: FormatContext): Iterable<Outcome> {
  if (isEnvelope(v)) {
    let n = 0
    for (const span of envelopeSpans(v)) {
      n++
      yield spanOutcome(span, `${item.locator} span ${span.traceId ?? '?'}:${span.spanId ?? '?'}`, ctx)
    }
    if (n === 0) yield {kind: 'skip', reason: 'OTLP envelope holds no spans', locator: item.locator}
    return
  }
  if (isLogsEnvelope(v)) {
    yield {kind: 'skip', reason: 'OTLP logs (resourceLogs) are not imported: kt reads GenAI spans from traces (resourceSpans)', locator: item.locator}
    return
  }
  const attrs = singleSpanAttributes(v)
  if (!attrs) {
    yield {kind: 'reject', reason: 'not an OTLP envelope or a span-attribute map with gen_ai.*, llm.* or openinference.* keys', locator: item.locator}
    return
  }
  const span = attrs === v ? {...spanFrom({}, {}, null), attrs} : spanFrom(v, kvMap(asObject(v.resource).attributes), null)
  yield spanOutcome(span, item.locator, ctx)
}

export const otelFormat: Format = {
  name: 'otel',
  title: 'OpenTelemetry GenAI spans: OTLP/JSON traces (JSON, JSONL) or flat span-attribute maps (GenAI, OpenInference, OpenLLMetry)',
  shapes: ['jsonl', 'json'],
  detect: (v: unknown) => detectOtel(v),
  open: () => objectParser('OTLP envelope or span attributes', parseOtel),
}
