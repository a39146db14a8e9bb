// What every policy type shares: the common keys and the fields every normalised policy carries.
import {z} from 'zod'
import type {PathSeg} from '../issues.js'
import {str} from '../schema.js'
import {src, type Ctx} from '../sections/context.js'
import type {Policy, SourceRef} from '../types.js'

// `name` and `type` are optional here because the chain form takes them from the `policy:` key;
// the list form checks they are present.
export const policyCommon = {
  name: str().optional(),
  type: z.string().optional(),
  enabled: z.boolean().optional(),
  description: z.string().optional(),
}

export interface PolicyBase {
  name: string
  enabled: boolean
  description?: string
  source: SourceRef
}

/** The normaliser of one policy type: the entry as written at `p`, named `name`; null when invalid (reported). */
export type PolicyNormaliser<P extends Policy> = (ctx: Ctx, entry: Record<string, unknown>, p: PathSeg[], name: string) => P | null

export function policyBase(ctx: Ctx, q: {enabled?: boolean | undefined; description?: string | undefined}, name: string, p: PathSeg[]): PolicyBase {
  return {
    name,
    enabled: q.enabled ?? true,
    ...(q.description !== undefined ? {description: q.description} : {}),
    source: src(ctx, p),
  }
}

/**
 * One setting with two spellings (the product docs use both, e.g. `on_fail` and `action`): either may be written;
 * when both are, they must agree. Null when they do not (reported at the second).
 */
export function eitherOf<T>(ctx: Ctx, p: PathSeg[], [aKey, a]: [string, T | undefined], [bKey, b]: [string, T | undefined]): T | undefined | null {
  if (a !== undefined && b !== undefined && a !== b) {
    ctx.c.error([...p, bKey], `${JSON.stringify(b)} contradicts ${aKey}: ${JSON.stringify(a)} (${bKey} and ${aKey} are the same setting; keep one)`)
    return null
  }
  return a ?? b
}
