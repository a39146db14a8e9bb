// A running gateway: the HTTP server, the current plan (swapped whole on reload: requests in flight keep the plan
// they started with, no connection is touched), the shadow dispatcher, the side thread that writes (and, with
// telemetry.otlp, exports) events, and the drain that ends it all within a deadline. The OTLP exporter keeps the
// settings it started with: a reload that changes them says a restart is needed.
import {randomBytes} from 'node:crypto'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {ConfigError, formatIssue, loadConfig, type KtConfig} from '../config/index.js'
import {errorMessage} from '../util/index.js'
import {answerRules} from './answer-filter.js'
import {linePolicies} from './config-view.js'
import {EventsApi} from './events-api.js'
import type {Exchange, SideConfig} from './exchange.js'
import {Metrics} from './metrics.js'
import {DEFAULT_MAX_SHADOWS, DEFAULT_SHADOW_TIMEOUT_MS} from './mirror.js'
import {buildPlan, planLines, type Plan} from './plan.js'
import {DEFAULT_MAX_BODY_BYTES} from './proxy.js'
import {Observations} from './routing.js'
import {dispatch, type ReloadOutcome, type ServerContext} from './server.js'
import {SideThread} from './side.js'
import {otlpIdentity, otlpSettings, type OtlpCounts, type OtlpSettings} from './telemetry.js'
import {createPools, type UpstreamPools} from './upstream.js'

export const DEFAULT_PORT = 41002
export const DEFAULT_DRAIN_MS = 15_000
/** A caller has this long to send its whole request (a client trickling bytes cannot hold a socket forever). */
const REQUEST_TIMEOUT_MS = 300_000

export type LogLevel = 'INFO' | 'WARN' | 'ERROR'

export interface GatewayOptions {
  config: KtConfig
  dbPath: string
  host?: string
  port?: number
  authToken?: string | null
  maxBodyBytes?: number
  maxShadows?: number
  shadowTimeoutMs?: number
  maxPendingEvents?: number
  env?: NodeJS.ProcessEnv
  log?: (level: LogLevel, line: string) => void
}

export interface CloseSummary {
  /** Requests still unanswered when the deadline passed (cut). */
  cut: number
  eventsWritten: number
  eventsDropped: number
  flushed: boolean
  /** The OTLP exporter's final counts; null without telemetry.otlp. */
  otlp: OtlpCounts | null
}

function sideConfig(plan: Plan): SideConfig {
  const scorer = plan.policies.find((p) => p.type === 'quality-scorer')
  return {
    pricing: plan.config.pricing,
    quality: plan.quality && scorer ? {name: scorer.name, policy: plan.quality} : null,
    scoreAll: plan.scoreAll,
    trackSpend: plan.policies.some((p) => p.type === 'cost_limit' && (p.max_usd_per_day !== undefined || p.max_usd_per_month !== undefined)),
    answerFlags: answerRules(plan.policies).filter((r) => r.action === 'flag'),
    // The block and redact rules the plan already compiled for the relay.
    answerHeld: plan.answerFilter ? [...plan.answerFilter.rules] : [],
    linePolicies: linePolicies(plan.policies, plan.file),
  }
}

export class Gateway {
  readonly metrics = new Metrics()
  readonly obs = new Observations()
  readonly adminToken = randomBytes(24).toString('hex')
  private current: Plan
  private inFlight = 0
  private draining = false
  private idleWaiters: (() => void)[] = []
  private server!: Server
  private side!: SideThread
  private readonly pools: UpstreamPools
  private readonly events: EventsApi
  private readonly started = Date.now()
  /** The exporter's settings (header values included: never logged); null without telemetry.otlp. */
  private readonly otlp: OtlpSettings | null
  private readonly otlpStartedFrom: string
  url = ''
  port = 0

  private constructor(private readonly opts: GatewayOptions) {
    this.current = buildPlan(opts.config, opts.env ?? process.env)
    this.otlp = otlpSettings(opts.config, opts.env ?? process.env)
    this.otlpStartedFrom = otlpIdentity(opts.config)
    // Callers' traffic only: shadows have their own pool on the side thread.
    this.pools = createPools(1)
    this.events = new EventsApi(opts.dbPath)
    this.metrics.gauge('kt_gateway_requests_in_flight', 'Requests being answered', () => this.inFlight)
    this.metrics.gauge('kt_gateway_shadows_in_flight', 'Shadow requests in flight', () => this.side?.shadows.inFlight ?? 0)
    this.metrics.counterSeries('kt_gateway_shadow_sent_total', 'Shadow requests sent, by shadow target', () => this.side?.shadows.sent ?? {})
    this.metrics.counterSeries('kt_gateway_shadow_dropped_total', 'Shadow requests dropped because the bound on shadows in flight was reached, by shadow target', () => this.side?.shadows.dropped ?? {})
    this.metrics.counterSeries('kt_gateway_shadow_failed_total', 'Shadow requests that failed or timed out, by shadow target', () => this.side?.shadows.failed ?? {})
    this.metrics.counterFrom('kt_gateway_events_written_total', 'Events written to the store', () => this.side?.written ?? 0)
    this.metrics.gauge('kt_gateway_event_queue', 'Exchanges handed to the event thread and not yet written', () => this.side?.pending ?? 0)
    this.metrics.counterSeries('kt_gateway_policy_lines_written_total', 'Lines the audit-logger and log policies wrote, by policy', () => this.side?.lines.written ?? {}, 'policy')
    this.metrics.counterSeries('kt_gateway_policy_lines_dropped_total', 'Lines of the audit-logger and log policies dropped (destination behind, unopenable or failing), by policy', () => this.side?.lines.dropped ?? {}, 'policy')
    if (this.otlp) this.otlpMetrics()
  }

  private otlpMetrics(): void {
    const count = (k: keyof OtlpCounts) => () => this.side?.otlp?.[k] ?? 0
    this.metrics.counterFrom('kt_otlp_spans_exported_total', 'Spans the OTLP collector accepted', count('exported'))
    this.metrics.counterFrom('kt_otlp_spans_dropped_total', 'Spans dropped because the OTLP queue was full (max_queue_size)', count('dropped'))
    this.metrics.counterFrom('kt_otlp_spans_failed_total', 'Spans lost in OTLP export requests that failed or timed out', count('failed'))
    this.metrics.counterFrom('kt_otlp_export_failures_total', 'OTLP export requests that failed or timed out', count('failures'))
    this.metrics.gauge('kt_otlp_queue_spans', 'Spans waiting for, or in, an OTLP export request', count('queued'))
  }

  /** Validates the plan (keys, targets), opens the store on the event thread, then listens. */
  static async start(opts: GatewayOptions): Promise<Gateway> {
    const gw = new Gateway(opts)
    gw.side = await SideThread.start({
      dbPath: opts.dbPath,
      config: sideConfig(gw.current),
      kt: opts.config,
      generation: gw.current.generation,
      maxShadows: opts.maxShadows ?? DEFAULT_MAX_SHADOWS,
      shadowTimeoutMs: opts.shadowTimeoutMs ?? DEFAULT_SHADOW_TIMEOUT_MS,
      env: opts.env ?? process.env,
      maxPending: opts.maxPendingEvents,
      otlp: gw.otlp,
      onQuality: (key, overall) => gw.obs.observeQuality(key, overall),
      onSpend: (totals) => (gw.obs.spend = totals),
      onLog: (level, line) => gw.log(level, line),
    })
    gw.server = createServer({keepAliveTimeout: 65_000, requestTimeout: REQUEST_TIMEOUT_MS}, (req, res) => dispatch(gw.context(), req, res))
    gw.server.headersTimeout = 60_000
    const host = opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      gw.server.once('error', reject)
      gw.server.listen(opts.port ?? DEFAULT_PORT, host, () => {
        gw.server.off('error', reject)
        resolve()
      })
    })
    gw.port = (gw.server.address() as AddressInfo).port
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
    gw.url = `http://${shown}:${gw.port}`
    return gw
  }

  get plan(): Plan {
    return this.current
  }

  log(level: LogLevel, line: string): void {
    if (this.opts.log) this.opts.log(level, line)
    else process.stderr.write(`${level} kt::gateway ${line}\n`)
  }

  private ctxCache: ServerContext | null = null

  private context(): ServerContext {
    return (this.ctxCache ??= {
      plan: () => this.current,
      obs: this.obs,
      metrics: this.metrics,
      pools: this.pools,
      startShadows: (s) => this.side.startShadows(s),
      submit: (ex: Exchange) => {
        const before = this.side.dropped
        this.side.submit(ex)
        if (this.side.dropped > before) this.metrics.inc('kt_gateway_events_dropped_total')
      },
      maxBodyBytes: this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      draining: () => this.draining,
      track: (delta) => {
        this.inFlight += delta
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w()
      },
      authToken: this.opts.authToken ?? null,
      adminToken: this.adminToken,
      events: this.events,
      accessed: (a) => {
        if (this.current.policies.some((p) => p.type === 'audit-logger' && (a.access === 'refused' || p.log_all_access))) this.side.access(a)
      },
      reload: () => this.reload(),
      health: () => ({
        status: this.draining ? 'draining' : 'ok',
        uptime_s: Math.round((Date.now() - this.started) / 1000),
        config: this.current.file,
        config_generation: this.current.generation,
        requests_in_flight: this.inFlight,
        shadows_in_flight: this.side.shadows.inFlight,
        events_written: this.side.written,
        events_pending: this.side.pending,
      }),
    })
  }

  /** Re-reads the config file; on any problem the current plan keeps serving. */
  reload(): ReloadOutcome {
    const file = this.current.file
    if (!file) return {ok: false, file, lines: [], errors: ['the gateway was started without a config file'], warnings: []}
    let plan: Plan
    let config: KtConfig
    try {
      config = loadConfig(file, {required: true})
      plan = buildPlan(config, this.opts.env ?? process.env, this.current.generation + 1)
    } catch (err) {
      this.metrics.inc('kt_gateway_config_reloads_total', {result: 'rejected'})
      const errors = err instanceof ConfigError ? err.errors.map(formatIssue) : [errorMessage(err)]
      this.log('ERROR', `configuration not reloaded (the previous one keeps serving): ${errors.join('; ')}`)
      return {ok: false, file, lines: [], errors, warnings: []}
    }
    this.current = plan
    this.side.setConfig(sideConfig(plan), config, plan.generation)
    this.metrics.inc('kt_gateway_config_reloads_total', {result: 'ok'})
    const lines = planLines(plan)
    this.log('INFO', 'Configuration reloaded')
    for (const l of lines) this.log('INFO', l)
    const warnings = [...plan.config.warnings.map(formatIssue), ...plan.warnings]
    if (otlpIdentity(config) !== this.otlpStartedFrom) {
      const w = 'telemetry.otlp changed: the OTLP exporter keeps the settings it started with until the gateway restarts'
      this.log('WARN', w)
      warnings.push(w)
    }
    return {ok: true, file, lines, errors: [], warnings}
  }

  private idle(ms: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), Math.max(0, ms))
      this.idleWaiters.push(() => {
        clearTimeout(t)
        resolve(true)
      })
    })
  }

  /**
   * Stops accepting connections, lets requests in flight and their shadows finish (until `drainMs`), cuts what is
   * left, writes every event and ends the event thread.
   */
  async close(drainMs = DEFAULT_DRAIN_MS): Promise<CloseSummary> {
    this.draining = true
    const deadline = Date.now() + drainMs
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    let cut = 0
    if (!(await this.idle(deadline - Date.now()))) {
      cut = this.inFlight
      this.server.closeAllConnections()
      await this.idle(2000)
    }
    this.server.closeAllConnections()
    await closed
    // Shadows get what is left of the deadline; then they are cut and every event is written.
    const left = Math.max(0, deadline - Date.now())
    const flushed = await this.side.flush(left, left + 10_000)
    await this.side.close(5000)
    this.events.close()
    this.pools.destroy()
    return {cut, eventsWritten: this.side.written, eventsDropped: this.side.dropped, flushed, otlp: this.side.otlp}
  }
}

export {planLines}
