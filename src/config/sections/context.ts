// What every section's normaliser shares: the problem collector, the raw top-level and `providers:` mappings,
// and the targets seen so far (later sections check their references against them).
import {formatPath, type IssueCollector, type PathSeg} from '../issues.js'
import {refHint} from '../names.js'
import type {SourceRef, TargetConfig} from '../types.js'

export type Obj = Record<string, unknown>

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export interface Ctx {
  readonly c: IssueCollector
  /** The whole file, `key: (nothing)` entries removed. */
  readonly data: Obj
  /** `providers:` when it is a mapping, else empty. */
  readonly providers: Obj
  /** Ids of every target written with a string id, valid or not: references to a broken target are not "unknown". */
  readonly targetIds: Map<string, number | null>
  /** The valid targets, by id. */
  readonly targets: Map<string, TargetConfig>
  /** `silent_model` of valid targets, resolved once every target is known. */
  readonly silentModels: {target: string; value: string; path: PathSeg[]}[]
}

export function newCtx(c: IssueCollector, data: Obj, providers: Obj): Ctx {
  return {c, data, providers, targetIds: new Map(), targets: new Map(), silentModels: []}
}

/** Where a normalised item came from, for later messages (gate parser, routing). */
export function src(ctx: Ctx, path: readonly PathSeg[]): SourceRef {
  return {path: formatPath(path), line: ctx.c.lineOf(path)}
}

/** Checks a reference to a target id; reports `no target "x"` at `path`. */
export function targetRef(ctx: Ctx, path: readonly PathSeg[], id: string): boolean {
  if (ctx.targetIds.has(id)) return true
  ctx.c.error(path, `no target "${id}"${refHint(id, [...ctx.targetIds.keys()], 'targets')}`)
  return false
}

