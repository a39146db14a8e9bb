// The one normalised, typed configuration every kt module reads. Whatever shape the user wrote
// (policies as a list or as a chain + `policy:` map, groups at top level or under `providers`, ...)
// ends up here; defaults are applied so consumers never re-check for `undefined` on defaulted fields.
// A target is the providers' TargetSpec plus where it was written; prices are the providers' config spelling.
import type {ConfigModelPrice, SimulationSpec, SimulationStyle, TargetSpec} from '../providers/index.js'
import {PROVIDER_KINDS, SIMULATED_STYLES, type ProviderKind} from '../providers/index.js'

export {PROVIDER_KINDS, type ProviderKind, type SimulationStyle}
export const SIMULATION_STYLES = SIMULATED_STYLES

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

/** A simulated target's settings with kt's defaults applied. */
export interface SimulationConfig extends SimulationSpec {
  /** Default `faithful`. */
  style: SimulationStyle
  /** A single number in the YAML becomes `{p50: n, p95: n}`. */
  latency_ms?: {p50: number; p95: number}
  /** 0..1, default 0. */
  error_rate: number
  /** 0..1, default 0. */
  truncate_rate: number
}

/**
 * A target as the providers call it (TargetSpec: without `model` it serves the model each request names; an
 * azure-openai target without one uses its deployment, a simulated one its id), with `secret_key_ref.env` as
 * `api_key_env`, the defaults of the file applied and where it was written.
 */
export interface TargetConfig extends TargetSpec {
  /** Always present (empty when none); numbers/booleans in the YAML are stringified. */
  headers: Record<string, string>
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
  /** As written: a target id, or a provider kind (its default endpoint and key variable). */
  primary?: string
  /** Set when `primary` names a target. */
  primary_target_id?: string
  /** The provider kind behind `primary`. */
  primary_kind?: ProviderKind
  /** As written: a target id, or a provider kind (its default endpoint and key variable). */
  shadow?: string
  /** Set when `shadow` names a target. */
  shadow_target_id?: string
  /** The provider kind behind `shadow`. */
  shadow_kind?: ProviderKind
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

/**
 * `silent_model: X` on a target (LiteLLM's name for it): every request that target serves is also sent, in the
 * background, to X (a target id, or a model on the same target). The caller never waits for the copy and never
 * sees its answer, which is only logged (LiteLLM marks such calls `is_silent_experiment`).
 */
export interface SilentMirror {
  /** The target whose traffic is copied. */
  primary: string
  /** Target id the copy goes to: the target `silent_model` names, else the primary itself (with another model). */
  shadow: string
  /** The model the copy asks for; absent: the shadow target's own model, else the model the request names. */
  model?: string
  /** `silent_model` as written. */
  silent_model: string
  /** Always all of the target's traffic. */
  sample_rate: 1
  /** Always in the background. */
  async: true
  source: SourceRef
}

/** `canary:`: a share of live traffic sent to a candidate target before a full cutover. */
export interface CanaryConfig {
  /** Default true. */
  enabled: boolean
  /** Target id receiving the canary traffic. */
  target: string
  /** 0..100, as written. */
  traffic_percentage: number
  /** traffic_percentage / 100. */
  share: number
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
  /** Default false: entries may not be changed or deleted once written (append-only). */
  immutable: boolean
  /** Default false: also record reads of the audit trail itself. */
  log_all_access: boolean
}

export interface ContentFilterPolicy extends PolicyCommon {
  type: 'content_filter'
  blocked_terms: string[]
  /** Regular expression sources; each compiles (checked at load). */
  blocked_patterns: string[]
  /** Personal data (e-mail, card, SSN, IBAN, phone, IPv4; records/pii.ts) counts as a match, whatever `action` says. */
  redact_pii: boolean
  /** Default `block`. */
  action: 'block' | 'redact' | 'flag'
  /** Default `both`. */
  apply_to: 'request' | 'response' | 'both'
  /** `config.categories`: content categories to detect (e.g. hate, violence); empty when none. */
  categories: string[]
  /** `config.threshold`: how sure a detection must be; `medium` when categories are given without one. */
  threshold?: 'low' | 'medium' | 'high'
}

/** When a policy applies: every condition given must hold. `model` accepts one name or a list in the YAML. */
export interface RequestConditions {
  max_tokens_gt?: number
  max_tokens_lte?: number
  model?: string[]
}

export interface ModelFilterPolicy extends PolicyCommon {
  type: 'model_filter'
  allowed_models: string[]
  blocked_models: string[]
  preferred_model?: string
  /** All given conditions must hold for the filter to apply; absent = always. */
  conditions?: RequestConditions
}

export interface TrafficSplitPolicy extends PolicyCommon {
  type: 'traffic_split'
  variants: {model: string; weight: number; share: number; tag?: string; provider?: string}[]
}

export interface LogPolicy extends PolicyCommon {
  type: 'log'
  /** Default `info`; `severity:` is read as the same thing. */
  level: 'debug' | 'info' | 'warn' | 'error'
  /** Only requests matching every condition are logged; absent = all. */
  conditions?: RequestConditions
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

/**
 * `telemetry.otlp`: the gateway exports every event it writes as an OpenTelemetry GenAI span over OTLP/HTTP (JSON or
 * protobuf).
 * Header values are not in the file: each header names the environment variable holding its value.
 */
export const OTLP_PROTOCOLS = ['http/json', 'http/protobuf'] as const
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number]

export interface OtlpConfig {
  /** Default true when the block is written. */
  enabled: boolean
  /** The OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  endpoint: string
  /** Default `http/json`: the OTLP/HTTP encoding (OTEL_EXPORTER_OTLP_PROTOCOL's names). */
  protocol: OtlpProtocol
  /** Header name and the variable its value is read from (`{secret_key_ref: {env: NAME}}`), with where it was written. */
  headers: {name: string; env: string; source: SourceRef}[]
  /** 0..1, default 1: the share of requests exported (a request and its shadows together, by a hash of its event id). */
  sample_rate: number
  /** Default 2048: spans waiting or being sent at most; more are dropped and counted. */
  max_queue_size: number
  /** Default 512 (at most max_queue_size): spans per export request. */
  max_export_batch_size: number
  /** Default 10000: one export request's deadline. */
  export_timeout_ms: number
  /** Default 1000: how long a partial batch waits before it is sent. */
  scheduled_delay_ms: number
  /** Default true: prompts and answers go on the spans (gen_ai.input.messages / gen_ai.output.messages). */
  capture_content: boolean
  /** Default `kt-gateway`: the resource's service.name. */
  service_name: string
  source: SourceRef
}

/** USD per million tokens, as `pricing:` spells it (the providers' price table reads it directly). */
export type ModelPricing = ConfigModelPrice

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
  /** From `silent_model` on targets, in target order. */
  silent_mirrors: SilentMirror[]
  canary: CanaryConfig | null
  /** In application order (list order, or `policies.chain` order). */
  policies: Policy[]
  pricing: Record<string, ModelPricing>
  /** Gate rule strings as written (parsed by the gate module). */
  gates: string[]
  /** Parallel to `gates`: where each rule is, for the gate parser's error messages. */
  gate_sources: SourceRef[]
  /** `telemetry:`; otlp null when not written. */
  telemetry: {otlp: OtlpConfig | null}
  /** Non-fatal problems found while loading (unknown keys, inferred providers, ...). */
  warnings: ConfigIssue[]
}

export interface QualityPolicy {
  dimensions: Record<QualityDimension, DimensionThreshold>
  overall_min_score: number
  on_fail: OnFail
}
