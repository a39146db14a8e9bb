// Cell encoding shared by the CSV writer and the kt-events importer, so that export → import → export is exact.
import {neutralize, unneutralize} from '../../util/index.js'

export {neutralize, unneutralize}

/** Tags as one `;`-separated cell; a `;` or `\` inside a tag is escaped with `\`. */
export function joinTags(tags: readonly string[]): string {
  return tags.map((t) => t.replace(/[\\;]/g, (c) => `\\${c}`)).join(';')
}

export function splitTags(cell: string): string[] {
  if (cell === '') return []
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < cell.length; i++) {
    const c = cell[i]!
    if (c === '\\' && i + 1 < cell.length) {
      cur += cell[++i]
    } else if (c === ';') {
      out.push(cur)
      cur = ''
    } else {
      cur += c
    }
  }
  out.push(cur)
  return out
}

export function boolCell(v: number | boolean | null | undefined): string {
  return v === null || v === undefined ? '' : v === true || v === 1 ? 'true' : 'false'
}

/** `true|false` (any case, as spreadsheets rewrite them), `1|0`; empty → null; anything else → undefined. */
export function parseBool(cell: string): boolean | null | undefined {
  if (cell === '') return null
  const c = cell.toLowerCase()
  if (c === 'true' || c === '1') return true
  if (c === 'false' || c === '0') return false
  return undefined
}

/** Empty → null; a finite number; anything else → undefined (the caller rejects the row). */
export function parseNumber(cell: string): number | null | undefined {
  if (cell.trim() === '') return null
  const n = Number(cell)
  return Number.isFinite(n) ? n : undefined
}
