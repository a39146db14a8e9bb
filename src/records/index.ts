// The canonical record every log format becomes, kt's event row (its one mapping from a record), the span
// attribute names of its event fields (span-attributes.ts), hashing and secret scrubbing. May import util/ only.
export {sha256, stableStringify, ulid} from './hash.js'
export {finishUsage, nanosToMs, normalizeFinishReason, num, toIso, usageFromAnthropic, usageFromOpenAIChat} from './normalize.js'
export {scrubSecrets, stripSecretHeaders} from './redact.js'
export {type Api, type CanonicalRecord, type CanonicalRequest, type CanonicalResponse, type EventFields, type FinishReason, type Message, type Part, type PolicyTrigger, type Provider, type RecordError, type Status, type ToolCall, type ToolDef, type TrafficRole, type Usage, type Arm, ARMS, type FormatContext, type StoredColumns, emptyEventFields, emptyRequest, emptyUsage} from './types.js'
export {EVENT_COLUMNS, IMPORT_ID_INDEX, REPLAYABLE_INDEX, SUMMARY_COLUMNS, recordToRow, recordToValues, rowValues, type EventRow, type RowExtra} from './event.js'
export {applyStoredColumns, rowToEvent, type EventObject} from './event-object.js'
export {GENAI_REQUEST_PARAMS, GENAI_SPAN, KT_MIRROR_PREFIX, KT_SPAN} from './span-attributes.js'
