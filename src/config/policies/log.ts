// `log`: a line per request at a level, to stderr, stdout or a file.
import {z} from 'zod'
import {check, str} from '../schema.js'
import type {LogPolicy} from '../types.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const schema = z.strictObject({
  ...policyCommon,
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  destination: z.enum(['stdout', 'stderr', 'file']).optional(),
  path: str().optional(),
  include_request: z.boolean().optional(),
  include_response: z.boolean().optional(),
})

export const log: PolicyNormaliser<LogPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const destination = q.destination ?? (q.path !== undefined ? 'file' : 'stderr')
  if (destination === 'file' && q.path === undefined) {
    ctx.c.error([...p, 'path'], 'is required when destination is file')
    return null
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'log',
    level: q.level ?? 'info',
    destination,
    ...(q.path !== undefined ? {path: q.path} : {}),
    include_request: q.include_request ?? false,
    include_response: q.include_response ?? false,
  }
}
