import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseTimeFlag} from '../../src/util/index.js'

describe('time flags', () => {
  test('a bare date is the start of that day, or its last millisecond for --to (a week from --from 04-01 --to 04-07)', () => {
    assert.equal(parseTimeFlag('from', '2025-04-01'), '2025-04-01T00:00:00.000Z')
    assert.equal(parseTimeFlag('to', '2025-04-07', Date.now(), true), '2025-04-07T23:59:59.999Z')
    // A time given in full is taken as written.
    assert.equal(parseTimeFlag('to', '2025-04-07T12:00:00Z', Date.now(), true), '2025-04-07T12:00:00.000Z')
  })
  test('durations count back from now; anything else is a usage error naming the flag', () => {
    const now = Date.UTC(2026, 0, 10)
    assert.equal(parseTimeFlag('since', '7d', now), '2026-01-03T00:00:00.000Z')
    assert.throws(() => parseTimeFlag('since', 'yesterday', now), (e: Error & {exitCode?: number}) => /--since "yesterday": not a time/.test(e.message) && e.exitCode === 2)
  })
})
