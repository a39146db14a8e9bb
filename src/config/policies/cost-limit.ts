// `cost_limit`: spend caps per request, day or month, and what to do past them.
import {z} from 'zod'
import {check, nonNeg, posInt, str} from '../schema.js'
import type {CostLimitPolicy} from '../types.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const schema = z.strictObject({
  ...policyCommon,
  max_usd_per_request: nonNeg().optional(),
  max_usd_per_day: nonNeg().optional(),
  max_usd_per_month: nonNeg().optional(),
  max_tokens_per_request: posInt().optional(),
  action: z.enum(['block', 'warn', 'downgrade']).optional(),
  fallback_model: str().optional(),
})

export const costLimit: PolicyNormaliser<CostLimitPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const action = q.action ?? 'block'
  if (action === 'downgrade' && q.fallback_model === undefined) {
    ctx.c.error([...p, 'fallback_model'], 'is required when action is downgrade')
    return null
  }
  const limits = {
    ...(q.max_usd_per_request !== undefined ? {max_usd_per_request: q.max_usd_per_request} : {}),
    ...(q.max_usd_per_day !== undefined ? {max_usd_per_day: q.max_usd_per_day} : {}),
    ...(q.max_usd_per_month !== undefined ? {max_usd_per_month: q.max_usd_per_month} : {}),
    ...(q.max_tokens_per_request !== undefined ? {max_tokens_per_request: q.max_tokens_per_request} : {}),
  }
  if (Object.keys(limits).length === 0) {
    ctx.c.warn(p, 'sets no limit: add max_usd_per_request, max_usd_per_day, max_usd_per_month or max_tokens_per_request')
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'cost_limit',
    ...limits,
    action,
    ...(q.fallback_model !== undefined ? {fallback_model: q.fallback_model} : {}),
  }
}
