// What the gateway spent this UTC day and month (the priced cost of every event it writes, primaries and shadows:
// both are money spent upstream), for cost_limit's max_usd_per_day / max_usd_per_month. The side thread keeps it:
// it reads the store's sums when it starts tracking and when the UTC day changes, adds the cost of each event it
// builds, and re-reads the day's sum every minute so that gateways sharing one database see each other's spend (the
// store's value wins when higher). The request path only reads the last totals posted to it (Observations.spend).
//
// Enforcement is approximate by nature: an answer's cost is known once its event is built (after its shadows, if
// mirrored), the totals reach the request path in the next progress message, and another instance's spend arrives
// within a minute. Requests already in flight, or sent meanwhile, may take the spend past the budget.
//
// Reads stay short: the month is the days before today (read once a day, since they no longer change apart from
// events written just after midnight by other instances) plus today (re-read every minute).

/** Totals as the side thread posts them; `day` and `month` say which UTC window each sum belongs to. */
export interface SpendTotals {
  /** `YYYY-MM-DD` (UTC). */
  day: string
  dayUsd: number
  /** `YYYY-MM` (UTC). */
  month: string
  monthUsd: number
}

export const SPEND_REREAD_MS = 60_000

/** The store's spend in `[from, to)` (ISO times); null when it could not be read (the local totals then stand). */
export type SpendReader = (from: string, to: string) => number | null

interface Window {
  day: string
  dayStart: string
  nextDay: string
  monthStart: string
}

export function utcWindow(ms: number): Window {
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  const start = Date.UTC(y, m, d.getUTCDate())
  const iso = (t: number) => new Date(t).toISOString()
  return {day: iso(start).slice(0, 10), dayStart: iso(start), nextDay: iso(start + 86_400_000), monthStart: iso(Date.UTC(y, m, 1))}
}

export class SpendTracker {
  private win: Window | null = null
  /** This month before today. */
  private before = 0
  private today = 0

  constructor(
    private readonly read: SpendReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current UTC window; a new day (or the first call) reads both sums from the store. */
  private window(): Window {
    const w = utcWindow(this.now())
    if (this.win?.day === w.day) return this.win
    this.win = w
    this.before = w.monthStart < w.dayStart ? (this.read(w.monthStart, w.dayStart) ?? 0) : 0
    this.today = this.read(w.dayStart, w.nextDay) ?? 0
    return w
  }

  /** An event's cost as it is built (before it is written): counted in the window its timestamp falls in. */
  add(timestamp: string, usd: number | null): void {
    if (usd === null || !(usd > 0)) return
    const w = this.window()
    if (timestamp >= w.dayStart && timestamp < w.nextDay) this.today += usd
    else if (timestamp >= w.monthStart && timestamp < w.dayStart) this.before += usd
  }

  /** Re-reads today's sum (what every instance sharing the store wrote); local events not yet written keep theirs. */
  reread(): void {
    const w = this.window()
    const stored = this.read(w.dayStart, w.nextDay)
    if (stored !== null && stored > this.today) this.today = stored
  }

  totals(): SpendTotals {
    const w = this.window()
    return {day: w.day, dayUsd: this.today, month: w.day.slice(0, 7), monthUsd: this.before + this.today}
  }
}
