// Shadows: for a sampled share of requests, a copy goes to each shadow rule's target (model mapped, translated to its
// API), on its own socket pool, under a bound on shadows in flight: past the bound a shadow is dropped and counted,
// never queued. Each shadow has a deadline. Nothing here ever touches the caller's response; the request path only
// waits for shadows (off its response) before it hands the exchange to the side path. Shadow calls go straight to
// their upstream, never through routing, so a shadow can never trigger another shadow.
import type {ClientRequest} from 'node:http'
import {ulid} from '../records/index.js'
import {anthropicToOpenAIChat, openaiChatToAnthropic, type Json} from '../wire/index.js'
import {Capture} from './capture.js'
import type {CallerApi, ShadowRecord} from './exchange.js'
import type {Metrics} from './metrics.js'
import type {Plan, PlanTarget, ShadowRule} from './plan.js'
import type {Route} from './route.js'
import {sendUpstream, type UpstreamPools} from './upstream.js'

export const DEFAULT_MAX_SHADOWS = 128
export const DEFAULT_SHADOW_TIMEOUT_MS = 30_000

export interface MirrorOptions {
  maxInFlight: number
  timeoutMs: number
  /** Bytes of a shadow's answer kept for the comparison. */
  captureBytes?: number
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

export class Mirror {
  inFlight = 0
  private readonly live = new Map<ClientRequest, (status: ShadowRecord['status'], error: string) => void>()
  private readonly waiters: (() => void)[] = []

  constructor(
    private readonly pools: UpstreamPools,
    private readonly metrics: Metrics,
    private readonly opts: MirrorOptions,
  ) {}

  /** The rules that mirror a request served by `route` (sampled now). */
  private rulesFor(plan: Plan, route: Route, random: () => number): ShadowRule[] {
    const out: ShadowRule[] = []
    for (const r of plan.shadows) {
      if (r.primary !== null && r.primary !== route.target.id && r.primary !== route.target.kind) continue
      if (r.sampleRate < 1 && random() >= r.sampleRate) continue
      out.push(r)
    }
    return out
  }

  /** Starts the request's shadows; each promise resolves (never rejects) with the shadow's outcome. */
  start(plan: Plan, route: Route, callerApi: CallerApi, body: Json, stream: boolean, random: () => number = Math.random): Promise<ShadowRecord>[] {
    if (plan.shadows.length === 0) return []
    const out: Promise<ShadowRecord>[] = []
    for (const rule of this.rulesFor(plan, route, random)) {
      const model = rule.mapping[route.model] ?? rule.mapping[route.requestedModel] ?? rule.model ?? rule.shadow.model ?? route.model
      if (rule.shadow.id === route.target.id && model === route.model) continue
      out.push(this.one(rule, model, callerApi, body, stream))
    }
    return out
  }

  private record(rule: ShadowRule, model: string, stream: boolean): ShadowRecord {
    const t = rule.shadow
    return {
      id: `gw_${ulid()}`,
      source: rule.source,
      target: {id: t.id, provider: t.provider, api: t.api},
      model,
      request: null,
      stream,
      status: 'success',
      httpStatus: null,
      error: null,
      bytes: null,
      marks: [],
      latencyMs: null,
      ttfbMs: null,
      logResponse: rule.logResponse,
      compare: rule.compare,
    }
  }

  private one(rule: ShadowRule, model: string, callerApi: CallerApi, body: Json, stream: boolean): Promise<ShadowRecord> {
    const rec = this.record(rule, model, stream)
    const target = {id: rule.shadow.id}
    if (this.inFlight >= this.opts.maxInFlight) {
      this.metrics.inc('kt_gateway_shadow_dropped_total', {target: target.id})
      return Promise.resolve({...rec, status: 'dropped', error: `more than ${this.opts.maxInFlight} shadows in flight`})
    }
    let text: string
    try {
      text = JSON.stringify(shadowBody(callerApi, body, rule.shadow, model, stream))
    } catch (err) {
      return Promise.resolve({...rec, status: 'skipped', error: `cannot build the shadow request: ${(err as Error).message}`})
    }
    rec.request = text
    this.inFlight++
    this.metrics.inc('kt_gateway_shadow_sent_total', {target: target.id})
    return new Promise<ShadowRecord>((resolve) => {
      let done = false
      let capture: Capture | null = null
      let sentAt = performance.now()
      const finish = (status: ShadowRecord['status'], error: string | null) => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.live.delete(call.req)
        this.inFlight--
        if (status !== 'success') this.metrics.inc('kt_gateway_shadow_failed_total', {target: target.id})
        rec.status = status
        rec.error = error
        rec.latencyMs = performance.now() - sentAt
        if (capture) {
          rec.bytes = capture.bytes()
          rec.marks = capture.marks
          rec.ttfbMs = capture.firstAt
        }
        if (this.inFlight === 0) for (const w of this.waiters.splice(0)) w()
        resolve(rec)
      }
      const limit = Math.min(this.opts.timeoutMs, rule.shadow.timeoutMs)
      const timer = setTimeout(() => {
        finish('timeout', `no complete answer within ${limit} ms`)
        call.req.destroy()
      }, limit)
      const call = sendUpstream({
        target: rule.shadow,
        model,
        body: Buffer.from(text),
        stream,
        pool: this.pools.shadow,
        shadow: true,
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
      this.live.set(call.req, (status, error) => {
        finish(status, error)
        call.req.destroy()
      })
    })
  }

  /** Resolves when no shadow is in flight, or after `ms`. */
  idle(ms: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      this.waiters.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }

  /** Ends every shadow still in flight (shutdown): each is recorded as timed out. */
  abortAll(): void {
    for (const end of [...this.live.values()]) end('timeout', 'cut short: the gateway shut down before the shadow answered')
  }
}
