import type {CanonicalRecord, FormatContext, StoredColumns} from '../records/index.js'

export type {FormatContext, StoredColumns}

/** How a file is laid out; the reader turns each shape into items. */
export type Shape = 'jsonl' | 'json' | 'csv' | 'sse'

/** One unit handed to a format parser: a JSONL line, a JSON document or array element, a CSV row, or an SSE text. */
export interface Item {
  value: unknown
  /** Where it came from, for messages: `line 12`, `element 3`, `document`. */
  locator: string
  /** 1-based line number when known. */
  line: number | null
}

export type Outcome =
  /** `flags`: impossible values stored as null (counted with their reason, the record is still stored). */
  | {kind: 'record'; record: CanonicalRecord; columns?: StoredColumns; flags?: string[]}
  /** Not an LLM generation (embeddings, moderation, agent spans): counted, not stored. */
  | {kind: 'skip'; reason: string; locator: string}
  /** Malformed or unusable: counted with its reason and location; fails the file under --strict. */
  | {kind: 'reject'; reason: string; locator: string}



export interface Format {
  /** The name users pass to `--format`. */
  name: string
  /** One line for `kt import --help`. */
  title: string
  shapes: Shape[]
  /** Formats of one family may share a file (an in-house log with both OpenAI and Anthropic pairs). */
  family?: string
  /** Whether this (first) item belongs to the format. `value` is a parsed JSON value, a CSV row object or SSE text. */
  detect(value: unknown, shape: Shape): boolean
  /** A parser for one import session; it may keep state across files (e.g. Batch input/output joins). */
  open(): FormatParser
}

export interface FormatParser {
  parse(item: Item, ctx: FormatContext): Iterable<Outcome>
  /** After the last file: records that waited for a join partner. */
  finish?(): Iterable<Outcome>
}
