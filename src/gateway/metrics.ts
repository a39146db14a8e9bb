// Counters, gauges and one latency histogram per target, rendered as Prometheus text for GET /metrics. Labels are
// target ids, policy names and status codes only (a fixed, small set), never models or users, so the series cannot
// grow unbounded.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

interface Histogram {
  counts: number[]
  sum: number
  count: number
}

const NEEDS_ESCAPE = /[\\"\n]/

/** `{k="v",…}` with Prometheus escaping (called per request: no allocation beyond the string). */
function labelText(labels: Record<string, string>): string {
  let out = ''
  for (const k in labels) {
    const v = labels[k]!
    const text = NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v
    out += `${out ? ',' : '{'}${k}="${text}"`
  }
  return out ? `${out}}` : ''
}

interface CounterDef {
  help: string
  values: Map<string, {labels: Record<string, string>; value: number}>
}

export class Metrics {
  private readonly counters = new Map<string, CounterDef>()
  private readonly histograms = new Map<string, Histogram>()
  private readonly gauges = new Map<string, {help: string; read: () => number; type: 'gauge' | 'counter'}>()
  private readonly series = new Map<string, {help: string; label: string; read: () => Record<string, number>}>()

  constructor() {
    this.define('kt_gateway_requests_total', 'Requests answered, by target and HTTP status')
    this.define('kt_gateway_errors_total', 'Requests that ended in an error, by target and error type')
    this.define('kt_gateway_events_dropped_total', 'Events dropped because the event queue was full')
    this.define('kt_gateway_config_reloads_total', 'Configuration reloads, by result')
  }

  private define(name: string, help: string): void {
    this.counters.set(name, {help, values: new Map()})
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const def = this.counters.get(name)
    if (!def) throw new Error(`internal: unknown metric ${name}`)
    const key = labelText(labels)
    const v = def.values.get(key)
    if (v) v.value += by
    else def.values.set(key, {labels, value: by})
  }

  /** Current value of a counter series (tests and health). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.counters.get(name)?.values.get(labelText(labels))?.value ?? 0
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, {help, read, type: 'gauge'})
  }

  /** Counters per target (or per `label`, e.g. policy) kept elsewhere (the side thread's), read when rendered. */
  counterSeries(name: string, help: string, read: () => Record<string, number>, label = 'target'): void {
    this.series.set(name, {help, label, read})
  }

  /** A counter kept elsewhere (the event thread's), read when rendered. */
  counterFrom(name: string, help: string, read: () => number): void {
    this.gauges.set(name, {help, read, type: 'counter'})
  }

  observe(target: string, seconds: number): void {
    let h = this.histograms.get(target)
    if (!h) {
      h = {counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0}
      this.histograms.set(target, h)
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++
    h.sum += seconds
    h.count++
  }

  render(): string {
    const out: string[] = []
    for (const [name, def] of this.counters) {
      out.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} counter`)
      for (const {labels, value} of def.values.values()) out.push(`${name}${labelText(labels)} ${value}`)
    }
    for (const [name, s] of this.series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} counter`)
      for (const [key, value] of Object.entries(s.read())) out.push(`${name}${labelText({[s.label]: key})} ${value}`)
    }
    for (const [name, g] of this.gauges) out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} ${g.type}`, `${name} ${g.read()}`)
    const h = 'kt_gateway_request_duration_seconds'
    out.push(`# HELP ${h} Time from the request read to the answer written, by target`, `# TYPE ${h} histogram`)
    for (const [target, hist] of this.histograms) {
      BUCKETS.forEach((b, i) => out.push(`${h}_bucket${labelText({target, le: String(b)})} ${hist.counts[i]}`))
      out.push(`${h}_bucket${labelText({target, le: '+Inf'})} ${hist.count}`)
      out.push(`${h}_sum${labelText({target})} ${hist.sum}`, `${h}_count${labelText({target})} ${hist.count}`)
    }
    return `${out.join('\n')}\n`
  }
}
