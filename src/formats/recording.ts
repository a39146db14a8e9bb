// A single recorded HTTP response `{status, headers, body}` (test cassettes such as openinference's), where body
// is the JSON text (or object) or the SSE text of an OpenAI/Anthropic response. There is no request, so the
// record is response-only and not replayable. Detection is narrow: the body itself must be a provider response,
// so this format never takes files meant for another.
import {num, toIso} from '../records/index.js'
import type {Api} from '../records/index.js'
import {isAnthropicSse} from '../wire/index.js'
import {asObject, isObject, type Json} from '../wire/index.js'
import {isOpenAIChatSse, parseSse} from '../wire/index.js'
import {isResponsesSse} from '../wire/index.js'
import {apiOfResponseBody, applyHttpStatus, draftForApi} from '../wire/index.js'
import {buildRecord} from '../wire/index.js'
import type {Format, FormatContext, Item, Outcome} from './types.js'

interface Classified {
  api: Api
  body: Json | string
}

function headerValue(headers: Json, name: string): string | null {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue
    if (typeof v === 'string') return v
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0]
  }
  return null
}

function classify(v: unknown): Classified | null {
  if (!isObject(v) || typeof v.status !== 'number' || !isObject(v.headers) || v.body === undefined) return null
  let body: unknown = v.body
  if (typeof body === 'string') {
    const t = body.trimStart()
    if (t.startsWith('event:') || t.startsWith('data:')) {
      const events = parseSse(body)
      if (isAnthropicSse(events)) return {api: 'anthropic.messages', body}
      if (isResponsesSse(events)) return {api: 'openai.responses', body}
      if (isOpenAIChatSse(events)) return {api: 'openai.chat', body}
      return null
    }
    if (!t.startsWith('{')) return null
    try {
      body = JSON.parse(body)
    } catch {
      return null
    }
  }
  if (!isObject(body)) return null
  const api = apiOfResponseBody(body)
  if (api) return {api, body}
  // An error response is only taken when the status says so.
  if (v.status >= 400) {
    if (body.type === 'error' && isObject(body.error)) return {api: 'anthropic.messages', body}
    if (isObject(body.error)) return {api: 'openai.chat', body}
  }
  return null
}

export const recordingFormat: Format = {
  name: 'recording',
  title: 'A recorded HTTP response {status, headers, body} of an OpenAI/Anthropic call (response only)',
  shapes: ['json', 'jsonl'],
  detect: (v) => classify(v) !== null,
  open: () => ({
    *parse(item: Item, ctx: FormatContext): Iterable<Outcome> {
      const c = classify(item.value)
      if (!c) {
        yield {kind: 'reject', reason: 'not a recorded OpenAI or Anthropic response {status, headers, body}', locator: item.locator}
        return
      }
      const rec = asObject(item.value)
      const headers = asObject(rec.headers)
      const metadata: Record<string, unknown> = {}
      const requestId = headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id')
      if (requestId) metadata.request_id = requestId
      const draft = draftForApi(c.api, null, c.body, {
        format: 'recording',
        locator: item.locator,
        // The response's Date header is the best timestamp a bare recording has.
        timestamp: toIso(headerValue(headers, 'date')),
        metadata,
      })
      applyHttpStatus(draft, num(rec.status))
      yield {kind: 'record', record: buildRecord(draft, ctx)}
    },
  }),
}
