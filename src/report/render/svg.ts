// Hand-made inline SVG charts for the HTML report: no library, no script, no external resource.
// Every chart is an <svg> with an id, a data-chart attribute and a <title>; every bar is a
// <rect class="bar"> with data-series/data-count, every point a <circle class="point">, so tests
// (and curious readers of the DOM) can count what is drawn.

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Fixed precision keeps the output byte-stable and small. */
function n(v: number): string {
  const r = Math.round(v * 100) / 100
  return Object.is(r, -0) ? '0' : String(r)
}

export interface Series {
  name: string
  values: readonly number[]
  /** CSS class for the colour: s-primary, s-candidate, s-noise. */
  cls: string
}

export interface Marker {
  x: number
  label: string
  cls: string
}

export interface HistogramSpec {
  id: string
  chart: string
  title: string
  desc?: string
  series: Series[]
  bins: number
  /** Fixed domain (scores, similarities); otherwise from 0 (or the minimum if negative) to the maximum. */
  domain?: [number, number]
  /**
   * Without a fixed domain: end the axis at this quantile of all values when the maximum is far beyond it
   * (long latency tails would squash every other bar); the last bar then holds everything above.
   */
  tail?: number
  xLabel: string
  fmt: (v: number) => string
  markers?: Marker[]
  /** Bar height as the share of its series (for series of different sizes); data-count stays the count. */
  normalize?: boolean
  width?: number
  height?: number
}

export interface Bin {
  lo: number
  hi: number
  counts: number[]
}

/** Equal-width bins over [lo, hi]; values outside the domain are clamped into the end bins. */
export function binValues(series: readonly (readonly number[])[], bins: number, domain: [number, number]): Bin[] {
  const [lo, hi] = domain
  const width = (hi - lo) / bins
  const out: Bin[] = Array.from({length: bins}, (_, i) => ({lo: lo + i * width, hi: lo + (i + 1) * width, counts: series.map(() => 0)}))
  series.forEach((values, s) => {
    for (const v of values) {
      if (!Number.isFinite(v)) continue
      const i = width > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width))) : 0
      out[i]!.counts[s]!++
    }
  })
  return out
}

export function autoDomain(series: readonly (readonly number[])[], tail?: number): [number, number] {
  let lo = 0
  let hi = 0
  const all: number[] = []
  for (const values of series) {
    for (const v of values) {
      if (!Number.isFinite(v)) continue
      all.push(v)
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  }
  if (tail !== undefined && all.length) {
    all.sort((a, b) => a - b)
    const q = all[Math.min(all.length - 1, Math.floor(tail * (all.length - 1)))]!
    if (hi > 1.5 * q && q > lo) hi = q
  }
  if (hi === lo) hi = lo + 1
  return [lo, niceCeil(hi)]
}

/** Rounds up to 1, 2, 2.5 or 5 times a power of ten, so the axis labels are round. */
function niceCeil(v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function frame(id: string, chart: string, title: string, desc: string | undefined, w: number, h: number, body: string, extra = ''): string {
  return (
    `<svg id="${esc(id)}" data-chart="${esc(chart)}"${extra} class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-labelledby="${esc(id)}-title">` +
    `<title id="${esc(id)}-title">${esc(title)}</title>${desc ? `<desc>${esc(desc)}</desc>` : ''}${body}</svg>`
  )
}

function legend(series: Series[], x: number, y: number): string {
  let at = x
  return series
    .map((s) => {
      const text = `${s.name} (${s.values.length})`
      const g = `<g class="legend" transform="translate(${n(at)},${n(y)})"><rect class="swatch ${esc(s.cls)}" width="10" height="10"/><text x="14" y="9">${esc(text)}</text></g>`
      // ~6.5 px per character at 11px: enough room that legends never overlap.
      at += 14 + [...text].length * 6.5 + 18
      return g
    })
    .join('')
}

export function histogram(spec: HistogramSpec): string {
  const W = spec.width ?? 560
  const H = spec.height ?? 230
  const m = {l: 56, r: 14, t: 26, b: 38}
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const total = spec.series.reduce((a, s) => a + s.values.length, 0)
  if (total === 0) {
    const body = `<text class="empty" x="${W / 2}" y="30" text-anchor="middle">${esc(`${spec.title}: no data`)}</text>`
    return frame(spec.id, spec.chart, spec.title, spec.desc, W, 50, body, ' data-empty="true"')
  }
  const domain = spec.domain ?? autoDomain(spec.series.map((s) => s.values), spec.tail)
  const above = spec.series.reduce((acc, s) => acc + s.values.filter((v) => v > domain[1]).length, 0)
  const bins = binValues(
    spec.series.map((s) => s.values),
    spec.bins,
    domain,
  )
  const sizes = spec.series.map((s) => s.values.length)
  const height = (c: number, s: number) => (spec.normalize ? (sizes[s] ? c / sizes[s]! : 0) : c)
  const maxCount = Math.max(spec.normalize ? 0.01 : 1, ...bins.flatMap((b) => b.counts.map((c, s) => height(c, s))))
  const x = (v: number) => m.l + ((v - domain[0]) / (domain[1] - domain[0])) * pw
  const y = (c: number) => m.t + ph - (c / maxCount) * ph
  const parts: string[] = []
  // Axes and gridlines.
  parts.push(`<line class="axis" x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}"/>`)
  parts.push(`<line class="axis" x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}"/>`)
  for (const c of [maxCount / 2, maxCount]) {
    parts.push(`<line class="grid" x1="${m.l}" y1="${n(y(c))}" x2="${m.l + pw}" y2="${n(y(c))}"/>`)
    parts.push(`<text class="tick" x="${m.l - 4}" y="${n(y(c) + 3)}" text-anchor="end">${esc(spec.normalize ? `${Math.round(c * 1000) / 10}%` : fmtCount(c))}</text>`)
  }
  for (let i = 0; i <= 4; i++) {
    const v = domain[0] + ((domain[1] - domain[0]) * i) / 4
    const last = i === 4 && above > 0 ? '+' : ''
    parts.push(`<text class="tick" x="${n(x(v))}" y="${m.t + ph + 13}" text-anchor="${i === 4 ? 'end' : i === 0 ? 'start' : 'middle'}">${esc(spec.fmt(v))}${last}</text>`)
  }
  parts.push(`<text class="label" x="${m.l + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(spec.xLabel)}</text>`)
  parts.push(`<text class="label" x="10" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 10 ${m.t + ph / 2})">${spec.normalize ? 'share of requests' : 'requests'}</text>`)
  // Bars: the series of one bin side by side.
  const k = spec.series.length
  const slot = pw / spec.bins
  const bw = Math.max(0.5, (slot - 1) / k)
  bins.forEach((b, i) => {
    b.counts.forEach((c, s) => {
      const series = spec.series[s]!
      const bx = m.l + i * slot + 0.5 + s * bw
      const top = y(height(c, s))
      parts.push(
        `<rect class="bar ${esc(series.cls)}" data-series="${esc(series.name)}" data-count="${c}" x="${n(bx)}" y="${n(top)}" width="${n(bw)}" height="${n(m.t + ph - top)}">` +
          `<title>${esc(`${series.name}: ${c} in ${spec.fmt(b.lo)} – ${spec.fmt(b.hi)}`)}</title></rect>`,
      )
    })
  })
  ;(spec.markers ?? []).forEach((mk, i) => {
    if (!Number.isFinite(mk.x)) return
    const mx = x(Math.min(domain[1], Math.max(domain[0], mk.x)))
    // Labels on their own lines, so markers close together stay readable; near the right edge they go left.
    const right = mx > m.l + pw * 0.85
    const ty = m.t + 6 + i * 12
    parts.push(
      `<g class="marker ${esc(mk.cls)}" data-x="${n(mk.x)}"><line x1="${n(mx)}" y1="${m.t - 4}" x2="${n(mx)}" y2="${m.t + ph}"/>` +
        `<text x="${n(right ? mx - 3 : mx + 3)}" y="${ty}"${right ? ' text-anchor="end"' : ''}>${esc(mk.label)}</text><title>${esc(mk.label)}</title></g>`,
    )
  })
  parts.push(legend(spec.series, m.l, 6))
  const desc = above > 0 ? `${spec.desc ? `${spec.desc} ` : ''}The last bar also holds ${above} values above ${spec.fmt(domain[1])}.` : spec.desc
  return frame(spec.id, spec.chart, spec.title, desc, W, H, parts.join(''), ` data-bins="${spec.bins}" data-series-count="${k}" data-above="${above}"`)
}

function fmtCount(c: number): string {
  return Number.isInteger(c) ? String(c) : c.toFixed(1)
}

export interface IntervalRow {
  label: string
  estimate: number | null
  low: number | null
  high: number | null
  /** The gate's threshold, drawn as a dashed line. */
  threshold: number
  /** "No change": 0 for a difference, 1 for a ratio; null for an absolute value. */
  reference: number | null
  cls: string
  fmt: (v: number) => string
  /** Tooltip of the estimate. */
  text: string
  /** Printed right of the row: the decision and the estimate. */
  short: string
}

/** A forest plot: one row per gate, each on its own scale (differences and ratios do not share an axis). */
export function forest(id: string, chart: string, title: string, rows: IntervalRow[], width = 880): string {
  const rowH = 34
  const m = {l: 290, r: 170, t: 10, b: 8}
  const H = m.t + m.b + Math.max(1, rows.length) * rowH
  const pw = width - m.l - m.r
  const parts: string[] = []
  if (!rows.length) {
    parts.push(`<text class="empty" x="${width / 2}" y="${H / 2 + 4}" text-anchor="middle">no gates</text>`)
    return frame(id, chart, title, undefined, width, H, parts.join(''), ' data-empty="true"')
  }
  rows.forEach((r, i) => {
    const cy = m.t + i * rowH + rowH / 2
    const pts = [r.threshold, r.estimate, r.low, r.high, r.reference].filter((v): v is number => v !== null && Number.isFinite(v))
    let lo = Math.min(...pts)
    let hi = Math.max(...pts)
    if (hi === lo) {
      lo -= Math.abs(lo) * 0.1 + 0.01
      hi += Math.abs(hi) * 0.1 + 0.01
    }
    const pad = (hi - lo) * 0.12
    lo -= pad
    hi += pad
    const x = (v: number) => m.l + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * pw
    parts.push(`<g class="row ${esc(r.cls)}" data-gate="${esc(r.label)}">`)
    parts.push(`<text class="rowlabel" x="${m.l - 10}" y="${n(cy + 4)}" text-anchor="end">${esc(truncate(r.label, 44))}</text>`)
    parts.push(`<line class="track" x1="${m.l}" y1="${n(cy)}" x2="${m.l + pw}" y2="${n(cy)}"/>`)
    if (r.reference !== null) parts.push(`<line class="reference" x1="${n(x(r.reference))}" y1="${n(cy - 10)}" x2="${n(x(r.reference))}" y2="${n(cy + 10)}"><title>no change: ${esc(r.fmt(r.reference))}</title></line>`)
    parts.push(`<line class="threshold" x1="${n(x(r.threshold))}" y1="${n(cy - 13)}" x2="${n(x(r.threshold))}" y2="${n(cy + 13)}"><title>threshold ${esc(r.fmt(r.threshold))}</title></line>`)
    const low = r.low !== null && Number.isFinite(r.low) ? r.low : null
    const high = r.high !== null ? (Number.isFinite(r.high) ? r.high : hi) : null
    if (low !== null && high !== null) parts.push(`<line class="ci" x1="${n(x(low))}" y1="${n(cy)}" x2="${n(x(high))}" y2="${n(cy)}"/>`)
    if (r.estimate !== null && Number.isFinite(r.estimate)) {
      parts.push(`<circle class="point" cx="${n(x(r.estimate))}" cy="${n(cy)}" r="5"><title>${esc(r.text)}</title></circle>`)
    }
    parts.push(`<text class="rowvalue" x="${m.l + pw + 10}" y="${n(cy + 4)}">${esc(truncate(r.short, 26))}</text>`)
    parts.push('</g>')
  })
  return frame(id, chart, title, undefined, width, H, parts.join(''), ` data-rows="${rows.length}"`)
}

function truncate(s: string, max: number): string {
  const chars = [...s]
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`
}
