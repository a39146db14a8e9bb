// Anthropic Message Batches (docs/log-formats.md §5): request lines `{custom_id, params}` and result lines
// `{custom_id, result:{type: succeeded|errored|canceled|expired, message|error}}`, in separate files and in any
// order. Joined on custom_id across the files of one import session, like OpenAI Batch.
import type {RecordError} from '../records/index.js'
import {asObject, asString, isObject, maybeJson, type Json} from '../wire/index.js'
import {BatchJoiner, joinedContext, type Half} from './openai-batch.js'
import {draftFromBodies} from '../wire/index.js'
import {buildRecord} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'
import {objectParser} from './common/parser.js'

const RESULT_TYPES = new Set(['succeeded', 'errored', 'canceled', 'expired'])

function isRequestLine(o: Json): boolean {
  const p = asObject(maybeJson(o.params))
  return typeof o.custom_id === 'string' && Array.isArray(p.messages)
}

function isResultLine(o: Json): boolean {
  return typeof o.custom_id === 'string' && RESULT_TYPES.has(asString(asObject(o.result).type) ?? '')
}

/** `errored` results wrap the API error body: `{type:"error", error:{type, message}}`; older dumps hold it flat. */
function resultError(result: Json): RecordError {
  const type = asString(result.type)
  if (type === 'canceled') return {type: 'canceled', code: null, message: 'the batch was canceled before this request was processed'}
  if (type === 'expired') return {type: 'expired', code: null, message: 'the batch expired before this request was processed'}
  let e = asObject(result.error)
  if (e.type === 'error' && isObject(e.error)) e = e.error
  return {type: asString(e.type) ?? 'errored', code: null, message: asString(e.message)}
}

function record(customId: string, input: Half | null, output: Half | null): Outcome {
  const src = input ?? output!
  const params = input ? maybeJson(input.value.params) : null
  const result = output ? asObject(output.value.result) : null
  const message = result && result.type === 'succeeded' && isObject(result.message) ? result.message : null
  const metadata: Record<string, unknown> = {batch: true}
  if (result) metadata.batch_result = result.type
  if (input && output) metadata.batch_output = `${output.ctx.file}:${output.locator.replace(/^line /, '')}`
  if (!output) metadata.batch_output = 'missing'
  if (!input) metadata.batch_input = 'missing'
  if (message && asString(message.id)) metadata.response_id = message.id
  const draft = draftFromBodies('anthropic', isObject(params) ? params : null, message, {
    format: 'anthropic-batch',
    locator: src.locator,
    source_id: customId,
    metadata,
    latency_ms: null,
    ttft_ms: null,
  })
  if (result && result.type !== 'succeeded') {
    draft.status = 'error'
    draft.error = resultError(result)
  }
  return {kind: 'record', record: buildRecord(draft, joinedContext(input, output))}
}

export const anthropicBatchFormat: Format = {
  name: 'anthropic-batch',
  title: 'Anthropic Message Batches request and result JSONL (joined on custom_id across files)',
  shapes: ['jsonl'],
  detect: (v) => isObject(v) && (isRequestLine(v) || isResultLine(v)),
  open: () => {
    const joiner = new BatchJoiner()
    return {
      ...objectParser('', function* (v: Json, item: Item, ctx: FormatContext): Iterable<Outcome> {
        if (isRequestLine(v)) {
          const {input, output} = joiner.offerInput(v.custom_id as string, v, item, ctx)
          if (output) yield record(v.custom_id as string, input, output)
          return
        }
        if (isResultLine(v)) {
          const {input, output} = joiner.offerOutput(v.custom_id as string, v, item, ctx)
          if (input) yield record(v.custom_id as string, input, output)
          return
        }
        const why =
          typeof v.custom_id !== 'string'
            ? 'batch line without a custom_id'
            : isObject(v.result)
              ? `unknown batch result type ${JSON.stringify(asObject(v.result).type ?? null)}`
              : 'neither a request line {custom_id, params:{messages}} nor a result line {custom_id, result}'
        yield {kind: 'reject', reason: why, locator: item.locator}
      }),
      *finish(): Iterable<Outcome> {
        for (const l of joiner.leftovers()) yield l.kind === 'input' ? record(l.id, l.half, null) : record(l.id, null, l.half)
      },
    }
  },
}
