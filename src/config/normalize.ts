// Parsed YAML data -> one normalised KtConfig: checks the top-level layout, then each section in an order that
// lets later sections check their references (targets first).
import type {IssueCollector} from './issues.js'
import {describeValue, unknownKeyMessage} from './schema.js'
import {isObj, newCtx, type Obj} from './sections/context.js'
import {groups, providerRouting} from './sections/groups.js'
import {gates, pack, pricing, version} from './sections/header.js'
import {canary} from './sections/canary.js'
import {LITELLM_KEYS, litellmConfig} from './sections/litellm.js'
import {mirroring, silentMirrors, trafficMirror} from './sections/mirroring.js'
import {policies} from './sections/policies.js'
import {targetList} from './sections/targets.js'
import {telemetry} from './sections/telemetry.js'
import type {KtConfig} from './types.js'

/** The configuration kt runs with when there is no file: nothing configured, nothing to warn about. */
export function emptyConfig(): KtConfig {
  return {
    file: null,
    version: '1',
    targets: [],
    model_groups: [],
    traffic_mirror: null,
    mirroring: null,
    silent_mirrors: [],
    canary: null,
    policies: [],
    pricing: {},
    gates: [],
    gate_sources: [],
    telemetry: {otlp: null},
    warnings: [],
  }
}

const TOP_KEYS = [
  'pack',
  'version',
  'providers',
  'model_groups',
  'provider_routing',
  'traffic_mirror',
  'policies',
  'policy',
  'pricing',
  'gates',
  'canary',
  'telemetry',
] as const
const PROVIDERS_KEYS = ['targets', 'model_groups', 'traffic_mirror', 'mirroring'] as const

/** `providers:` as a mapping; unknown keys at both levels are warned about. */
function layout(c: IssueCollector, data: Obj): Obj {
  for (const key of Object.keys(data)) {
    // `x-...` keys hold anchors for merge keys (`x-defaults: &d {...}`, then `<<: *d`), as in Compose files.
    if ((TOP_KEYS as readonly string[]).includes(key) || key.startsWith('x-')) continue
    if ((LITELLM_KEYS as readonly string[]).includes(key)) continue // litellmConfig() reports them
    if ((PROVIDERS_KEYS as readonly string[]).includes(key) && key !== 'model_groups' && key !== 'traffic_mirror') {
      c.warn([key], `unknown key at the top level (did you mean providers.${key}?)`, {atKey: true})
    } else c.warn([key], unknownKeyMessage(key, TOP_KEYS), {atKey: true})
  }
  if (data.providers === undefined) return {}
  if (!isObj(data.providers)) {
    c.error(['providers'], `must be a mapping with targets:, got ${describeValue(data.providers)}`)
    return {}
  }
  for (const key of Object.keys(data.providers)) {
    if (!(PROVIDERS_KEYS as readonly string[]).includes(key)) c.warn(['providers', key], unknownKeyMessage(key, PROVIDERS_KEYS), {atKey: true})
  }
  return data.providers
}

/** Every problem goes to `c`; the result is only meaningful when `c` holds no error. */
export function normalise(c: IssueCollector, data: Obj, file: string | null): KtConfig {
  const ctx = newCtx(c, data, layout(c, data))
  litellmConfig(ctx)
  const config: KtConfig = {...emptyConfig(), file, version: version(ctx), targets: targetList(ctx)}
  const p = pack(ctx)
  if (p) config.pack = p
  const routing = providerRouting(ctx)
  if (routing) config.provider_routing = {strategy: routing}
  config.model_groups = groups(ctx, routing)
  config.traffic_mirror = trafficMirror(ctx)
  config.mirroring = mirroring(ctx)
  config.silent_mirrors = silentMirrors(ctx)
  config.canary = canary(ctx)
  config.policies = policies(ctx)
  config.pricing = pricing(ctx)
  const g = gates(ctx)
  config.gates = g.map((x) => x.rule)
  config.gate_sources = g.map((x) => x.source)
  config.telemetry = telemetry(ctx)
  return config
}
