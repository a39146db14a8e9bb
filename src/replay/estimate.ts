// What a run would send per live arm and what it would cost: for --dry-run, and for --max-cost as calls go out.
import {estimateCost, estimateRequestTokens} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {pendingWork, type DB, type PendingItem} from '../store/index.js'
import {liveArms, modelFor, viaOf, type RunPlan, type Via} from './plan.js'

export interface ArmEstimate {
  arm: Arm
  /** How the arm sends its calls: live, or through the provider's Batch API (at its discount). */
  via: Via
  requests: number
  input_tokens: number
  output_tokens: number
  /** At the price the arm pays: the batch price for a batched arm. */
  cost_usd: number | null
  /** The same calls at the live price. */
  live_cost_usd: number | null
}

export function requestBody(item: PendingItem): Record<string, unknown> {
  return item.request_json ? (JSON.parse(item.request_json) as Record<string, unknown>) : {}
}

/**
 * Tokens in (estimated from the body), tokens out (as logged, else max_tokens, else 256), and their price: `cost` as
 * the arm pays it (a batched arm at the batch discount), `liveCost` at the live price.
 */
export function estimateItem(plan: RunPlan, arm: Arm, item: PendingItem, body = requestBody(item)): {input: number; output: number; cost: number | null; liveCost: number | null} {
  const input = estimateRequestTokens(body)
  const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 0) || null
  const output = item.output_tokens ?? maxTokens ?? 256
  const model = modelFor(plan, arm, item)
  const usage = {input_tokens: input, output_tokens: output, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + output}
  const liveCost = estimateCost(model, usage, plan.settings.pricing)
  const cost = viaOf(plan, arm) === 'batch' ? estimateCost(model, usage, plan.settings.pricing, {batch: true}) : liveCost
  return {input, output, cost, liveCost}
}

/** What the run still has to send, per live arm, and its estimated cost. */
export function estimateRun(db: DB, runId: string, plan: RunPlan): ArmEstimate[] {
  const byArm = new Map<Arm, ArmEstimate>()
  for (const {item, arms} of pendingWork(db, runId, liveArms(plan))) {
    for (const arm of arms) {
      const e = estimateItem(plan, arm, item)
      const acc = byArm.get(arm) ?? {arm, via: viaOf(plan, arm), requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, live_cost_usd: 0}
      acc.requests++
      acc.input_tokens += e.input
      acc.output_tokens += e.output
      acc.cost_usd = acc.cost_usd === null || e.cost === null ? null : acc.cost_usd + e.cost
      acc.live_cost_usd = acc.live_cost_usd === null || e.liveCost === null ? null : acc.live_cost_usd + e.liveCost
      byArm.set(arm, acc)
    }
  }
  return [...byArm.values()]
}
