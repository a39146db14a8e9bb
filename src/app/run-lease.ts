// One process replays (or collects) a run at a time: the lease is renewed while it works and taken over only when
// stale. `kt replay`, `kt replay --resume` and `kt runs wait` hold it.
import {releaseRunLease, renewRunLease, takeRunLease, type DB} from '../store/index.js'
import {KtError} from '../util/index.js'

const LEASE_MS = 30_000

/** Takes the run's lease (or fails naming its holder); `onLost` runs if another process takes it over. Returns the release. */
export function leaseRun(db: DB, runId: string, onLost: () => void): () => void {
  const held = takeRunLease(db, runId, LEASE_MS)
  if (held) {
    const [host, pid] = held.owner.split(':')
    throw new KtError(`run ${runId} is being replayed by another process (process ${pid} on ${host}, lease until ${held.until}); wait for it to finish or stop it, then resume`)
  }
  const timer = setInterval(() => {
    try {
      if (!renewRunLease(db, runId, LEASE_MS)) onLost()
    } catch {
      // A busy database: the lease is renewed on the next tick, well before it expires.
    }
  }, LEASE_MS / 3)
  timer.unref()
  return () => {
    clearInterval(timer)
    try {
      releaseRunLease(db, runId)
    } catch {
      // It expires on its own.
    }
  }
}
