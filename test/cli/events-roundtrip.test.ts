// export → import into a fresh database → export again must give the same bytes, for every format,
// with and without bodies; and the re-imported events must equal the originals column by column.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {kt, ROOT, tempDir} from '../support/cli.js'

const MIXED = join(ROOT, 'test', 'data', 'events', 'mixed.jsonl')
const MIRROR = join(ROOT, 'test', 'data', 'events', 'mirror.jsonl')

function ok(args: string[]): string {
  const r = kt(args)
  assert.equal(r.code, 0, `kt ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

const GATEWAY_COLUMNS = ['target_id', 'model_group', 'policies_triggered_json', 'traffic_mirror_json']

type Row = Record<string, unknown>
function rows(db: string): Row[] {
  const d = new Database(db, {readonly: true})
  try {
    return d.prepare('SELECT * FROM events ORDER BY event_id').all() as Row[]
  } finally {
    d.close()
  }
}

describe('events round trip', () => {
  const dir = tempDir('kt-rt-')
  const a = join(dir, 'a.db')
  ok(['import', MIXED, '--db', a])
  ok(['import', MIRROR, '--db', a])
  const original = rows(a)

  test('the fixture database holds what the test relies on', () => {
    assert.equal(original.length, 12)
    assert.ok(original.some((r) => r.traffic_role === 'shadow'))
    assert.ok(original.some((r) => r.kind === 'comparison' && r.comparison_score === -0.25))
    assert.ok(original.some((r) => r.status === 'error' && r.http_status === 429))
    assert.ok(original.some((r) => typeof r.response_text === 'string' && (r.response_text as string).startsWith('=SUM')))
    assert.ok(original.some((r) => r.stream === null))
    assert.equal(original.filter((r) => r.replayable === 1).length, 8)
    const routed = original.find((r) => r.target_id !== null)!
    assert.deepEqual([routed.target_id, routed.model_group], ['openai', 'quality-ab-test'])
    assert.equal(JSON.parse(routed.policies_triggered_json as string)[0].action, 'flag')
    assert.equal(JSON.parse(routed.traffic_mirror_json as string).comparison.content_similarity, 0.81)
  })

  const cases: {name: string; format: string; bodies: boolean}[] = [
    {name: 'csv', format: 'csv', bodies: false},
    {name: 'csv with bodies', format: 'csv', bodies: true},
    {name: 'jsonl', format: 'jsonl', bodies: false},
    {name: 'jsonl with bodies', format: 'jsonl', bodies: true},
    {name: 'json with bodies', format: 'json', bodies: true},
  ]
  for (const c of cases) {
    test(`${c.name}: export → import (fresh db) → export is byte-identical`, () => {
      const extra = c.bodies ? ['--include-bodies'] : []
      const file = join(dir, `${c.name.replaceAll(' ', '-')}.${c.format}`)
      ok(['events', 'export', '--db', a, '--format', c.format, '--output', file, ...extra])
      const first = readFileSync(file)
      const fresh = join(dir, `${c.name.replaceAll(' ', '-')}.db`)
      const imp = kt(['import', file, '--db', fresh, '--json'])
      assert.equal(imp.code, 0, imp.stderr)
      const summary = JSON.parse(imp.stdout) as {files: {format: string; imported: number; not_replayable: number; rejected: number}[]}
      assert.equal(summary.files[0]!.format, 'kt-events')
      assert.equal(summary.files[0]!.rejected, 0)
      // Replayable again only when the bodies travelled with the file.
      assert.equal(summary.files[0]!.imported, c.bodies ? 8 : 0)
      assert.equal(summary.files[0]!.not_replayable, c.bodies ? 4 : 12)
      const second = ok(['events', 'export', '--db', fresh, '--format', c.format, ...extra])
      assert.equal(second, first.toString('utf8'))
      assert.ok(Buffer.from(second).equals(first))

      const back = rows(fresh)
      assert.equal(back.length, original.length)
      for (let i = 0; i < original.length; i++) {
        const o = original[i]!
        const b = back[i]!
        for (const k of Object.keys(o)) {
          if (k === 'import_id') continue
          if (k === 'metadata_json') {
            assert.deepEqual(JSON.parse(b[k] as string), JSON.parse(o[k] as string), `${o.event_id} metadata`)
            continue
          }
          if (!c.bodies && (k === 'request_json' || k === 'response_json' || k === 'response_text' || k === 'replayable')) continue
          // The gateway's decisions travel in JSON exports (top-level keys); a CSV has no cells for them.
          if (c.format === 'csv' && GATEWAY_COLUMNS.includes(k)) continue
          assert.deepEqual(b[k], o[k], `${o.event_id} column ${k}`)
        }
        if (!c.bodies) assert.equal(b.replayable, 0)
      }
    })
  }

  test('the dataset column wins over the file name, but not over --dataset', () => {
    const file = join(dir, 'export-for-dataset.csv')
    ok(['events', 'export', '--db', a, '--output', file])
    const fresh = join(dir, 'ds1.db')
    ok(['import', file, '--db', fresh])
    const datasets = new Set(rows(fresh).map((r) => r.dataset))
    assert.deepEqual([...datasets].sort(), [null, 'mirror-jan', 'mixed'].sort())
    const forced = join(dir, 'ds2.db')
    ok(['import', file, '--db', forced, '--dataset', 'mine', '--tag', 'src=copy'])
    const r2 = rows(forced)
    assert.ok(r2.every((r) => r.dataset === 'mine'))
    assert.ok(r2.every((r) => (JSON.parse(r.tags as string) as string[]).includes('src=copy')))
  })

  test('importing an export into the same database adds nothing (ids are kept)', () => {
    const file = join(dir, 'same.jsonl')
    ok(['events', 'export', '--db', a, '--format', 'jsonl', '--output', file])
    const r = kt(['import', file, '--db', a, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout) as {totals: {duplicates: number; imported: number; not_replayable: number}}
    assert.equal(s.totals.duplicates, 12)
    assert.equal(s.totals.imported + s.totals.not_replayable, 0)
  })

  test('a hand-edited CSV row with a bad number is rejected with its line and column', () => {
    const csv = ok(['events', 'export', '--db', a, '--filter', 'status=error'])
    const table = parse(csv) as string[][]
    table[1]![table[0]!.indexOf('latency_ms')] = 'fast'
    const file = join(dir, 'edited.csv')
    writeFileSync(file, stringify(table, {record_delimiter: 'windows'}))
    const r = kt(['import', file, '--db', join(dir, 'edited.db')])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /column latency_ms: "fast" is not a number/)
    assert.match(r.stderr, /edited\.csv:2/)
  })
})
