// OpenAI Batch API JSONL (docs/log-formats.md §6): input lines `{custom_id, method, url, body}` and output/error
// lines `{id, custom_id, response:{status_code, request_id, body}, error}` (also the older vLLM shape with the
// completion directly in `response` and a string `error`). Input and output are separate files, joined on
// custom_id across the files of one import session; halves without a partner are emitted by finish().
//
// The bodies are read by the wire layer's body-to-record codec (src/wire/draft.ts), as HAR and recordings do.
import {num} from '../records/index.js'
import type {Api, RecordError} from '../records/index.js'
import {asArray, asObject, asString, isObject, maybeJson, type Json} from '../wire/index.js'
import {apiOfResponseBody, applyHttpStatus, buildRecord, draftForApi, endpointOf} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'
import {objectParser} from './common/parser.js'

// ---------------------------------------------------------------------------------------------------------
// Cross-file join on custom_id (shared with the Anthropic Message Batches format).

export interface Half {
  value: Json
  locator: string
  ctx: FormatContext
  seq: number
}

/**
 * Holds request and result halves until their partner arrives, in either order and across files.
 * Several halves with one custom_id are paired first-in first-out.
 */
export class BatchJoiner {
  private readonly inputs = new Map<string, Half[]>()
  private readonly outputs = new Map<string, Half[]>()
  private seq = 0

  private offer(mine: Map<string, Half[]>, theirs: Map<string, Half[]>, id: string, value: Json, item: Item, ctx: FormatContext): {half: Half; partner: Half | null} {
    const half: Half = {value, locator: item.locator, ctx, seq: this.seq++}
    const waiting = theirs.get(id)
    if (waiting && waiting.length) {
      const partner = waiting.shift()!
      if (waiting.length === 0) theirs.delete(id)
      return {half, partner}
    }
    const list = mine.get(id)
    if (list) list.push(half)
    else mine.set(id, [half])
    return {half, partner: null}
  }

  /** Returns the input half and, when its output was already seen, the output half. */
  offerInput(id: string, value: Json, item: Item, ctx: FormatContext): {input: Half; output: Half | null} {
    const {half, partner} = this.offer(this.inputs, this.outputs, id, value, item, ctx)
    return {input: half, output: partner}
  }

  offerOutput(id: string, value: Json, item: Item, ctx: FormatContext): {input: Half | null; output: Half} {
    const {half, partner} = this.offer(this.outputs, this.inputs, id, value, item, ctx)
    return {input: partner, output: half}
  }

  /** Drops a waiting output (its request turned out to be skipped). */
  dropOutput(id: string): boolean {
    const list = this.outputs.get(id)
    if (!list || list.length === 0) return false
    list.shift()
    if (list.length === 0) this.outputs.delete(id)
    return true
  }

  /** Halves that never met their partner, in the order they were read. */
  leftovers(): {kind: 'input' | 'output'; id: string; half: Half}[] {
    const out: {kind: 'input' | 'output'; id: string; half: Half}[] = []
    for (const [id, list] of this.inputs) for (const half of list) out.push({kind: 'input', id, half})
    for (const [id, list] of this.outputs) for (const half of list) out.push({kind: 'output', id, half})
    this.inputs.clear()
    this.outputs.clear()
    return out.sort((a, b) => a.half.seq - b.half.seq)
  }
}

/** The record's file is the request's (when known); the fallback timestamp is the result file's mtime. */
export function joinedContext(input: Half | null, output: Half | null): FormatContext {
  const src = input ?? output!
  return {file: src.ctx.file, fileMtime: (output ?? input)!.ctx.fileMtime, redactPii: src.ctx.redactPii}
}

// ---------------------------------------------------------------------------------------------------------
// The format

function isInputLine(o: Json): boolean {
  return typeof o.custom_id === 'string' && typeof o.url === 'string' && 'body' in o && 'method' in o
}

function isOutputLine(o: Json): boolean {
  if (typeof o.custom_id !== 'string' || !('response' in o || 'error' in o)) return false
  const r = asObject(o.response)
  const e = o.error
  return (
    'status_code' in r ||
    'body' in r ||
    apiOfResponseBody(r) !== null ||
    (isObject(e) && ('code' in e || 'message' in e)) ||
    (typeof e === 'string' && e !== '')
  )
}

function nonGenerationBody(body: unknown): string | null {
  const o = asObject(body)
  if (o.object === 'list' && asArray(o.data).some((d) => asObject(d).object === 'embedding')) return 'embeddings response (not a generation)'
  if (o.object === 'embedding') return 'embeddings response (not a generation)'
  if (Array.isArray(o.results) && (asString(o.id) ?? '').startsWith('modr')) return 'moderation response (not a generation)'
  return null
}

interface OutputParts {
  statusCode: number | null
  body: Json | null
  requestId: string | null
  error: RecordError | null
}

function outputParts(line: Json): OutputParts {
  const r = line.response
  let statusCode: number | null = null
  let body: Json | null = null
  let requestId: string | null = null
  if (isObject(r) && ('status_code' in r || 'body' in r)) {
    statusCode = num(r.status_code)
    const b = maybeJson(r.body)
    body = isObject(b) ? b : null
    requestId = asString(r.request_id)
  } else if (isObject(r)) {
    body = r // older vLLM run_batch: the completion itself
  }
  let error: RecordError | null = null
  const e = line.error
  if (isObject(e)) error = {type: asString(e.type) ?? 'batch_error', code: asString(e.code) ?? (num(e.code) !== null ? String(e.code) : null), message: asString(e.message)}
  else if (typeof e === 'string' && e !== '') error = {type: 'batch_error', code: null, message: e}
  return {statusCode, body, requestId, error}
}

function batchRecord(customId: string, input: Half | null, output: Half | null): Outcome {
  const src = input ?? output!
  const ctx = joinedContext(input, output)
  const reqBody = input ? maybeJson(input.value.body) : null
  const out = output ? outputParts(output.value) : null
  const endpoint = input ? endpointOf(asString(input.value.url) ?? '') : null
  const api: Api = endpoint && 'api' in endpoint ? endpoint.api : (apiOfResponseBody(out?.body) ?? 'unknown')
  const metadata: Record<string, unknown> = {batch: true}
  if (output) {
    if (asString(output.value.id)) metadata.batch_request_id = output.value.id
    if (out?.requestId) metadata.request_id = out.requestId
    if (input) metadata.batch_output = `${output.ctx.file}:${output.locator.replace(/^line /, '')}`
  }
  if (!output) metadata.batch_output = 'missing'
  if (!input) metadata.batch_input = 'missing'
  const draft = draftForApi(api, isObject(reqBody) ? reqBody : null, out?.body ?? null, {
    format: 'openai-batch',
    locator: src.locator,
    source_id: customId,
    metadata,
    // Queue time is not latency (§6).
    latency_ms: null,
    ttft_ms: null,
  })
  if (out) {
    if (out.body && asString(out.body.id)) draft.metadata = {...(draft.metadata ?? {}), response_id: out.body.id}
    applyHttpStatus(draft, out.statusCode)
    if (out.error && !(draft.status === 'error' && draft.error)) {
      draft.status = 'error'
      draft.error = out.error
    }
  }
  return {kind: 'record', record: buildRecord(draft, ctx)}
}

export const openaiBatchFormat: Format = {
  name: 'openai-batch',
  title: 'OpenAI Batch API input and output/error JSONL (joined on custom_id across files)',
  shapes: ['jsonl'],
  detect: (v) => isObject(v) && (isInputLine(v) || isOutputLine(v)),
  open: () => {
    const joiner = new BatchJoiner()
    // custom_ids whose request is not a generation: their results are skipped too.
    const skipped = new Map<string, string>()
    return {
      ...objectParser('', function* (v: Json, item: Item, ctx: FormatContext): Iterable<Outcome> {
        if (isInputLine(v)) {
          const id = v.custom_id as string
          const endpoint = endpointOf(v.url as string)
          if (!endpoint || 'skip' in endpoint) {
            const reason = endpoint && 'skip' in endpoint ? endpoint.skip : `not a generation endpoint (${String(v.url)})`
            skipped.set(id, reason)
            joiner.dropOutput(id) // its result (read earlier) is part of the same skipped call
            yield {kind: 'skip', reason, locator: item.locator}
            return
          }
          if (!isObject(maybeJson(v.body))) {
            yield {kind: 'reject', reason: 'batch input line has no request body object', locator: item.locator}
            return
          }
          const {input, output} = joiner.offerInput(id, v, item, ctx)
          if (output) yield batchRecord(id, input, output)
          return
        }
        if (isOutputLine(v)) {
          const id = v.custom_id as string
          const why = skipped.get(id) ?? nonGenerationBody(outputParts(v).body)
          if (why) {
            yield {kind: 'skip', reason: skipped.has(id) ? `result of a skipped request: ${why}` : why, locator: item.locator}
            return
          }
          const {input, output} = joiner.offerOutput(id, v, item, ctx)
          if (input) yield batchRecord(id, input, output)
          return
        }
        if (typeof v.custom_id !== 'string') {
          yield {kind: 'reject', reason: 'batch line without a custom_id', locator: item.locator}
          return
        }
        yield {kind: 'reject', reason: 'neither a batch input line {custom_id, method, url, body} nor an output line {custom_id, response, error}', locator: item.locator}
      }),
      *finish(): Iterable<Outcome> {
        for (const l of joiner.leftovers()) {
          yield l.kind === 'input' ? batchRecord(l.id, l.half, null) : batchRecord(l.id, null, l.half)
        }
      },
    }
  },
}
