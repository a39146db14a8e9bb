// Reading a config file without trusting it: only regular files (a FIFO, a terminal or /dev/zero would block or
// never end), at most MAX_CONFIG_BYTES, and text decoded by what it is (UTF-8, or UTF-16 named as such).
import {closeSync, constants, fstatSync, openSync, readSync, type Stats} from 'node:fs'
import {ROOT_PATH} from './issues.js'
import type {ConfigIssue} from './types.js'

/** A kt config is a few KB; a file past this is not one (and must not fill memory). */
export const MAX_CONFIG_BYTES = 256 * 1024

export type ReadResult =
  | {ok: true; text: string; /** About the file itself (its encoding), reported with the config's own. */ warnings: ConfigIssue[]}
  | {ok: false; reason: 'missing' | 'unreadable'; message: string}

function unreadable(message: string): ReadResult {
  return {ok: false, reason: 'unreadable', message}
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

function tooBig(path: string): ReadResult {
  return unreadable(`${path} is larger than ${MAX_CONFIG_BYTES / 1024} KiB; a config file is far smaller (is this the right file?)`)
}

/**
 * Reads a config file, telling "not there" apart from "there but unreadable". Never blocks on a FIFO or a device
 * (it is opened non-blocking and rejected before any read) and never reads more than MAX_CONFIG_BYTES + 1 bytes.
 */
export function readConfigText(path: string): ReadResult {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return {ok: false, reason: 'missing', message: `config file not found: ${path}`}
    if (code === 'EISDIR') return unreadable(`${path} is a directory, not a config file`)
    return unreadable(`cannot read config file ${path}: ${(error as Error).message}`)
  }
  try {
    const st = fstatSync(fd)
    if (st.isDirectory()) return unreadable(`${path} is a directory, not a config file`)
    if (!st.isFile()) return unreadable(`${path} is ${kindOf(st)}; kt reads its config from a regular file (save the YAML to one)`)
    if (st.size > MAX_CONFIG_BYTES) return tooBig(path)
    // The size can change between fstat and read: read to the limit plus one byte, whatever fstat said.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1)
    let n = 0
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null)
      if (got === 0) break
      n += got
      if (n === buf.length) return tooBig(path)
    }
    return decodeConfig(path, buf.subarray(0, n))
  } catch (error) {
    return unreadable(`cannot read config file ${path}: ${(error as Error).message}`)
  } finally {
    closeSync(fd)
  }
}

/** Which UTF-16 byte order the bytes look like without a BOM (ASCII text leaves every other byte 0), if any. */
function utf16Without(bytes: Uint8Array): 'le' | 'be' | null {
  const n = Math.min(bytes.length - (bytes.length % 2), 256)
  if (n < 4) return null
  let evenZero = 0
  let oddZero = 0
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++
    if (bytes[i + 1] === 0) oddZero++
  }
  const pairs = n / 2
  if (oddZero >= pairs * 0.6 && evenZero === 0) return 'le'
  if (evenZero >= pairs * 0.6 && oddZero === 0) return 'be'
  return null
}

function decodeUtf16(bytes: Uint8Array, order: 'le' | 'be'): string {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)))
  if (order === 'be') copy.swap16()
  return new TextDecoder('utf-16le').decode(copy)
}

/** The file's text, decoded by what it is; an error naming the encoding when kt cannot read it as text. */
export function decodeConfig(path: string, bytes: Uint8Array): ReadResult {
  const b = bytes
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    return unreadable(`${path} is UTF-32 text; save it as UTF-8`)
  }
  let order: 'le' | 'be' | null = null
  let body = b
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) [order, body] = ['le', b.subarray(2)]
  else if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) [order, body] = ['be', b.subarray(2)]
  else order = utf16Without(b)
  if (order) {
    const text = decodeUtf16(body, order)
    const note = `the file is UTF-16 (${order === 'le' ? 'little' : 'big'}-endian) text; read as such (UTF-8 is what most YAML tools expect)`
    return {ok: true, text, warnings: [{path: ROOT_PATH, line: null, message: note, severity: 'warning'}]}
  }
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) body = b.subarray(3)
  if (body.includes(0)) return unreadable(`${path} is binary (it holds NUL bytes), not YAML text`)
  try {
    return {ok: true, text: new TextDecoder('utf-8', {fatal: true}).decode(body), warnings: []}
  } catch {
    const lenient = new TextDecoder('utf-8').decode(body)
    const line = lenient.slice(0, lenient.indexOf('\uFFFD')).split('\n').length
    return unreadable(`${path} is not UTF-8 text (first invalid byte on line ${line}); save it as UTF-8`)
  }
}
