// One place that turns what a format parser found into a complete CanonicalRecord, so every format
// gets the same defaults, ids, request hashes, secret scrubbing and bounds (records/sanitize.ts).
import {finishUsage} from '../records/index.js'
import {sanitizeRecord} from '../records/index.js'
import {sha256, stableStringify} from '../records/index.js'
import type {Api, CanonicalRecord, CanonicalRequest, CanonicalResponse, EventFields, Provider, RecordError, Status, Usage} from '../records/index.js'
import {emptyEventFields, emptyRequest, emptyUsage} from '../records/index.js'
import {parseAnthropicRequest, parseAnthropicResponse} from './anthropic.js'
import type {Json} from './json.js'
import {parseOpenAIChatRequest, parseOpenAIChatResponse, type ParsedResponse} from './openai-chat.js'
import {parseCompletionsRequest, parseCompletionsResponse} from './openai-completions.js'
import {parseResponsesRequest, parseResponsesResponse} from './openai-responses.js'
import type {FormatContext} from '../records/index.js'

export interface RecordDraft {
  format: string
  locator: string
  source_id?: string | null
  /** ISO timestamp if the source has one; else the file mtime is used and flagged. */
  timestamp?: string | null
  provider?: Provider | null
  api?: Api
  model?: string | null
  response_model?: string | null
  request?: CanonicalRequest | null
  response?: CanonicalResponse | null
  usage?: Partial<Usage> | null
  latency_ms?: number | null
  ttft_ms?: number | null
  status?: Status
  http_status?: number | null
  error?: RecordError | null
  cost_usd?: number | null
  cost_source?: 'reported' | 'computed' | null
  tags?: string[]
  metadata?: Record<string, unknown>
  event?: Partial<EventFields>
  /** Force an id (kt's own exports keep theirs). */
  id?: string
  /** Override replayability (defaults to: a provider-shaped request body is present). */
  replayable?: boolean
  /** Numeric fields the log gave as something that is not a number ("NaN", "inf"): read as null, flagged on import. */
  unreadable?: Record<string, unknown>
}

const REPLAYABLE_APIS = new Set<Api>(['openai.chat', 'anthropic.messages', 'openai.responses'])

export function providerFromModel(model: string | null | undefined): Provider {
  if (!model) return 'unknown'
  const m = model.toLowerCase()
  if (m.startsWith('claude') || m.includes('anthropic')) return 'anthropic'
  if (/^(gpt-|o\d|chatgpt|text-|davinci|ft:gpt)/.test(m) || m.startsWith('openai/')) return 'openai'
  if (m.startsWith('gemini')) return 'google'
  if (m.startsWith('simulated')) return 'simulated'
  return 'unknown'
}

export function providerFromUrl(url: string | null | undefined): Provider | null {
  if (!url) return null
  if (/openai\.azure\.com|\/openai\/deployments\//.test(url)) return 'azure_openai'
  if (/api\.openai\.com/.test(url)) return 'openai'
  if (/anthropic\.com/.test(url)) return 'anthropic'
  if (/groq\.com/.test(url)) return 'groq'
  if (/generativelanguage\.googleapis\.com/.test(url)) return 'google'
  return null
}

/** Canonical request from a provider body, picking the parser by api. */
export function requestFromBody(api: Api, body: Json): CanonicalRequest {
  if (api === 'anthropic.messages') return parseAnthropicRequest(body)
  if (api === 'openai.responses') return parseResponsesRequest(body)
  if (api === 'openai.completions') return parseCompletionsRequest(body)
  return parseOpenAIChatRequest(body)
}

/** Canonical response + usage from a provider body, picking the parser by api. */
export function responseFromBody(api: Api, body: Json): ParsedResponse {
  if (api === 'anthropic.messages') return parseAnthropicResponse(body)
  if (api === 'openai.responses') return parseResponsesResponse(body)
  if (api === 'openai.completions') return parseCompletionsResponse(body)
  return parseOpenAIChatResponse(body)
}

// The stable JSON of the request body last serialised. buildRecord serialises it for the content id and
// the importer asks for the request hash of the same (unchanged) body right after, so it is done once.
let lastBody: object | null = null
let lastBodyJson = ''

function stableBody(raw: unknown): string {
  if (raw !== null && typeof raw === 'object') {
    if (raw === lastBody) return lastBodyJson
    lastBodyJson = stableStringify(raw)
    lastBody = raw
    return lastBodyJson
  }
  return stableStringify(raw)
}

/**
 * `text` (an object's JSON so far, from its `{`) with one more property in stableStringify's form:
 * `prefix` is `"key":`, `json` the value's text; nothing is added for an undefined value.
 */
function withProp(text: string, prefix: string, json: string | undefined): string {
  if (json === undefined) return text
  return text.length > 1 ? `${text},${prefix}${json}` : text + prefix + json
}

function json(value: unknown): string | undefined {
  return value === undefined ? undefined : stableStringify(value)
}

/** sha256 of the canonical request (api, model, body): joins replays with their source and finds duplicates. */
export function requestHash(api: Api, model: string | null, raw: unknown): string | null {
  if (!raw) return null
  // = stableStringify({api, model, body: raw}), keys in sorted order, built around the shared body text.
  let text = withProp('{', '"api":', json(api))
  text = withProp(text, '"body":', stableBody(raw))
  text = withProp(text, '"model":', json(model))
  return sha256(`${text}}`)
}

export function buildRecord(d: RecordDraft, ctx: FormatContext): CanonicalRecord {
  const request = d.request ? {...d.request} : emptyRequest()
  const response = d.response ? {...d.response, tool_calls: d.response.tool_calls.map((t) => ({...t}))} : null
  const timestampInferred = !d.timestamp
  const timestamp = d.timestamp ?? ctx.fileMtime
  const usage = finishUsage({...emptyUsage(), ...(d.usage ?? {})})
  const metadata: Record<string, unknown> = {...(d.metadata ?? {})}
  if ('inconsistent' in usage && usage.inconsistent) metadata.usage_inconsistent = true
  const {inconsistent: _ignored, ...cleanUsage} = usage as Usage & {inconsistent?: boolean}
  const api: Api = d.api ?? 'unknown'
  const model = d.model ?? (request.raw && typeof request.raw.model === 'string' ? request.raw.model : null)
  const provider: Provider = d.provider ?? providerFromModel(model ?? d.response_model)
  const status: Status = d.status ?? (d.error ? 'error' : 'ok')
  const replayable = d.replayable ?? (request.raw !== null && REPLAYABLE_APIS.has(api))
  const record: CanonicalRecord = {
    id: '',
    source_id: d.source_id ?? null,
    source: {format: d.format, file: ctx.file, locator: d.locator},
    timestamp,
    timestamp_inferred: timestampInferred,
    provider,
    api,
    model,
    response_model: d.response_model ?? null,
    request,
    response,
    usage: cleanUsage,
    latency_ms: d.latency_ms ?? null,
    ttft_ms: d.ttft_ms ?? null,
    status,
    http_status: d.http_status ?? null,
    error: d.error ? {...d.error} : null,
    cost_usd: d.cost_usd ?? null,
    cost_source: d.cost_usd !== null && d.cost_usd !== undefined ? (d.cost_source ?? 'reported') : null,
    replayable,
    tags: d.tags ?? [],
    metadata,
    event: {...emptyEventFields(), ...(d.event ?? {})},
  }
  // Credentials out, text well-formed, impossible numbers nulled or the record marked for rejection (importNotes).
  // With --redact-pii, personal data too: before the id, so that it (and the request hash) come from what is stored.
  sanitizeRecord(record, d.unreadable, {redactPii: ctx.redactPii === true})
  record.id = d.id ?? contentId(record)
  return record
}

/**
 * Content-derived id: the same call imported twice (from the same or another file) gets the same id,
 * which is how re-imports are detected. An inferred timestamp (file mtime) is left out on purpose.
 */
export function contentId(r: CanonicalRecord): string {
  const raw = r.request.raw
  // = stableStringify({t, s, p, a, m, q, qm, r, u, l, st}): the same text, keys written in sorted order
  // (a l m p q qm r s st t u), with the request body's text shared with requestHash.
  let text = withProp('{', '"a":', json(r.api))
  text = withProp(text, '"l":', json(r.latency_ms))
  text = withProp(text, '"m":', json(r.model))
  text = withProp(text, '"p":', json(r.provider))
  text = withProp(text, '"q":', raw === undefined ? undefined : stableBody(raw))
  text = withProp(text, '"qm":', json(raw ? null : r.request.messages))
  text = withProp(text, '"r":', json(r.response?.raw ?? r.response?.text ?? null))
  text = withProp(text, '"s":', json(r.source_id))
  text = withProp(text, '"st":', json(r.status))
  text = withProp(text, '"t":', json(r.timestamp_inferred ? null : r.timestamp))
  text = withProp(text, '"u":', json(r.usage))
  const h = sha256(`${text}}`)
  return `ev_${h.slice(0, 32)}`
}
