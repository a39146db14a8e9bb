// When a routing policy applies: request size and model conditions, all of which must hold.
import {z} from 'zod'
import type {PathSeg} from '../issues.js'
import {num, str, strList} from '../schema.js'
import type {Ctx} from '../sections/context.js'
import type {RequestConditions} from '../types.js'

export const ConditionsRaw = z.strictObject({
  max_tokens_gt: num({int: true, min: 0}).optional(),
  max_tokens_lte: num({int: true, min: 0}).optional(),
  model: z.union([str(), strList()], {error: 'must be a model name or a list of names'}).optional(),
})

/** Normalised conditions (`model` always a list); null when they can never match (reported at `path`). */
export function conditionsOf(ctx: Ctx, cond: z.infer<typeof ConditionsRaw>, path: PathSeg[]): RequestConditions | null {
  if (cond.max_tokens_gt !== undefined && cond.max_tokens_lte !== undefined && cond.max_tokens_gt >= cond.max_tokens_lte) {
    ctx.c.error(path, `max_tokens_gt (${cond.max_tokens_gt}) >= max_tokens_lte (${cond.max_tokens_lte}): the condition can never match`)
    return null
  }
  const out: RequestConditions = {}
  if (cond.max_tokens_gt !== undefined) out.max_tokens_gt = cond.max_tokens_gt
  if (cond.max_tokens_lte !== undefined) out.max_tokens_lte = cond.max_tokens_lte
  if (cond.model !== undefined) out.model = typeof cond.model === 'string' ? [cond.model] : cond.model
  return out
}
