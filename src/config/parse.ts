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
  /** Errors and warnings, in file order. */
  issues: ConfigIssue[]
}

/**
 * YAML `key:` with nothing after it means "not set": drop it so defaults apply and "is required" reads right.
 * Under the top-level `policy:` map an empty entry means "this policy with its defaults".
 */
function stripNulls(value: unknown, path: readonly PathSeg[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => stripNulls(v, [...path, i]))
  if (!isObj(value)) return value
  const out: Obj = {}
  const inPolicyMap = path.length === 1 && path[0] === 'policy'
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      if (inPolicyMap) out[k] = {}
      continue
    }
    out[k] = stripNulls(v, [...path, k])
  }
  return out
}

/**
 * Parses and validates config text. Never throws for bad input: every problem is in `issues`
 * (`config` is null if any is an error). `file` is only recorded in the result.
 */
export function parseConfigText(text: string, file: string | null = null): ParseResult {
  if (text.trim() === '') {
    const c = new IssueCollector(null, null)
    c.addAt('error', ROOT_PATH, 1, 'the file is empty')
    return {config: null, issues: c.issues}
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const c = new IssueCollector(doc, lineCounter)
  const lineAt = (pos: number): number => lineCounter.linePos(pos).line
  for (const e of doc.errors) c.addAt('error', ROOT_PATH, lineAt(e.pos[0]), `YAML syntax error: ${yamlErrorText(e.code, e.message, text, e.pos[0])}`)
  for (const w of doc.warnings) c.addAt('warning', ROOT_PATH, lineAt(w.pos[0]), `YAML: ${w.message}`)
  if (doc.errors.length > 0) return {config: null, issues: sortIssues(c.issues)}
  if (doc.contents === null) {
    c.addAt('error', ROOT_PATH, 1, 'the file is empty (only comments)')
    return {config: null, issues: c.issues}
  }
  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: 1000})
  } catch (error) {
    c.addAt('error', ROOT_PATH, 1, `YAML error: ${error instanceof Error ? error.message : String(error)}`)
    return {config: null, issues: c.issues}
  }
  if (!isObj(data)) {
    c.error([], `must be a mapping of sections (providers:, policies:, ...), got ${describeValue(data)}`)
    return {config: null, issues: c.issues}
  }
  const config = normalise(c, stripNulls(data) as Obj, file)
  const issues = sortIssues(c.issues)
  if (c.errorCount > 0) return {config: null, issues}
  config.warnings = issues.filter((i) => i.severity === 'warning')
  return {config, issues}
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
