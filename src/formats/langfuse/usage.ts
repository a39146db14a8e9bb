// Tokens and cost of a Langfuse observation (§1.1, §8): `usageDetails` key families, the legacy `usage` object or
// the flat token fields; `costDetails.total`, else the reported totals, else the sum of the cost parts.
import {num, type Usage} from '../../records/index.js'
import {asObject, type Json} from '../../wire/index.js'
import {decode, str} from '../common/values.js'

/** Canonical usage from Langfuse-style `usageDetails` (§1.1): sums over key families; null when empty. */
export function usageFromDetails(details: Json): Partial<Usage> | null {
  const entries = Object.entries(details)
    .map(([k, v]) => [k.toLowerCase(), num(v)] as const)
    .filter((e): e is readonly [string, number] => e[1] !== null)
  if (entries.length === 0) return null
  const sum = (pred: (k: string) => boolean) => {
    const hits = entries.filter(([k]) => pred(k))
    return hits.length ? hits.reduce((a, [, v]) => a + v, 0) : null
  }
  let input = sum((k) => k.startsWith('input'))
  let output = sum((k) => k.startsWith('output'))
  // OpenAI-style keys sent as usageDetails (older SDK integrations).
  if (input === null) input = sum((k) => k === 'prompt_tokens' || k === 'prompttokens')
  if (output === null) output = sum((k) => k === 'completion_tokens' || k === 'completiontokens')
  return {
    input_tokens: input,
    output_tokens: output,
    cached_input_tokens: sum((k) => /cache_read|input_cached/.test(k)),
    cache_write_tokens: sum((k) => /^cache_creation|cache_write|input_cache_creation/.test(k)),
    reasoning_tokens: sum((k) => k.includes('reasoning')),
    total_tokens: sum((k) => k === 'total' || k === 'total_tokens' || k === 'totaltokens'),
  }
}

export function observationUsage(o: Json): Partial<Usage> {
  const details = asObject(decode(o.usageDetails))
  const fromDetails = usageFromDetails(details)
  if (fromDetails) return fromDetails
  const legacy = asObject(decode(o.usage))
  const unit = str(legacy.unit)
  if (Object.keys(legacy).length && (!unit || unit.toUpperCase() === 'TOKENS')) {
    return {
      input_tokens: num(legacy.input ?? legacy.promptTokens),
      output_tokens: num(legacy.output ?? legacy.completionTokens),
      total_tokens: num(legacy.total ?? legacy.totalTokens),
    }
  }
  return {
    input_tokens: num(o.promptTokens ?? o.inputUsage),
    output_tokens: num(o.completionTokens ?? o.outputUsage),
    total_tokens: num(o.totalTokens ?? o.totalUsage),
  }
}

export function observationCost(o: Json): number | null {
  const cd = asObject(decode(o.costDetails))
  const direct = num(cd.total) ?? num(o.calculatedTotalCost) ?? num(o.totalCost)
  if (direct !== null) return direct
  const parts = Object.values(cd).map(num).filter((n): n is number => n !== null)
  return parts.length ? parts.reduce((a, b) => a + b, 0) : null
}
