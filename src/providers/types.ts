// Public types of the provider layer: what a target is, what one call returns.
import type {CanonicalResponse, RecordError, Usage} from '../records/index.js'

export type ProviderKind = 'openai' | 'anthropic' | 'azure-openai' | 'openai-compatible' | 'simulated'

export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'anthropic', 'azure-openai', 'openai-compatible', 'simulated']

export type SimulationStyle = 'faithful' | 'terse' | 'truncate' | 'refuse' | 'verbose'

export interface SimulationSpec {
  style?: SimulationStyle
  seed?: number
  /** A number is the median; `{p50, p95}` shapes a log-normal. Default {p50: 600, p95: 2000}. */
  latency_ms?: number | {p50: number; p95: number}
  /** Probability (0..1) that a call fails with a retryable upstream-style error. */
  error_rate?: number
  /** Probability (0..1) that an answer is cut with finish_reason `length`. */
  truncate_rate?: number
  /** Really wait the drawn latency (default false: latency is reported, not slept, so replays stay fast). */
  sleep?: boolean
}

export interface TargetSpec {
  id: string
  provider: ProviderKind
  /** The model to call; without one, a call uses the model its request body names. */
  model?: string
  base_url?: string
  api_key_env?: string
  headers?: Record<string, string>
  timeout_ms?: number
  max_concurrency?: number
  rpm?: number
  tpm?: number
  api_version?: string
  deployment?: string
  simulation?: SimulationSpec
}

/** `api` names the wire format of `body` (a record's `api`). */
export interface CallRequest {
  api: 'openai.chat' | 'anthropic.messages' | 'openai.responses' | (string & {})
  body: Record<string, unknown>
  /** Overrides the body's own `stream` flag when given. */
  stream?: boolean
  /** The answer logged for this request, when replaying one: a faithful simulated target answers like it. */
  recorded?: RecordedAnswer | null
}

/** A request's logged answer, as replay hands it to simulated targets (real targets never see it). */
export interface RecordedAnswer {
  /** The wire api of `response_json`. */
  api: string
  text: string | null
  finish_reason: string | null
  /** The logged provider response body, for its tool calls. */
  response_json: string | null
}

export interface CallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export type CallStatus = 'ok' | 'error' | 'timeout'

export interface CallResult {
  status: CallStatus
  http_status: number | null
  error: RecordError | null
  /** Worth retrying later (429, 408, 409, 5xx, 529, connection reset, timeout, cut stream). */
  retryable: boolean
  /** From `retry-after-ms`, or `Retry-After` (seconds or HTTP date). */
  retry_after_ms: number | null
  response: CanonicalResponse | null
  usage: Usage
  response_model: string | null
  request_id: string | null
  /** Around the upstream call only (request sent → body fully read). */
  latency_ms: number
  /** Streams only: request sent → first content or tool-call delta. */
  ttft_ms: number | null
  /** Fields dropped or approximated when the request had to be translated to the target's API. */
  translation_losses: string[]
  /** Wire API actually called (shape of `response.raw`). */
  api: string
  /**
   * `response.raw` as JSON, when whoever made the result already serialised it: a pool worker sends this in place
   * of the object (a string crosses threads far cheaper), and `response.raw` is then null.
   */
  raw_json?: string | null
  simulated?: boolean
}

export interface ProviderClient {
  readonly target: TargetSpec
  /** The API the target speaks natively; other request APIs are translated. */
  readonly nativeApi: string
  /**
   * Loads what calls need (the SDK) and rejects with the target's configuration error, if any. Calls do this
   * themselves; awaiting it first makes a bad target fail before anything is sent.
   */
  ready?(): Promise<void>
  call(req: CallRequest, opts?: CallOptions): Promise<CallResult>
}
