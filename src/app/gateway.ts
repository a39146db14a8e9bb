// `kt gateway run` (also `kt serve`) without oclif: config → plan → store → server, the start-up lines of the product
// docs, the state file `kt config reload` finds it by, SIGHUP to reload, and SIGTERM/SIGINT to drain and exit 0.
import {loadConfig, resolveConfigPath, formatIssue} from '../config/index.js'
import {DEFAULT_DRAIN_MS, DEFAULT_PORT, Gateway, otlpLine, planLines, removeStateFile, stateFilePath, writeStateFile, type GatewayOptions, type LogLevel} from '../gateway/index.js'
import {resolveDbPath} from '../store/index.js'
import {KtError, errorMessage} from '../util/index.js'

export const TOKEN_ENV = 'KT_GATEWAY_TOKEN'

export interface RunGatewayOptions {
  configFlag?: string
  dbFlag?: string
  /** `HOST:PORT` (wins over `port`). */
  listen?: string
  port?: number
  authToken?: string
  maxBodyBytes?: number
  maxShadows?: number
  shadowTimeoutMs?: number
  drainMs?: number
  env?: NodeJS.ProcessEnv
  /** Log lines (`INFO kt::gateway …`); stderr by default. */
  write?: (line: string) => void
}

/** `HOST:PORT`, `:PORT`, `[::1]:PORT` or a bare port → host and port. */
export function parseListen(value: string): {host: string; port: number} {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim()) ?? /^()()(\d+)$/.exec(value.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new KtError(`--listen "${value}": expected HOST:PORT, e.g. 0.0.0.0:41002`, 2)
  return {host: m[1] || m[2] || '127.0.0.1', port}
}

/** Starts the gateway and resolves with the exit status once a signal has drained it. */
export async function runGateway(o: RunGatewayOptions): Promise<number> {
  const env = o.env ?? process.env
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`))
  const log = (level: LogLevel, line: string) => write(`${level} kt::gateway ${line}`)
  const resolved = resolveConfigPath(o.configFlag, env)
  const config = loadConfig(resolved.path, {required: true})
  const {host, port} = o.listen ? parseListen(o.listen) : {host: '127.0.0.1', port: o.port ?? DEFAULT_PORT}
  const dbPath = resolveDbPath(o.dbFlag)
  const options: GatewayOptions = {config, dbPath, host, port, authToken: o.authToken ?? env[TOKEN_ENV] ?? null, env, log}
  if (o.maxBodyBytes !== undefined) options.maxBodyBytes = o.maxBodyBytes
  if (o.maxShadows !== undefined) options.maxShadows = o.maxShadows
  if (o.shadowTimeoutMs !== undefined) options.shadowTimeoutMs = o.shadowTimeoutMs
  log('INFO', `Starting gateway on ${host.includes(':') ? `[${host}]` : host}:${port}`)
  let gw: Gateway
  try {
    gw = await Gateway.start(options)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new KtError(`cannot listen on ${host}:${port}: the address is in use (another gateway?); pick another --port`, 1)
    if (code === 'EACCES') throw new KtError(`cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges)`, 1)
    if (err instanceof KtError) throw err
    throw new KtError(`cannot start the gateway: ${errorMessage(err)}`)
  }
  for (const line of planLines(gw.plan)) log('INFO', line)
  const telemetry = otlpLine(config)
  if (telemetry) log('INFO', telemetry)
  for (const w of config.warnings) log('WARN', `config ${formatIssue(w)}`)
  for (const w of gw.plan.warnings) log('WARN', w)
  if (options.authToken) log('INFO', 'Token required on /v1/* (Authorization: Bearer TOKEN or x-api-key: TOKEN)')
  const state = stateFilePath(dbPath, gw.port)
  writeStateFile(state, {pid: process.pid, url: gw.url, config: config.file, db: dbPath, started_at: new Date().toISOString(), admin_token: gw.adminToken})
  log('INFO', `Events go to ${dbPath} (dataset "gateway"); kt config reload finds this gateway through ${state}`)
  log('INFO', 'Gateway ready')

  return new Promise<number>((resolve) => {
    let stopping = false
    const onHup = () => {
      gw.reload()
    }
    const stop = (signal: string) => {
      if (stopping) {
        log('WARN', `${signal} again: exiting without waiting`)
        removeStateFile(state)
        process.exit(1)
      }
      stopping = true
      log('INFO', `${signal}: draining (up to ${Math.round((o.drainMs ?? DEFAULT_DRAIN_MS) / 1000)} s)`)
      void gw.close(o.drainMs ?? DEFAULT_DRAIN_MS).then(
        (s) => {
          removeStateFile(state)
          log('INFO', `Gateway stopped: ${s.eventsWritten} event(s) written${s.eventsDropped ? `, ${s.eventsDropped} dropped` : ''}${s.cut ? `, ${s.cut} request(s) cut at the deadline` : ''}`)
          const o = s.otlp
          if (o) log(o.dropped || o.failed || o.queued ? 'WARN' : 'INFO', `OTLP: ${o.exported} span(s) exported, ${o.dropped} dropped (queue full), ${o.failed} lost in failed exports${o.queued ? `, ${o.queued} not sent at the drain deadline` : ''}`)
          process.off('SIGHUP', onHup)
          resolve(s.flushed ? 0 : 1)
        },
        (err: unknown) => {
          removeStateFile(state)
          log('ERROR', `shutdown failed: ${errorMessage(err)}`)
          resolve(1)
        },
      )
    }
    process.on('SIGHUP', onHup)
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}
