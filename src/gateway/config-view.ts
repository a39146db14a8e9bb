// What the gateway reads from the config beyond the shapes every module shares: the mirror rules. Read here, in one
// place and tolerantly, because the config module is being reshaped in parallel: `traffic_mirror.primary/shadow` may
// be resolved to target ids (`primary_target_id`, `shadow_target_id`) or left as written (a target id or a provider
// kind), and LiteLLM's `silent_model` may come resolved as `config.silent_mirrors` or as written on each target.
import type {KtConfig, TargetConfig} from '../config/index.js'

export interface MirrorSpec {
  source: 'traffic_mirror' | 'mirroring' | 'silent_model'
  /** YAML path, for messages. */
  path: string
  /** Requests served by this target id or provider kind are mirrored; null: every request. */
  primary: string | null
  /** A target id, or a provider kind (its first target). */
  shadow: string
  /** The shadow's model: by routed model, else `model`, else the shadow target's own, else the routed model. */
  mapping: Record<string, string>
  model: string | null
  /** For silent_model as written: the name still to resolve (a group, a target id or a model). */
  resolve: string | null
  sampleRate: number
  logResponse: boolean
  compare: string[]
}

interface SilentMirrorLike {
  primary: string
  shadow: string
  model?: string
  silent_model: string
}

/** LiteLLM's `silent_model` as written on a target (null when it has none). */
export function silentModelOf(t: TargetConfig): string | null {
  const v = (t as unknown as {silent_model?: unknown}).silent_model
  return typeof v === 'string' && v !== '' ? v : null
}

export function mirrorSpecs(config: KtConfig): MirrorSpec[] {
  const out: MirrorSpec[] = []
  const m = config.traffic_mirror
  if (m?.enabled && m.shadow) {
    const ids = m as unknown as {primary_target_id?: string; shadow_target_id?: string}
    out.push({
      source: 'traffic_mirror',
      path: 'traffic_mirror',
      primary: ids.primary_target_id ?? m.primary ?? null,
      shadow: ids.shadow_target_id ?? m.shadow,
      mapping: m.model_mapping,
      model: null,
      resolve: null,
      sampleRate: m.sample_rate,
      logResponse: m.log_shadow_response,
      compare: m.compare_metrics,
    })
  }
  const mm = config.mirroring
  if (mm?.enabled) {
    mm.shadow_targets.forEach((id, i) => {
      out.push({source: 'mirroring', path: `providers.mirroring.shadow_targets[${i}]`, primary: null, shadow: id, mapping: {}, model: null, resolve: null, sampleRate: mm.sample_rate, logResponse: mm.log_shadow_responses, compare: []})
    })
  }
  const resolved = (config as unknown as {silent_mirrors?: SilentMirrorLike[]}).silent_mirrors
  if (Array.isArray(resolved)) {
    for (const s of resolved) {
      out.push({source: 'silent_model', path: `silent_model of target "${s.primary}"`, primary: s.primary, shadow: s.shadow, mapping: {}, model: s.model ?? null, resolve: null, sampleRate: 1, logResponse: false, compare: []})
    }
  } else {
    config.targets.forEach((t, i) => {
      const name = silentModelOf(t)
      if (name) out.push({source: 'silent_model', path: `providers.targets[${i}].silent_model`, primary: t.id, shadow: '', mapping: {}, model: null, resolve: name, sampleRate: 1, logResponse: false, compare: []})
    })
  }
  return out
}
