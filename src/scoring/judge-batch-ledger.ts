// The judge's batches that were submitted and not yet collected, in a small JSON file beside the judge cache
// (`batches-pending.json`), so that a `--judge-via batch` pass stopped while waiting (Ctrl-C, SIGTERM, a CI timeout)
// is picked up by the next one: it waits for those batches and takes their answers before submitting anything new,
// instead of paying for the same asks again. A file, not the database: the judge cache it feeds is files too, and a
// pass may judge a run of any database sharing the cache. Written atomically; a damaged file reads as empty (the
// batches then only cost what they cost, as before this ledger existed).
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface PendingJudgeBatch {
  batch_id: string
  /** The judge model the batch asked (judge.model): another judge's batches are left alone. */
  judge: string
  /** The wire API of its requests, to read its results. */
  wire: string
  created_at: string
}

/** More than this many pending batches means something else is wrong; older entries are dropped. */
const MAX_ENTRIES = 1000

export class JudgeBatchLedger {
  /** `dir` null (an in-memory database, no cache): nothing is remembered. */
  constructor(private readonly dir: string | null) {}

  private get file(): string | null {
    return this.dir ? join(this.dir, 'batches-pending.json') : null
  }

  all(): PendingJudgeBatch[] {
    const file = this.file
    if (!file) return []
    try {
      const v: unknown = JSON.parse(readFileSync(file, 'utf8'))
      if (!Array.isArray(v)) return []
      return v.filter((e): e is PendingJudgeBatch => typeof e === 'object' && e !== null && typeof (e as PendingJudgeBatch).batch_id === 'string' && typeof (e as PendingJudgeBatch).judge === 'string' && typeof (e as PendingJudgeBatch).wire === 'string')
    } catch {
      return []
    }
  }

  forJudge(judge: string): PendingJudgeBatch[] {
    return this.all().filter((e) => e.judge === judge)
  }

  add(entry: PendingJudgeBatch): void {
    this.write([...this.all().filter((e) => e.batch_id !== entry.batch_id), entry].slice(-MAX_ENTRIES))
  }

  remove(ids: readonly string[]): void {
    if (ids.length === 0) return
    const gone = new Set(ids)
    this.write(this.all().filter((e) => !gone.has(e.batch_id)))
  }

  private write(entries: PendingJudgeBatch[]): void {
    const file = this.file
    if (!file) return
    mkdirSync(this.dir!, {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(entries, null, 1)}\n`)
    renameSync(tmp, file)
  }
}
