// kt events export / kt export create: formula neutralising, metadata flattening, streaming writers,
// atomic --output, and the equivalence of the two commands.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {insertSynthetic} from '../../bench/export.js'
import {neutralize, splitTags, joinTags, unneutralize} from '../../src/formats/kt-events/cells.js'
import {exportEventsToFile, streamEvents} from '../../src/app/export-events.js'
import {decodeMetaCell, encodeMetaCell, flattenMetadata, metadataColumns, unflattenMetadata} from '../../src/formats/kt-events/metadata.js'
import {openDb} from '../../src/store/db.js'
import {eventSelect, metadataNodes} from '../../src/store/events.js'
import {KtError} from '../../src/util/errors.js'
import {kt, ROOT, tempDir} from '../support/cli.js'

const MIXED = join(ROOT, 'test', 'data', 'events', 'mixed.jsonl')
const MIRROR = join(ROOT, 'test', 'data', 'events', 'mirror.jsonl')

function ok(args: string[]): {stdout: string; stderr: string} {
  const r = kt(args)
  assert.equal(r.code, 0, `kt ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r
}

describe('cells', () => {
  test('formula cells get one quote; the importer removes exactly that one', () => {
    const cases: [string, string][] = [
      ['=SUM(A1)', "'=SUM(A1)"],
      ['+1+1', "'+1+1"],
      ['-danger', "'-danger"],
      ['@cmd', "'@cmd"],
      ['\tx', "'\tx"],
      ['\rx', "'\rx"],
      ["'=already", "''=already"],
      ["'plain", "'plain"],
      ['-5', '-5'],
      ['-0.25', '-0.25'],
      ['1e-7', '1e-7'],
      ['plain', 'plain'],
      ['', ''],
    ]
    for (const [value, cell] of cases) {
      assert.equal(neutralize(value), cell, JSON.stringify(value))
      assert.equal(unneutralize(cell), value, JSON.stringify(cell))
    }
    // Only a quote followed by a formula character is a prefix kt added.
    assert.equal(unneutralize("'hello"), "'hello")
  })

  test('tags: ; separated, ; and \\ inside a tag escaped', () => {
    const tags = ['env=prod', 'a;b', 'back\\slash', '']
    assert.equal(joinTags(tags), 'env=prod;a\\;b;back\\\\slash;')
    assert.deepEqual(splitTags(joinTags(tags)), tags)
    assert.deepEqual(splitTags(''), [])
  })

  test('metadata cells: text as is, everything else as JSON, ambiguous strings quoted', () => {
    const values: unknown[] = ['hello', '42', 'true', '', 'null', '"q"', '[x', '{"a":1}', 42, -5, 1.5, true, null, [1, 'a'], {}, '12 ', ' 12', '東京']
    for (const v of values) assert.deepEqual(decodeMetaCell(encodeMetaCell(v)), v, JSON.stringify(v))
    assert.equal(encodeMetaCell('hello'), 'hello')
    assert.equal(encodeMetaCell('42'), '"42"')
    assert.equal(encodeMetaCell(42), '42')
    assert.equal(encodeMetaCell(''), '""')
    assert.equal(decodeMetaCell(''), undefined)
  })

  test('flatten/unflatten: nested objects to dotted columns and back, dots in keys escaped', () => {
    const meta = {user: 'u1', request: {team: 'pay', geo: {region: 'eu'}}, 'a.b': 1, list: [1, {x: 2}], empty: {}, n: null}
    const flat = flattenMetadata(meta)
    assert.deepEqual([...flat.keys()].sort(), ['metadata.a\\.b', 'metadata.empty', 'metadata.list', 'metadata.n', 'metadata.request.geo.region', 'metadata.request.team', 'metadata.user'])
    assert.deepEqual(unflattenMetadata(flat), meta)
    const polluted = unflattenMetadata([['metadata.__proto__.polluted', 'yes']])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.deepEqual(JSON.parse(JSON.stringify(polluted)), {['__proto__']: {polluted: 'yes'}})
  })

  test('the SQL pre-pass finds the same column set as flattening each row, sorted', () => {
    const db = openDb(':memory:')
    const metas = [{b: 1, a: {x: 1, y: {z: 2}}}, {a: 5, arr: [{q: 1}], 'd.e': {f: 1}}, {}, {a: {}, c: 'x'}]
    const ins = db.prepare("INSERT INTO events (event_id, timestamp, status, metadata_json) VALUES (?, '2026-01-01T00:00:00Z', 'ok', ?)")
    metas.forEach((m, i) => ins.run(`e${i}`, JSON.stringify(m)))
    ins.run('bad', '{not json')
    const expected = new Set<string>()
    for (const m of metas) for (const k of flattenMetadata(m).keys()) expected.add(k)
    assert.deepEqual(metadataColumns(metadataNodes(db, eventSelect({}, ['metadata_json']))), [...expected].sort())
    assert.deepEqual(metadataColumns(metadataNodes(db, eventSelect({filter: ['event_id=e1']}, ['metadata_json']))), ['metadata.a', 'metadata.arr', 'metadata.d\\.e.f'])
    db.close()
  })
})

describe('kt events export', () => {
  const dir = tempDir('kt-export-')
  const db = join(dir, 'kt.db')
  ok(['import', MIXED, '--db', db])
  ok(['import', MIRROR, '--db', db])

  test('CSV: header in §12 order then kt columns, metadata.*, bodies; every formula cell neutralised', () => {
    const r = ok(['events', 'export', '--db', db, '--include-bodies'])
    assert.ok(!r.stdout.startsWith('\ufeff'), 'no BOM')
    const rows = parse(r.stdout) as string[][]
    const header = rows[0]!
    assert.deepEqual(header.slice(0, 3), ['event_id', 'timestamp', 'trace_id'])
    assert.equal(header.indexOf('tags') + 1, header.indexOf('request_hash'))
    assert.equal(header[header.indexOf('request_hash') + 1], 'request_id')
    assert.deepEqual(header.slice(-3), ['request_json', 'response_json', 'response_text'])
    const meta = header.filter((h) => h.startsWith('metadata.'))
    assert.deepEqual(meta, [...meta].sort())
    assert.ok(meta.includes('metadata.request.team'))
    assert.ok(meta.includes('metadata.a\\.b'))
    const records = parse(r.stdout, {columns: true}) as Record<string, string>[]
    const sum = records.find((x) => x.response_text?.includes('SUM(A1:A3)'))!
    assert.equal(sum.response_text, "'=SUM(A1:A3) is the formula you want")
    assert.equal(sum['metadata.user'], "'=cmd|' /C calc'!A0")
    assert.equal(sum['metadata.feature'], "'@sheet")
    assert.equal(sum['metadata.formula'], "'+1+1")
    assert.equal(sum['metadata.quoted'], "''=already")
    assert.equal(sum['metadata.neg'], '-5')
    assert.equal(sum['metadata.neg_str'], '"-5"')
    assert.equal(sum.tags, "'-danger;env=prod;a\\;b")
    assert.equal(sum.replayable, 'true')
    const tab = records.find((x) => x.finish_reason === 'length')!
    assert.equal(tab.response_text, "'\tIndented start, then cut")
    const quoted = records.find((x) => x.response_text?.startsWith('Sure'))!
    assert.equal(quoted.response_text, 'Sure, here is "the" answer:\nline 2, with a comma\r\nline 3; semicolon')
    // No cell anywhere a spreadsheet would evaluate (numbers like -0.25 are data, not formulas).
    for (const row of rows.slice(1)) {
      for (const cell of row) assert.ok(!/^[=+@\t\r]/.test(cell) && !/^-(?!\d)/.test(cell), `unsafe cell ${JSON.stringify(cell)}`)
    }
    const cmp = records.find((x) => x.kind === 'comparison')!
    assert.equal(cmp.comparison_score, '-0.25')
    assert.equal(cmp.stream, '')
    assert.equal(cmp.traffic_role, 'comparison')
    const decision = records.find((x) => x.kind === 'decision')!
    assert.equal(decision.timestamp_inferred, 'true')
    assert.equal(decision.dataset, '')
    // RFC 4180 line breaks between records
    assert.ok(r.stdout.split('\r\n').length > rows.length)
  })

  test('without --include-bodies no body columns, and replayable is false (metrics-only file)', () => {
    const records = parse(ok(['events', 'export', '--db', db]).stdout, {columns: true}) as Record<string, string>[]
    assert.equal(records.length, 12)
    assert.ok(!('request_json' in records[0]!))
    assert.ok(records.every((x) => x.replayable === 'false'))
  })

  test('json is one streamed array (also when empty); jsonl one object per line; bodies on request', () => {
    const json = JSON.parse(ok(['events', 'export', '--db', db, '--format', 'json', '--include-bodies']).stdout) as {request: {model: string} | null; response_text: string | null; usage: {total_tokens: number}}[]
    assert.equal(json.length, 12)
    assert.equal(json[0]!.request!.model, 'gpt-4o-mini')
    assert.equal(json[0]!.usage.total_tokens, 102)
    const empty = ok(['events', 'export', '--db', db, '--format', 'json', '--model', 'nope'])
    assert.equal(empty.stdout, '[]\n')
    const lines = ok(['events', 'export', '--db', db, '--format', 'jsonl', '--dataset', 'mirror-jan']).stdout.trimEnd().split('\n')
    assert.equal(lines.length, 3)
    assert.ok(lines.every((l) => !('request' in (JSON.parse(l) as object))))
  })

  test('export create is the same export; --description goes to the summary and a manifest', () => {
    const a = ok(['events', 'export', '--db', db, '--format', 'jsonl', '--since', '2026-01-01', '--filter', 'status=ok'])
    const b = ok(['export', 'create', '--type', 'events', '--db', db, '--format', 'jsonl', '--since', '2026-01-01', '--filter', 'status=ok'])
    assert.equal(b.stdout, a.stdout)
    assert.ok(a.stdout.length > 0)
    const out = join(dir, 'week.csv')
    const c = ok(['export', 'create', '--type', 'events', '--db', db, '--format', 'csv', '--since', '2026-01-01', '--description', 'weekly audit', '--output', out])
    assert.match(c.stderr, /exported 12 events to .*week\.csv \(csv, .*\) — "weekly audit"/)
    assert.equal(readFileSync(out, 'utf8'), ok(['events', 'export', '--db', db, '--since', '2026-01-01']).stdout)
    const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as {description: string; events: number; format: string; filters: {since: string}}
    assert.equal(manifest.description, 'weekly audit')
    assert.equal(manifest.events, 12)
    assert.equal(manifest.format, 'csv')
    assert.equal(manifest.filters.since, '2026-01-01')
    const bad = kt(['export', 'create', '--type', 'runs', '--db', db])
    assert.equal(bad.code, 2)
  })

  test('--output: complete file appears, no temp file is left; a missing directory fails cleanly', () => {
    const out = join(dir, 'out', 'x.csv')
    const r = kt(['events', 'export', '--db', db, '--output', out])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cannot write .*x\.csv: the directory does not exist/)
    const target = join(dir, 'all.jsonl')
    const ok1 = ok(['events', 'export', '--db', db, '--format', 'jsonl', '--output', target])
    assert.equal(ok1.stdout, '')
    assert.match(ok1.stderr, /exported 12 events to .*all\.jsonl/)
    assert.equal(readFileSync(target, 'utf8').trimEnd().split('\n').length, 12)
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [])
    const self = kt(['events', 'export', '--db', db, '--output', db])
    assert.equal(self.code, 2)
    assert.match(self.stderr, /is the kt database itself/)
  })

  test('--output: an export interrupted half way leaves the old file untouched and no temp file', async () => {
    const d = tempDir('kt-atomic-')
    const big = openDb(join(d, 'big.db'))
    insertSynthetic(big, 12_000)
    const target = join(d, 'export.csv')
    writeFileSync(target, 'previous complete export\n')
    const controller = new AbortController()
    let progressed = 0
    await assert.rejects(
      exportEventsToFile(big, {}, target, {
        format: 'csv',
        signal: controller.signal,
        onProgress: (n) => {
          progressed = n
          if (n >= 5000) controller.abort()
        },
      }),
      (e: unknown) => e instanceof KtError && e.exitCode === 130,
    )
    assert.equal(progressed, 5000)
    assert.equal(readFileSync(target, 'utf8'), 'previous complete export\n')
    assert.deepEqual(readdirSync(d).sort(), ['big.db', 'big.db-shm', 'big.db-wal', 'export.csv'].filter((f) => existsSync(join(d, f))).sort())
    // And a complete run replaces it.
    const done = await exportEventsToFile(big, {}, target, {format: 'csv'})
    assert.equal(done.count, 12_000)
    assert.equal(readFileSync(target, 'utf8').split('\r\n').length, 12_002)
    big.close()
  })

  test('streaming honours backpressure: a slow reader never makes the writer buffer everything', async () => {
    const d = tempDir('kt-bp-')
    const big = openDb(join(d, 'big.db'))
    insertSynthetic(big, 20_000)
    const out = new PassThrough({highWaterMark: 16 * 1024})
    let maxBuffered = 0
    let chunksRead = 0
    out.on('data', () => {
      chunksRead++
      out.pause()
      setImmediate(() => out.resume())
    })
    const r = await streamEvents(big, {}, out, {format: 'jsonl', onProgress: () => (maxBuffered = Math.max(maxBuffered, out.writableLength))})
    maxBuffered = Math.max(maxBuffered, out.writableLength)
    out.end()
    assert.equal(r.count, 20_000)
    assert.ok(r.bytes > 5 * 1024 * 1024, `only ${r.bytes} bytes`)
    // The writer waited for the slow reader (many reads happened while it ran) and never queued more than
    // about one 64 KB chunk beyond the high-water mark.
    assert.ok(chunksRead > 50, `only ${chunksRead} reads interleaved`)
    assert.ok(maxBuffered < 200 * 1024, `buffered ${maxBuffered}`)
    big.close()
  })
})
