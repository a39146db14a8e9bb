// Shared behaviour of every kt command: user errors print one line (no stack) and set the exit code;
// data goes to stdout, messages and progress to stderr.
import {existsSync} from 'node:fs'
import {Command, Flags} from '@oclif/core'
import {busyHolder, describeSqliteError, openDb, resolveDbPath, type DB} from '../store/index.js'
import {KtError} from '../util/index.js'

export const dbFlag = Flags.string({
  description: 'SQLite database file [default: $KT_DB, else $KT_HOME/kt.db, else ~/.kt/kt.db]',
  helpGroup: 'STORE',
})

export abstract class KtCommand extends Command {
  /** The database this command opened, to name it (and who holds it) in a database error. */
  private dbPath: string | null = null

  /** stderr line for humans; never data. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /**
   * Opens the database. Commands that only read (`mustExist`) never create one: a missing file is a usage error
   * that says how to make one, not an empty database.
   */
  protected openStore(flag: string | undefined, opts: {readonly?: boolean; mustExist?: boolean} = {}): {db: DB; path: string} {
    const path = resolveDbPath(flag)
    if (opts.mustExist && !existsSync(path)) {
      throw new KtError(`no kt database at ${path}; import logs first (kt import FILE${flag ? ` --db ${flag}` : ''}) or pass --db FILE`, 2)
    }
    this.dbPath = path
    return {db: openDb(path, {readonly: opts.readonly}), path}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof KtError) {
      process.stderr.write(`kt: ${err.message}\n`)
      process.exitCode = err.exitCode
      return
    }
    const code = (err as {code?: string}).code
    if (code === 'EPIPE') return
    if (code?.startsWith('SQLITE_')) {
      process.stderr.write(`kt: ${this.databaseMessage(err)}\n`)
      process.exitCode = 1
      return
    }
    return super.catch(err)
  }

  /** A database error in words; for a busy database, which command holds it when the store can tell. */
  private databaseMessage(err: Error): string {
    const path = this.dbPath ?? 'the database'
    if (!/^SQLITE_(BUSY|LOCKED)/.test((err as {code?: string}).code ?? '')) return `database ${path}: ${describeSqliteError(err)}`
    let holder: string | null = null
    if (this.dbPath) {
      try {
        const ro = openDb(this.dbPath, {readonly: true, busyTimeoutMs: 200})
        try {
          holder = busyHolder(ro)
        } finally {
          ro.close()
        }
      } catch {
        // Nothing more to say than that it is busy.
      }
    }
    return `database ${path} is busy: ${holder ?? 'another kt command'} is writing to it; try again when it finishes`
  }
}

/** `--level 95` or `95%` → 95 (the report checks its range); anything that is not a number is a usage error. */
export function levelFlag(text: string): number {
  const t = text.trim().replace(/%$/, '')
  const n = Number(t)
  if (t === '' || !Number.isFinite(n)) throw new KtError(`--level "${text}": expected a percentage such as 90, 95 or 99`, 2)
  return n
}
