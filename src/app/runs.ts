// Naming a run: by id, name, unique id prefix or `last`. Names are unique for new runs; a database from before
// that rule may hold several runs of one name, and then the newest is used, saying so.
import {findRuns, type DB, type RunRow} from '../store/index.js'
import {KtError} from '../util/index.js'

export function pickRun(db: DB, ref: string, note: (line: string) => void, dbPath: string): RunRow {
  const runs = findRuns(db, ref)
  if (runs.length === 0) throw new KtError(`no run "${ref}" in ${dbPath} (see kt runs list)`, 2)
  if (runs.length > 1) note(`${runs.length} runs are named "${ref}"; using the newest, ${runs[0]!.id} (name the others by id: ${runs.slice(1).map((r) => r.id).join(', ')})`)
  return runs[0]!
}
