// The Batch API of a target: its key resolved from the environment before anything is sent, as for live calls, and
// never repeated in an error message (whatever the provider echoes back).
import {KtError} from '../util/index.js'
import {createAnthropicBatchApi} from './batch-anthropic.js'
import {createOpenAIBatchApi} from './batch-openai.js'
import {BATCH_PROVIDERS, type BatchApi} from './batch.js'
import {resolveApiKey, validateTarget} from './client.js'
import type {TargetSpec} from './types.js'
import {maskKnown} from '../records/index.js'

function scrubbed(error: unknown, secrets: string[]): unknown {
  if (!(error instanceof Error)) return error
  const message = maskKnown(error.message, secrets)
  if (message !== error.message) error.message = message
  return error
}

/** The same API, whose failures never carry the key or a secret header value. */
function guarded(api: BatchApi, secrets: string[]): BatchApi {
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p
    } catch (error) {
      throw scrubbed(error, secrets)
    }
  }
  return {
    ...api,
    ready: () => guard(api.ready()),
    upload: (path, name) => guard(api.upload(path, name)),
    create: (input) => guard(api.create(input)),
    retrieve: (id) => guard(api.retrieve(id)),
    findByInputFile: (fileId) => guard(api.findByInputFile(fileId)),
    cancel: (id) => guard(api.cancel(id)),
    async *results(info, wire) {
      try {
        yield* api.results(info, wire)
      } catch (error) {
        throw scrubbed(error, secrets)
      }
    },
  }
}

export function createBatchApi(target: TargetSpec): BatchApi {
  validateTarget(target)
  if (!BATCH_PROVIDERS.includes(target.provider)) throw new KtError(`target "${target.id}" (${target.provider}) has no Batch API; batch needs one of ${BATCH_PROVIDERS.join(', ')}`)
  const key = resolveApiKey(target)
  const secrets = [key ?? '', ...Object.values(target.headers ?? {})].filter((s) => s.length >= 6)
  const api = target.provider === 'anthropic' ? createAnthropicBatchApi(target, key!) : createOpenAIBatchApi(target, key)
  return guarded(api, secrets)
}
