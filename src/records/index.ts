// Public face of src/records/.
export {sha256, stableStringify, ulid} from './hash.js'
export {finishUsage, nanosToMs, normalizeFinishReason, num, toIso, usageFromAnthropic, usageFromOpenAIChat} from './normalize.js'
export {scrubSecrets, stripSecretHeaders} from './redact.js'
export {type Api, type CanonicalRecord, type CanonicalRequest, type CanonicalResponse, type EventFields, type FinishReason, type Message, type Part, type Provider, type RecordError, type Status, type ToolCall, type ToolDef, type TrafficRole, type Usage, emptyEventFields, emptyRequest, emptyUsage} from './types.js'
