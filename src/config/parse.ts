// YAML text -> one validated, normalised KtConfig, collecting every problem (with its YAML path and line)
// instead of stopping at the first one.
import {LineCounter, parseDocument} from 'yaml'
import {IssueCollector, ROOT_PATH, type PathSeg} from './issues.js'
import {normalise} from './normalize.js'
import {describeValue} from './schema.js'
import {isObj, type Obj} from './sections/context.js'
import type {ConfigIssue, KtConfig} from './types.js'

export interface ParseResult {
  /** Null when there is at least one error. */
  config: KtConfig | null
  /** Errors and warnings, in file order (past MAX_LISTED_ISSUES, one last line counts the rest). */
  issues: ConfigIssue[]
  /** Every error found, listed or not. */
  errorCount: number
}

/**
 * How many values (scalars, lists, mappings) the data may hold once aliases are expanded. A real config holds a
 * few hundred; aliases of aliases ("billion laughs") or of one large anchor would otherwise expand without bound.
 */
export const MAX_CONFIG_VALUES = 100_000
/** Aliases the yaml library resolves (weighted by what they contain) before it calls the file an attack. */
const MAX_ALIAS_COUNT = 1000

/** Flow collections (`[`, `{`) nested this deep are no config: the YAML parser would spend seconds and a GB on them. */
export const MAX_FLOW_DEPTH = 100

class TooManyValues extends Error {}

/**
 * The line where `[`/`{` first nest deeper than MAX_FLOW_DEPTH, or null. Brackets in comments are skipped; those in
 * quoted strings are counted, which can only make a real file look shallower or a little deeper, never 100 deep.
 */
function tooDeepAt(text: string): number | null {
  let depth = 0
  let line = 1
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === 10) line++
    else if (ch === 35 /* # */ && (i === 0 || text.charCodeAt(i - 1) <= 32)) {
      const end = text.indexOf('\n', i)
      if (end < 0) break
      i = end - 1
    } else if (ch === 91 /* [ */ || ch === 123 /* { */) {
      if (++depth > MAX_FLOW_DEPTH) return line
    } else if ((ch === 93 /* ] */ || ch === 125) /* } */ && depth > 0) depth--
  }
  return null
}

/**
 * YAML `key:` with nothing after it means "not set": drop it so defaults apply and "is required" reads right.
 * Under the top-level `policy:` map an empty entry means "this policy with its defaults". The copy is a tree
 * (aliases become copies), so at most MAX_CONFIG_VALUES values are made: past that it throws TooManyValues.
 */
function stripNulls(value: unknown, budget: {left: number}, path: readonly PathSeg[] = []): unknown {
  if (--budget.left < 0) throw new TooManyValues()
  if (Array.isArray(value)) return value.map((v, i) => stripNulls(v, budget, [...path, i]))
  if (!isObj(value)) return value
  const out: Obj = {}
  const inPolicyMap = path.length === 1 && path[0] === 'policy'
  const inTarget = path.length === 3 && path[0] === 'providers' && path[1] === 'targets'
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      if (inPolicyMap) out[k] = {}
      // A target's `provider:` written empty leaves the provider to its id (the product docs write it so).
      else if (inTarget && k === 'provider') out[k] = ''
      continue
    }
    out[k] = stripNulls(v, budget, [...path, k])
  }
  return out
}

/**
 * Parses and validates config text. Never throws for bad input: every problem is in `issues`
 * (`config` is null if any is an error). `file` is only recorded in the result.
 */
export function parseConfigText(text: string, file: string | null = null, notes: readonly ConfigIssue[] = []): ParseResult {
  if (text.trim() === '') {
    const c = new IssueCollector(null, null)
    c.addAt('error', ROOT_PATH, 1, 'the file is empty')
    return {config: null, issues: [...c.issues, ...notes], errorCount: 1}
  }
  const deep = tooDeepAt(text)
  if (deep !== null) {
    const c = new IssueCollector(null, null)
    c.addAt('error', ROOT_PATH, deep, `[ and { nest more than ${MAX_FLOW_DEPTH} levels deep; a kt config needs a few`)
    return {config: null, issues: [...c.issues, ...notes], errorCount: 1}
  }
  const lineCounter = new LineCounter()
  // `merge`: YAML 1.1 merge keys (`<<: *defaults`), which config files use to share settings between entries.
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true, merge: true})
  const c = new IssueCollector(doc, lineCounter)
  for (const note of notes) c.addAt(note.severity, note.path, note.line, note.message)
  const lineAt = (pos: number): number => lineCounter.linePos(pos).line
  for (const e of doc.errors) c.addAt('error', ROOT_PATH, lineAt(e.pos[0]), `YAML syntax error: ${yamlErrorText(e.code, e.message, text, e.pos[0])}`)
  for (const w of doc.warnings) c.addAt('warning', ROOT_PATH, lineAt(w.pos[0]), `YAML: ${w.message}`)
  if (doc.errors.length > 0) return {config: null, issues: sortIssues(c.issues), errorCount: c.errorCount}
  if (doc.contents === null) {
    c.addAt('error', ROOT_PATH, 1, 'the file is empty (only comments)')
    return {config: null, issues: c.issues, errorCount: c.errorCount}
  }
  let data: unknown
  try {
    data = stripNulls(doc.toJS({maxAliasCount: MAX_ALIAS_COUNT}), {left: MAX_CONFIG_VALUES})
  } catch (error) {
    const message =
      error instanceof TooManyValues
        ? `the file expands to more than ${MAX_CONFIG_VALUES} values (aliases included); a kt config is far smaller`
        : `YAML error: ${error instanceof Error ? error.message : String(error)}`
    c.addAt('error', ROOT_PATH, 1, message)
    return {config: null, issues: c.issues, errorCount: c.errorCount}
  }
  if (!isObj(data)) {
    c.error([], `must be a mapping of sections (providers:, policies:, ...), got ${describeValue(data)}`)
    return {config: null, issues: c.issues, errorCount: c.errorCount}
  }
  const config = normalise(c, data, file)
  const issues = sortIssues(c.issues)
  if (c.errorCount > 0) return {config: null, issues, errorCount: c.errorCount}
  config.warnings = issues.filter((i) => i.severity === 'warning')
  return {config, issues, errorCount: 0}
}

/** The yaml library's wording, made about the user's file rather than the library's API. */
function yamlErrorText(code: string, message: string, text: string, pos: number): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (---); kt reads exactly one'
  if (code === 'DUPLICATE_KEY') {
    const key = /^\s*([^:\n,{}]+?)\s*:/.exec(text.slice(pos))?.[1]
    return key ? `duplicate key "${key.replace(/^["']|["']$/g, '')}" (keys must be unique within a mapping)` : message
  }
  return message
}

/** File order; issues without a line go last. Stable, so problems on one line keep their discovery order. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({issue, index}))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map((x) => x.issue)
}
