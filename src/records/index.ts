// The canonical record every log format becomes, kt's event row (its one mapping from a record), the span attribute
// names and ids of its event fields (span-attributes.ts), hashing, the one rule for credentials (redact.ts: import,
// replay results, judge records and the gateway's events all use it), the physical bounds of numbers (bounds.ts) and
// what makes a record safe to store (sanitize.ts), personal data in text (pii.ts) and in a record (pii-record.ts). May import util/ only.
export {sha256, stableStringify, ulid} from './hash.js'
export {finishUsage, nanosToMs, normalizeFinishReason, num, toIso, unreadableNumbers, USAGE_NUMBER_KEYS, usageFromAnthropic, usageFromOpenAIChat} from './normalize.js'
export {isSecretHeader, isSecretName, maskKnown, REDACTED, scrubJsonText, scrubSecrets, scrubText, setOwn, stripSecretHeaders} from './redact.js'
export {findPii, ibanValid, luhnValid, PII_KINDS, piiKinds, piiPlaceholder, redactPii, type PiiKind, type PiiSpan} from './pii.js'
export {BOUNDS, boundProblem, physical, withinBounds, type Bound, type BoundedField} from './bounds.js'
export {importNotes, sanitizeRecord, SANITIZE_NOTE_KEYS, wellFormed, type ImportNotes, type SanitizeOptions} from './sanitize.js'
export {redactJsonPii, redactRecordPii, type PiiCounts} from './pii-record.js'
export {type Api, type CanonicalRecord, type CanonicalRequest, type CanonicalResponse, type EventFields, type FinishReason, type Message, type Part, type PolicyTrigger, type Provider, type RecordError, type Status, type ToolCall, type ToolDef, type TrafficRole, type Usage, type Arm, ARMS, type FormatContext, type StoredColumns, emptyEventFields, emptyRequest, emptyUsage} from './types.js'
export {EVENT_COLUMNS, IMPORT_ID_INDEX, REPLAYABLE_INDEX, SUMMARY_COLUMNS, recordToRow, recordToValues, rowValues, type EventRow, type RowExtra} from './event.js'
export {applyStoredColumns, rowToEvent, type EventObject} from './event-object.js'
export {GENAI_REQUEST_PARAMS, GENAI_SPAN, KT_MIRROR_PREFIX, KT_SPAN, ktSpanIdOf, ktTraceIdOf, TRACE_CONTEXT_KEY, type TraceContextMeta} from './span-attributes.js'
