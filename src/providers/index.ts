// Calling models: SDK clients for OpenAI, Anthropic, Azure and OpenAI-compatible targets, the keep-alive
// transport, the call-thread pool, the Batch APIs (OpenAI Files + Batches, Anthropic Message Batches) and their
// limits, the offline simulated target and the price table. May import wire/, records/, stats/ and util/.
export type {
  CallOptions,
  CallRequest,
  CallResult,
  CallStatus,
  ProviderClient,
  ProviderKind,
  RecordedAnswer,
  SimulationSpec,
  SimulationStyle,
  TargetSpec,
} from './types.js'
export {PROVIDER_KINDS} from './types.js'
export {createClient, keyEnvFor, validateTarget} from './client.js'
export {createCallPool, poolWorkerUrl, sharedCallPool, type CallPool} from './pool.js'
export {parseTargetShorthand} from './shorthand.js'
export {SIMULATED_STYLES} from './simulated.js'
export {BATCH_DISCOUNT, DEFAULT_PRICES, PRICES_AS_OF, estimateCost, estimateRequestTokens, findPrice, type ConfigModelPrice, type ModelPrice, type PriceOverrides, type PriceTable} from './pricing.js'
export {isRetryableStatus, retryAfterMs} from './classify.js'
export {DEFAULT_TIMEOUT_MS} from './runner.js'
export {BATCH_PROVIDERS, type BatchApi, type BatchInfo, type BatchInputFormat, type BatchOutcome, type BatchState} from './batch.js'
export {createBatchApi} from './batch-client.js'
export {BATCH_LIMITS, batchLimits, type BatchLimits} from './batch-limits.js'
export {prepareRequest, type PreparedRequest} from './request.js'
export type {WireApi} from './runner.js'
export {errorResult as batchErrorResult} from './batch-results.js'
export {DEFAULT_MAX_ANSWER_BYTES, MAX_ANSWER_ENV, maxAnswerBytes} from './transport.js'
