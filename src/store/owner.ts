// Who writes: this host and process, so that work left by a killed process (an import still 'loading', a run
// lease) can be told from work in progress and taken over at once instead of after a timeout.
import {hostname} from 'node:os'
import type {DB} from './db.js'

export const OWNER = `${hostname()}:${process.pid}`

/** Whether the process named by an owner string still runs; another machine's owner is assumed alive. */
export function ownerAlive(owner: string | null): boolean {
  if (!owner) return false
  const [host, pid] = owner.split(':')
  if (host !== hostname()) return true
  if (Number(pid) === process.pid) return true
  try {
    process.kill(Number(pid), 0)
    return true
  } catch (error) {
    return (error as {code?: string}).code === 'EPERM'
  }
}

/** Who is writing to the database, in words, for the message of a command that found it busy; null when nothing says. */
export function busyHolder(db: DB): string | null {
  const pid = (owner: string | null) => owner?.split(':')[1] ?? '?'
  const imp = db.prepare("SELECT file, owner, started_at FROM imports WHERE status = 'loading' ORDER BY id DESC LIMIT 1").get() as {file: string; owner: string | null; started_at: string} | undefined
  if (imp && ownerAlive(imp.owner)) return `kt import of ${imp.file} (process ${pid(imp.owner)}, since ${imp.started_at})`
  const run = db.prepare('SELECT id, lease_owner AS owner FROM runs WHERE lease_owner IS NOT NULL AND lease_until > ? ORDER BY lease_until DESC LIMIT 1').get(new Date().toISOString()) as {id: string; owner: string} | undefined
  if (run && ownerAlive(run.owner)) return `kt replay of run ${run.id} (process ${pid(run.owner)})`
  return null
}
