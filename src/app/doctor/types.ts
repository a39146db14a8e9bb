// What `kt doctor` reports: one entry per check, in the order they ran.

export type CheckStatus = 'ok' | 'fail' | 'warn'

export interface DoctorCheck {
  /** Stable name: node, database, config, key:<target id>, reach:<target id>, telemetry, gateway. */
  check: string
  status: CheckStatus
  /** What was found (never a secret: keys are named by their variable only). */
  detail: string
  /** What to do about it; null when there is nothing to do. Always set for a failure. */
  fix: string | null
}

export interface DoctorOptions {
  /** Database path, already resolved (`resolveDbPath(--db)`). */
  dbPath: string
  /** `--policy-config` as typed; undefined means $KT_CONFIG, else ./policy-config.yaml. */
  configFlag?: string
  /** Per network probe (targets, gateway). */
  timeoutMs: number
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** The running Node's version (process.versions.node); a parameter so the check itself can be tested. */
  nodeVersion?: string
  /** Milliseconds to wait on a database lock held by another process. */
  busyTimeoutMs?: number
}

export const MIN_NODE_MAJOR = 20
export const DEFAULT_DOCTOR_TIMEOUT_MS = 3000
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:41002'
export const GATEWAY_ENV = 'KT_GATEWAY_URL'
