// A simulated target (provider: simulated) served by the gateway in-process, as an upstream would answer: the
// offline client of providers/ draws the answer, its latency and its time to first token; this plays them out for
// real (the gateway measures time, so unlike a replay the latency is waited, not only reported): headers and the
// first events at the drawn time to first token, the rest at the drawn latency. Errors the simulation draws come
// with their HTTP status in the target API's error shape; a drawn timeout never answers, so the caller's timer
// (the target's timeout_ms, or the shadow's) cuts it as it would a real upstream.
import {Readable} from 'node:stream'
import type {CallResult, ProviderClient} from '../providers/index.js'
import {anthropicErrorBody, anthropicSse, openaiChatSse, openaiErrorBody, responsesSse, type Json} from '../wire/index.js'
import type {SendOptions, UpstreamAnswer, UpstreamCall} from './upstream-types.js'

interface Played {
  status: number
  contentType: string
  /** Sent at the time to first token (streams), or with the rest. */
  first: string[]
  rest: string[]
  ttftMs: number
  latencyMs: number
}

function play(r: CallResult, o: SendOptions, includeUsage: boolean): Played | null {
  if (r.status === 'timeout') return null
  const anthropic = o.target.api === 'anthropic.messages'
  if (r.status === 'error' || !r.response?.raw) {
    const status = r.http_status ?? 500
    const message = r.error?.message ?? 'simulated error'
    const body = anthropic ? anthropicErrorBody(status, message, r.error?.type ?? undefined) : openaiErrorBody(status, message, r.error?.type ?? undefined, r.error?.code ?? null)
    return {status, contentType: 'application/json', first: [], rest: [JSON.stringify(body)], ttftMs: r.latency_ms, latencyMs: r.latency_ms}
  }
  const raw = r.response.raw as Json
  if (!o.stream) return {status: 200, contentType: 'application/json', first: [], rest: [JSON.stringify(raw)], ttftMs: r.latency_ms, latencyMs: r.latency_ms}
  const responses = o.target.api === 'openai.responses'
  const events = anthropic ? anthropicSse(raw) : responses ? responsesSse(raw) : openaiChatSse(raw, includeUsage)
  // The opening events and the first content event come at the time to first token.
  const cut = Math.min(events.length, anthropic ? 3 : responses ? 5 : 2)
  return {status: 200, contentType: 'text/event-stream; charset=utf-8', first: events.slice(0, cut), rest: events.slice(cut), ttftMs: Math.min(r.ttft_ms ?? r.latency_ms, r.latency_ms), latencyMs: r.latency_ms}
}

export function simulatedCall(o: SendOptions, client: ProviderClient): UpstreamCall {
  const sentAt = performance.now()
  const timers: NodeJS.Timeout[] = []
  let answer: UpstreamAnswer | null = null
  let ended = false
  const fail = (err: Error) => {
    if (ended) return
    ended = true
    for (const t of timers) clearTimeout(t)
    if (answer) {
      answer.emit('aborted')
      answer.destroy()
    } else o.onError(err)
  }
  let body: Json | null = null
  try {
    body = JSON.parse(o.body.toString('utf8')) as Json
  } catch {
    body = null
  }
  const includeUsage = (body?.stream_options as Json | undefined)?.include_usage === true
  if (body === null) setImmediate(() => fail(new Error('the request body is not JSON')))
  else {
    client.call({api: o.target.api, body: {...body, model: o.model}, stream: o.stream}, {timeoutMs: o.target.timeoutMs}).then(
      (r) => {
        const p = play(r, o, includeUsage)
        if (ended || p === null) return
        const started = performance.now() - sentAt
        timers.push(setTimeout(() => start(p), Math.max(0, (p.first.length ? p.ttftMs : p.latencyMs) - started)))
        timers.push(setTimeout(() => finish(p), Math.max(0, p.latencyMs - started)))
      },
      (err: Error) => fail(err),
    )
  }
  const start = (p: Played) => {
    if (ended || answer) return
    const r = new Readable({read() {}}) as UpstreamAnswer
    r.statusCode = p.status
    r.headers = {'content-type': p.contentType, 'x-request-id': `sim-${Math.random().toString(36).slice(2, 12)}`}
    answer = r
    o.onResponse(r)
    for (const e of p.first) r.push(Buffer.from(e))
  }
  const finish = (p: Played) => {
    if (ended) return
    start(p)
    ended = true
    for (const e of p.rest) answer!.push(Buffer.from(e))
    answer!.push(null)
  }
  return {sentAt, abort: (err) => fail(err ?? new Error('socket hang up'))}
}
