// Shipped list prices (USD per million tokens) for cost estimates. Dated variants match by prefix
// (gpt-4o-mini-2024-07-18 → gpt-4o-mini). Prices change: a `pricing` map in the config overrides any entry.
// Source: the providers' public pricing pages (OpenAI API pricing, Anthropic "Pricing"), checked 2025.
import type {Usage} from '../records/index.js'

export interface ModelPrice {
  /** Uncached input. */
  input: number
  output: number
  /** Cache reads; defaults to `input` when the model has no discount. */
  cached_input?: number
  /** Anthropic cache writes (5-minute); defaults to `input`. */
  cache_write?: number
  /** Share taken off every price of this model for calls made through a Batch API; defaults to BATCH_DISCOUNT. */
  batch_discount?: number
}

export type PriceTable = Record<string, ModelPrice>

/** The config file's spelling (`pricing:` in kt.yaml). */
export interface ConfigModelPrice {
  input_per_mtok: number
  output_per_mtok: number
  cached_input_per_mtok?: number
  cache_write_per_mtok?: number
  /** Share taken off for batched calls (0.5: half price); defaults to BATCH_DISCOUNT. */
  batch_discount?: number
}

/** Overrides may use either spelling. */
export type PriceOverrides = Record<string, ModelPrice | ConfigModelPrice>

function toModelPrice(p: ModelPrice | ConfigModelPrice): ModelPrice {
  if ('input_per_mtok' in p) {
    const out: ModelPrice = {input: p.input_per_mtok, output: p.output_per_mtok}
    if (p.cached_input_per_mtok !== undefined) out.cached_input = p.cached_input_per_mtok
    if (p.cache_write_per_mtok !== undefined) out.cache_write = p.cache_write_per_mtok
    if (p.batch_discount !== undefined) out.batch_discount = p.batch_discount
    return out
  }
  return p
}

export const PRICES_AS_OF = '2025-11'

/**
 * What the Batch APIs take off every token price (input, cached input, cache writes, output): 50% at both providers.
 * OpenAI: "Batch API … 50% cost discount compared to synchronous APIs" (platform.openai.com/docs/guides/batch);
 * Anthropic: "Message Batches API … costs 50% less than standard API calls"
 * (docs.anthropic.com/en/docs/build-with-claude/batch-processing#pricing). A model's `batch_discount` (config
 * `pricing:`) overrides it.
 */
export const BATCH_DISCOUNT = 0.5

export const DEFAULT_PRICES: PriceTable = {
  // OpenAI
  'gpt-4o': {input: 2.5, cached_input: 1.25, output: 10},
  'gpt-4o-2024-05-13': {input: 5, output: 15},
  'gpt-4o-mini': {input: 0.15, cached_input: 0.075, output: 0.6},
  'gpt-4.1': {input: 2, cached_input: 0.5, output: 8},
  'gpt-4.1-mini': {input: 0.4, cached_input: 0.1, output: 1.6},
  'gpt-4.1-nano': {input: 0.1, cached_input: 0.025, output: 0.4},
  'gpt-5': {input: 1.25, cached_input: 0.125, output: 10},
  'gpt-5-mini': {input: 0.25, cached_input: 0.025, output: 2},
  'gpt-5-nano': {input: 0.05, cached_input: 0.005, output: 0.4},
  'gpt-4-turbo': {input: 10, output: 30},
  'gpt-4': {input: 30, output: 60},
  'gpt-3.5-turbo': {input: 0.5, output: 1.5},
  o1: {input: 15, cached_input: 7.5, output: 60},
  'o1-mini': {input: 1.1, cached_input: 0.55, output: 4.4},
  'o1-pro': {input: 150, output: 600},
  o3: {input: 2, cached_input: 0.5, output: 8},
  'o3-pro': {input: 20, output: 80},
  'o3-mini': {input: 1.1, cached_input: 0.55, output: 4.4},
  'o4-mini': {input: 1.1, cached_input: 0.275, output: 4.4},
  // Anthropic (cache_write = 5-minute writes)
  'claude-3-haiku': {input: 0.25, cached_input: 0.03, cache_write: 0.3, output: 1.25},
  'claude-3-5-haiku': {input: 0.8, cached_input: 0.08, cache_write: 1, output: 4},
  'claude-haiku-4-5': {input: 1, cached_input: 0.1, cache_write: 1.25, output: 5},
  'claude-3-5-sonnet': {input: 3, cached_input: 0.3, cache_write: 3.75, output: 15},
  'claude-3-7-sonnet': {input: 3, cached_input: 0.3, cache_write: 3.75, output: 15},
  'claude-sonnet-4': {input: 3, cached_input: 0.3, cache_write: 3.75, output: 15},
  'claude-3-opus': {input: 15, cached_input: 1.5, cache_write: 18.75, output: 75},
  'claude-opus-4': {input: 15, cached_input: 1.5, cache_write: 18.75, output: 75},
  'claude-opus-4-5': {input: 5, cached_input: 0.5, cache_write: 6.25, output: 25},
  // kt's offline targets: priced like a cheap model so demos show realistic costs.
  simulated: {input: 0.15, cached_input: 0.075, output: 0.6},
  sim: {input: 0.15, cached_input: 0.075, output: 0.6},
}

/** Strips routing prefixes (`openai/`, `anthropic.` on Bedrock, `azure/`) and writes Claude's `3.5` as `3-5`. */
export function normalizeModelName(model: string): string {
  let m = model.trim().toLowerCase()
  m = m.replace(/^(openai|anthropic|azure|azure_openai|bedrock|vertex_ai|openrouter)[/.:]/, '')
  m = m.replace(/^(us|eu|apac|global)\.anthropic\./, '')
  if (m.startsWith('claude')) m = m.replace(/(\d)\.(\d)/g, '$1-$2')
  return m
}

// A replay prices every answer (twice when the answering model is unpriced), so lookups are cached: each table's
// keys are normalised once, and each model name is matched once per table. Tables are treated as fixed once used
// (the shipped one, and the config's `pricing:` map that a run holds); prices are still read from the table.
/** Bounds the per-table memo of model names (a replay sees a handful). */
const MEMO_LIMIT = 4096

interface TableIndex {
  /** Normalised key → table key, longest first; equal lengths keep table order (the first one wins, as before). */
  keys: {norm: string; key: string}[]
  memo: Map<string, string | null>
}

const indexes = new WeakMap<object, TableIndex>()

function indexFor(table: PriceOverrides): TableIndex {
  let index = indexes.get(table)
  if (!index) {
    const keys = Object.keys(table).map((key) => ({norm: normalizeModelName(key), key}))
    keys.sort((a, b) => b.norm.length - a.norm.length)
    index = {keys, memo: new Map()}
    indexes.set(table, index)
  }
  return index
}

/** The table key pricing `name` (already normalised): the longest that is the whole name or a prefix then `-@:_`. */
function matchKey(index: TableIndex, name: string): string | null {
  const known = index.memo.get(name)
  if (known !== undefined) return known
  let found: string | null = null
  for (const {norm, key} of index.keys) {
    if (name === norm || (name.startsWith(norm) && /[-@:_]/.test(name.charAt(norm.length)))) {
      found = key
      break
    }
  }
  if (index.memo.size >= MEMO_LIMIT) index.memo.clear()
  index.memo.set(name, found)
  return found
}

const normalized = new Map<string, string>()

/** Longest table key that is the whole name or a prefix followed by `-`, `@`, `:` or `_` (so gpt-4 never prices gpt-4.5). */
export function findPrice(model: string | null | undefined, overrides?: PriceOverrides): ModelPrice | null {
  if (!model) return null
  let name = normalized.get(model)
  if (name === undefined) {
    name = normalizeModelName(model)
    if (normalized.size >= MEMO_LIMIT) normalized.clear()
    normalized.set(model, name)
  }
  for (const table of overrides ? [overrides, DEFAULT_PRICES as PriceOverrides] : [DEFAULT_PRICES as PriceOverrides]) {
    const key = matchKey(indexFor(table), name)
    if (key !== null) return toModelPrice(table[key]!)
  }
  return null
}

/**
 * USD cost of one call, or null when the model is unpriced or usage is unknown (null ≠ 0); `batch`: made through a
 * Batch API, at its discount.
 * input_tokens is canonical (includes cache reads and writes, docs/log-formats.md §1.1), so those are priced separately.
 */
export function estimateCost(model: string | null | undefined, usage: Usage, overrides?: PriceOverrides, opts: {batch?: boolean} = {}): number | null {
  const price = findPrice(model, overrides)
  if (!price || usage.input_tokens === null || usage.output_tokens === null) return null
  const cached = usage.cached_input_tokens ?? 0
  const written = usage.cache_write_tokens ?? 0
  const plain = Math.max(0, usage.input_tokens - cached - written)
  const usd =
    plain * price.input + cached * (price.cached_input ?? price.input) + written * (price.cache_write ?? price.input) + usage.output_tokens * price.output
  const factor = opts.batch ? 1 - (price.batch_discount ?? BATCH_DISCOUNT) : 1
  return (usd * factor) / 1e6
}

const IMAGE_TOKENS = 800

function countChars(v: unknown, key: string | null, acc: {chars: number; images: number}): void {
  if (typeof v === 'string') {
    // Inline images/files are billed by size class, not characters.
    if (v.startsWith('data:') || (key === 'data' && v.length > 200)) acc.images++
    else if (key !== 'type' && key !== 'role' && key !== 'id' && key !== 'tool_call_id' && key !== 'tool_use_id' && key !== 'media_type') acc.chars += v.length
    return
  }
  if (Array.isArray(v)) {
    for (const x of v) countChars(x, key, acc)
    return
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'image_url' && typeof x === 'object' && x !== null && typeof (x as {url?: unknown}).url === 'string' && !(x as {url: string}).url.startsWith('data:')) {
        acc.images++
        continue
      }
      countChars(x, k, acc)
    }
  }
}

/**
 * Rough input-token estimate for dry runs: ~4 characters per token over the prompt-bearing fields
 * (messages, system, instructions, input, tools), 4 tokens per message, a flat 800 per inline image.
 */
export function estimateRequestTokens(body: Record<string, unknown>): number {
  const acc = {chars: 0, images: 0}
  for (const k of ['system', 'instructions', 'messages', 'input', 'tools', 'functions']) if (body[k] !== undefined) countChars(body[k], k, acc)
  const messages = Array.isArray(body.messages) ? body.messages.length : Array.isArray(body.input) ? body.input.length : 1
  return Math.ceil(acc.chars / 4) + messages * 4 + acc.images * IMAGE_TOKENS
}
