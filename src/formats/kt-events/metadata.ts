// Metadata in CSV: one `metadata.<key>` column per leaf (nested objects → `metadata.a.b`), so spreadsheets can
// filter on it, and unflattened back into the same object on import. Cells hold the text of a string value,
// or JSON for anything else (numbers, booleans, null, arrays, empty objects) and for strings that would
// otherwise read back as something else (`"42"`, `"true"`, `""`).

export const METADATA_PREFIX = 'metadata'

/** A `.` or `\` inside a key is escaped with `\`, so keys that contain dots survive the round trip. */
export function escapeKey(key: string): string {
  if (!key.includes('.') && !key.includes('\\')) return key
  return key.replace(/[\\.]/g, (c) => `\\${c}`)
}

/** `metadata.a.b\.c` → ['a', 'b.c']; null when the column is not a metadata column. */
export function metadataPath(column: string): string[] | null {
  if (!column.startsWith(`${METADATA_PREFIX}.`)) return null
  const rest = column.slice(METADATA_PREFIX.length + 1)
  const keys: string[] = []
  let cur = ''
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!
    if (c === '\\' && i + 1 < rest.length) cur += rest[++i]
    else if (c === '.') {
      keys.push(cur)
      cur = ''
    } else cur += c
  }
  keys.push(cur)
  return keys
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

const JSONISH = /^(?:[-\d[{"]|true$|false$|null$)/

/** Reads a metadata cell: '' → undefined (key absent); JSON literals/arrays/objects/quoted strings → parsed; else the text. */
export function decodeMetaCell(cell: string): unknown {
  if (cell === '') return undefined
  if (JSONISH.test(cell)) {
    try {
      return JSON.parse(cell) as unknown
    } catch {
      return cell
    }
  }
  return cell
}

/** Inverse of decodeMetaCell: plain text when it reads back as the same string, JSON otherwise. */
export function encodeMetaCell(v: unknown): string {
  if (typeof v === 'string') return decodeMetaCell(v) === v ? v : JSON.stringify(v)
  return JSON.stringify(v) ?? 'null'
}

/** Leaf columns of one metadata object: descends into non-empty plain objects; arrays and `{}` are leaves. */
export function flattenMetadata(meta: Record<string, unknown>, out: Map<string, string> = new Map()): Map<string, string> {
  const walk = (v: unknown, column: string) => {
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, `${column}.${escapeKey(k)}`)
    } else {
      out.set(column, encodeMetaCell(v))
    }
  }
  if (isPlainObject(meta)) for (const [k, v] of Object.entries(meta)) walk(v, `${METADATA_PREFIX}.${escapeKey(k)}`)
  return out
}

/** Own property even for `__proto__`, as JSON.parse would make it (plain assignment would swap the prototype). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, {value: v, writable: true, enumerable: true, configurable: true})
}

/** Rebuilds the object from (column, cell) pairs; empty cells mean "key absent". */
export function unflattenMetadata(cells: Iterable<[string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [column, cell] of cells) {
    const path = metadataPath(column)
    const value = decodeMetaCell(cell)
    if (!path || value === undefined) continue
    let node = root
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!
      let next = Object.hasOwn(node, k) ? node[k] : undefined
      if (!isPlainObject(next)) {
        next = {}
        setKey(node, k, next)
      }
      node = next as Record<string, unknown>
    }
    setKey(node, path[path.length - 1]!, value)
  }
  return root
}

/** One distinct node of the events' metadata trees, as the store lists it (see store/events.ts metadataNodes). */
export interface MetadataNode {
  fullkey: string
  path: string
  key: string
  /** A non-empty object somewhere: not a leaf there. */
  branch: number
}

/**
 * The sorted metadata column set of a set of events, from their distinct metadata nodes (a pre-pass, so the CSV
 * header is known before the first row and is the same on every run). A node is a leaf column when it is not a
 * non-empty object somewhere; nodes inside arrays are not columns (the array is). Parents are linked through
 * json_tree's own `path`/`fullkey` text, so no key quoting has to be parsed.
 */
export function metadataColumns(rows: readonly MetadataNode[]): string[] {
  const nodes = new Map<string, {path: string; key: string; leaf: boolean}>()
  for (const r of rows) {
    const n = nodes.get(r.fullkey) ?? {path: r.path, key: r.key, leaf: false}
    if (!r.branch) n.leaf = true
    nodes.set(r.fullkey, n)
  }
  const names = new Map<string, string | null>()
  const nameOf = (fullkey: string): string | null => {
    if (names.has(fullkey)) return names.get(fullkey)!
    const n = nodes.get(fullkey)
    let name: string | null = null
    if (n) {
      const parent = n.path === '$' ? METADATA_PREFIX : nameOf(n.path)
      name = parent === null ? null : `${parent}.${escapeKey(n.key)}`
    }
    names.set(fullkey, name)
    return name
  }
  const columns: string[] = []
  for (const [fullkey, n] of nodes) {
    if (!n.leaf) continue
    const name = nameOf(fullkey)
    if (name !== null) columns.push(name)
  }
  return columns.sort()
}
