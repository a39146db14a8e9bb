import {isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap} from 'yaml'
import {KtError} from '../util/index.js'
import type {ConfigIssue, Severity} from './types.js'

export type PathSeg = string | number

export const ROOT_PATH = '(root)'

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/

/** `['model_groups', 0, 'targets', 1, 'weight']` -> `model_groups[0].targets[1].weight`; odd keys are quoted. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out === '' ? ROOT_PATH : out
}

/** One line per problem: `path: message (line N)`. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.line === null ? `${issue.path}: ${issue.message}` : `${issue.path}: ${issue.message} (line ${issue.line})`
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Invalid configuration. `issues` holds every problem found (errors and warnings); the message lists the errors
 * so printing it alone is enough. Exit code 2 (usage/config error) by kt's convention.
 */
export class ConfigError extends KtError {
  readonly issues: ConfigIssue[]
  readonly file: string | null

  /**
   * `message` replaces the default text (a headline plus one line per error); `errorCount` is every error found
   * when `issues` lists only the first ones.
   */
  constructor(file: string | null, issues: ConfigIssue[], opts: {message?: string; exitCode?: number; errorCount?: number} = {}) {
    const errors = issues.filter((i) => i.severity === 'error')
    const count = opts.errorCount ?? errors.length
    const text =
      opts.message ??
      [`${file ?? 'configuration'}: configuration has ${plural(count, 'problem')}`, ...errors.map((i) => `  ${formatIssue(i)}`)].join('\n')
    super(text, opts.exitCode ?? 2)
    this.name = 'ConfigError'
    this.issues = issues
    this.file = file
  }

  get errors(): ConfigIssue[] {
    return this.issues.filter((i) => i.severity === 'error')
  }

  get warnings(): ConfigIssue[] {
    return this.issues.filter((i) => i.severity === 'warning')
  }
}

/** A file with more problems than this is not a config being edited: the rest are counted, not listed. */
export const MAX_LISTED_ISSUES = 100

/** Collects problems and knows where each YAML path is in the file. */
export class IssueCollector {
  private readonly listed: ConfigIssue[] = []
  private unlisted = {error: 0, warning: 0}

  constructor(
    private readonly doc: Document | null,
    private readonly lineCounter: LineCounter | null,
  ) {}

  /** Every problem listed, then one line counting those past MAX_LISTED_ISSUES (an error if any of them is). */
  get issues(): ConfigIssue[] {
    const more = this.unlisted.error + this.unlisted.warning
    if (more === 0) return [...this.listed]
    const severity: Severity = this.unlisted.error > 0 ? 'error' : 'warning'
    const parts = [this.unlisted.error ? plural(this.unlisted.error, 'more error') : '', this.unlisted.warning ? plural(this.unlisted.warning, 'more warning') : '']
    const message = `and ${parts.filter(Boolean).join(' and ')} not listed (only the first ${MAX_LISTED_ISSUES} problems are)`
    return [...this.listed, {path: ROOT_PATH, line: null, message, severity}]
  }

  error(path: readonly PathSeg[], message: string, opts: {atKey?: boolean} = {}): void {
    this.add('error', path, message, opts.atKey ?? false)
  }

  warn(path: readonly PathSeg[], message: string, opts: {atKey?: boolean} = {}): void {
    this.add('warning', path, message, opts.atKey ?? false)
  }

  /** For problems with no YAML path of their own (syntax errors): the line is given directly. */
  addAt(severity: Severity, path: string, line: number | null, message: string): void {
    if (this.full(severity)) return
    this.listed.push({path, line, message, severity})
  }

  /** Warnings, listed or not. */
  get warningCount(): number {
    return this.listed.filter((i) => i.severity === 'warning').length + this.unlisted.warning
  }

  /** Errors, listed or not. */
  get errorCount(): number {
    return this.listed.filter((i) => i.severity === 'error').length + this.unlisted.error
  }

  private full(severity: Severity): boolean {
    if (this.listed.length < MAX_LISTED_ISSUES) return false
    this.unlisted[severity]++
    return true
  }

  lineOf(path: readonly PathSeg[], atKey = false): number | null {
    const offset = this.offsetOf(path, atKey)
    if (offset === null || !this.lineCounter) return null
    return this.lineCounter.linePos(offset).line
  }

  /** True when an error is already reported at this path or inside it. */
  hasErrorAt(path: readonly PathSeg[]): boolean {
    if (path.length === 0) return false
    const p = formatPath(path)
    return this.listed.some(
      (i) => i.severity === 'error' && (i.path === p || i.path.startsWith(`${p}.`) || i.path.startsWith(`${p}[`)),
    )
  }

  private add(severity: Severity, path: readonly PathSeg[], message: string, atKey: boolean): void {
    // A value that failed its own check is dropped so later checks can run; they then see it as missing.
    // Their messages about it, or about its parent (a sum of weights, "sets no limit"), would only repeat
    // the first, more precise one.
    if (this.full(severity) || this.hasErrorAt(path)) return
    this.listed.push({path: formatPath(path), line: this.lineOf(path, atKey), message, severity})
  }

  /**
   * Walks the YAML tree along `path`. A missing segment (e.g. a required key that is absent) falls back to the
   * nearest existing ancestor, which is where the user has to add it. `atKey` points at the key rather than the
   * value (unknown keys, and values spanning several lines).
   */
  private offsetOf(path: readonly PathSeg[], atKey: boolean): number | null {
    if (!this.doc) return null
    let node: unknown = this.doc.contents
    let offset: number | null = rangeStart(node)
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!
      if (isAlias(node)) node = node.resolve(this.doc)
      if (isMap(node)) {
        const pair = this.pairOf(node, String(seg), 0)
        if (!pair) return offset
        const last = i === path.length - 1
        const keyOffset = rangeStart(pair.key)
        const valueOffset = rangeStart(pair.value)
        // Collections and null values are reported at their key: a block value starts on the next line.
        const useKey = (last && atKey) || isMap(pair.value) || isSeq(pair.value) || valueOffset === null
        offset = (useKey ? (keyOffset ?? valueOffset) : valueOffset) ?? offset
        node = pair.value
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg]
        if (item === undefined) return offset
        offset = rangeStart(item) ?? offset
        node = item
      } else {
        return offset
      }
    }
    return offset
  }

  /**
   * The pair for `key` in a mapping, else in what its merge keys (`<<: *anchor` or `<<: [*a, *b]`) bring in,
   * nearest first as YAML merges them: a value that came from an anchor is reported at the anchor.
   */
  private pairOf(map: YAMLMap, key: string, depth: number): Pair | undefined {
    const own = map.items.find((p) => isPair(p) && keyText(p.key) === key)
    if (own || depth > 20 || !this.doc) return own
    for (const p of map.items) {
      if (!isMergeKey(p.key)) continue
      const sources = isSeq(p.value) ? p.value.items : [p.value]
      for (const s of sources) {
        const resolved = isAlias(s) ? s.resolve(this.doc) : s
        const found = isMap(resolved) ? this.pairOf(resolved, key, depth + 1) : undefined
        if (found) return found
      }
    }
    return undefined
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.source === '<<')
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value)
  return null
}

function rangeStart(node: unknown): number | null {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range
    if (Array.isArray(range)) return range[0]
  }
  return null
}

/** Levenshtein distance, for "did you mean" hints on unknown keys (inputs are short keys). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]!
}

export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  // Short words are close to everything: allow one edit per three characters, at least one, never the whole word.
  return best !== null && bestDistance <= Math.max(1, Math.floor(word.length / 3)) && bestDistance < word.length ? best : null
}
