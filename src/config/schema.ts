// zod schemas for the raw YAML shapes, and the bridge that turns zod issues into kt's
// `path: message (line N)` problems. Objects are strict so unknown keys surface; they become warnings.
import {z} from 'zod'
import {didYouMean, type IssueCollector, type PathSeg} from './issues.js'
import {ON_FAIL_ACTIONS, QUALITY_DIMENSIONS, SIMULATION_STYLES} from './types.js'

interface NumOpts {
  min?: number
  max?: number
  /** Exclusive lower bound. */
  gt?: number
  int?: boolean
  /** For rates: add "write 0.1 for 10%" when someone writes a percentage. */
  rate?: boolean
}

function numberMessage(o: NumOpts): string {
  const kind = o.int ? 'an integer' : 'a number'
  if (o.min !== undefined && o.max !== undefined) return `must be ${kind} between ${o.min} and ${o.max}`
  if (o.gt !== undefined) return `must be ${kind} > ${o.gt}`
  if (o.min !== undefined) return `must be ${kind} >= ${o.min}`
  if (o.max !== undefined) return `must be ${kind} <= ${o.max}`
  return `must be ${kind}`
}

function percentHint(input: unknown): string {
  if (typeof input === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(input)) {
    const n = Number.parseFloat(input)
    return ` (write ${n / 100} for ${n}%)`
  }
  return ''
}

/** A number whose type and range errors share one message, e.g. `must be a number >= 0`. */
export function num(o: NumOpts = {}): z.ZodNumber {
  const msg = numberMessage(o)
  const message = (input: unknown): string => (input === undefined ? 'is required' : msg + (o.rate ? percentHint(input) : ''))
  let s = z.number({error: (iss) => message(iss.input)})
  if (o.int) s = s.int({error: (iss) => message(iss.input)})
  if (o.min !== undefined) s = s.min(o.min, {error: (iss) => message(iss.input)})
  if (o.max !== undefined) s = s.max(o.max, {error: (iss) => message(iss.input)})
  if (o.gt !== undefined) s = s.gt(o.gt, {error: (iss) => message(iss.input)})
  return s
}

const rate = () => num({min: 0, max: 1, rate: true})
const nonNeg = () => num({min: 0})
const positive = () => num({gt: 0})
const posInt = () => num({int: true, min: 1})
const str = () => z.string().min(1)
const strList = () => z.array(str())

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const SimulationRaw = z.strictObject({
  style: z.enum(SIMULATION_STYLES).optional(),
  seed: num({int: true}).optional(),
  latency_ms: z
    .union([nonNeg(), z.strictObject({p50: nonNeg(), p95: nonNeg()})], {
      error: 'must be a number >= 0 or a mapping {p50, p95}',
    })
    .optional(),
  error_rate: rate().optional(),
  truncate_rate: rate().optional(),
})

export const TargetRaw = z.strictObject({
  id: str(),
  provider: z.string().optional(),
  model: str().optional(),
  description: z.string().optional(),
  base_url: str().optional(),
  secret_key_ref: z
    .strictObject(
      {env: z.string().regex(ENV_NAME, {error: 'must be an environment variable name, e.g. OPENAI_API_KEY'})},
      {error: (iss) => `must be a mapping {env: NAME}, got ${describeValue(iss.input)}`},
    )
    .optional(),
  headers: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()], {error: 'must be a string'}))
    .optional(),
  timeout_ms: positive().optional(),
  max_concurrency: posInt().optional(),
  rpm: positive().optional(),
  tpm: positive().optional(),
  api_version: str().optional(),
  deployment: str().optional(),
  simulation: SimulationRaw.optional(),
  /** LiteLLM's shorthand: mirror all of this target's traffic to that model (a group, target id or model). */
  silent_model: str().optional(),
})
export type TargetRawT = z.infer<typeof TargetRaw>

export const GroupRaw = z.strictObject({
  name: str(),
  description: z.string().optional(),
  strategy: z.string().optional(),
  routing: z.string().optional(),
  targets: z.array(z.strictObject({provider: str(), model: str().optional(), weight: nonNeg().optional()})).optional(),
  models: z
    .array(z.union([str(), z.strictObject({provider: str().optional(), model: str()})], {
      error: 'must be a model name or a mapping {provider, model}',
    }))
    .optional(),
})
export type GroupRawT = z.infer<typeof GroupRaw>

export const ProviderRoutingRaw = z.strictObject({strategy: z.string()})

export const TrafficMirrorRaw = z.strictObject({
  enabled: z.boolean().optional(),
  primary: str().optional(),
  shadow: str().optional(),
  model_mapping: z.record(z.string(), str()).optional(),
  sample_rate: rate().optional(),
  async: z.boolean().optional(),
  log_shadow_response: z.boolean().optional(),
  compare_metrics: strList().optional(),
})

export const MirroringRaw = z.strictObject({
  enabled: z.boolean().optional(),
  shadow_targets: strList().optional(),
  sample_rate: rate().optional(),
  log_shadow_responses: z.boolean().optional(),
})

export const PackRaw = z.strictObject({
  name: str(),
  version: z.union([z.string(), z.number()], {error: 'must be a string'}).optional(),
  enabled: z.boolean().optional(),
  description: z.string().optional(),
})

export const PricingRaw = z.record(
  z.string(),
  z.strictObject({input_per_mtok: nonNeg(), output_per_mtok: nonNeg(), cached_input_per_mtok: nonNeg().optional()}),
)

export const GatesRaw = z.array(z.string().min(1, {error: 'must not be empty'}), {error: 'must be a list of gate rules'})

// Policies: `name` and `type` are optional here because the chain form takes them from the `policy:` key;
// the list form checks they are present.
const policyCommon = {
  name: str().optional(),
  type: z.string().optional(),
  enabled: z.boolean().optional(),
  description: z.string().optional(),
}

const DimensionRaw = z.strictObject({weight: nonNeg().optional(), min_score: rate().optional()})

export const PolicySchemas = {
  'quality-scorer': z.strictObject({
    ...policyCommon,
    dimensions: z.strictObject(Object.fromEntries(QUALITY_DIMENSIONS.map((d) => [d, DimensionRaw.optional()])) as {
      relevance: z.ZodOptional<typeof DimensionRaw>
      coherence: z.ZodOptional<typeof DimensionRaw>
      completeness: z.ZodOptional<typeof DimensionRaw>
    }).optional(),
    overall_min_score: rate().optional(),
    on_fail: z.enum(ON_FAIL_ACTIONS).optional(),
  }),
  'audit-logger': z.strictObject({
    ...policyCommon,
    destination: z.enum(['stdout', 'file', 'sqlite']).optional(),
    path: str().optional(),
    include_request: z.boolean().optional(),
    include_response: z.boolean().optional(),
    redact_fields: strList().optional(),
    retention_days: posInt().optional(),
  }),
  content_filter: z.strictObject({
    ...policyCommon,
    blocked_terms: strList().optional(),
    blocked_patterns: strList().optional(),
    redact_pii: z.boolean().optional(),
    action: z.enum(['block', 'redact', 'flag']).optional(),
    apply_to: z.enum(['request', 'response', 'both']).optional(),
  }),
  model_filter: z.strictObject({
    ...policyCommon,
    allowed_models: strList().optional(),
    blocked_models: strList().optional(),
    preferred_model: str().optional(),
    conditions: z
      .strictObject({
        max_tokens_gt: num({int: true, min: 0}).optional(),
        max_tokens_lte: num({int: true, min: 0}).optional(),
        model: z.union([str(), strList()], {error: 'must be a model name or a list of names'}).optional(),
      })
      .optional(),
  }),
  traffic_split: z.strictObject({
    ...policyCommon,
    variants: z
      .array(z.strictObject({model: str(), weight: nonNeg(), tag: str().optional(), provider: str().optional()}))
      .min(1, {error: 'must list at least one variant'}),
  }),
  log: z.strictObject({
    ...policyCommon,
    level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
    destination: z.enum(['stdout', 'stderr', 'file']).optional(),
    path: str().optional(),
    include_request: z.boolean().optional(),
    include_response: z.boolean().optional(),
  }),
  cost_limit: z.strictObject({
    ...policyCommon,
    max_usd_per_request: nonNeg().optional(),
    max_usd_per_day: nonNeg().optional(),
    max_usd_per_month: nonNeg().optional(),
    max_tokens_per_request: posInt().optional(),
    action: z.enum(['block', 'warn', 'downgrade']).optional(),
    fallback_model: str().optional(),
  }),
} as const

// ---------------------------------------------------------------------------------------------------------------
// zod issues -> kt problems

type Issue = z.core.$ZodIssue
type RawIssue = z.core.$ZodRawIssue

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
}

/** Short description of what the user wrote, for "got ..." hints. */
export function describeValue(input: unknown): string {
  if (input === null) return 'nothing'
  if (Array.isArray(input)) return 'a list'
  if (typeof input === 'object') return 'a mapping'
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 37)}...` : input)
  return String(input)
}

/** Per-parse messages for every issue whose schema does not set its own. */
function friendly(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'is required'
      return `must be ${TYPE_NAMES[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`
    }
    case 'too_small': {
      if (iss.origin === 'string') return 'must not be empty'
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at least ${String(iss.minimum)} item(s)`
      return `must be ${iss.inclusive ? '>=' : '>'} ${String(iss.minimum)}`
    }
    case 'too_big': {
      if (iss.origin === 'string') return `must be at most ${String(iss.maximum)} characters`
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at most ${String(iss.maximum)} item(s)`
      return `must be ${iss.inclusive ? '<=' : '<'} ${String(iss.maximum)}`
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join(', ')}, got ${describeValue(iss.input)}`
    case 'invalid_format':
      return `is not a valid ${iss.format}`
    default:
      return iss.message ?? 'is invalid'
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType
    else return s
  }
}

/** The keys an object schema accepts at `path` (for "did you mean"). */
function knownKeysAt(schema: z.ZodType, path: readonly PathSeg[]): string[] {
  const found: string[] = []
  const visit = (s0: z.ZodType, i: number): void => {
    const s = unwrap(s0)
    if (s instanceof z.ZodUnion) {
      for (const option of s.options) visit(option as z.ZodType, i)
      return
    }
    if (i === path.length) {
      if (s instanceof z.ZodObject) found.push(...Object.keys(s.shape))
      return
    }
    const seg = path[i]!
    if (s instanceof z.ZodObject && typeof seg === 'string') {
      const child = (s.shape as Record<string, z.ZodType>)[seg]
      if (child) visit(child, i + 1)
    } else if (s instanceof z.ZodArray) visit(s.element as z.ZodType, i + 1)
    else if (s instanceof z.ZodRecord) visit(s.valueType as z.ZodType, i + 1)
  }
  visit(schema, 0)
  return [...new Set(found)]
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (/^(api_?key|apikey|secret|token|password)$/i.test(key)) {
    return 'unknown key; never put secrets in the config: use secret_key_ref: {env: NAME}'
  }
  const hint = didYouMean(key, known)
  return hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key'
}

function toPath(path: readonly PropertyKey[]): PathSeg[] {
  return path.map((p) => (typeof p === 'number' ? p : String(p)))
}

function deleteAt(root: unknown, path: readonly PathSeg[], key: string): void {
  let node: unknown = root
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return
    node = (node as Record<string | number, unknown>)[seg]
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) delete (node as Record<string, unknown>)[key]
}

/**
 * Validates `value` (found at `base` in the YAML) against `schema`. Every problem is reported; unknown keys are
 * warnings and are dropped. On errors it still tries to return the data with the bad values removed, so later
 * checks (references between sections, sums of weights) can report their problems too: all problems in one run.
 * Callers must therefore not treat a returned value as valid; the collector's error count decides that.
 */
export function check<T>(c: IssueCollector, schema: z.ZodType<T>, value: unknown, base: readonly PathSeg[]): T | undefined {
  const first = schema.safeParse(value, {error: friendly, reportInput: true})
  if (first.success) return first.data
  const drop: {path: PathSeg[]; key: PathSeg}[] = []
  let salvageable = true
  const report = (issues: readonly Issue[], prefix: readonly PathSeg[]): void => {
    for (const iss of issues) {
      const path = [...prefix, ...toPath(iss.path)]
      if (iss.code === 'unrecognized_keys') {
        const known = knownKeysAt(schema, path)
        for (const key of iss.keys) {
          drop.push({path, key})
          c.warn([...base, ...path, key], unknownKeyMessage(key, known), {atKey: true})
        }
        continue
      }
      if (iss.code === 'invalid_union') {
        // When exactly one branch got past the type check (its issues are deeper), those issues are the useful ones.
        const deeper = iss.errors.filter((branch) => branch.length > 0 && branch.every((b) => b.path.length > 0))
        if (deeper.length === 1) {
          report(deeper[0]!, path)
          continue
        }
      }
      c.error([...base, ...path], iss.message)
      const key = path.at(-1)
      if (typeof key === 'string') drop.push({path: path.slice(0, -1), key})
      else salvageable = false // removing a list item would shift the indexes of the rest
    }
  }
  report(first.error.issues, [])
  if (!salvageable) return undefined
  const stripped: unknown = structuredClone(value)
  for (const {path, key} of drop) deleteAt(stripped, path, String(key))
  const second = schema.safeParse(stripped, {error: friendly, reportInput: true})
  // A failure here means a required value was the bad one: its error is already reported.
  return second.success ? second.data : undefined
}
