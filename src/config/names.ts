// How names the user writes (provider kinds, policy types, strategies) map to kt's canonical ones.
import {didYouMean} from './issues.js'
import {POLICY_TYPES, PROVIDER_KINDS, ROUTING_STRATEGIES, type GroupStrategy, type PolicyType, type ProviderKind} from './types.js'

export const GROUP_STRATEGIES: readonly GroupStrategy[] = ['weighted', ...ROUTING_STRATEGIES]

const PROVIDER_ALIASES: Record<string, ProviderKind> = {
  azure: 'azure-openai',
  azure_openai: 'azure-openai',
  azureopenai: 'azure-openai',
  openai_compatible: 'openai-compatible',
}

/** Provider kind for a name as written (exact, case-insensitive or a known alias), or null. */
export function canonicalProvider(name: string): ProviderKind | null {
  const lower = name.trim().toLowerCase()
  if ((PROVIDER_KINDS as readonly string[]).includes(lower)) return lower as ProviderKind
  return PROVIDER_ALIASES[lower] ?? null
}

/** Policy type for a name as written; `-` and `_` are interchangeable (users mix them). */
export function canonicalPolicyType(name: string): PolicyType | null {
  const key = name.trim().toLowerCase().replace(/[-_]/g, '')
  return POLICY_TYPES.find((t) => t.replace(/[-_]/g, '') === key) ?? null
}

/** `; did you mean "x"?`, else the list of what exists, for "no such ..." messages. */
export function refHint(name: string, known: readonly string[], what: string): string {
  const hint = didYouMean(name, known)
  if (hint) return `; did you mean "${hint}"?`
  return known.length ? `; ${what}: ${known.join(', ')}` : `; no ${what} are configured`
}

/** ` (did you mean "x"?)` or nothing. */
export function meantHint(name: string, known: readonly string[]): string {
  const hint = didYouMean(name, known)
  return hint ? ` (did you mean "${hint}"?)` : ''
}
