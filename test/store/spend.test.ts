// gatewaySpend: what cost_limit's day and month budgets read. It sums the cost of the events the gateway wrote
// (primaries and shadows, through the side thread's own write path) in a half-open UTC time range, and leaves out
// other datasets and events imported into dataset `gateway` (someone else's spend, or the same spend twice).
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'
import {recordToValues} from '../../src/records/index.js'
import {EventWriter, gatewaySpend, ImportStore, openDb} from '../../src/store/index.js'
import {buildRecord} from '../../src/wire/index.js'
import {tempDir} from '../support/cli.js'

let n = 0
const event = (timestamp: string, cost: number | null, role: 'primary' | 'shadow' = 'primary', format = 'kt-gateway') =>
  buildRecord({format, locator: '/v1/chat/completions', id: `gw_${++n}`, timestamp, model: 'gpt-4o-mini', cost_usd: cost, event: {traffic_role: role}}, {file: '', fileMtime: timestamp})

test('gatewaySpend sums the gateway’s own events (primaries and shadows) in [from, to), nothing else', () => {
  const path = join(tempDir('kt-spend-'), 'kt.db')
  const db = openDb(path)
  try {
    const writer = new EventWriter(db)
    const write = (r: ReturnType<typeof event>, dataset = 'gateway') => assert.ok(writer.writeValues(recordToValues(r, {dataset, kind: 'request', request_hash: null})))
    write(event('2026-03-09T23:59:59.999Z', 100)) // the day before
    write(event('2026-03-10T00:00:00.000Z', 1.5)) // the first instant counts
    write(event('2026-03-10T12:00:00.000Z', 0.25, 'shadow'))
    write(event('2026-03-10T13:00:00.000Z', null)) // a refusal: no cost
    write(event('2026-03-10T23:59:59.999Z', 2))
    write(event('2026-03-11T00:00:00.000Z', 1000)) // the next day starts the next range
    write(event('2026-03-10T14:00:00.000Z', 7), 'replays') // another dataset
    write(event('2026-03-10T15:00:00.000Z', 9, 'primary', 'openai-batch'), 'gateway') // not written by the gateway
    // Events imported into dataset `gateway` (an export of another gateway, say) are not this gateway's spend.
    const imports = new ImportStore(db, path)
    const id = imports.beginFile('other.jsonl', 'kt-events', 'gateway', {bulkCheck: false})
    imports.write(recordToValues(event('2026-03-10T16:00:00.000Z', 50), {dataset: 'gateway', import_id: id, request_hash: null}))
    imports.endFile(id, {imported: 1, duplicates: 0, not_replayable: 0, skipped: 0, rejected: 0})
    imports.close()

    assert.equal(gatewaySpend(db, '2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z'), 3.75)
    assert.equal(gatewaySpend(db, '2026-03-01T00:00:00.000Z', '2026-03-10T00:00:00.000Z'), 100)
    assert.equal(gatewaySpend(db, '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'), 1103.75)
    assert.equal(gatewaySpend(db, '2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'), 0, 'no events: 0, not null')
  } finally {
    db.close()
  }
})
