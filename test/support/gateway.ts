// Helpers for gateway tests: the product docs' configs (test/data/gateway/) pointed at local fake upstreams, a gateway
// started in this process, plain HTTP calls on a keep-alive agent, a `kt` on PATH for shell pipelines, and waiting
// for something to become true (never for a fixed time).
import {spawn, type ChildProcess} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {Agent, request, type IncomingHttpHeaders} from 'node:http'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {parseDocument, stringify} from 'yaml'
import {loadConfig} from '../../src/config/index.js'
import {rowToEvent, type EventObject} from '../../src/records/index.js'
import {iterateEvents, openDb, type EventQuery} from '../../src/store/index.js'
import {Gateway, type GatewayOptions} from '../../src/gateway/index.js'
import {BIN, ROOT} from './cli.js'

export const SEEDS = join(ROOT, 'test', 'data', 'gateway')

/** Keys the fake upstreams accept; long enough to be scrubbed if an upstream echoes them. */
export const KEYS = {OPENAI_API_KEY: 'sk-test-openai-0123456789abcdefXYZ', ANTHROPIC_API_KEY: 'sk-ant-test-0123456789abcdefXYZ'}

export interface Upstreams {
  /** Base URL for OpenAI-family targets (without /v1). */
  openai: string
  anthropic: string
}

/**
 * Writes seed `name` into `dir` with `base_url` added to every target (OpenAI-family targets get `/v1`), optionally
 * edited first (`edit` gets the parsed document as plain data and returns it). Returns the file's path.
 */
export function seedConfig(name: string, up: Upstreams, dir: string, edit?: (data: Record<string, unknown>) => Record<string, unknown>, file = 'policy-config.yaml'): string {
  let data = parseDocument(readFileSync(join(SEEDS, name), 'utf8')).toJS() as Record<string, unknown>
  const targets = ((data.providers as Record<string, unknown>).targets as Record<string, unknown>[]) ?? []
  for (const t of targets) t.base_url = t.provider === 'anthropic' ? up.anthropic : `${up.openai}/v1`
  if (edit) data = edit(data)
  mkdirSync(dir, {recursive: true})
  const path = join(dir, file)
  writeFileSync(path, stringify(data))
  return path
}

export interface TestGateway {
  gw: Gateway
  url: string
  dbPath: string
  logs: string[]
}

/** A gateway in this process on a free port, logs collected. */
export async function startGateway(configPath: string, dbPath: string, opts: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const logs: string[] = []
  const gw = await Gateway.start({
    config: loadConfig(configPath, {required: true}),
    dbPath,
    port: 0,
    env: {...process.env, ...KEYS},
    log: (level, line) => logs.push(`${level} ${line}`),
    ...opts,
  })
  return {gw, url: gw.url, dbPath, logs}
}

export const agent = new Agent({keepAlive: true, maxSockets: 256})

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The socket the answer came on (to check keep-alive reuse). */
  socketId: number
}

let socketIds = 0
const ids = new WeakMap<object, number>()

/** POSTs JSON (or raw text) and reads the whole answer. */
export function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}, useAgent: Agent | false = agent): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {method: 'POST', agent: useAgent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), socketId: ids.get(res.socket) ?? -1}))
      res.on('error', reject)
    })
    req.on('socket', (s) => {
      if (!ids.has(s)) ids.set(s, ++socketIds)
    })
    req.on('error', reject)
    req.end(text)
  })
}

export function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {method: 'GET', agent, headers}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), socketId: -1}))
    })
    req.on('error', reject)
    req.end()
  })
}

export const chat = (content: string, extra: Record<string, unknown> = {}) => ({model: 'gpt-4o-mini', messages: [{role: 'user', content}], ...extra})

/** Resolves once `check` returns true (polled every 20 ms); rejects with `what` after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string | (() => string), ms = 15_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

/** A directory holding a `kt` executable that runs this checkout's build, for PATH in shell pipelines. */
export function ktOnPath(dir: string): string {
  const bin = join(dir, 'bin')
  mkdirSync(bin, {recursive: true})
  writeFileSync(join(bin, 'kt'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
  chmodSync(join(bin, 'kt'), 0o755)
  return bin
}

export interface Daemon {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves once stderr holds `text`. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>
  exited: Promise<number | null>
}

/** Starts a long-running command (the gateway) and keeps its output. */
export function daemon(cmd: string, args: string[], opts: {env: NodeJS.ProcessEnv; cwd: string}): Daemon {
  const child = spawn(cmd, args, {env: opts.env, cwd: opts.cwd})
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text, ms = 20_000) => waitFor(() => (typeof text === 'string' ? err.includes(text) : text.test(err)), `"${String(text)}" in the output of ${args.join(' ')} (so far: ${err.slice(-500)})`, ms),
    exited,
  }
}

/** Events in the database (with bodies), oldest first. */
export function readEvents(dbPath: string, q: EventQuery = {}): EventObject[] {
  let db
  try {
    db = openDb(dbPath, {readonly: true})
  } catch {
    return []
  }
  try {
    return [...iterateEvents(db, q)].map((r) => rowToEvent(r, true))
  } finally {
    db.close()
  }
}

/** Waits until the database holds at least `n` events matching `q`, and returns them. */
export async function eventsWhen(dbPath: string, n: number, q: EventQuery = {}): Promise<EventObject[]> {
  let events: EventObject[] = []
  await waitFor(() => (events = readEvents(dbPath, q)).length >= n, () => `${n} event(s) in ${dbPath} (have ${events.length})`)
  return events
}

export interface ShellResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a bash script (asynchronously: a fake upstream in this process must keep answering meanwhile). */
export function sh(script: string, opts: {env: NodeJS.ProcessEnv; cwd: string}): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {env: opts.env, cwd: opts.cwd})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

/**
 * A tutorial's shell: a directory to work in, `kt` on PATH, the provider keys and KT_DB exported (as the tutorials'
 * first step does), and a free port standing in for 41002.
 */
export async function tutorialShell(dir: string): Promise<{env: NodeJS.ProcessEnv; port: number; dbPath: string; run: (script: string) => Promise<ShellResult>}> {
  const dbPath = join(dir, 'kt.db')
  const env: NodeJS.ProcessEnv = {...process.env, ...KEYS, KT_DB: dbPath, KT_HOME: undefined, KT_CONFIG: undefined, KT_NO_PROGRESS: '1', KT_GATEWAY_URL: undefined, PATH: `${ktOnPath(dir)}:${process.env.PATH ?? ''}`}
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return {env, port: await freePort(), dbPath, run: (script) => sh(script, {env, cwd: dir})}
}
