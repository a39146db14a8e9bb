// Shadows. The request path only picks them (pickShadows: sampled, model mapped, a few microseconds) and hands the
// orders to the side thread, which sends them (Mirror): translated to the shadow's API, on its own socket pool, under a
// bound on shadows in flight (past it a shadow is dropped and counted, never queued), each with a deadline. Nothing
// here touches the caller's response, and no thread that answers callers waits for a shadow. Shadow calls go straight
// to their upstream, never through routing, so a shadow can never trigger another shadow.
import {ktSpanIdOf} from '../records/index.js'
import {anthropicToOpenAIChat, openaiChatToAnthropic, type Json} from '../wire/index.js'
import {Capture} from './capture.js'
import {eventId} from './ids.js'
import type {CallerApi, ShadowOrder, ShadowRecord, ShadowStart} from './exchange.js'
import type {Plan, PlanTarget} from './plan.js'
import type {Route} from './route.js'
import {upstreamTraceHeaders} from './trace-context.js'
import {sendUpstream, type UpstreamCall, type UpstreamPools} from './upstream.js'

export const DEFAULT_MAX_SHADOWS = 128
export const DEFAULT_SHADOW_TIMEOUT_MS = 30_000

/** The shadows a request served by `route` gets (sampled now). */
export function pickShadows(plan: Plan, route: Route, random: () => number = Math.random): ShadowOrder[] {
  if (plan.shadows.length === 0) return []
  const out: ShadowOrder[] = []
  for (const r of plan.shadows) {
    if (r.primary !== null && r.primary !== route.target.id && r.primary !== route.target.kind) continue
    if (r.sampleRate < 1 && random() >= r.sampleRate) continue
    const model = r.mapping[route.model] ?? r.mapping[route.requestedModel] ?? r.model ?? r.shadow.model ?? route.model
    if (r.shadow.id === route.target.id && model === route.model) continue
    out.push({id: eventId(), source: r.source, targetId: r.shadow.id, model, logResponse: r.logResponse, compare: r.compare})
  }
  return out
}

/** The body a shadow target gets: the caller's request with the shadow's model, in the shadow's API. */
export function shadowBody(callerApi: CallerApi, body: Json, target: PlanTarget, model: string, stream: boolean): Json {
  let out: Json = {...body, model}
  if (target.api !== callerApi) {
    out = callerApi === 'openai.chat' ? openaiChatToAnthropic(out).body : anthropicToOpenAIChat(out, {maxTokensField: target.kind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens'}).body
  } else if (stream && target.api === 'openai.chat' && out.stream_options === undefined) {
    // Usage for the comparison; the shadow's stream is read by kt only.
    out.stream_options = {include_usage: true}
  }
  return out
}

export interface MirrorOptions {
  maxInFlight: number
  timeoutMs: number
  /** Bytes of a shadow's answer kept for the comparison. */
  captureBytes?: number
}

/** Counts per shadow target, for /metrics. */
export interface ShadowCounts {
  sent: Record<string, number>
  dropped: Record<string, number>
  failed: Record<string, number>
  inFlight: number
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1
}

/** Sends shadows (on the side thread). */
export class Mirror {
  inFlight = 0
  readonly counts: ShadowCounts = {sent: {}, dropped: {}, failed: {}, inFlight: 0}
  private readonly live = new Map<UpstreamCall, (status: ShadowRecord['status'], error: string) => void>()

  constructor(
    private readonly pools: UpstreamPools,
    private readonly opts: MirrorOptions,
    /** Called whenever a count changes. */
    private readonly onChange: () => void = () => {},
  ) {}

  /** Starts one request's shadows; each promise resolves (never rejects) with the shadow's outcome. */
  start(plan: Plan, s: ShadowStart): Promise<ShadowRecord>[] {
    let body: Json | null = null
    try {
      body = JSON.parse(Buffer.from(s.body.buffer, s.body.byteOffset, s.body.byteLength).toString('utf8')) as Json
    } catch {
      body = null
    }
    return s.orders.map((o) => {
      const configured = plan.targets.get(o.targetId)
      // A Responses API request is mirrored only to targets that offer that API (it is never translated).
      const target = s.callerApi === 'openai.responses' ? configured?.responses : configured
      const rec = record(o, target ?? configured, s.stream)
      if (!target || !body) {
        const why = !configured ? `target "${o.targetId}" is no longer configured` : !target ? `target "${o.targetId}" cannot serve the Responses API` : 'the request body is not JSON'
        return Promise.resolve({...rec, status: 'skipped' as const, error: why})
      }
      // The shadow's call continues the caller's trace under the shadow's own span (its id derives from the shadow's event id).
      const trace = s.trace ? upstreamTraceHeaders(s.trace, ktSpanIdOf(o.id)) : undefined
      return this.one(rec, target, o.model, s.callerApi, body, s.stream, trace)
    })
  }

  private one(rec: ShadowRecord, target: PlanTarget, model: string, callerApi: CallerApi, body: Json, stream: boolean, trace?: Record<string, string>): Promise<ShadowRecord> {
    if (this.inFlight >= this.opts.maxInFlight) {
      bump(this.counts.dropped, target.id)
      this.onChange()
      return Promise.resolve({...rec, status: 'dropped', error: `more than ${this.opts.maxInFlight} shadows in flight`})
    }
    let text: string
    try {
      text = JSON.stringify(shadowBody(callerApi, body, target, model, stream))
    } catch (err) {
      return Promise.resolve({...rec, status: 'skipped', error: `cannot build the shadow request: ${(err as Error).message}`})
    }
    rec.request = text
    this.inFlight++
    this.counts.inFlight = this.inFlight
    bump(this.counts.sent, target.id)
    this.onChange()
    return new Promise<ShadowRecord>((resolve) => {
      let done = false
      let capture: Capture | null = null
      let sentAt = performance.now()
      const finish = (status: ShadowRecord['status'], error: string | null) => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.live.delete(call)
        this.inFlight--
        this.counts.inFlight = this.inFlight
        if (status !== 'success') bump(this.counts.failed, target.id)
        this.onChange()
        rec.status = status
        rec.error = error
        rec.latencyMs = performance.now() - sentAt
        if (capture) {
          rec.bytes = capture.bytes()
          rec.marks = capture.marks
          rec.ttfbMs = capture.firstAt
        }
        resolve(rec)
      }
      const limit = Math.min(this.opts.timeoutMs, target.timeoutMs)
      const timer = setTimeout(() => {
        finish('timeout', `no complete answer within ${limit} ms`)
        call.abort()
      }, limit)
      const call = sendUpstream({
        target,
        model,
        body: Buffer.from(text),
        stream,
        pool: this.pools.shadow,
        shadow: true,
        trace,
        onResponse: (res) => {
          rec.httpStatus = res.statusCode ?? null
          capture = new Capture(sentAt, this.opts.captureBytes)
          res.on('data', (c: Buffer) => capture!.add(c))
          res.on('end', () => {
            const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300
            finish(ok ? 'success' : 'error', ok ? null : `HTTP ${res.statusCode}`)
          })
          res.on('error', (err) => finish('error', err.message))
          res.on('aborted', () => finish('error', 'the shadow upstream closed the connection mid-answer'))
        },
        onError: (err) => finish('error', err.message),
      })
      sentAt = call.sentAt
      this.live.set(call, (status, error) => {
        finish(status, error)
        call.abort()
      })
    })
  }

  /** Ends every shadow still in flight (shutdown): each is recorded as timed out. */
  abortAll(): void {
    for (const end of [...this.live.values()]) end('timeout', 'cut short: the gateway shut down before the shadow answered')
  }
}

function record(o: ShadowOrder, target: PlanTarget | undefined, stream: boolean): ShadowRecord {
  return {
    id: o.id,
    source: o.source,
    target: {id: o.targetId, provider: target?.provider ?? 'unknown', api: target?.api ?? 'openai.chat'},
    model: o.model,
    request: null,
    stream,
    status: 'success',
    httpStatus: null,
    error: null,
    bytes: null,
    marks: [],
    latencyMs: null,
    ttfbMs: null,
    logResponse: o.logResponse,
    compare: o.compare,
  }
}
