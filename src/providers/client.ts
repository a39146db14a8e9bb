// createClient: validates a target, resolves its key from the environment BEFORE any request, and picks the
// SDK-backed (or simulated) client. The key value is never put into a message.
import {KtError} from '../util/index.js'
import {createAnthropicClient} from './anthropic.js'
import {createOpenAIFamilyClient} from './openai.js'
import {createSimulatedClient} from './simulated.js'
import {PROVIDER_KINDS, type ProviderClient, type TargetSpec} from './types.js'

const DEFAULT_KEY_ENV: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  'azure-openai': 'AZURE_OPENAI_API_KEY',
}

/** The env variable a target reads its key from; null for targets that need none. */
export function keyEnvFor(target: TargetSpec): string | null {
  if (target.api_key_env) return target.api_key_env
  // A compatible server gets a key only when one is named: never forward OPENAI_API_KEY to a third party by default.
  return DEFAULT_KEY_ENV[target.provider] ?? null
}

export function resolveApiKey(target: TargetSpec, env: NodeJS.ProcessEnv = process.env): string | null {
  const name = keyEnvFor(target)
  if (name === null) return null
  const value = env[name]
  if (value === undefined || value.trim() === '') throw new KtError(`target "${target.id}": environment variable ${name} is not set`)
  return value.trim()
}

export function validateTarget(target: TargetSpec): void {
  const id = typeof target.id === 'string' && target.id ? target.id : '(unnamed)'
  if (!PROVIDER_KINDS.includes(target.provider)) {
    throw new KtError(`target "${id}": unknown provider "${String(target.provider)}"; expected one of ${PROVIDER_KINDS.join(', ')}`)
  }
  if (target.model !== undefined && (typeof target.model !== 'string' || target.model.trim() === '')) throw new KtError(`target "${id}": model must be a non-empty string when given`)
  if (target.timeout_ms !== undefined && !(typeof target.timeout_ms === 'number' && target.timeout_ms > 0)) {
    throw new KtError(`target "${id}": timeout_ms must be a positive number of milliseconds`)
  }
  if (target.base_url !== undefined) {
    try {
      const u = new URL(target.base_url)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol')
    } catch {
      throw new KtError(`target "${id}": base_url "${target.base_url}" is not an http(s) URL`)
    }
  }
  const sim = target.simulation
  if (sim) {
    for (const k of ['error_rate', 'truncate_rate'] as const) {
      const v = sim[k]
      if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new KtError(`target "${id}": simulation.${k} must be between 0 and 1`)
    }
  }
}

export function createClient(target: TargetSpec): ProviderClient {
  validateTarget(target)
  if (target.provider === 'simulated') return createSimulatedClient(target)
  const key = resolveApiKey(target)
  if (target.provider === 'anthropic') return createAnthropicClient(target, key!)
  return createOpenAIFamilyClient(target, key)
}
