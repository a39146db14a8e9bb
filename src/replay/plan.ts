// A replay plan is a value: built and validated here from what the user asked, executed by the engine as given,
// in memory. What the store keeps is a record of it (no secrets) for `kt runs show` and for resume; a resume
// rebuilds the targets, with their keys and headers, from the config and the environment.
import {z} from 'zod'
import {resolvePrimary, resolveTarget, type KtConfig, type PrimarySpec} from '../config/index.js'
import {BATCH_PROVIDERS, PROVIDER_KINDS, SIMULATED_STYLES, type TargetSpec} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {KtError} from '../util/index.js'

const count = () => z.number().int().positive()

const simulationSchema = z.object({
  style: z.enum(SIMULATED_STYLES).optional(),
  seed: z.number().int().optional(),
  latency_ms: z.union([z.number().nonnegative(), z.object({p50: z.number().nonnegative(), p95: z.number().nonnegative()})]).optional(),
  error_rate: z.number().min(0).max(1).optional(),
  truncate_rate: z.number().min(0).max(1).optional(),
  sleep: z.boolean().optional(),
})

const targetSchema = z.object({
  id: z.string().min(1),
  provider: z.enum(PROVIDER_KINDS),
  model: z.string().min(1).optional(),
  base_url: z.string().min(1).optional(),
  api_key_env: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout_ms: count().optional(),
  max_concurrency: count().optional(),
  rpm: count().optional(),
  tpm: count().optional(),
  api_version: z.string().optional(),
  deployment: z.string().optional(),
  simulation: simulationSchema.optional(),
})

const selectionSchema = z.object({
  dataset: z.array(z.string()).optional(),
  from: z.string().optional(),
  model: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  filter: z.array(z.string()).optional(),
  limit: count().optional(),
  /** Seeded random sample of N requests (kept in time order). */
  sample: count().optional(),
  seed: z.number().int().optional(),
})

const settingsSchema = z.object({
  selection: selectionSchema,
  modelMap: z.record(z.string(), z.string()),
  concurrency: z.number().int().min(1).max(1024),
  rps: z.number().positive().nullable(),
  tpm: z.number().positive().nullable(),
  timeoutMs: count(),
  retries: z.number().int().min(0).max(20),
  maxCost: z.number().min(0).nullable(),
  /** Share of requests (0..1) whose primary is replayed a second time (noise floor). */
  aa: z.number().min(0).max(1),
  seed: z.number().int(),
  pricing: z
    .record(
      z.string(),
      z.object({
        input_per_mtok: z.number().min(0),
        output_per_mtok: z.number().min(0),
        cached_input_per_mtok: z.number().min(0).optional(),
        cache_write_per_mtok: z.number().min(0).optional(),
        batch_discount: z.number().min(0).max(1).optional(),
      }),
    )
    .optional(),
  /** How each arm sends its calls: live (default), or through the provider's Batch API. The A/A repeat follows the primary. */
  via: z.object({primary: z.enum(['live', 'batch']), candidate: z.enum(['live', 'batch'])}).optional(),
  /** The Batch APIs' completion window (both providers accept only 24h today). */
  completionWindow: z.literal('24h').optional(),
})

const primarySchema = z.union([z.literal('recorded'), targetSchema])

export type Selection = z.infer<typeof selectionSchema>
export type ReplaySettings = z.infer<typeof settingsSchema>

export interface RunPlan {
  primary: PrimarySpec
  candidate: TargetSpec
  settings: ReplaySettings
}

/** A run created from a plan: its id, and the plan it executes. */
export interface PlannedRun {
  runId: string
  total: number
  plan: RunPlan
}

/** The settings a resumed run may change: limits and budget, never what is sent or to whom. */
export interface ResumeOverrides {
  maxCost?: number | null
  concurrency?: number
  rps?: number | null
  tpm?: number | null
  timeoutMs?: number
}

// A compile-time check that the schemas describe the types the rest of kt uses.
const _targetMatches: z.infer<typeof targetSchema> extends TargetSpec ? true : never = true
void _targetMatches

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}

/** Checks a plan before anything is stored or sent; a bad value is a usage error naming its path. */
export function validatePlan(plan: RunPlan): RunPlan {
  const p = primarySchema.safeParse(plan.primary)
  if (!p.success) throw new KtError(`invalid primary target: ${issues(p.error)}`, 2)
  const c = targetSchema.safeParse(plan.candidate)
  if (!c.success) throw new KtError(`invalid candidate target: ${issues(c.error)}`, 2)
  const s = settingsSchema.safeParse(plan.settings)
  if (!s.success) throw new KtError(`invalid replay settings: ${issues(s.error)}`, 2)
  if (plan.settings.aa > 0 && plan.primary === 'recorded') {
    throw new KtError('--aa needs a live --primary: the recorded answers cannot be sampled a second time', 2)
  }
  const via = plan.settings.via
  if (via?.primary === 'batch' && plan.primary === 'recorded') throw new KtError('--via-primary batch needs a live --primary: the recorded answers are not sent anywhere', 2)
  for (const arm of ['primary', 'candidate'] as const) {
    const target = targetFor(plan, arm)
    if (via?.[arm] === 'batch' && target && !BATCH_PROVIDERS.includes(target.provider)) {
      throw new KtError(`${arm} target "${target.id}" is ${target.provider}: --via${arm === 'primary' ? '-primary' : ''} batch needs a provider with a Batch API (${BATCH_PROVIDERS.join(', ')})`, 2)
    }
  }
  return plan
}

/** A plan from what the user typed: target references (config ids or PROVIDER:MODEL) and settings. */
export function buildPlan(refs: {primary?: string; candidate: string}, settings: ReplaySettings, config: KtConfig): RunPlan {
  return validatePlan({primary: resolvePrimary(refs.primary, config), candidate: resolveTarget(refs.candidate, config, 'candidate'), settings})
}

/** What is stored of a target: everything but secret header values (a key is only ever the name of its variable). */
function publicTarget(t: PrimarySpec): PrimarySpec {
  if (t === 'recorded' || !t.headers) return t
  const headers = Object.fromEntries(Object.entries(t.headers).map(([k, v]) => [k, /auth|key|token|secret|cookie/i.test(k) ? '[redacted]' : v]))
  return {...t, headers}
}

/** The plan as the runs table keeps it. */
export function planRecord(plan: RunPlan): {primary_json: string; candidate_json: string; options_json: string} {
  return {
    primary_json: JSON.stringify(publicTarget(plan.primary)),
    candidate_json: JSON.stringify(publicTarget(plan.candidate)),
    options_json: JSON.stringify(plan.settings),
  }
}

/** A stored plan record, checked: what `kt runs show` displays and what a resume starts from. */
export function readPlanRecord(run: {id: string; primary_json: string; candidate_json: string; options_json: string}): RunPlan {
  const parse = <T>(schema: z.ZodType<T>, text: string, what: string): T => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new KtError(`run ${run.id}: its stored ${what} is not JSON; the database was edited or is damaged`)
    }
    const r = schema.safeParse(value)
    if (!r.success) throw new KtError(`run ${run.id}: its stored ${what} is invalid (${issues(r.error)})`)
    return r.data
  }
  return {
    primary: parse(primarySchema, run.primary_json, 'primary target'),
    candidate: parse(targetSchema, run.candidate_json, 'candidate target'),
    settings: parse(settingsSchema, run.options_json, 'settings'),
  }
}

/** The parts of a target that decide what is sent; a resume must send to the same. */
function sameDestination(a: TargetSpec, b: TargetSpec): string | null {
  for (const k of ['provider', 'model', 'base_url', 'deployment', 'api_version'] as const) {
    if ((a[k] ?? null) !== (b[k] ?? null)) return `${k} ${JSON.stringify(a[k] ?? null)} → ${JSON.stringify(b[k] ?? null)}`
  }
  return null
}

function rebuildTarget(runId: string, stored: TargetSpec, config: KtConfig, arm: string): TargetSpec {
  let target: TargetSpec
  try {
    target = resolveTarget(stored.id, config, arm)
  } catch {
    throw new KtError(
      `run ${runId}: its ${arm} is target "${stored.id}", which ${config.file ? `${config.file} no longer defines` : 'came from a config file that is not loaded'}; pass the run's --policy-config to resume it`,
      2,
    )
  }
  const changed = sameDestination(stored, target)
  if (changed) throw new KtError(`run ${runId}: target "${stored.id}" changed since the run started (${changed}); resuming would mix answers of two targets`, 2)
  return target
}

/** The plan a stored run resumes with: targets and secrets rebuilt from the config and environment, limits overridden. */
export function resumePlan(run: {id: string; primary_json: string; candidate_json: string; options_json: string}, config: KtConfig, overrides: ResumeOverrides): RunPlan {
  const stored = readPlanRecord(run)
  const settings: ReplaySettings = {...stored.settings}
  if (overrides.maxCost !== undefined) settings.maxCost = overrides.maxCost
  if (overrides.concurrency !== undefined) settings.concurrency = overrides.concurrency
  if (overrides.rps !== undefined) settings.rps = overrides.rps
  if (overrides.tpm !== undefined) settings.tpm = overrides.tpm
  if (overrides.timeoutMs !== undefined) settings.timeoutMs = overrides.timeoutMs
  return validatePlan({
    primary: stored.primary === 'recorded' ? 'recorded' : rebuildTarget(run.id, stored.primary, config, 'primary'),
    candidate: rebuildTarget(run.id, stored.candidate, config, 'candidate'),
    settings,
  })
}

/** The arms that make calls: the candidate, and a live primary with its A/A repeat when asked. */
export function liveArms(plan: Pick<RunPlan, 'primary' | 'settings'>): Arm[] {
  const arms: Arm[] = plan.primary === 'recorded' ? ['candidate'] : ['primary', 'candidate']
  if (plan.settings.aa > 0 && plan.primary !== 'recorded') arms.push('primary_aa')
  return arms
}

export type Via = 'live' | 'batch'

/** How an arm sends its calls; the A/A repeat goes the primary's way. */
export function viaOf(plan: Pick<RunPlan, 'settings'>, arm: Arm): Via {
  return plan.settings.via?.[arm === 'candidate' ? 'candidate' : 'primary'] ?? 'live'
}

/** The arms whose calls go through a Batch API. */
export function batchArms(plan: Pick<RunPlan, 'primary' | 'settings'>): Arm[] {
  return liveArms(plan).filter((a) => viaOf(plan, a) === 'batch')
}

export function targetFor(plan: RunPlan, arm: Arm): TargetSpec | null {
  if (arm === 'candidate') return plan.candidate
  return plan.primary === 'recorded' ? null : plan.primary
}

/** The model an arm sends a request to: --model-map, else the target's model, else the model the request was logged with. */
export function modelFor(plan: RunPlan, arm: Arm, item: {model: string | null}): string {
  const target = targetFor(plan, arm)!
  if (arm === 'candidate' && item.model && plan.settings.modelMap[item.model]) return plan.settings.modelMap[item.model]!
  return target.model ?? item.model ?? ''
}
