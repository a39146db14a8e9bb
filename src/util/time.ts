import {KtError} from './errors.js'

const UNITS: Record<string, number> = {s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3}

/**
 * `30m`, `1h`, `7d`, `2w` (ago, relative to now) or an ISO date/time → ISO string. Bad input: KtError exit 2.
 * A bare date (`2025-04-07`) is the start of that day (UTC), or with `endOfDay` its last millisecond, so that
 * `--from 2025-04-01 --to 2025-04-07` is the whole week.
 */
export function parseTimeFlag(flag: string, value: string, now = Date.now(), endOfDay = false): string {
  const v = value.trim()
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(v)
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!).toISOString()
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const d = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) || v.length === 10 ? v : `${v}Z`)
    if (!Number.isNaN(d.getTime())) return endOfDay && v.length === 10 ? new Date(d.getTime() + 86400e3 - 1).toISOString() : d.toISOString()
  }
  throw new KtError(`--${flag} "${value}": not a time; use a duration like 30m, 1h, 7d, 2w or an ISO date like 2026-01-31T12:00:00Z`, 2)
}
