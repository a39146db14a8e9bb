// Calling models: SDK clients for OpenAI, Anthropic, Azure and OpenAI-compatible targets, the keep-alive
// transport, the call-thread pool, the offline simulated target and the price table. May import wire/,
// records/, stats/ and util/.
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
export {DEFAULT_PRICES, PRICES_AS_OF, estimateCost, estimateRequestTokens, findPrice, type ConfigModelPrice, type ModelPrice, type PriceOverrides, type PriceTable} from './pricing.js'
export {isRetryableStatus, retryAfterMs} from './classify.js'
export {DEFAULT_TIMEOUT_MS} from './runner.js'
export {DEFAULT_MAX_ANSWER_BYTES, MAX_ANSWER_ENV, maxAnswerBytes} from './transport.js'
