// `kt doctor` without oclif: run every check, render them, decide the exit status.
import {checkConfig, checkDatabase, checkGateway, checkKey, checkNode, checkReach, checkTelemetry} from './checks.js'
import type {CheckStatus, DoctorCheck, DoctorOptions} from './types.js'

export {checkConfig, checkDatabase, checkGateway, checkKey, checkNode, checkReach, checkTelemetry} from './checks.js'
export {DEFAULT_DOCTOR_TIMEOUT_MS, DEFAULT_GATEWAY_URL, GATEWAY_ENV, MIN_NODE_MAJOR, type CheckStatus, type DoctorCheck, type DoctorOptions} from './types.js'

/**
 * Runs every check. Local checks first (Node, database, config), then the network probes all at once, so the
 * whole run takes about one timeout at worst. Order of the result: node, database, config, then per target
 * key and reach, then telemetry (with a telemetry.otlp block), then gateway.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorCheck[]> {
  const env = opts.env ?? process.env
  const checks: DoctorCheck[] = [checkNode(opts.nodeVersion), checkDatabase(opts.dbPath, opts.busyTimeoutMs)]
  const {check: config, targets, config: parsed} = checkConfig(opts.configFlag, env, opts.cwd ?? process.cwd())
  checks.push(config)
  const [reach, gateway] = await Promise.all([Promise.all(targets.map((t) => checkReach(t, env, opts.timeoutMs))), checkGateway(env, opts.timeoutMs, opts.dbPath)])
  targets.forEach((t, i) => checks.push(checkKey(t, env), reach[i]!))
  const telemetry = parsed ? checkTelemetry(parsed, env) : null
  if (telemetry) checks.push(telemetry)
  checks.push(gateway)
  return checks
}

const MARK: Record<CheckStatus, string> = {ok: '✓', fail: '✗', warn: '⚠'}

/** `key:openai-main` → `key openai-main`. */
function label(check: string): string {
  return check.replace(':', ' ')
}

/** One line per check (mark, name, detail), the fix indented under it, and a closing verdict line. */
export function formatDoctorText(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => label(c.check).length))
  const lines: string[] = []
  for (const c of checks) {
    lines.push(`${MARK[c.status]} ${label(c.check).padEnd(width)}  ${c.detail}`)
    if (c.fix) lines.push(`  ${' '.repeat(width)}  → ${c.fix}`)
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  const warned = checks.filter((c) => c.status === 'warn').length
  const warnings = warned ? `${warned} warning${warned === 1 ? '' : 's'}` : ''
  lines.push(
    failed
      ? `\n${failed} problem${failed === 1 ? '' : 's'} to fix${warnings ? `, ${warnings}` : ''}`
      : `\nall checks passed${warnings ? ` (${warnings})` : ''}`,
  )
  return lines.join('\n')
}

/** 1 when anything failed; warnings alone keep 0. */
export function doctorExitCode(checks: DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0
}
