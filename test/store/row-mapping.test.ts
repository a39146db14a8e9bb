// recordToValues (the importer's positional hot path) must give exactly rowValues(recordToRow(…)) for every
// record, or rows stored by an import would differ from rows stored any other way.
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {ImportSession, readFile} from '../../src/formats/index.js'
import {recordToRow, recordToValues, rowValues} from '../../src/records/index.js'
import {PUBLIC_DATA, ROOT} from '../support/cli.js'

test('recordToValues and recordToRow agree on every shipped and public sample record', async () => {
  const files = [
    join(ROOT, 'fixtures', 'prod-sample.jsonl'),
    ...readdirSync(join(PUBLIC_DATA, 'har')).map((f) => join(PUBLIC_DATA, 'har', f)),
    ...readdirSync(join(PUBLIC_DATA, 'otel')).map((f) => join(PUBLIC_DATA, 'otel', f)),
    join(PUBLIC_DATA, 'litellm', 'standard_logging_payload.json'),
  ]
  let n = 0
  for (const file of files) {
    const opened = await readFile(file, new ImportSession())
    for await (const o of opened.outcomes) {
      if (o.kind !== 'record') continue
      const extra = {dataset: 'd', import_id: 7, request_hash: 'h'}
      assert.deepEqual(recordToValues(o.record, extra), rowValues(recordToRow(o.record, extra)), `${file} ${o.record.source.locator}`)
      n++
    }
  }
  assert.ok(n > 250, `compared ${n} records`)
})
