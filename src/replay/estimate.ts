// What a run would send per live arm and what it would cost: for --dry-run, and for --max-cost as calls go out.
import {estimateCost, estimateRequestTokens} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {pendingWork, type DB, type PendingItem} from '../store/index.js'
import {liveArms, modelFor, type RunPlan} from './plan.js'

export interface ArmEstimate {
  arm: Arm
  requests: number
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
}

export function requestBody(item: PendingItem): Record<string, unknown> {
  return item.request_json ? (JSON.parse(item.request_json) as Record<string, unknown>) : {}
}

/** Tokens in (estimated from the body), tokens out (as logged, else max_tokens, else 256), and their price. */
export function estimateItem(plan: RunPlan, arm: Arm, item: PendingItem, body = requestBody(item)): {input: number; output: number; cost: number | null} {
  const input = estimateRequestTokens(body)
  const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 0) || null
  const output = item.output_tokens ?? maxTokens ?? 256
  const model = modelFor(plan, arm, item)
  const cost = estimateCost(model, {input_tokens: input, output_tokens: output, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + output}, plan.settings.pricing)
  return {input, output, cost}
}

/** What the run still has to send, per live arm, and its estimated cost. */
export function estimateRun(db: DB, runId: string, plan: RunPlan): ArmEstimate[] {
  const byArm = new Map<Arm, ArmEstimate>()
  for (const {item, arms} of pendingWork(db, runId, liveArms(plan))) {
    for (const arm of arms) {
      const e = estimateItem(plan, arm, item)
      const acc = byArm.get(arm) ?? {arm, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0}
      acc.requests++
      acc.input_tokens += e.input
      acc.output_tokens += e.output
      acc.cost_usd = acc.cost_usd === null || e.cost === null ? null : acc.cost_usd + e.cost
      byArm.set(arm, acc)
    }
  }
  return [...byArm.values()]
}
