// `content_filter`: terms, patterns, personal data (`redact_pii`: the gateway runs records/pii.ts) and content
// categories (`config: {categories, threshold}`, as the product docs write them; not evaluated) blocked, redacted or
// flagged in requests and/or responses.
import {z} from 'zod'
import {check, strList} from '../schema.js'
import type {ContentFilterPolicy} from '../types.js'
import {policyBase, policyCommon, type PolicyNormaliser} from './common.js'

const schema = z.strictObject({
  ...policyCommon,
  blocked_terms: strList().optional(),
  blocked_patterns: strList().optional(),
  redact_pii: z.boolean().optional(),
  action: z.enum(['block', 'redact', 'flag']).optional(),
  apply_to: z.enum(['request', 'response', 'both']).optional(),
  config: z
    .strictObject({
      categories: strList().optional(),
      threshold: z.enum(['low', 'medium', 'high']).optional(),
    })
    .optional(),
})

export const contentFilter: PolicyNormaliser<ContentFilterPolicy> = (ctx, entry, p, name) => {
  const q = check(ctx.c, schema, entry, p)
  if (!q) return null
  let ok = true
  ;(q.blocked_patterns ?? []).forEach((pattern, k) => {
    try {
      new RegExp(pattern)
    } catch (error) {
      ok = false
      ctx.c.error([...p, 'blocked_patterns', k], `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`)
    }
  })
  if (!ok) return null
  const categories = q.config?.categories ?? []
  if (!q.blocked_terms?.length && !q.blocked_patterns?.length && !q.redact_pii && !categories.length) {
    ctx.c.warn(p, 'filters nothing: set blocked_terms, blocked_patterns, redact_pii or config.categories')
  }
  if (q.config?.threshold !== undefined && !categories.length) {
    ctx.c.warn([...p, 'config', 'threshold'], 'applies to config.categories, and none are listed; ignored')
  }
  return {
    ...policyBase(ctx, q, name, p),
    type: 'content_filter',
    blocked_terms: q.blocked_terms ?? [],
    blocked_patterns: q.blocked_patterns ?? [],
    redact_pii: q.redact_pii ?? false,
    action: q.action ?? 'block',
    apply_to: q.apply_to ?? 'both',
    categories,
    ...(categories.length ? {threshold: q.config?.threshold ?? 'medium'} : {}),
  }
}
