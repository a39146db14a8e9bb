// The three ways a config asks for mirroring (`traffic_mirror`, `providers.mirroring`, LiteLLM's `silent_model`, which
// the config module has already resolved into `silent_mirrors`), as one list of rules for the plan; and the
// audit-logger and log policies with their files' paths resolved, for the side thread.
import {dirname, resolve} from 'node:path'
import type {KtConfig, Policy} from '../config/index.js'
import type {LinePolicy} from './exchange.js'

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
  sampleRate: number
  logResponse: boolean
  compare: string[]
}

export function mirrorSpecs(config: KtConfig): MirrorSpec[] {
  const out: MirrorSpec[] = []
  const m = config.traffic_mirror
  if (m?.enabled && m.shadow) {
    out.push({
      source: 'traffic_mirror',
      path: 'traffic_mirror',
      primary: m.primary_target_id ?? m.primary ?? null,
      shadow: m.shadow_target_id ?? m.shadow,
      mapping: m.model_mapping,
      model: null,
      sampleRate: m.sample_rate,
      logResponse: m.log_shadow_response,
      compare: m.compare_metrics,
    })
  }
  const mm = config.mirroring
  if (mm?.enabled) {
    mm.shadow_targets.forEach((id, i) => {
      out.push({source: 'mirroring', path: `providers.mirroring.shadow_targets[${i}]`, primary: null, shadow: id, mapping: {}, model: null, sampleRate: mm.sample_rate, logResponse: mm.log_shadow_responses, compare: []})
    })
  }
  for (const s of config.silent_mirrors) {
    out.push({source: 'silent_model', path: `silent_model of target "${s.primary}"`, primary: s.primary, shadow: s.shadow, mapping: {}, model: s.model ?? null, sampleRate: 1, logResponse: false, compare: []})
  }
  return out
}

/**
 * The enabled audit-logger and log policies, in chain order, a relative `path` resolved against the config file's
 * directory (so a reload, or a gateway started from elsewhere, writes the same file).
 */
export function linePolicies(policies: readonly Policy[], configFile: string | null): LinePolicy[] {
  const base = configFile ? dirname(resolve(configFile)) : process.cwd()
  const out: LinePolicy[] = []
  for (const p of policies) {
    if (!p.enabled || (p.type !== 'audit-logger' && p.type !== 'log')) continue
    out.push(p.path !== undefined && p.destination === 'file' ? {...p, path: resolve(base, p.path)} : p)
  }
  return out
}
