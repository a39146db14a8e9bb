// The individual `kt doctor` checks. None throws: whatever goes wrong becomes a failed check with a fix.
import {accessSync, constants, existsSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import {formatIssue, lintConfigFile, resolveConfigPath, type KtConfig, type ResolvedConfigPath} from '../../config/index.js'
import {keyEnvFor, type TargetSpec} from '../../providers/index.js'
import {targetFromConfig} from '../../config/index.js'
import {findGateways} from '../../gateway/index.js'
import {openDb, probeWrite, schemaVersion, versionOnDisk, type DB} from '../../store/index.js'
import {migrations} from '../../store/index.js'
import {errorMessage} from '../../util/index.js'
import {describeProbeFailure, probe, shownUrl} from './probe.js'
import {DEFAULT_GATEWAY_URL, GATEWAY_ENV, MIN_NODE_MAJOR, type DoctorCheck} from './types.js'
import {maskKnown} from '../../records/index.js'

const ok = (check: string, detail: string): DoctorCheck => ({check, status: 'ok', detail, fix: null})
const warn = (check: string, detail: string, fix: string | null = null): DoctorCheck => ({check, status: 'warn', detail, fix})
const fail = (check: string, detail: string, fix: string): DoctorCheck => ({check, status: 'fail', detail, fix})

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

// ---------------------------------------------------------------------------------------------
// Node

export function checkNode(version: string = process.versions.node): DoctorCheck {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN)
  if (Number.isFinite(major) && major >= MIN_NODE_MAJOR) return ok('node', `v${version.replace(/^v/, '')}`)
  return fail('node', `v${version.replace(/^v/, '')}; kt needs Node ${MIN_NODE_MAJOR} or newer`, `install Node ${MIN_NODE_MAJOR} LTS (e.g. nvm install ${MIN_NODE_MAJOR}) and run kt with it`)
}

// ---------------------------------------------------------------------------------------------
// Database

function nearestExistingDir(path: string): string {
  let dir = dirname(path)
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/** The fix for a database that cannot be opened or written, from the (already readable) message. */
function databaseFix(path: string, message: string): string {
  if (/read-only|readonly|permission|EACCES/i.test(message)) {
    return `make ${path} and its directory writable for this user (SQLite also creates ${path}-wal and -shm next to it), or pass --db with a writable file`
  }
  if (/locked/i.test(message)) return 'another process holds the write lock: let it finish (kt runs list shows running replays) and run kt doctor again'
  if (/newer than this kt/i.test(message)) return 'upgrade kt to the version that wrote this database'
  if (/not a kt|NOTADB/i.test(message)) return `--db (or KT_DB) points to a file that is not a kt database: fix the path, or move ${path} aside`
  if (/corrupt/i.test(message)) return `restore ${path} from a backup, or move it aside and import again`
  if (/disk is full/i.test(message)) return 'free disk space'
  return `check the path and its permissions, or pass --db FILE`
}

/**
 * Opens (and so migrates) the database the way every command does, then proves it is writable: a write inside
 * BEGIN IMMEDIATE, rolled back. A missing file is not created: kt creates it on the first import.
 */
export function checkDatabase(path: string, busyTimeoutMs = 1000): DoctorCheck {
  const name = 'database'
  if (!existsSync(path)) {
    const dir = nearestExistingDir(path)
    try {
      if (!statSync(dir).isDirectory()) return fail(name, `${path}: ${dir} is a file, not a directory`, 'pass --db with a path inside a directory')
      accessSync(dir, constants.W_OK)
    } catch {
      return fail(name, `${path} does not exist and ${dir} is not writable`, `make ${dir} writable, or pass --db with a path in a writable directory`)
    }
    return ok(name, `${path} does not exist yet; kt creates it on the first import (schema v${migrations.length})`)
  }
  if (statSync(path).isDirectory()) return fail(name, `${path} is a directory`, 'pass --db with a file path (e.g. ~/.kt/kt.db)')
  const before = versionOnDisk(path)
  let db: DB
  try {
    db = openDb(path, {busyTimeoutMs})
  } catch (error) {
    const message = errorMessage(error)
    const version = before === null ? '' : ` (schema v${before})`
    return fail(name, `${message}${version}`, databaseFix(path, message))
  }
  try {
    const version = schemaVersion(db)
    try {
      probeWrite(db)
    } catch (error) {
      const message = describeWriteError(error)
      return fail(name, `${path} (schema v${version}) opens but cannot be written: ${message}`, databaseFix(path, message))
    }
    const migrated = before !== null && before < version ? `, migrated from v${before}` : ''
    return ok(name, `${path} (schema v${version}${migrated}, writable)`)
  } finally {
    db.close()
  }
}

function describeWriteError(error: unknown): string {
  const code = (error as {code?: string}).code ?? ''
  if (code.startsWith('SQLITE_READONLY')) return 'the database is read-only (check file permissions)'
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the database is locked by another process'
  return errorMessage(error)
}

// ---------------------------------------------------------------------------------------------
// Config

function configSource(r: ResolvedConfigPath): string {
  return r.source === 'flag' ? ' (named by --policy-config)' : r.source === 'env' ? ' (named by KT_CONFIG)' : ''
}

/** Lints the config; its targets (only when the file is valid) feed the key and reachability checks. */
export function checkConfig(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): {check: DoctorCheck; targets: TargetSpec[]; config?: KtConfig} {
  const name = 'config'
  const resolved = resolveConfigPath(flag, env, cwd)
  if (!resolved.explicit && !existsSync(resolved.path)) {
    return {check: ok(name, `no config file, using defaults (no ${resolved.path})`), targets: []}
  }
  const lint = lintConfigFile(resolved.path)
  const where = configSource(resolved)
  if (lint.exitCode === 2) {
    const message = lint.errors.map((e) => e.message).join('; ')
    const fix = existsSync(resolved.path)
      ? `make ${resolved.path} readable`
      : `correct the path, create the file, or ${resolved.source === 'env' ? 'unset KT_CONFIG' : 'drop --policy-config'} to run with defaults`
    return {check: fail(name, `${message}${where}`, fix), targets: []}
  }
  if (!lint.valid || !lint.config) {
    const n = lint.errors.length
    const first = lint.errors[0] ? formatIssue(lint.errors[0]) : 'invalid'
    return {
      check: fail(name, `${resolved.path}${where}: ${n} problem${n === 1 ? '' : 's'}: ${first}${n > 1 ? ` (and ${n - 1} more)` : ''}`, `fix the file; kt policy lint --file ${resolved.path} lists every problem with its line`),
      targets: [],
    }
  }
  const targets = lint.config.targets.map(targetFromConfig)
  const summary = `${resolved.path}${where}: valid, ${targets.length} target${targets.length === 1 ? '' : 's'}`
  const w = lint.warnings.length
  if (w > 0) {
    return {check: warn(name, `${summary}, ${w} warning${w === 1 ? '' : 's'}: ${formatIssue(lint.warnings[0]!)}`, `kt policy lint --file ${resolved.path} shows every warning`), targets, config: lint.config}
  }
  return {check: ok(name, summary), targets, config: lint.config}
}

/** `telemetry.otlp`: every header's variable is set (the gateway refuses to start otherwise); null without the block. */
export function checkTelemetry(config: KtConfig, env: NodeJS.ProcessEnv): DoctorCheck | null {
  const o = config.telemetry.otlp
  if (!o) return null
  const name = 'telemetry'
  if (!o.enabled) return ok(name, 'telemetry.otlp is disabled')
  const missing = o.headers.filter((h) => !env[h.env]?.trim())
  if (missing.length) {
    const vars = missing.map((h) => `${h.env} (header ${h.name})`).join(', ')
    return fail(name, `OTLP export to ${o.endpoint}: ${vars} not set`, `export ${missing.map((h) => `${h.env}=…`).join(' ')} before kt gateway run (the gateway refuses to start without it)`)
  }
  const headers = o.headers.length ? `, headers from ${o.headers.map((h) => h.env).join(', ')} set` : ''
  return ok(name, `OTLP export to ${o.endpoint}${headers}`)
}

// ---------------------------------------------------------------------------------------------
// Targets: key present, endpoint reachable

function keyOf(t: TargetSpec, env: NodeJS.ProcessEnv): {name: string | null; value: string | null} {
  const name = keyEnvFor(t)
  if (name === null) return {name: null, value: null}
  const value = env[name]?.trim()
  return {name, value: value ? value : null}
}

/** Only the variable's name is ever shown, never its value. */
export function checkKey(t: TargetSpec, env: NodeJS.ProcessEnv): DoctorCheck {
  const name = `key:${t.id}`
  if (t.provider === 'simulated') return ok(name, 'simulated: no key needed')
  const key = keyOf(t, env)
  if (key.name === null) return ok(name, `${t.provider}: no key configured, none is sent (name one with secret_key_ref.env if the server needs it)`)
  if (key.value !== null) return ok(name, `${key.name} is set`)
  const empty = env[key.name] !== undefined
  return fail(name, `${key.name} is ${empty ? 'empty' : 'not set'}`, `export ${key.name}=<your ${t.provider} key> (target "${t.id}" reads its key from ${key.name})`)
}

interface ModelsRequest {
  url: string
  headers: Record<string, string>
}

const ANTHROPIC_VERSION = '2023-06-01'
const AZURE_API_VERSION = '2024-10-21'

/** The models listing the target's SDK would reach, with the same base URL resolution and auth headers. */
function modelsRequest(t: TargetSpec, env: NodeJS.ProcessEnv, key: string | null): ModelsRequest | {error: string; fix: string} {
  const headers: Record<string, string> = {...(t.headers ?? {})}
  if (t.provider === 'anthropic') {
    const configured = t.base_url ?? env.ANTHROPIC_BASE_URL
    const base = configured ? stripSlash(configured).replace(/\/v1$/, '') : 'https://api.anthropic.com'
    if (key) headers['x-api-key'] = key
    headers['anthropic-version'] = ANTHROPIC_VERSION
    return {url: `${base}/v1/models`, headers}
  }
  if (t.provider === 'azure-openai') {
    const endpoint = t.base_url ?? env.AZURE_OPENAI_ENDPOINT
    if (!endpoint) return {error: 'no endpoint: neither base_url nor AZURE_OPENAI_ENDPOINT is set', fix: `set base_url for target "${t.id}" (https://RESOURCE.openai.azure.com) or export AZURE_OPENAI_ENDPOINT`}
    if (key) headers['api-key'] = key
    const version = t.api_version ?? env.OPENAI_API_VERSION ?? AZURE_API_VERSION
    return {url: `${stripSlash(endpoint).replace(/\/openai$/, '')}/openai/models?api-version=${encodeURIComponent(version)}`, headers}
  }
  // openai and openai-compatible: the SDK's baseURL already ends in /v1.
  const base = t.base_url ?? env.OPENAI_BASE_URL ?? (t.provider === 'openai' ? 'https://api.openai.com/v1' : undefined)
  if (!base) return {error: 'no base_url', fix: `set base_url for target "${t.id}" (e.g. http://127.0.0.1:11434/v1)`}
  if (key) headers.authorization = `Bearer ${key}`
  return {url: `${stripSlash(base)}/models`, headers}
}

/** The provider's own error message from an error body, if it has one. */
function upstreamMessage(body: string): string | null {
  try {
    const o = JSON.parse(body) as {error?: unknown; message?: unknown}
    const e = o.error
    if (e && typeof e === 'object' && typeof (e as {message?: unknown}).message === 'string') return (e as {message: string}).message
    if (typeof e === 'string') return e
    if (typeof o.message === 'string') return o.message
  } catch {
    return null
  }
  return null
}

function scrub(text: string, secrets: string[]): string {
  const out = maskKnown(text, secrets)
  return out.length > 160 ? `${out.slice(0, 157)}...` : out
}

export async function checkReach(t: TargetSpec, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DoctorCheck> {
  const name = `reach:${t.id}`
  if (t.provider === 'simulated') return ok(name, 'simulated: answers offline')
  const key = keyOf(t, env)
  const req = modelsRequest(t, env, key.value)
  if ('error' in req) return fail(name, req.error, req.fix)
  const secrets = [key.value ?? '', ...Object.values(t.headers ?? {})]
  const url = shownUrl(req.url)
  const r = await probe(req.url, req.headers, timeoutMs)
  if (r.kind !== 'http') {
    const fix =
      t.provider === 'openai-compatible'
        ? `start the server, or correct base_url for target "${t.id}"`
        : `check the network (proxy, firewall, VPN) and base_url for target "${t.id}"; raise --timeout if the link is slow`
    return fail(name, `unreachable: GET ${url}: ${describeProbeFailure(r, timeoutMs)}`, fix)
  }
  const said = upstreamMessage(r.body)
  const because = said ? `: ${scrub(said, secrets)}` : ''
  if (r.status >= 200 && r.status < 300) return ok(name, `reachable: GET ${url} → ${r.status} in ${r.ms} ms`)
  if (r.status === 401 || r.status === 403) {
    if (key.name !== null && key.value === null) return ok(name, `reachable: GET ${url} → ${r.status} (no key to send: ${key.name} is not set)`)
    if (key.name === null) {
      return fail(name, `reachable, but the server wants a key and none is configured: GET ${url} → ${r.status}${because}`, `name the key's environment variable with secret_key_ref.env for target "${t.id}"`)
    }
    return fail(name, `reachable, but the key was refused: GET ${url} → ${r.status}${because}`, `check that ${key.name} holds a valid, active ${t.provider} key for this endpoint`)
  }
  if (r.status === 404) return warn(name, `reachable, but GET ${url} → 404${because}`, `check base_url for target "${t.id}"${t.provider === 'openai-compatible' ? ' (OpenAI-compatible servers usually end in /v1)' : ''}`)
  return warn(name, `reachable, but GET ${url} → HTTP ${r.status}${because}`, r.status >= 500 ? 'the provider reports a problem on its side; try again later' : null)
}

// ---------------------------------------------------------------------------------------------
// Gateway

/**
 * A kt gateway is optional (only live traffic needs one): not running is a warning, never a failure. Where to look:
 * $KT_GATEWAY_URL, else the gateway running on this database (the state file it writes next to it), else the default
 * address. GET /healthz, or /health for gateways that only answer that.
 */
export async function checkGateway(env: NodeJS.ProcessEnv, timeoutMs: number, dbPath?: string): Promise<DoctorCheck> {
  const name = 'gateway'
  const configured = env[GATEWAY_ENV]?.trim()
  const running = !configured && dbPath ? findGateways(dbPath)[0] : undefined
  const base = configured || running?.url || DEFAULT_GATEWAY_URL
  const start = `start one: kt gateway run --policy-config FILE --port ${new URL(DEFAULT_GATEWAY_URL).port} (set ${GATEWAY_ENV} if it listens elsewhere)`
  let root: string
  try {
    const u = new URL(base)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol')
    root = stripSlash(u.toString()).replace(/\/healthz?$/, '')
  } catch {
    return warn(name, `${GATEWAY_ENV}="${base}" is not an http(s) URL`, `set ${GATEWAY_ENV} to the gateway's URL, e.g. ${DEFAULT_GATEWAY_URL}`)
  }
  let url = shownUrl(`${root}/healthz`)
  let r = await probe(`${root}/healthz`, {}, timeoutMs)
  if (r.kind === 'http' && r.status === 404) {
    url = shownUrl(`${root}/health`)
    r = await probe(`${root}/health`, {}, timeoutMs)
  }
  if (r.kind !== 'http') {
    return warn(name, `not running: nothing answers at ${url} (${describeProbeFailure(r, timeoutMs)}); only live traffic needs it`, configured ? `check ${GATEWAY_ENV}, or ${start}` : start)
  }
  if (r.status >= 200 && r.status < 300) {
    const draining = /"status"\s*:\s*"draining"/.test(r.body)
    if (draining) return warn(name, `shutting down at ${url} (draining its last requests)`, start)
    return ok(name, `running at ${url} (${r.status} in ${r.ms} ms)${running?.config ? `, config ${running.config}` : ''}`)
  }
  return warn(name, `something answers at ${url} with HTTP ${r.status}, not a healthy kt gateway`, configured ? `check ${GATEWAY_ENV}` : `set ${GATEWAY_ENV} if the gateway listens elsewhere`)
}
