// Progress on stderr: a live bar when stderr is a terminal, otherwise a plain line every few seconds
// (so CI logs stay readable). Never writes to stdout.
import cliProgress from 'cli-progress'

export interface ProgressOptions {
  total?: number
  unit?: string
  /** Seconds between plain lines when not a TTY. */
  intervalSec?: number
  /** Extra text for the bar/line, e.g. "errors 3". */
  extra?: () => string
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null
  private lastLine = 0
  private readonly started = Date.now()
  private value = 0
  private readonly tty: boolean
  private stopped = false

  private readonly opts: ProgressOptions

  constructor(
    private readonly label: string,
    opts: ProgressOptions = {},
  ) {
    this.opts = {...opts}
    this.tty = Boolean(process.stderr.isTTY) && process.env.KT_NO_PROGRESS !== '1'
    this.lastLine = Date.now()
  }

  private ensureBar(): void {
    if (this.bar || !this.tty) return
    const total = this.opts.total
    const format =
      total !== undefined
        ? `${this.label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {extra}`
        : `${this.label} {value} ${this.opts.unit ?? ''} | {rate}/s {extra}`
    this.bar = new cliProgress.SingleBar(
      {format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5},
      cliProgress.Presets.shades_classic,
    )
    this.bar.start(total ?? 0, 0, {rate: '0', extra: ''})
  }

  /** The total may only be known once work is planned. */
  setTotal(total: number): void {
    if (this.opts.total === total) return
    this.opts.total = total
    this.bar?.setTotal(total)
  }

  update(value: number, detail = ''): void {
    if (this.stopped) return
    this.value = value
    const secs = (Date.now() - this.started) / 1000
    const rate = secs > 0 ? (value / secs).toFixed(1) : '0'
    const extra = [detail, this.opts.extra?.()].filter(Boolean).join(' ')
    if (this.tty) {
      this.ensureBar()
      this.bar!.update(value, {rate, extra})
      return
    }
    const interval = (this.opts.intervalSec ?? 5) * 1000
    if (Date.now() - this.lastLine >= interval) {
      this.lastLine = Date.now()
      const total = this.opts.total
      const eta = total && value > 0 ? Math.max(0, ((total - value) * secs) / value) : null
      process.stderr.write(
        `${this.label}: ${value}${total !== undefined ? `/${total}` : ''} ${this.opts.unit ?? ''} ${rate}/s${eta !== null ? ` eta ${Math.round(eta)}s` : ''}${extra ? ` ${extra}` : ''}\n`,
      )
    }
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.bar) {
      this.bar.update(this.value)
      this.bar.stop()
    }
  }
}
