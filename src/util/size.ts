// Size settings (KT_MAX_DECOMPRESSED_BYTES, KT_MAX_ANSWER_BYTES…): a byte count or a number with a K, M or G suffix,
// read from the environment each time it is needed (tests and users may change it between calls).
import {KtError} from './errors.js'

const UNITS: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}

/** Bytes from `67108864`, `64M`, `512K`, `1G`, `2MB` (binary units); NaN when it is not such a size. */
export function parseSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(raw.trim())
  return m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : Number.NaN
}

/** The size set in `env` (at least 1 byte), else `fallback`; nonsense is a usage error naming the variable. */
export function sizeSetting(env: string, fallback: number): number {
  const raw = process.env[env]?.trim()
  if (!raw) return fallback
  const bytes = parseSize(raw)
  if (!(bytes >= 1)) throw new KtError(`${env} must be a size such as 67108864, 64M or 1G, got "${raw}"`, 2)
  return bytes
}

/** A size for messages: `64 MB`, `1.5 KB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GB`
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MB`
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`
  return `${n} bytes`
}
