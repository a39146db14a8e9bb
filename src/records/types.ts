// The canonical record: what every importer produces and what the store keeps.
// Field rules follow docs/log-formats.md §1 (tokens §1.1, finish reasons §1.2).

export type Provider =
  | 'openai'
  | 'azure_openai'
  | 'anthropic'
  | 'bedrock'
  | 'vertex'
  | 'google'
  | 'groq'
  | 'simulated'
  | 'unknown'
  | (string & {})

export type Api = 'openai.chat' | 'openai.responses' | 'openai.completions' | 'anthropic.messages' | 'unknown'

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other'

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool'

export type Part =
  | {type: 'text'; text: string}
  | {type: 'image'; url?: string; data_sha256?: string; mime?: string; bytes?: number}
  | {type: 'audio'; format?: string; data_sha256?: string}
  | {type: 'file'; file_id?: string; filename?: string}
  | {type: 'tool_call'; id: string; name: string; arguments: string}
  | {type: 'tool_result'; tool_call_id: string; content: string; is_error?: boolean}
  | {type: 'reasoning'; text: string; signature?: string}

export interface Message {
  role: Role
  parts: Part[]
  tool_call_id?: string
  name?: string
}

export interface ToolDef {
  name: string
  description?: string
  parameters?: unknown
}

export interface ToolCall {
  id: string
  name: string
  /** Always the JSON string, even when the provider sent an object (Anthropic `input`). */
  arguments: string
}

/** Token counts; null means "not reported", which is not the same as 0. */
export interface Usage {
  input_tokens: number | null
  output_tokens: number | null
  cached_input_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
}

export interface RecordError {
  type: string | null
  code: string | null
  message: string | null
}

export interface CanonicalRequest {
  system: string | null
  messages: Message[]
  tools: ToolDef[]
  params: Record<string, unknown>
  stream: boolean
  /** Provider-shaped request body (the shape `api` names), secrets removed. Null for metrics-only records. */
  raw: Record<string, unknown> | null
}

export interface CanonicalResponse {
  text: string | null
  tool_calls: ToolCall[]
  reasoning: string | null
  finish_reason: FinishReason | null
  finish_reason_raw: string | null
  /** Assembled, non-streaming-shaped response body. */
  raw: Record<string, unknown> | null
}

export type Status = 'ok' | 'error' | 'blocked' | 'timeout'

export type TrafficRole = 'primary' | 'shadow' | 'comparison'

/**
 * One LLM call as kt stores it. Gateway decisions, comparison rows and score events share
 * this shape so that every kind of event lists, filters and exports the same way.
 */
export interface CanonicalRecord {
  /** Stable id: a kt export keeps its own, anything else gets one derived from content. */
  id: string
  /** Id the source gave the call (custom_id, chatcmpl-…, span id); kept for joins and display. */
  source_id: string | null
  source: {format: string; file: string | null; locator: string | null}
  timestamp: string
  timestamp_inferred: boolean
  provider: Provider
  api: Api
  model: string | null
  response_model: string | null
  request: CanonicalRequest
  response: CanonicalResponse | null
  usage: Usage
  latency_ms: number | null
  ttft_ms: number | null
  status: Status
  http_status: number | null
  error: RecordError | null
  cost_usd: number | null
  /** reported by the log, computed by the source tool, or estimated by kt from usage and its price table. */
  cost_source: 'reported' | 'computed' | 'estimated' | null
  replayable: boolean
  tags: string[]
  metadata: Record<string, unknown>
  /** Gateway/event columns (§12); null for plain imported traffic, which is `primary`. */
  event: EventFields
}

export interface EventFields {
  traffic_role: TrafficRole | null
  trace_id: string | null
  session_id: string | null
  user_id_hash: string | null
  app: string | null
  route: string | null
  environment: string | null
  mirror_group_id: string | null
  primary_event_id: string | null
  shadow_event_id: string | null
  decision: string | null
  policy_id: string | null
  decision_reason: string | null
  comparison_metric: string | null
  comparison_score: number | null
  comparison_verdict: string | null
  /** Gateway: the configured target that answered, and the model group that picked it. */
  target_id: string | null
  model_group: string | null
  /** Gateway: every policy that acted on the request, in chain order. */
  policies_triggered: PolicyTrigger[] | null
  /** Gateway: a mirrored request's `{primary, shadow, comparison}` (see src/gateway/). */
  traffic_mirror: Record<string, unknown> | null
}

/** One policy's action on a gateway request (`policies_triggered`). */
export interface PolicyTrigger {
  name: string
  type: string
  /** route, redirect, block, flag, escalate, redact, warn … */
  action: string
  detail?: string
}

export function emptyUsage(): Usage {
  return {
    input_tokens: null,
    output_tokens: null,
    cached_input_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    total_tokens: null,
  }
}

export function emptyEventFields(): EventFields {
  return {
    traffic_role: null,
    trace_id: null,
    session_id: null,
    user_id_hash: null,
    app: null,
    route: null,
    environment: null,
    mirror_group_id: null,
    primary_event_id: null,
    shadow_event_id: null,
    decision: null,
    policy_id: null,
    decision_reason: null,
    comparison_metric: null,
    comparison_score: null,
    comparison_verdict: null,
    target_id: null,
    model_group: null,
    policies_triggered: null,
    traffic_mirror: null,
  }
}

export function emptyRequest(): CanonicalRequest {
  return {system: null, messages: [], tools: [], params: {}, stream: false, raw: null}
}

/**
 * Stored columns that kt's own exports carry but a CanonicalRecord cannot express (kt-events sets them so a
 * round trip is exact). The importer puts them over the stored row; a `--dataset` the user passed still wins.
 */
export interface StoredColumns {
  dataset?: string | null
  kind?: string
  request_hash?: string | null
  stream?: boolean | null
  provider?: string | null
  api?: string | null
}

/** Where the records of one file come from. */
export interface FormatContext {
  file: string
  /** File mtime, the timestamp of last resort (records then carry timestamp_inferred). */
  fileMtime: string
  /** kt import --redact-pii: personal data redacted before the record is stored (records/pii-record.ts). */
  redactPii?: boolean
}

/** The arms of a replay: the primary (live or recorded), the candidate, and the primary again for the A/A noise floor. */
export type Arm = 'primary' | 'candidate' | 'primary_aa'
export const ARMS: readonly Arm[] = ['primary', 'candidate', 'primary_aa']
