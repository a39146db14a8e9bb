// Langfuse (docs/log-formats.md §8): observations as JSON/JSONL, public-API pages `{data, meta}`, traces with
// `observations[]`, the UI CSV export, and Langfuse OTel attribute maps (`langfuse.observation.*`).
// Only GENERATION observations are LLM calls; spans/events/agents are counted as skipped.
import {asArray, isObject, type Json} from '../../wire/index.js'
import {objectParser} from '../common/parser.js'
import type {Format, FormatContext, Item, Outcome, Shape} from '../types.js'
import {observationOutcome} from './observation.js'
import {detectLangfuse, isCsvRow, isObservation, isPage, isTrace, langfuseAttributes, traceInfo} from './shapes.js'
import {langfuseSpanOutcome, spanTiming} from './span.js'

function* traceOutcomes(t: Json, locator: string, ctx: FormatContext): Generator<Outcome> {
  const info = traceInfo(t)
  const list = asArray(t.observations)
  if (list.length && list.every((x) => typeof x === 'string')) {
    yield {kind: 'skip', reason: 'Langfuse trace lists observation ids only (no observation bodies); export the observations to import them', locator}
    return
  }
  for (let i = 0; i < list.length; i++) {
    const o = list[i]
    const loc = `${locator} observations[${i}]`
    if (!isObject(o)) yield {kind: 'reject', reason: 'Langfuse trace observation is not an object', locator: loc}
    else yield observationOutcome(o, info, loc, ctx)
  }
}

export const langfuseFormat: Format = {
  name: 'langfuse',
  title: 'Langfuse observations (API, trace or UI export: JSON, JSONL, CSV) and Langfuse OTel attributes',
  shapes: ['jsonl', 'json', 'csv'],
  detect: (v: unknown, _shape: Shape) => detectLangfuse(v),
  open: () => objectParser('Langfuse observation, trace or API page', parseLangfuse),
}

function* parseLangfuse(v: Json, item: Item, ctx: FormatContext): Iterable<Outcome> {
  if (isPage(v)) {
    const data = asArray(v.data)
    for (let i = 0; i < data.length; i++) {
      const el = data[i]
      const loc = `${item.locator} data[${i}]`
      if (isObject(el) && isTrace(el)) yield* traceOutcomes(el, loc, ctx)
      else if (isObject(el) && isObservation(el)) yield observationOutcome(el, null, loc, ctx)
      else yield {kind: 'reject', reason: 'Langfuse API page element is neither an observation nor a trace', locator: loc}
    }
    return
  }
  if (isTrace(v)) {
    yield* traceOutcomes(v, item.locator, ctx)
    return
  }
  const attrs = langfuseAttributes(v)
  if (attrs) {
    yield langfuseSpanOutcome(attrs, attrs === v ? {} : spanTiming(v), item.locator, ctx)
    return
  }
  if (isObservation(v) || isCsvRow(v)) {
    yield observationOutcome(v, null, item.locator, ctx)
    return
  }
  yield {kind: 'reject', reason: 'not a Langfuse observation, trace, API page or OTel attribute map', locator: item.locator}
}
