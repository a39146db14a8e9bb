// `kt policy lint` without oclif: check a file, summarise it, and render the result as text or JSON.
import {formatIssue, plural} from './issues.js'
import {readConfigText} from './read.js'
import {parseConfigText} from './parse.js'
import type {ConfigIssue, GroupStrategy, KtConfig} from './types.js'

export interface ConfigSummary {
  pack: {name: string; version: string | null; enabled: boolean} | null
  providers: {id: string; provider: string; model: string | null}[]
  model_groups: {
    name: string
    strategy: GroupStrategy
    members: {provider: string | null; model: string; weight: number | null; percent: number | null}[]
  }[]
  traffic_mirror: {enabled: boolean; primary: string | null; shadow: string | null; sample_rate: number} | null
  mirroring: {enabled: boolean; shadow_targets: string[]; sample_rate: number} | null
  policies: {name: string; type: string; enabled: boolean}[]
  pricing_models: string[]
  gates: string[]
}

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

/** 0.8 -> "80%", 1/3 -> "33.3%". */
export function percent(share: number): string {
  const p = Math.round(share * 1000) / 10
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`
}

export function summarizeConfig(config: KtConfig): ConfigSummary {
  return {
    pack: config.pack ? {name: config.pack.name, version: config.pack.version ?? null, enabled: config.pack.enabled} : null,
    providers: config.targets.map((t) => ({id: t.id, provider: t.provider, model: t.model ?? null})),
    model_groups: config.model_groups.map((g) => ({
      name: g.name,
      strategy: g.strategy,
      members:
        g.strategy === 'weighted'
          ? g.targets.map((t) => ({provider: t.provider, model: t.model, weight: t.weight, percent: Math.round(t.share * 1000) / 10}))
          : g.models.map((m) => ({provider: m.provider ?? null, model: m.model, weight: null, percent: null})),
    })),
    traffic_mirror: config.traffic_mirror
      ? {
          enabled: config.traffic_mirror.enabled,
          primary: config.traffic_mirror.primary ?? null,
          shadow: config.traffic_mirror.shadow ?? null,
          sample_rate: config.traffic_mirror.sample_rate,
        }
      : null,
    mirroring: config.mirroring
      ? {enabled: config.mirroring.enabled, shadow_targets: config.mirroring.shadow_targets, sample_rate: config.mirroring.sample_rate}
      : null,
    policies: config.policies.map((p) => ({name: p.name, type: p.type, enabled: p.enabled})),
    pricing_models: Object.keys(config.pricing),
    gates: config.gates,
  }
}

/** The human summary, one line per section (optional sections only when present). */
export function summaryLines(s: ConfigSummary): string[] {
  const lines: string[] = []
  if (s.pack) lines.push(`Pack: ${s.pack.name}${s.pack.version ? ` v${s.pack.version}` : ''}${s.pack.enabled ? '' : ' (disabled)'}`)
  const providers = s.providers.map((t) => (t.id === t.provider ? t.id : `${t.id}: ${t.provider}`))
  lines.push(`Providers: ${s.providers.length}${providers.length ? ` (${providers.join(', ')})` : ''}`)
  const groups = s.model_groups.map((g) => {
    const members = g.members.map((m) => {
      const name = m.provider ? `${m.provider}/${m.model}` : m.model
      return m.percent !== null ? `${name} ${percent(m.percent / 100)}` : name
    })
    return g.strategy === 'weighted' ? `${g.name}: ${members.join(', ')}` : `${g.name}: ${g.strategy} over ${members.join(', ')}`
  })
  lines.push(`Model groups: ${s.model_groups.length}${groups.length ? ` (${groups.join('; ')})` : ''}`)
  const m = s.traffic_mirror
  if (!m) lines.push('Traffic mirror: none')
  else if (!m.enabled) lines.push('Traffic mirror: disabled')
  else lines.push(`Traffic mirror: enabled, primary ${m.primary ?? '(any)'} → shadow ${m.shadow ?? '?'}, ${percent(m.sample_rate)} sampled`)
  if (s.mirroring) {
    lines.push(
      s.mirroring.enabled
        ? `Mirroring: enabled, shadow targets ${s.mirroring.shadow_targets.join(', ')}, ${percent(s.mirroring.sample_rate)} sampled`
        : 'Mirroring: disabled',
    )
  }
  const policies = s.policies.map((p) => (p.enabled ? p.name : `${p.name} (disabled)`))
  lines.push(`Policies: ${s.policies.length}${policies.length ? ` (${policies.join(', ')})` : ''}`)
  if (s.pricing_models.length) lines.push(`Pricing: ${plural(s.pricing_models.length, 'model')} (${s.pricing_models.join(', ')})`)
  if (s.gates.length) lines.push(`Gates: ${s.gates.length} (${s.gates.join('; ')})`)
  return lines
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
