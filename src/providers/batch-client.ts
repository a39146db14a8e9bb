// The Batch API of a target: its key resolved from the environment before anything is sent, as for live calls.
import {KtError} from '../util/index.js'
import {createAnthropicBatchApi} from './batch-anthropic.js'
import {createOpenAIBatchApi} from './batch-openai.js'
import {BATCH_PROVIDERS, type BatchApi} from './batch.js'
import {resolveApiKey, validateTarget} from './client.js'
import type {TargetSpec} from './types.js'

export function createBatchApi(target: TargetSpec): BatchApi {
  validateTarget(target)
  if (!BATCH_PROVIDERS.includes(target.provider)) throw new KtError(`target "${target.id}" (${target.provider}) has no Batch API; batch needs one of ${BATCH_PROVIDERS.join(', ')}`)
  const key = resolveApiKey(target)
  if (target.provider === 'anthropic') return createAnthropicBatchApi(target, key!)
  return createOpenAIBatchApi(target, key)
}
