// The OTLP export of the gateway's events, on the side thread: every event it writes becomes a GenAI span (spans.ts)
// handed to the OpenTelemetry SDK's BatchSpanProcessor and sent by its OTLP/HTTP exporter (JSON or protobuf). Nothing waits for it:
// spans wait in a bounded queue (max_queue_size counts the spans waiting and those being sent; past it new spans are
// dropped and counted), go out in batches, each request with a deadline, and the drain flushes what is left within a
// bound. A request and its shadows are sampled together, by OpenTelemetry's parent-based rule: a request that
// continued a caller's trace follows the caller's sampled flag, one that started its own is sampled by sample_rate on
// a hash of its event id (the same decision on every gateway). Header values come from the environment variables the
// config names and are never logged.
import {ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, createTraceState, trace, type TraceState, type Tracer} from '@opentelemetry/api'
import {ExportResultCode, type ExportResult} from '@opentelemetry/core'
import {OTLPTraceExporter as JsonExporter} from '@opentelemetry/exporter-trace-otlp-http'
import {OTLPTraceExporter as ProtobufExporter} from '@opentelemetry/exporter-trace-otlp-proto'
import {resourceFromAttributes} from '@opentelemetry/resources'
import {AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type IdGenerator, type ReadableSpan, type SpanExporter} from '@opentelemetry/sdk-trace-base'
import {ATTR_SERVICE_NAME} from '@opentelemetry/semantic-conventions'
import {formatIssue, percent, type KtConfig, type OtlpProtocol} from '../config/index.js'
import {maskKnown, type CanonicalRecord} from '../records/index.js'
import {KtError, errorMessage} from '../util/index.js'
import {stickyUnit} from './routing.js'
import {continuedTrace, requestKey, spanFor, type SpanSpec} from './spans.js'

export interface OtlpSettings {
  endpoint: string
  protocol: OtlpProtocol
  /** Header name → value, read from the environment at start. */
  headers: Record<string, string>
  sampleRate: number
  maxQueueSize: number
  maxExportBatchSize: number
  exportTimeoutMs: number
  scheduledDelayMs: number
  captureContent: boolean
  serviceName: string
}

export interface OtlpCounts {
  /** Spans the collector accepted. */
  exported: number
  /** Spans dropped because max_queue_size spans were already waiting or being sent. */
  dropped: number
  /** Spans in export requests that failed or timed out (they are not sent again). */
  failed: number
  /** Export requests that failed or timed out. */
  failures: number
  /** Spans waiting or being sent. */
  queued: number
}

/**
 * The exporter's settings with the header values read from `env`; null without an enabled `telemetry.otlp`. A header
 * whose variable is unset is a KtError naming its YAML path, line and the variable (never a value).
 */
export function otlpSettings(config: KtConfig, env: NodeJS.ProcessEnv): OtlpSettings | null {
  const o = config.telemetry.otlp
  if (!o || !o.enabled) return null
  const headers: Record<string, string> = {}
  for (const h of o.headers) {
    const value = env[h.env]?.trim()
    if (!value) {
      const message = `environment variable ${h.env} is not set (the value of OTLP header ${h.name}); export it before starting the gateway`
      throw new KtError(formatIssue({path: h.source.path, line: h.source.line, message, severity: 'error'}), 2)
    }
    headers[h.name] = value
  }
  return {
    endpoint: o.endpoint,
    protocol: o.protocol,
    headers,
    sampleRate: o.sample_rate,
    maxQueueSize: o.max_queue_size,
    maxExportBatchSize: o.max_export_batch_size,
    exportTimeoutMs: o.export_timeout_ms,
    scheduledDelayMs: o.scheduled_delay_ms,
    captureContent: o.capture_content,
    serviceName: o.service_name,
  }
}

/** The start-up line (header names and their variables, never a value); null without telemetry.otlp. */
export function otlpLine(config: KtConfig): string | null {
  const o = config.telemetry.otlp
  if (!o) return null
  if (!o.enabled) return 'Telemetry: OTLP export disabled (telemetry.otlp.enabled: false)'
  const headers = o.headers.length ? `, headers ${o.headers.map((h) => `${h.name} (from $${h.env})`).join(', ')}` : ''
  return `Telemetry: OTLP/HTTP ${o.protocol === 'http/protobuf' ? 'protobuf' : 'JSON'} spans to ${o.endpoint}, sample_rate=${percent(o.sample_rate)}, queue ${o.max_queue_size}, batch ${o.max_export_batch_size}${headers}`
}

/** What a running exporter was started from: a reload that changes it needs a restart to take effect. */
export function otlpIdentity(config: KtConfig): string {
  const o = config.telemetry.otlp
  return o ? JSON.stringify({...o, headers: o.headers.map((h) => [h.name, h.env]), source: null}) : 'none'
}

/** Hands the tracer the ids spans.ts derived (set just before each span starts; everything here is synchronous). */
class GivenIds implements IdGenerator {
  traceId = ''
  spanId = ''
  generateTraceId(): string {
    return this.traceId
  }
  generateSpanId(): string {
    return this.spanId
  }
}

/** The caller's tracestate exactly as it sent it (the SDK only serializes it; a sampler or propagator would parse it). */
class KeptTraceState implements TraceState {
  constructor(private readonly raw: string) {}
  get(key: string): string | undefined {
    return createTraceState(this.raw).get(key)
  }
  set(key: string, value: string): TraceState {
    return createTraceState(this.raw).set(key, value)
  }
  unset(key: string): TraceState {
    return createTraceState(this.raw).unset(key)
  }
  serialize(): string {
    return this.raw
  }
}

/** Counts each batch's spans once, as exported or failed, whatever the exporter does (even if it never answers). */
class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly guardMs: number,
    private readonly settle: (spans: number, result: ExportResult) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let settled = false
    const finish = (result: ExportResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      this.settle(spans.length, result)
      done(result)
    }
    // The OTLP exporter gives up at its own deadline; this only makes sure a batch is never counted as in flight forever.
    const timer = setTimeout(() => finish({code: ExportResultCode.FAILED, error: new Error(`no answer within ${this.guardMs} ms`)}), this.guardMs)
    timer.unref()
    try {
      this.inner.export(spans, finish)
    } catch (err) {
      finish({code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err))})
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve()
  }
}

export interface OtlpHooks {
  /** Counts changed (asynchronously, as exports finish). */
  onChange: () => void
  onLog: (level: 'WARN' | 'ERROR', line: string) => void
}

export class OtlpExport {
  private readonly n = {exported: 0, dropped: 0, failed: 0, failures: 0}
  /** Spans handed to the SDK so far. */
  private handed = 0
  private failing = false
  private readonly ids = new GivenIds()
  private readonly processor: BatchSpanProcessor
  private readonly tracer: Tracer
  private readonly secrets: string[]

  constructor(
    private readonly s: OtlpSettings,
    private readonly hooks: OtlpHooks,
  ) {
    this.secrets = Object.values(s.headers).filter((v) => v.length >= 6)
    const Exporter = s.protocol === 'http/protobuf' ? ProtobufExporter : JsonExporter
    const exporter = new Exporter({url: s.endpoint, headers: s.headers, timeoutMillis: s.exportTimeoutMs})
    const counting = new CountingExporter(exporter, s.exportTimeoutMs + 5000, (spans, result) => this.settled(spans, result))
    this.processor = new BatchSpanProcessor(counting, {
      maxQueueSize: s.maxQueueSize,
      maxExportBatchSize: s.maxExportBatchSize,
      scheduledDelayMillis: s.scheduledDelayMs,
      exportTimeoutMillis: s.exportTimeoutMs,
    })
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({[ATTR_SERVICE_NAME]: s.serviceName}),
      idGenerator: this.ids,
      sampler: new AlwaysOnSampler(),
      // A span carries about 50 attributes: room enough that an OTEL_*_COUNT_LIMIT in the environment cannot cut kt's.
      spanLimits: {attributeCountLimit: 256},
      spanProcessors: [this.processor],
    })
    this.tracer = provider.getTracer('kt-gateway')
  }

  get counts(): OtlpCounts {
    return {...this.n, queued: this.queued}
  }

  private get queued(): number {
    return this.handed - this.n.exported - this.n.failed
  }

  /** One request's events (its shadows and its primary): sampled together, dropped one by one once the queue is full. */
  exportEvents(records: readonly CanonicalRecord[]): void {
    const last = records[records.length - 1]
    if (!last || !this.sampled(last)) return
    let dropped = false
    for (const r of records) {
      if (this.queued >= this.s.maxQueueSize) {
        this.n.dropped++
        dropped = true
        continue
      }
      this.emit(spanFor(r, this.s.captureContent))
      this.handed++
    }
    if (dropped) this.hooks.onChange()
  }

  /** ParentBased(sample_rate): a caller's sampled flag decides for its request; sample_rate only for requests that start a trace. */
  private sampled(primary: CanonicalRecord): boolean {
    const caller = continuedTrace(primary)
    if (caller) return caller.sampled
    return this.s.sampleRate >= 1 || stickyUnit('otlp', requestKey(primary)) < this.s.sampleRate
  }

  private emit(spec: SpanSpec): void {
    this.ids.traceId = spec.traceId
    this.ids.spanId = spec.spanId
    // The SDK takes a child's trace id and tracestate from its parent's context (and marks a remote parent in OTLP's flags).
    const traceState = spec.traceState === null ? undefined : new KeptTraceState(spec.traceState)
    const parent = spec.parentSpanId ? trace.setSpanContext(ROOT_CONTEXT, {traceId: spec.traceId, spanId: spec.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: spec.remoteParent, traceState}) : ROOT_CONTEXT
    const span = this.tracer.startSpan(spec.name, {kind: SpanKind.CLIENT, startTime: spec.start, attributes: spec.attributes}, parent)
    if (spec.error !== null) span.setStatus({code: SpanStatusCode.ERROR, message: spec.error})
    span.end(spec.end)
  }

  private settled(spans: number, result: ExportResult): void {
    if (result.code === ExportResultCode.SUCCESS) {
      this.n.exported += spans
      this.failing = false
    } else {
      this.n.failed += spans
      this.n.failures++
      // Once per run of failures, not once per batch.
      if (!this.failing) this.hooks.onLog('WARN', `OTLP export to ${this.s.endpoint} failed (${this.scrub(errorMessage(result.error ?? 'export failed'))}); its spans are lost, the gateway goes on (counts on /metrics: kt_otlp_*)`)
      this.failing = true
    }
    this.hooks.onChange()
  }

  private scrub(text: string): string {
    return maskKnown(text.slice(0, 300), this.secrets)
  }

  /** Sends what is queued; false when that did not finish within `ms` (what is left stays counted as queued). */
  async flush(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))))
    const done = this.processor.forceFlush().then(
      () => true,
      () => false,
    )
    const ok = await Promise.race([done, late])
    clearTimeout(timer)
    return ok && this.queued === 0
  }
}
