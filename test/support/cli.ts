// Runs kt the way a user does: the built bin/run.js in a child process.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Public log samples and prompt sets copied into the repository, with their sources and licences (SOURCES.md). */
export const PUBLIC_DATA = join(ROOT, 'test', 'data', 'public')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function tempDir(prefix = 'kt-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Synchronous run; env is merged over a clean copy (KT_DB/KT_HOME/KT_CONFIG unset unless given). */
export function kt(args: string[], opts: {env?: Record<string, string | undefined>; input?: string; cwd?: string} = {}): RunResult {
  const env: Record<string, string | undefined> = {...process.env, KT_DB: undefined, KT_HOME: undefined, KT_CONFIG: undefined, KT_NO_PROGRESS: '1', ...opts.env}
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: env as NodeJS.ProcessEnv,
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  return {code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr}
}

/** Asynchronous run, for commands that must overlap with a server in the same process. */
export function ktAsync(args: string[], opts: {env?: Record<string, string | undefined>; cwd?: string} = {}): Promise<RunResult> {
  const env: Record<string, string | undefined> = {...process.env, KT_DB: undefined, KT_HOME: undefined, KT_CONFIG: undefined, KT_NO_PROGRESS: '1', ...opts.env}
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: env as NodeJS.ProcessEnv, cwd: opts.cwd ?? ROOT})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code, signal) => resolve({code: code ?? (signal ? 128 : 1), stdout, stderr}))
  })
}
