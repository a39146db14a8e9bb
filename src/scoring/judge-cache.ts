// The judge's content-hash cache: one JSON file per (judge, rubric, conversation, answer), so a verdict is paid for
// once. Entries are written atomically; a damaged or foreign entry is a miss.
import {mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {randomBytes} from 'node:crypto'
import type {z} from 'zod'
import {PAIRWISE_VERSION, RUBRIC_VERSION} from './judge-prompt.js'

export type JudgeKind = 'pointwise' | 'pairwise'

export class JudgeCache {
  /** `dir` null: no cache (an in-memory database). */
  constructor(
    private readonly dir: string | null,
    private readonly judge: string,
  ) {}

  private path(key: string): string | null {
    return this.dir ? join(this.dir, `${key}.json`) : null
  }

  read<T>(key: string, kind: JudgeKind, validator: z.ZodType<T>): T | null {
    const path = this.path(key)
    if (!path) return null
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return null
    }
    try {
      const entry = JSON.parse(text) as {kind?: unknown; answer?: unknown}
      if (entry.kind !== kind) return null
      const v = validator.safeParse(entry.answer)
      return v.success ? v.data : null
    } catch {
      // A damaged entry is a miss; the next good answer overwrites it.
      return null
    }
  }

  /** Atomic (temp + rename), so a concurrent reader never sees half an entry. A failed write only costs a later call. */
  write(key: string, kind: JudgeKind, answer: unknown, promptSha: string): void {
    const path = this.path(key)
    if (!path) return
    const entry = {schema: 'kt.judge-cache/v1', kind, judge: this.judge, rubric: kind === 'pointwise' ? RUBRIC_VERSION : PAIRWISE_VERSION, prompt_sha256: promptSha, answer}
    const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    try {
      mkdirSync(dirname(path), {recursive: true})
      writeFileSync(tmp, `${JSON.stringify(entry)}\n`)
      renameSync(tmp, path)
    } catch {
      rmSync(tmp, {force: true})
    }
  }
}
