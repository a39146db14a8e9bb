// `kt policy lint` without oclif: check a file, summarise it, and render the result as text or JSON.
import {formatIssue} from './issues.js'
import {readConfigText} from './read.js'
import {parseConfigText} from './parse.js'
import {summarizeConfig, summaryLines, type ConfigSummary} from './summary.js'
import type {ConfigIssue, KtConfig} from './types.js'

export interface LintResult {
  file: string
  valid: boolean
  /** 0 valid, 1 invalid, 2 the file could not be read. */
  exitCode: 0 | 1 | 2
  errors: ConfigIssue[]
  warnings: ConfigIssue[]
  /** Every error found; more than `errors` holds when there were too many to list. */
  errorCount: number
  /** Null unless valid. */
  summary: ConfigSummary | null
  /** Null unless valid. */
  config: KtConfig | null
}

/** Reads and checks one config file. Never throws for a bad or missing file; the result says what happened. */
export function lintConfigFile(path: string): LintResult {
  const read = readConfigText(path)
  if (!read.ok) {
    return {
      file: path,
      valid: false,
      exitCode: 2,
      errors: [{path: '(root)', line: null, message: read.message, severity: 'error'}],
      warnings: [],
      errorCount: 1,
      summary: null,
      config: null,
    }
  }
  const {config, issues, errorCount} = parseConfigText(read.text, path, read.warnings)
  const errors = issues.filter((i) => i.severity === 'error')
  const warnings = issues.filter((i) => i.severity === 'warning')
  if (!config) return {file: path, valid: false, exitCode: 1, errors, warnings, errorCount, summary: null, config: null}
  return {file: path, valid: true, exitCode: 0, errors, warnings, errorCount, summary: summarizeConfig(config), config}
}


/** The text `kt policy lint` prints (stdout), without a trailing newline. */
export function formatLintText(r: LintResult): string {
  if (r.exitCode === 2) return `✗ ${r.errors.map((e) => e.message).join('; ')}`
  const warnings = r.warnings.map((w) => `⚠ ${formatIssue(w)}`)
  if (r.valid && r.summary) return ['✓ Configuration is valid', ...summaryLines(r.summary), ...warnings].join('\n')
  return [`✗ Configuration has ${r.errorCount} problem(s)`, ...r.errors.map(formatIssue), ...warnings].join('\n')
}

/** The `--json` document: `{valid, file, errors, warnings, summary}`. */
export function lintJson(r: LintResult): {
  valid: boolean
  file: string
  errors: ConfigIssue[]
  warnings: ConfigIssue[]
  summary: ConfigSummary | null
} {
  return {valid: r.valid, file: r.file, errors: r.errors, warnings: r.warnings, summary: r.summary}
}
