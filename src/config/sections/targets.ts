// `providers.targets`: the models kt can call. Each entry is checked on its own (provider kind, per-kind
// requirements, URL, key variable) and registered by id so later sections can refer to it. A target's
// `silent_model` is kept aside until every target is known (see mirroring.ts).
import {z} from 'zod'
import {didYouMean, type PathSeg} from '../issues.js'
import {canonicalProvider} from '../names.js'
import {check, describeValue, nonNeg, num, posInt, positive, rate, str} from '../schema.js'
import {PROVIDER_KINDS, SIMULATION_STYLES, type ProviderKind, type TargetConfig} from '../types.js'
import {isObj, src, type Ctx} from './context.js'

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const SimulationRaw = z.strictObject({
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

const TargetRaw = z.strictObject({
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
  silent_model: str().optional(),
})
type TargetRawT = z.infer<typeof TargetRaw>

/** Every target, in file order; invalid ones are reported and left out. */
export function targetList(ctx: Ctx): TargetConfig[] {
  const raw = ctx.providers.targets
  const out: TargetConfig[] = []
  if (raw === undefined) return out
  if (!Array.isArray(raw)) {
    ctx.c.error(['providers', 'targets'], `must be a list of targets, got ${describeValue(raw)}`)
    return out
  }
  raw.forEach((t, i) => {
    const p: PathSeg[] = ['providers', 'targets', i]
    if (isObj(t) && typeof t.id === 'string' && t.id !== '') {
      const first = ctx.targetIds.get(t.id)
      if (first !== undefined) {
        ctx.c.error([...p, 'id'], `duplicate target id "${t.id}"${first !== null ? ` (first defined at line ${first})` : ''}`)
      } else ctx.targetIds.set(t.id, ctx.c.lineOf([...p, 'id']))
    }
    const parsed = check(ctx.c, TargetRaw, t, p)
    if (!parsed) return
    const target = targetOf(ctx, parsed, p)
    if (target && !ctx.targets.has(target.id)) {
      ctx.targets.set(target.id, target)
      out.push(target)
      if (parsed.silent_model !== undefined) ctx.silentModels.push({target: target.id, value: parsed.silent_model, path: [...p, 'silent_model']})
    }
  })
  return out
}

/**
 * The provider kind as written, else the one the id names; null (reported) when neither gives one. `provider:`
 * written empty with an id that is a provider kind (`id: openai`) is the docs' way to say "the id tells": no warning.
 */
function providerKind(ctx: Ctx, t: TargetRawT, p: PathSeg[]): ProviderKind | null {
  const written = t.provider?.trim() ?? ''
  if (written === '') {
    const kind = canonicalProvider(t.id)
    if (!kind) {
      ctx.c.error([...p, 'provider'], `is required (one of ${PROVIDER_KINDS.join(', ')})`)
      return null
    }
    if (t.provider === undefined) ctx.c.warn([...p, 'provider'], `missing; using "${kind}" from the target id`)
    else if (kind !== t.id) ctx.c.warn([...p, 'provider'], `empty; using "${kind}" from the target id "${t.id}"`)
    return kind
  }
  const kind = canonicalProvider(written)
  if (!kind) {
    const hint = didYouMean(written, PROVIDER_KINDS)
    ctx.c.error([...p, 'provider'], `unknown provider "${written}"; use one of ${PROVIDER_KINDS.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
    return null
  }
  if (kind !== written) ctx.c.warn([...p, 'provider'], `"${written}" is read as "${kind}"; write "${kind}"`)
  return kind
}

/** base_url, api_version and the fields only some kinds use; false when something is wrong (reported). */
function checkEndpoint(ctx: Ctx, t: TargetRawT, kind: ProviderKind, p: PathSeg[]): boolean {
  const c = ctx.c
  let ok = true
  if (t.base_url !== undefined) {
    if (!isHttpUrl(t.base_url)) {
      c.error([...p, 'base_url'], `must be an http(s) URL, got ${describeValue(t.base_url)}`)
      ok = false
    }
  } else if (kind === 'openai-compatible') {
    c.error([...p, 'base_url'], `is required for ${kind} targets`)
    ok = false
  }
  // An azure-openai target without base_url / api_version takes them from AZURE_OPENAI_ENDPOINT /
  // OPENAI_API_VERSION when it is called (the SDK's own variables); the call fails then, naming them, if unset.
  if (kind !== 'azure-openai') {
    if (t.api_version !== undefined) c.warn([...p, 'api_version'], 'only used by azure-openai targets; ignored', {atKey: true})
    if (t.deployment !== undefined) c.warn([...p, 'deployment'], 'only used by azure-openai targets; ignored', {atKey: true})
  }
  if (kind !== 'simulated' && t.simulation !== undefined) {
    c.warn([...p, 'simulation'], 'only used by simulated targets; ignored', {atKey: true})
  }
  return ok
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}

/** A simulated target's settings with defaults applied (even when the block is absent); null when invalid. */
function simulationOf(ctx: Ctx, t: TargetRawT, p: PathSeg[]): TargetConfig['simulation'] | null {
  const s = t.simulation ?? {}
  let latency: {p50: number; p95: number} | undefined
  if (typeof s.latency_ms === 'number') latency = {p50: s.latency_ms, p95: s.latency_ms}
  else if (s.latency_ms) {
    latency = {p50: s.latency_ms.p50, p95: s.latency_ms.p95}
    if (latency.p95 < latency.p50) {
      ctx.c.error([...p, 'simulation', 'latency_ms', 'p95'], `must be >= p50 (${latency.p50})`)
      return null
    }
  }
  return {
    style: s.style ?? 'faithful',
    ...(s.seed !== undefined ? {seed: s.seed} : {}),
    ...(latency ? {latency_ms: latency} : {}),
    error_rate: s.error_rate ?? 0,
    truncate_rate: s.truncate_rate ?? 0,
  }
}

function targetOf(ctx: Ctx, t: TargetRawT, p: PathSeg[]): TargetConfig | null {
  const kind = providerKind(ctx, t, p)
  if (!kind) return null
  let ok = checkEndpoint(ctx, t, kind, p)
  // Without a model a target serves the model each request names (or the model a model group or
  // model_mapping picks); a simulated target answers as its id, an Azure one as its deployment.
  let model = t.model
  if (!model) {
    if (kind === 'simulated') model = t.id
    else if (kind === 'azure-openai' && t.deployment) model = t.deployment
  }
  let simulation: TargetConfig['simulation'] | null | undefined
  if (kind === 'simulated') {
    simulation = simulationOf(ctx, t, p)
    if (simulation === null) ok = false
  }
  if (!ok) return null

  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(t.headers ?? {})) headers[k] = String(v)
  const out: TargetConfig = {id: t.id, provider: kind, ...(model ? {model} : {}), headers, source: src(ctx, p)}
  if (t.base_url !== undefined) out.base_url = t.base_url
  if (t.secret_key_ref) out.api_key_env = t.secret_key_ref.env
  if (t.timeout_ms !== undefined) out.timeout_ms = t.timeout_ms
  if (t.max_concurrency !== undefined) out.max_concurrency = t.max_concurrency
  if (t.rpm !== undefined) out.rpm = t.rpm
  if (t.tpm !== undefined) out.tpm = t.tpm
  if (kind === 'azure-openai') {
    if (t.api_version !== undefined) out.api_version = t.api_version
    if (t.deployment !== undefined) out.deployment = t.deployment
  }
  if (simulation) out.simulation = simulation
  return out
}
