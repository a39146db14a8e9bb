// Shared behaviour of every kt command: user errors print one line (no stack) and set the exit code;
// data goes to stdout, messages and progress to stderr.
import {Command, Flags} from '@oclif/core'
import {openDb, resolveDbPath, type DB} from '../store/index.js'
import {KtError} from '../util/index.js'

export const dbFlag = Flags.string({
  description: 'SQLite database file [default: $KT_DB, else $KT_HOME/kt.db, else ~/.kt/kt.db]',
  helpGroup: 'STORE',
})

export abstract class KtCommand extends Command {
  /** stderr line for humans; never data. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  protected openStore(flag: string | undefined, opts: {readonly?: boolean} = {}): {db: DB; path: string} {
    const path = resolveDbPath(flag)
    return {db: openDb(path, opts), path}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof KtError) {
      process.stderr.write(`kt: ${err.message}\n`)
      process.exitCode = err.exitCode
      return
    }
    const code = (err as {code?: string}).code
    if (code === 'EPIPE') return
    return super.catch(err)
  }
}
