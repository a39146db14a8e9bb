// The one normalised, typed configuration every kt module reads. Whatever shape the user wrote
// (policies as a list or as a chain + `policy:` map, groups at top level or under `providers`, ...)
// ends up here; defaults are applied so consumers never re-check for `undefined` on defaulted fields.

export const PROVIDER_KINDS = ['openai', 'anthropic', 'azure-openai', 'openai-compatible', 'simulated'] as const
export type ProviderKind = (typeof PROVIDER_KINDS)[number]

export const SIMULATION_STYLES = ['faithful', 'terse', 'truncate', 'refuse', 'verbose'] as const
export type SimulationStyle = (typeof SIMULATION_STYLES)[number]

export const ROUTING_STRATEGIES = ['cost_optimized', 'lowest_latency', 'highest_quality'] as const
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number]
export type GroupStrategy = 'weighted' | RoutingStrategy

export const QUALITY_DIMENSIONS = ['relevance', 'coherence', 'completeness'] as const
export type QualityDimension = (typeof QUALITY_DIMENSIONS)[number]

export const ON_FAIL_ACTIONS = ['escalate', 'block', 'flag'] as const
export type OnFail = (typeof ON_FAIL_ACTIONS)[number]

export const POLICY_TYPES = [
  'quality-scorer',
  'audit-logger',
  'content_filter',
  'model_filter',
  'traffic_split',
  'log',
  'cost_limit',
] as const
export type PolicyType = (typeof POLICY_TYPES)[number]

/** Where a normalised item came from, so later errors (gate parsing, routing) can name the YAML path and line. */
export interface SourceRef {
  path: string
  line: number | null
}

export type Severity = 'error' | 'warning'

export interface ConfigIssue {
  /** YAML path in the file, e.g. `model_groups[0].targets[1].weight`; `(root)` for the whole file. */
  path: string
  /** 1-based line in the file; null when there is no file position (e.g. the file is missing). */
  line: number | null
  message: string
  severity: Severity
}

export interface SimulationConfig {
  /** Default `faithful`. */
  style: SimulationStyle
  seed?: number
  /** A single number in the YAML becomes `{p50: n, p95: n}`. */
  latency_ms?: {p50: number; p95: number}
  /** 0..1, default 0. */
  error_rate: number
  /** 0..1, default 0. */
  truncate_rate: number
}

export interface TargetConfig {
  id: string
  provider: ProviderKind
  /**
   * The model to call. Without one the target serves the model each request names; for azure-openai the
   * deployment name stands in, for simulated the target id.
   */
  model?: string
  base_url?: string
  secret_key_ref?: {env: string}
  /** Always present (empty when none); numbers/booleans in the YAML are stringified. */
  headers: Record<string, string>
  timeout_ms?: number
  max_concurrency?: number
  /** Requests per minute. */
  rpm?: number
  /** Tokens per minute. */
  tpm?: number
  api_version?: string
  deployment?: string
  /** Only for `provider: simulated` (defaults applied even when the block is absent). */
  simulation?: SimulationConfig
  /** LiteLLM's `silent_model`: the gateway mirrors every request this target serves to that model (a group, target id or model). */
  silent_model?: string
  source: SourceRef
}

export interface WeightedMember {
  /** As written: a provider kind or a target id. */
  provider: string
  model: string
  weight: number
  /** weight / sum of weights, 0..1. */
  share: number
  /** Set when `provider` names a configured target id. */
  target_id?: string
  /** The provider kind behind `provider` (the target's kind when it is a target id). */
  provider_kind: ProviderKind
}

export interface RoutedMember {
  provider?: string
  model: string
  target_id?: string
  provider_kind?: ProviderKind
}

export type ModelGroup =
  | {name: string; strategy: 'weighted'; targets: WeightedMember[]; description?: string; source: SourceRef}
  | {name: string; strategy: RoutingStrategy; models: RoutedMember[]; description?: string; source: SourceRef}

export interface TrafficMirrorConfig {
  /** Default true: writing the block is taken as the intent to mirror. */
  enabled: boolean
  /** Target id. */
  primary?: string
  /** Target id. */
  shadow?: string
  /** primary model -> shadow model. */
  model_mapping: Record<string, string>
  /** 0..1, default 1. */
  sample_rate: number
  /** Default true: the shadow call never delays the primary response. */
  async: boolean
  /** Default false (responses may hold user data). */
  log_shadow_response: boolean
  compare_metrics: string[]
  source: SourceRef
}

export interface MirroringConfig {
  /** Default true. */
  enabled: boolean
  /** Target ids. */
  shadow_targets: string[]
  /** 0..1, default 1. */
  sample_rate: number
  /** Default false. */
  log_shadow_responses: boolean
  source: SourceRef
}

export interface DimensionThreshold {
  weight: number
  min_score: number
}

interface PolicyCommon {
  name: string
  /** Default true. In the chain form, entries of `policy:` not in `policies.chain` are left out (with a warning). */
  enabled: boolean
  description?: string
  source: SourceRef
}

export interface QualityScorerPolicy extends PolicyCommon {
  type: 'quality-scorer'
  /** All three dimensions are always present. Without a `dimensions:` block each gets weight 1, min_score 0;
   *  with one, dimensions it does not name get weight 0, min_score 0 (not scored). */
  dimensions: Record<QualityDimension, DimensionThreshold>
  /** 0..1, default 0. */
  overall_min_score: number
  /** Default `flag`. */
  on_fail: OnFail
}

export interface AuditLoggerPolicy extends PolicyCommon {
  type: 'audit-logger'
  /** Default `file` when `path` is set, else `stdout`. */
  destination: 'stdout' | 'file' | 'sqlite'
  path?: string
  /** Defaults false: prompts and responses may hold personal data. */
  include_request: boolean
  include_response: boolean
  redact_fields: string[]
  retention_days?: number
}

export interface ContentFilterPolicy extends PolicyCommon {
  type: 'content_filter'
  blocked_terms: string[]
  /** Regular expression sources; each compiles (checked at load). */
  blocked_patterns: string[]
  redact_pii: boolean
  /** Default `block`. */
  action: 'block' | 'redact' | 'flag'
  /** Default `both`. */
  apply_to: 'request' | 'response' | 'both'
}

export interface ModelFilterPolicy extends PolicyCommon {
  type: 'model_filter'
  allowed_models: string[]
  blocked_models: string[]
  preferred_model?: string
  /** All given conditions must hold for the filter to apply; absent = always. `model` accepts one name or a list. */
  conditions?: {max_tokens_gt?: number; max_tokens_lte?: number; model?: string[]}
}

export interface TrafficSplitPolicy extends PolicyCommon {
  type: 'traffic_split'
  variants: {model: string; weight: number; share: number; tag?: string; provider?: string}[]
}

export interface LogPolicy extends PolicyCommon {
  type: 'log'
  /** Default `info`. */
  level: 'debug' | 'info' | 'warn' | 'error'
  /** Default `file` when `path` is set, else `stderr`. */
  destination: 'stdout' | 'stderr' | 'file'
  path?: string
  include_request: boolean
  include_response: boolean
}

export interface CostLimitPolicy extends PolicyCommon {
  type: 'cost_limit'
  max_usd_per_request?: number
  max_usd_per_day?: number
  max_usd_per_month?: number
  max_tokens_per_request?: number
  /** Default `block`. `downgrade` needs `fallback_model`. */
  action: 'block' | 'warn' | 'downgrade'
  fallback_model?: string
}

export type Policy =
  | QualityScorerPolicy
  | AuditLoggerPolicy
  | ContentFilterPolicy
  | ModelFilterPolicy
  | TrafficSplitPolicy
  | LogPolicy
  | CostLimitPolicy

/** USD per million tokens. */
export interface ModelPricing {
  input_per_mtok: number
  output_per_mtok: number
  cached_input_per_mtok?: number
}

export interface KtConfig {
  /** The file this came from; null for the built-in empty default (no file found). */
  file: string | null
  /** Config format version; only '1' exists. */
  version: '1'
  pack?: {name: string; version?: string; enabled: boolean; description?: string}
  targets: TargetConfig[]
  model_groups: ModelGroup[]
  /** Default strategy for groups that set none. */
  provider_routing?: {strategy: GroupStrategy}
  traffic_mirror: TrafficMirrorConfig | null
  mirroring: MirroringConfig | null
  /** In application order (list order, or `policies.chain` order). */
  policies: Policy[]
  pricing: Record<string, ModelPricing>
  /** Gate rule strings as written (parsed by the gate module). */
  gates: string[]
  /** Parallel to `gates`: where each rule is, for the gate parser's error messages. */
  gate_sources: SourceRef[]
  /** Non-fatal problems found while loading (unknown keys, inferred providers, ...). */
  warnings: ConfigIssue[]
}

export interface QualityPolicy {
  dimensions: Record<QualityDimension, DimensionThreshold>
  overall_min_score: number
  on_fail: OnFail
}
