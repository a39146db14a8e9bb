// `model_filter`: which models may be called, which may not, and which one to prefer (under conditions).
import {z} from 'zod'
import {check, str, strList} from '../schema.js'
import type {ModelFilterPolicy} from '../types.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'
import {conditionsOf, ConditionsRaw} from './conditions.js'

const schema = z.strictObject({
  ...policyCommon,
  allowed_models: strList().optional(),
  blocked_models: strList().optional(),
  preferred_model: str().optional(),
  conditions: ConditionsRaw.optional(),
})

export const modelFilter: PolicyNormaliser<ModelFilterPolicy> = (ctx, entry, p, name) => {
  const c = ctx.c
  const q = check(c, schema, entry, p)
  if (!q) return null
  const allowed = q.allowed_models ?? []
  const blocked = q.blocked_models ?? []
  if (q.preferred_model !== undefined && blocked.includes(q.preferred_model)) {
    c.error([...p, 'preferred_model'], `"${q.preferred_model}" is also in blocked_models`)
    return null
  }
  if (q.preferred_model !== undefined && allowed.length > 0 && !allowed.includes(q.preferred_model)) {
    c.warn([...p, 'preferred_model'], `"${q.preferred_model}" is not in allowed_models`)
  }
  for (const m of blocked.filter((b) => allowed.includes(b))) {
    c.warn([...p, 'blocked_models'], `"${m}" is both allowed and blocked`, {atKey: true})
  }
  const conditions = q.conditions ? conditionsOf(ctx, q.conditions, [...p, 'conditions']) : undefined
  if (conditions === null) return null
  if (!allowed.length && !blocked.length && q.preferred_model === undefined) {
    c.warn(p, 'does nothing: set allowed_models, blocked_models or preferred_model')
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'model_filter',
    allowed_models: allowed,
    blocked_models: blocked,
    ...(q.preferred_model !== undefined ? {preferred_model: q.preferred_model} : {}),
    ...(conditions ? {conditions} : {}),
  }
}
