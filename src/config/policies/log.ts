// `log`: a line per request (or per request matching `conditions`, e.g. a deprecated model) at a level (`severity`
// in the product docs), to stderr, stdout or a file.
import {z} from 'zod'
import {check, str} from '../schema.js'
import type {LogPolicy} from '../types.js'
import {eitherOf, policyBase, policyCommon, type PolicyNormaliser} from './common.js'
import {conditionsOf, ConditionsRaw} from './conditions.js'

const LEVELS = ['debug', 'info', 'warn', 'error'] as const

const schema = z.strictObject({
  ...policyCommon,
  level: z.enum(LEVELS).optional(),
  severity: z.enum(LEVELS).optional(),
  conditions: ConditionsRaw.optional(),
  destination: z.enum(['stdout', 'stderr', 'file']).optional(),
  path: str().optional(),
  include_request: z.boolean().optional(),
  include_response: z.boolean().optional(),
})

export const log: PolicyNormaliser<LogPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const level = eitherOf(ctx, p, ['level', q.level], ['severity', q.severity])
  const conditions = q.conditions ? conditionsOf(ctx, q.conditions, [...p, 'conditions']) : undefined
  if (level === null || conditions === null) return null
  const destination = q.destination ?? (q.path !== undefined ? 'file' : 'stderr')
  if (destination === 'file' && q.path === undefined) {
    ctx.c.error([...p, 'path'], 'is required when destination is file')
    return null
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'log',
    level: level ?? 'info',
    ...(conditions ? {conditions} : {}),
    destination,
    ...(q.path !== undefined ? {path: q.path} : {}),
    include_request: q.include_request ?? false,
    include_response: q.include_response ?? false,
  }
}
