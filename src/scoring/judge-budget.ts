// What a judge may spend and how fast: its USD budget for the pass (calls are priced from their usage) and the
// judge target's own rpm / tpm limits, as replay honours them.
import {estimateCost, type CallResult, type PriceOverrides, type ProviderClient} from '../providers/index.js'
import {TokenBucket} from '../util/index.js'

/** Output tokens a judge call is counted at (budget, tpm) until its real usage is known; answers run ~300. */
const OUTPUT_TOKENS_ESTIMATE = 1024

export class JudgeMeter {
  /** Estimated USD spent on judge calls so far (calls whose model has no price count 0; see `unpriced`). */
  spent = 0
  /** Calls whose cost could not be priced (the model is in neither `pricing` nor the shipped table). */
  unpriced = 0
  /** Upstream calls made. */
  calls = 0
  /** Estimates of the calls in flight, held against the budget until their real cost is known. */
  private reserved = 0
  private settled: (() => void)[] = []
  private readonly rpm: TokenBucket | null
  private readonly tpm: TokenBucket | null

  constructor(
    private readonly client: ProviderClient,
    /** USD this pass may spend; null without a cap. */
    readonly maxCost: number | null,
    private readonly pricing: PriceOverrides | undefined,
  ) {
    const t = client.target
    this.rpm = t.rpm ? TokenBucket.perMinute(t.rpm) : null
    this.tpm = t.tpm ? TokenBucket.tokensPerMinute(t.tpm) : null
  }

  /** Whether calls need their input tokens estimated (it walks the whole prompt, so only when a limit reads it). */
  get countsTokens(): boolean {
    return this.maxCost !== null || this.tpm !== null
  }

  private cost(usage: CallResult['usage'], batch = false): number | null {
    return estimateCost(this.client.target.model, usage, this.pricing, {batch})
  }

  /** A call through the Batch API, estimated at the batch price: its USD, or false when it would pass the budget. */
  reserveBatched(input: number): number | false {
    const est = this.cost({input_tokens: input, output_tokens: OUTPUT_TOKENS_ESTIMATE, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + OUTPUT_TOKENS_ESTIMATE}, true) ?? 0
    if (this.maxCost !== null && this.spent + this.reserved + est > this.maxCost) return false
    this.reserved += est
    return est
  }

  /** Books a batched answer at the batch price and releases its reservation `est`. */
  settleBatched(usage: CallResult['usage'] | null, est: number): void {
    this.reserved -= est
    if (!usage) return
    this.calls++
    const usd = this.cost(usage, true)
    if (usd === null) {
      if (usage.input_tokens !== null || usage.output_tokens !== null) this.unpriced++
    } else this.spent += usd
  }

  /**
   * Holds an estimate for the next call against the budget, waiting for calls in flight to settle when it does
   * not fit yet; false when it cannot fit even with nothing in flight.
   */
  async reserve(input: number): Promise<number | false> {
    if (this.maxCost === null) return 0
    const est = this.cost({input_tokens: input, output_tokens: OUTPUT_TOKENS_ESTIMATE, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + OUTPUT_TOKENS_ESTIMATE}) ?? 0
    while (this.spent + this.reserved + est > this.maxCost) {
      if (this.reserved === 0) return false
      await new Promise<void>((resolve) => this.settled.push(resolve))
    }
    this.reserved += est
    return est
  }

  /** Makes one call within the rate limits, books its real cost and releases its reservation `est`. */
  async send(body: Record<string, unknown>, api: string, input: number, est: number): Promise<CallResult> {
    try {
      await this.rpm?.take(1)
      await this.tpm?.take(input + OUTPUT_TOKENS_ESTIMATE)
      this.calls++
      const r = await this.client.call({api, body})
      const usd = this.cost(r.usage)
      if (usd === null) {
        if (r.usage.input_tokens !== null || r.usage.output_tokens !== null) this.unpriced++
      } else this.spent += usd
      return r
    } finally {
      this.reserved -= est
      for (const wake of this.settled.splice(0)) wake()
    }
  }
}
