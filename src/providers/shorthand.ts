// `provider:model[@base_url]` targets for the command line: openai:gpt-4o-mini, anthropic:claude-sonnet-4-20250514,
// simulated:terse, openai-compatible:llama3@http://127.0.0.1:11434/v1, azure-openai:my-deployment@https://res.openai.azure.com
import {KtError} from '../util/index.js'
import {SIMULATED_STYLES} from './simulated.js'
import {PROVIDER_KINDS, type ProviderKind, type SimulationStyle, type TargetSpec} from './types.js'

const ALIASES: Record<string, ProviderKind> = {azure: 'azure-openai', azure_openai: 'azure-openai', compatible: 'openai-compatible', sim: 'simulated'}

export function parseTargetShorthand(text: string): TargetSpec {
  const s = text.trim()
  const colon = s.indexOf(':')
  if (colon <= 0 || colon === s.length - 1) {
    throw new KtError(`invalid target "${text}": expected provider:model, e.g. openai:gpt-4o-mini or simulated:terse`, 2)
  }
  const rawProvider = s.slice(0, colon).toLowerCase()
  const provider = (ALIASES[rawProvider] ?? rawProvider) as ProviderKind
  if (!PROVIDER_KINDS.includes(provider)) {
    throw new KtError(`invalid target "${text}": unknown provider "${rawProvider}"; expected one of ${PROVIDER_KINDS.join(', ')}`, 2)
  }
  let model = s.slice(colon + 1)
  let baseUrl: string | undefined
  // Only an @ followed by a URL separates the base URL: Vertex model ids contain @ (claude-3-5-sonnet@20240620).
  const at = /@(https?:\/\/\S+)$/i.exec(model)
  if (at) {
    baseUrl = at[1]
    model = model.slice(0, at.index)
    try {
      new URL(baseUrl!)
    } catch {
      throw new KtError(`invalid target "${text}": "${baseUrl}" is not a URL`, 2)
    }
  }
  if (!model) throw new KtError(`invalid target "${text}": the model is empty`, 2)
  const spec: TargetSpec = {id: s, provider, model}
  if (baseUrl) spec.base_url = baseUrl
  if (provider === 'simulated') {
    if (!(SIMULATED_STYLES as readonly string[]).includes(model)) {
      throw new KtError(`invalid target "${text}": simulated style "${model}" is unknown; expected one of ${SIMULATED_STYLES.join(', ')}`, 2)
    }
    spec.model = `simulated-${model}`
    spec.simulation = {style: model as SimulationStyle}
  }
  if (provider === 'openai-compatible' && !baseUrl) {
    throw new KtError(`invalid target "${text}": openai-compatible needs a base URL, e.g. openai-compatible:llama3@http://127.0.0.1:11434/v1`, 2)
  }
  if (provider === 'azure-openai') spec.deployment = model
  return spec
}
