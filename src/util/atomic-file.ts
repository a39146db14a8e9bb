// Files that appear complete or not at all: written to a hidden temp file in the target's directory, fsynced,
// then renamed over the target. On failure (or interruption) the temp file is removed and an existing target is
// untouched. Temp files left by a killed process (kill -9 cannot be caught) are removed by the next write.
import {randomBytes} from 'node:crypto'
import {closeSync, createWriteStream, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {KtError} from './errors.js'

/** Why a file operation failed, in words (never the raw errno text alone). */
export function fsReason(error: unknown): string {
  const e = error as {code?: string; message?: string}
  switch (e.code) {
    case 'ENOENT':
      return 'the directory does not exist'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOSPC':
      return 'the disk is full'
    case 'EISDIR':
      return 'it is a directory'
    case 'EROFS':
      return 'the file system is read-only'
    default:
      return e.message ?? String(error)
  }
}

/** A usage error (exit 2) when `path` cannot be an output file: a directory, or in a directory that does not exist. */
export function checkOutputPath(path: string, flag = '--output'): void {
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    // Does not exist yet: fine.
  }
  if (isDir) throw new KtError(`${flag} ${path}: is a directory; give a file name`, 2)
  const dir = dirname(resolve(path))
  let dirOk = false
  try {
    dirOk = statSync(dir).isDirectory()
  } catch {
    // Reported below.
  }
  if (!dirOk) throw new KtError(`${flag} ${path}: directory ${dir} does not exist`, 2)
}

const TEMP = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.tmp$/

function alive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as {code?: string}).code === 'EPERM'
  }
}

/** Removes temp files for `target` left by processes that no longer run. */
function removeStaleTemps(target: string): void {
  const dir = dirname(target)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = TEMP.exec(name)
    if (m && m[1] === basename(target) && !alive(Number(m[2]))) rmSync(join(dir, name), {force: true})
  }
}

function tempFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
}

/** Writes `text` to `path` atomically; returns the absolute path. `durable` fsyncs before the rename. */
export function writeFileAtomic(path: string, text: string, opts: {durable?: boolean; mkdir?: boolean} = {}): string {
  const target = resolve(path)
  if (opts.mkdir) mkdirSync(dirname(target), {recursive: true})
  removeStaleTemps(target)
  const tmp = tempFor(target)
  let fd: number | null = null
  try {
    fd = openSync(tmp, 'wx', 0o644)
    writeFileSync(fd, text)
    if (opts.durable !== false) fsyncSync(fd)
    closeSync(fd)
    fd = null
    renameSync(tmp, target)
    return target
  } catch (error) {
    if (fd !== null) closeSync(fd)
    rmSync(tmp, {force: true})
    throw new KtError(`cannot write ${path}: ${fsReason(error)} (nothing was written)`)
  }
}

/**
 * Streams into `path` atomically: `fn` writes to the stream it is given (honouring backpressure) and resolves
 * when done; the file then appears whole. Errors from `fn` pass through (after the temp file is removed), file
 * system errors become one KtError naming the file.
 */
export async function streamFileAtomic<T>(path: string, fn: (out: NodeJS.WritableStream) => Promise<T>): Promise<T & {path: string}> {
  const target = resolve(path)
  let isDir = false
  try {
    isDir = statSync(target).isDirectory()
  } catch {
    // Not there yet: fine.
  }
  if (isDir) throw new KtError(`--output ${path}: is a directory; give a file name`, 2)
  removeStaleTemps(target)
  const tmp = tempFor(target)
  let fd: number
  try {
    fd = openSync(tmp, 'wx', 0o644)
  } catch (error) {
    throw new KtError(`cannot write ${path}: ${fsReason(error)}`)
  }
  // autoClose off: on success the fd stays open for fsync; on failure destroy() closes it (and only then).
  const stream = createWriteStream('', {fd, autoClose: false})
  let fdOpen = true
  try {
    const result = await fn(stream)
    await new Promise<void>((res, rej) => {
      stream.once('error', rej)
      stream.end(() => res())
    })
    fsyncSync(fd)
    fdOpen = false
    closeSync(fd)
    renameSync(tmp, target)
    return {...result, path: target}
  } catch (error) {
    if (fdOpen && !stream.destroyed) {
      await new Promise<void>((res) => {
        stream.on('error', () => {})
        stream.once('close', () => res())
        stream.destroy()
      })
    }
    rmSync(tmp, {force: true})
    if (error instanceof KtError) throw error
    const code = (error as {code?: string}).code
    if (code && /^E[A-Z]+$/.test(code)) throw new KtError(`cannot write ${path}: ${fsReason(error)} (nothing was written)`)
    throw error
  }
}
