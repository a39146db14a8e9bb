// Calls through the providers' Batch APIs: the OpenAI Files + Batches API (OpenAI, Azure OpenAI and compatible
// servers that implement it) and Anthropic's Message Batches, behind one interface. A batch is built from the same
// prepared request a live call sends (request.ts); its results come back as the same CallResult a live call makes,
// so a batched answer is stored exactly like a live one. Everything goes through the official SDKs.
import type {CallResult, ProviderKind, TargetSpec} from './types.js'
import type {BatchLimits} from './batch-limits.js'
import type {PreparedRequest} from './request.js'
import type {WireApi} from './runner.js'

/** Providers with a Batch API kt can use. */
export const BATCH_PROVIDERS: readonly ProviderKind[] = ['openai', 'azure-openai', 'openai-compatible', 'anthropic']

/**
 * A batch's state, as both providers name it: OpenAI's validating, in_progress, finalizing, completed, failed,
 * expired, cancelling, cancelled; Anthropic's in_progress, canceling (→ cancelling) and ended.
 */
export type BatchState = 'validating' | 'in_progress' | 'finalizing' | 'completed' | 'failed' | 'expired' | 'cancelling' | 'cancelled' | 'ended'

export interface BatchInfo {
  id: string
  state: BatchState
  /** Nothing will change any more: what it has is ready to read. */
  terminal: boolean
  total: number | null
  /** Requests answered so far. */
  completed: number
  /** Requests that failed (an error instead of an answer), expired or were cancelled. */
  failed: number
  output_file_id: string | null
  error_file_id: string | null
  /** What the provider said about the whole batch (validation errors). */
  message: string | null
}

/**
 * One line of a batch's results. `unfinished`: the batch expired or was cancelled before running the request; it has
 * no answer and may be sent again.
 */
export type BatchOutcome = {custom_id: string; kind: 'result'; result: CallResult} | {custom_id: string; kind: 'unfinished'; reason: string} | {custom_id: null; kind: 'unreadable'; reason: string}

/** The bytes of a batch input: a head, the lines with a separator between them, a tail. */
export interface BatchInputFormat {
  head: string
  sep: string
  tail: string
  /** The family whose limits apply (batch-limits.ts). */
  family: 'openai' | 'anthropic'
  /** One request as a line of the input. */
  line(customId: string, prepared: PreparedRequest): string
  /** Requests of one batch must share this key (OpenAI: one endpoint and one model per batch). */
  groupKey(prepared: PreparedRequest): string
}

export interface BatchCreateInput {
  /** The input written by BatchInputFormat (a JSONL file; Anthropic: one JSON body). */
  path: string
  /** From upload(), when the API takes an uploaded file. */
  fileId: string | null
  wire: WireApi
  window: '24h'
  metadata: Record<string, string>
}

export interface BatchApi {
  readonly target: TargetSpec
  readonly format: BatchInputFormat
  readonly limits: BatchLimits
  /** Loads the SDK and builds its client: a bad target fails here, before anything is stored. */
  ready(): Promise<void>
  /** Uploads the input file and returns its id; null for an API that takes the requests in the create call. */
  upload(path: string, name: string): Promise<string | null>
  create(input: BatchCreateInput): Promise<BatchInfo>
  retrieve(id: string): Promise<BatchInfo>
  /** A batch created from this uploaded file, if any (kt stopped between creating it and storing its id). */
  findByInputFile(fileId: string): Promise<BatchInfo | null>
  /** The lines of a terminal batch's output and error files, parsed as they stream in. */
  results(info: BatchInfo, wire: WireApi): AsyncIterable<BatchOutcome>
  cancel(id: string): Promise<BatchInfo>
}

export type {BatchLimits} from './batch-limits.js'
