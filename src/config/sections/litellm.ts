// A LiteLLM proxy config (`model_list:` of deployments) handed to kt: say what it is, what kt reads instead, and
// what each deployment would be as a kt target (`litellm_params.silent_model` becomes the target's `silent_model`).
import {canonicalProvider} from '../names.js'
import type {ProviderKind} from '../types.js'
import {isObj, type Ctx, type Obj} from './context.js'

/** Top-level keys that only LiteLLM's proxy config has. */
export const LITELLM_KEYS = ['model_list', 'litellm_settings', 'router_settings', 'general_settings', 'environment_variables'] as const

const KEY_ENV: Partial<Record<ProviderKind, string>> = {openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', 'azure-openai': 'AZURE_OPENAI_API_KEY'}

/** True when the file is (or holds) a LiteLLM config; each LiteLLM key is then reported. */
export function litellmConfig(ctx: Ctx): boolean {
  const keys = LITELLM_KEYS.filter((k) => ctx.data[k] !== undefined)
  if (keys.length === 0) return false
  const first = keys[0]!
  ctx.c.error(
    [first],
    `this is a LiteLLM proxy config (${keys.join(', ')}), not a kt config: kt reads providers.targets ` +
      '(id, provider, model, base_url, secret_key_ref.env, silent_model), model_groups, traffic_mirror and policies ' +
      '(README, "5. Configuration")',
    {atKey: true},
  )
  for (const k of keys.slice(1)) ctx.c.warn([k], 'a LiteLLM setting; kt has no such section', {atKey: true})
  const list = ctx.data.model_list
  if (Array.isArray(list)) {
    list.forEach((entry, i) => {
      const target = asKtTarget(entry)
      if (target) ctx.c.warn(['model_list', i], `as a kt target: ${target}`)
    })
  }
  return true
}

/** `{model_name, litellm_params: {model: "azure/x", api_key, api_base, silent_model}}` as a kt target, in flow YAML. */
function asKtTarget(entry: unknown): string | null {
  if (!isObj(entry) || typeof entry.model_name !== 'string') return null
  const params: Obj = isObj(entry.litellm_params) ? entry.litellm_params : {}
  const model = typeof params.model === 'string' ? params.model : ''
  const slash = model.indexOf('/')
  const prefix = slash > 0 ? model.slice(0, slash) : 'openai'
  const name = slash > 0 ? model.slice(slash + 1) : model
  const kind = canonicalProvider(prefix) ?? (prefix === 'azure' ? 'azure-openai' : 'openai-compatible')
  const fields = [`id: ${entry.model_name}`, `provider: ${kind}`]
  if (name) fields.push(kind === 'azure-openai' ? `deployment: ${name}` : `model: ${name}`)
  if (typeof params.api_base === 'string') fields.push(`base_url: ${params.api_base}`)
  if (typeof params.api_version === 'string') fields.push(`api_version: ${params.api_version}`)
  // `os.environ/NAME` is LiteLLM's way to name a variable; a literal key is never copied into a message.
  const env = typeof params.api_key === 'string' && params.api_key.startsWith('os.environ/') ? params.api_key.slice('os.environ/'.length) : KEY_ENV[kind]
  if (env) fields.push(`secret_key_ref: {env: ${env}}`)
  if (typeof params.silent_model === 'string') fields.push(`silent_model: ${params.silent_model}`)
  return `{${fields.join(', ')}}`
}
