// `audit-logger`: a record of every decision, without prompts or answers unless asked; `immutable` makes it
// append-only, `log_all_access` records reads of the trail too.
import {z} from 'zod'
import {check, posInt, str, strList} from '../schema.js'
import type {AuditLoggerPolicy} from '../types.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const schema = z.strictObject({
  ...policyCommon,
  destination: z.enum(['stdout', 'file', 'sqlite']).optional(),
  path: str().optional(),
  include_request: z.boolean().optional(),
  include_response: z.boolean().optional(),
  redact_fields: strList().optional(),
  retention_days: posInt().optional(),
  immutable: z.boolean().optional(),
  log_all_access: z.boolean().optional(),
})

export const auditLogger: PolicyNormaliser<AuditLoggerPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  const destination = q.destination ?? (q.path !== undefined ? 'file' : 'stdout')
  if (destination === 'file' && q.path === undefined) {
    ctx.c.error([...p, 'path'], 'is required when destination is file')
    return null
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'audit-logger',
    destination,
    ...(q.path !== undefined ? {path: q.path} : {}),
    include_request: q.include_request ?? false,
    include_response: q.include_response ?? false,
    redact_fields: q.redact_fields ?? [],
    ...(q.retention_days !== undefined ? {retention_days: q.retention_days} : {}),
    immutable: q.immutable ?? false,
    log_all_access: q.log_all_access ?? false,
  }
}
