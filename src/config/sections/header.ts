// The small top-level sections: `version`, `pack`, `pricing` and `gates`.
import {z} from 'zod'
import {check, describeValue, nonNeg, str} from '../schema.js'
import type {KtConfig, ModelPricing, SourceRef} from '../types.js'
import {src, type Ctx} from './context.js'

const PackRaw = z.strictObject({
  name: str(),
  version: z.union([z.string(), z.number()], {error: 'must be a string'}).optional(),
  enabled: z.boolean().optional(),
  description: z.string().optional(),
})

const PricingRaw = z.record(
  z.string(),
  z.strictObject({
    input_per_mtok: nonNeg(),
    output_per_mtok: nonNeg(),
    cached_input_per_mtok: nonNeg().optional(),
    cache_write_per_mtok: nonNeg().optional(),
    /** Share taken off this model's prices for batched calls (`kt replay --via batch`); default 0.5. */
    batch_discount: z.number({error: 'must be a number from 0 to 1'}).min(0, {error: 'must be a number from 0 to 1'}).max(1, {error: 'must be a number from 0 to 1'}).optional(),
  }),
)

const GatesRaw = z.array(z.string().min(1, {error: 'must not be empty'}), {error: 'must be a list of gate rules'})

export function version(ctx: Ctx): '1' {
  const v = ctx.data.version
  if (v === undefined) return '1'
  if (v === 1 || (typeof v === 'string' && /^1(\.0)?$/.test(v.trim()))) return '1'
  ctx.c.error(['version'], `unsupported config version ${describeValue(v)} (this kt reads version '1')`)
  return '1'
}

export function pack(ctx: Ctx): KtConfig['pack'] {
  if (ctx.data.pack === undefined) return undefined
  const p = check(ctx.c, PackRaw, ctx.data.pack, ['pack'])
  if (!p) return undefined
  return {
    name: p.name,
    ...(p.version !== undefined ? {version: String(p.version)} : {}),
    enabled: p.enabled ?? true,
    ...(p.description !== undefined ? {description: p.description} : {}),
  }
}

export function pricing(ctx: Ctx): Record<string, ModelPricing> {
  if (ctx.data.pricing === undefined) return {}
  const p = check(ctx.c, PricingRaw, ctx.data.pricing, ['pricing'])
  if (!p) return {}
  const out: Record<string, ModelPricing> = {}
  for (const [model, price] of Object.entries(p)) {
    const entry: ModelPricing = {input_per_mtok: price.input_per_mtok, output_per_mtok: price.output_per_mtok}
    if (price.cached_input_per_mtok !== undefined) entry.cached_input_per_mtok = price.cached_input_per_mtok
    if (price.cache_write_per_mtok !== undefined) entry.cache_write_per_mtok = price.cache_write_per_mtok
    if (price.batch_discount !== undefined) entry.batch_discount = price.batch_discount
    out[model] = entry
  }
  return out
}

export function gates(ctx: Ctx): {rule: string; source: SourceRef}[] {
  if (ctx.data.gates === undefined) return []
  const g = check(ctx.c, GatesRaw, ctx.data.gates, ['gates'])
  if (!g) return []
  return g.map((rule, i) => ({rule: rule.trim(), source: src(ctx, ['gates', i])}))
}
