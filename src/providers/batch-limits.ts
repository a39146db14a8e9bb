// The providers' published Batch API limits, in one place. A batch input larger than either bound is refused by
// the provider, so kt splits a run's requests into as many batches as it takes.
//   OpenAI Batch API: "Each batch can include up to 50,000 requests … The maximum size of the input file is 200 MB"
//     (platform.openai.com/docs/guides/batch, "Rate limits"; Files API, purpose "batch": 200 MB).
//   Anthropic Message Batches: "A Message Batch is limited to either 100,000 Message requests or 256 MB in size,
//     whichever is reached first" (docs.anthropic.com/en/docs/build-with-claude/batch-processing, "Batch limitations").
// MB is read as 10^6 bytes, the smaller reading. KT_BATCH_MAX_REQUESTS / KT_BATCH_MAX_BYTES lower them (tests, or an
// organisation with tighter quotas); they never raise them.
import {KtError} from '../util/index.js'

export interface BatchLimits {
  requests: number
  bytes: number
}

export const BATCH_LIMITS: Readonly<Record<'openai' | 'anthropic', BatchLimits>> = {
  openai: {requests: 50_000, bytes: 200_000_000},
  anthropic: {requests: 100_000, bytes: 256_000_000},
}

function envLimit(name: string): number | null {
  const set = process.env[name]
  if (set === undefined || set.trim() === '') return null
  const n = Number(set)
  if (!Number.isInteger(n) || n < 1) throw new KtError(`${name} must be a whole number >= 1, got "${set}"`)
  return n
}

/** The limits a batch for this API family must stay under. */
export function batchLimits(family: 'openai' | 'anthropic'): BatchLimits {
  const published = BATCH_LIMITS[family]
  const requests = envLimit('KT_BATCH_MAX_REQUESTS')
  const bytes = envLimit('KT_BATCH_MAX_BYTES')
  return {requests: Math.min(published.requests, requests ?? Infinity), bytes: Math.min(published.bytes, bytes ?? Infinity)}
}
