// Event ids for the request path: ULIDs (time-sortable, the same shape records/ulid gives) drawn from a pool of random
// bytes refilled 4 KB at a time, instead of one call into the system's random source per id.
import {randomFillSync} from 'node:crypto'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const pool = Buffer.alloc(4096)
let at = pool.length

/** `gw_` + a ULID. */
export function eventId(now = Date.now()): string {
  if (at + 16 > pool.length) {
    randomFillSync(pool)
    at = 0
  }
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  let rand = ''
  for (let i = 0; i < 16; i++) rand += CROCKFORD[pool[at + i]! % 32]
  at += 16
  return `gw_${time}${rand}`
}
