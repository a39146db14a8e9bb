// Concurrency caps and rate limits for replay: a semaphore for requests in flight and a token
// bucket for requests or tokens per second/minute.

export class Semaphore {
  private active = 0
  private readonly waiters: (() => void)[] = []
  constructor(private readonly max: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve))
    else this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiters.shift()
      // Hand the slot straight to the next waiter so `active` never exceeds `max`.
      if (next) next()
      else this.active--
    }
  }

  get inFlight(): number {
    return this.active
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}

/**
 * Token bucket: `rate` tokens per second, bursts up to `capacity`. `take(n)` waits until n tokens
 * are available; a request for more than the capacity waits for a full bucket (it never deadlocks).
 */
export class TokenBucket {
  private tokens: number
  private last = Date.now()
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
  ) {
    this.tokens = capacity
  }

  static perSecond(rps: number): TokenBucket {
    return new TokenBucket(rps, Math.max(1, rps))
  }

  static perMinute(perMinute: number): TokenBucket {
    // A minute's budget as burst would front-load a whole minute of traffic; a second's worth is gentler.
    return new TokenBucket(perMinute / 60, Math.max(1, perMinute / 60))
  }

  /** Tokens per minute (tpm): bursts of ten seconds' worth, since one request can carry thousands of tokens. */
  static tokensPerMinute(tpm: number): TokenBucket {
    return new TokenBucket(tpm / 60, Math.max(tpm / 6, 1))
  }

  private refill(): void {
    const now = Date.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
  }

  take(n = 1, signal?: AbortSignal): Promise<void> {
    const need = Math.min(n, this.capacity)
    // Serialise takers so a big request is not starved by a stream of small ones.
    const run = this.queue.then(async () => {
      for (;;) {
        this.refill()
        if (this.tokens >= need) {
          this.tokens -= need
          return
        }
        if (signal?.aborted) return
        await sleep(Math.ceil(((need - this.tokens) / this.rate) * 1000), signal)
      }
    })
    this.queue = run.catch(() => undefined)
    return run
  }
}
