// Keeps kt's own call threads out of saturation. A call is timed on the thread that makes it; while that thread's
// event loop is busy all the time, answers wait on it to be read and the wait is recorded as the upstream's latency
// (bench/replay.ts: a cold run at concurrency 256 on 2 cores recorded ~90 ms for a 50 ms upstream). More calls in
// flight add nothing then but that wait, so while the call threads are saturated fewer calls are let in flight,
// and the cap goes back up to --concurrency as soon as they are not.

export interface PaceOptions {
  /** How often utilisation is sampled. */
  intervalMs: number
  /** Utilisation at or above which the cap comes down… */
  high: number
  /** …and below which it goes back up. */
  low: number
  /** The cap never goes below this (or below --concurrency when that is smaller). */
  floor: number
  /** Samples in a row at `high` or more before the cap comes down: fewer are a burst, not saturation. */
  sustain: number
}

// 50 ms: a cold start (the threads compiling kt's and the SDK's code) lasts about a second; the cap must come down
// within it. 0.95 twice in a row: with calls on 2 worker threads at concurrency 256 on 2 cores (bench/replay.ts),
// warm workers average 0.6-0.86 per 50 ms, while a cold start reads 1.0 for 100-250 ms at a time.
export const DEFAULT_PACE: PaceOptions = {intervalMs: 50, high: 0.95, low: 0.75, floor: 8, sustain: 2}

export interface Pacer {
  /** Calls allowed in flight now. */
  readonly limit: number
  /** The lowest the cap went (equal to the maximum when it never came down). */
  readonly lowest: number
  /** Waits for a place; the returned function gives it back (calling it twice is harmless). */
  acquire(): Promise<() => void>
  /** Applies one utilisation sample (the pacer's timer calls this with `utilization()`). */
  adjust(u: number): void
  /** Stops sampling and lets every waiter in. */
  stop(): void
}

/**
 * `utilization()` returns the call threads' event-loop utilisation (0..1) since it was last asked; it is
 * sampled every `intervalMs` (null: no timer, samples come only through `adjust`). From the `sustain`-th sample in
 * a row at `high` or more, each brings the cap down by a quarter; a sample under `low` raises it by a quarter.
 */
export function createPacer(max: number, utilization: (() => number) | null, opts: PaceOptions = DEFAULT_PACE): Pacer {
  const floor = Math.min(max, opts.floor)
  let limit = max
  let lowest = max
  let active = 0
  let busy = 0
  const waiters: (() => void)[] = []
  const admit = () => {
    while (active < limit && waiters.length > 0) {
      active++
      waiters.shift()!()
    }
  }
  const adjust = (u: number) => {
    if (u >= opts.high) {
      if (++busy >= opts.sustain && limit > floor) {
        limit = Math.max(floor, Math.floor(limit * 0.75))
        lowest = Math.min(lowest, limit)
      }
      return
    }
    busy = 0
    if (u < opts.low && limit < max) {
      limit = Math.min(max, limit + Math.max(1, Math.ceil(limit * 0.25)))
      admit()
    }
  }
  const timer = utilization ? setInterval(() => adjust(utilization()), opts.intervalMs) : null
  // Sampling must never keep the process alive on its own.
  timer?.unref()
  const release = () => {
    let done = false
    return () => {
      if (done) return
      done = true
      active--
      admit()
    }
  }
  return {
    get limit() {
      return limit
    },
    get lowest() {
      return lowest
    },
    async acquire() {
      if (active < limit) active++
      else await new Promise<void>((resolve) => waiters.push(resolve))
      return release()
    },
    adjust,
    stop() {
      if (timer) clearInterval(timer)
      limit = max
      admit()
    },
  }
}
