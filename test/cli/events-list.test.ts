// kt events list / tail (without --follow), spawned as a user runs them.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {kt, ROOT, tempDir} from '../support/cli.js'

const MIXED = join(ROOT, 'test', 'data', 'events', 'mixed.jsonl')
const MIRROR = join(ROOT, 'test', 'data', 'events', 'mirror.jsonl')

interface Ev {
  id: string
  timestamp: string
  provider: string | null
  model: string | null
  status: string
  latency_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  usage: {total_tokens: number | null}
  cost: number | null
  tags: string[]
  metadata: Record<string, unknown>
  traffic_role: string | null
  replayable: boolean
  source: {id: string | null}
}

function ok(args: string[]): {stdout: string; stderr: string} {
  const r = kt(args)
  assert.equal(r.code, 0, `kt ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r
}

describe('kt events list', () => {
  const dir = tempDir('kt-list-')
  const db = join(dir, 'kt.db')
  ok(['import', MIXED, '--db', db])
  ok(['import', MIRROR, '--db', db])
  // Two events relative to now, for --since.
  const recent = join(dir, 'recent.jsonl')
  const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString()
  const pair = (ts: string, text: string) =>
    JSON.stringify({
      timestamp: ts,
      request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: text}]},
      response: {id: `chatcmpl-${text}`, object: 'chat.completion', model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'ok'}, finish_reason: 'stop'}], usage: {prompt_tokens: 3, completion_tokens: 1, total_tokens: 4}},
    })
  writeFileSync(recent, `${pair(at(10 * 60_000), 'ten-minutes-ago')}\n${pair(at(3 * 86_400_000), 'three-days-ago')}\n`)
  ok(['import', recent, '--db', db])

  const list = (...args: string[]) => JSON.parse(ok(['events', 'list', '--db', db, '--format', 'json', ...args]).stdout) as Ev[]

  test('--format json prints one JSON array of complete event objects', () => {
    const r = ok(['events', 'list', '--db', db, '--format', 'json'])
    const all = JSON.parse(r.stdout) as Ev[]
    assert.ok(Array.isArray(all))
    assert.equal(all.length, 14)
    assert.ok(r.stdout.trimStart().startsWith('['))
    const ev = all.find((e) => e.model === 'claude-sonnet-4-5' && e.status === 'ok')!
    for (const k of ['id', 'timestamp', 'provider', 'model', 'latency_ms', 'input_tokens', 'output_tokens', 'usage', 'cost', 'status', 'tags', 'metadata']) assert.ok(k in ev, k)
    assert.equal(ev.usage.total_tokens, 200)
    assert.equal(ev.input_tokens, 160)
    assert.deepEqual(ev.tags, ['env=prod', 'lang=de'])
    assert.equal(ev.metadata.city, '東京')
    // list shows replayability as stored
    assert.equal(ev.replayable, true)
    // time order
    const times = all.map((e) => e.timestamp)
    assert.deepEqual(times, [...times].sort())
  })

  test('--since takes durations; bad syntax is a usage error (exit 2) naming the flag', () => {
    const since1h = list('--since', '1h', '--dataset', 'recent')
    assert.equal(since1h.length, 1)
    assert.equal(since1h[0]!.source.id, 'chatcmpl-ten-minutes-ago')
    assert.equal(list('--since', '7d', '--dataset', 'recent').length, 2)
    assert.equal(list('--since', '30m', '--dataset', 'recent').length, 1)
    assert.equal(list('--since', '5m', '--dataset', 'recent').length, 0)
    const bad = kt(['events', 'list', '--db', db, '--since', '1hour'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--since "1hour": not a time; use a duration like 30m, 1h, 7d/)
    assert.equal(bad.stdout, '')
    const both = kt(['events', 'list', '--db', db, '--since', '1h', '--from', '2026-01-01'])
    assert.equal(both.code, 2)
    assert.match(both.stderr, /--since and --from/)
  })

  test('--from/--to window, --model (repeatable), --provider, --dataset', () => {
    const day = list('--from', '2026-01-10T00:00:00Z', '--to', '2026-01-10T23:59:59Z')
    assert.equal(day.length, 7)
    const models = list('--model', 'gpt-4o', '--model', 'claude-haiku-4-5')
    assert.deepEqual([...new Set(models.map((e) => e.model))].sort(), ['claude-haiku-4-5', 'gpt-4o'])
    assert.equal(models.length, 5)
    assert.ok(list('--provider', 'anthropic').every((e) => e.provider === 'anthropic'))
    assert.equal(list('--provider', 'anthropic').length, 4)
    assert.equal(list('--dataset', 'mirror-jan').length, 3)
  })

  test('--tag k=v (all must match) and malformed tags', () => {
    assert.equal(list('--tag', 'env=prod').length, 9)
    const both = list('--tag', 'env=prod', '--tag', 'lang=de')
    assert.equal(both.length, 1)
    assert.equal(both[0]!.model, 'claude-sonnet-4-5')
    const bad = kt(['events', 'list', '--db', db, '--tag', 'env'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--tag "env": expected key=value/)
  })

  test('--filter column=value, column!=value and free text', () => {
    const errors = list('--filter', 'status=error')
    assert.deepEqual(errors.map((e) => e.status), ['error', 'error'])
    assert.equal(list('--filter', 'status!=ok').length, 3)
    assert.deepEqual(list('--filter', 'traffic_role=shadow').map((e) => e.model), ['claude-haiku-4-5'])
    // free text matches metadata
    const checkout = list('--filter', 'checkout')
    assert.equal(checkout.length, 3)
    assert.ok(checkout.every((e) => e.metadata.feature === 'checkout'))
    assert.equal(list('--filter', 'status=error', '--filter', 'rate_limit').length, 0)
  })

  test('--last N keeps the newest N, still oldest first', () => {
    const last2 = list('--last', '2')
    assert.equal(last2.length, 2)
    const all = list()
    assert.deepEqual(last2.map((e) => e.id), all.slice(-2).map((e) => e.id))
    const r = kt(['events', 'list', '--db', db, '--last', '2', '--limit', '3'])
    assert.equal(r.code, 2)
  })

  test('table: a default cap with a note on stderr when more events match', () => {
    const r = ok(['events', 'list', '--db', db, '--limit', '3'])
    const dataLines = r.stdout.split('\n').filter((l) => /\d{4}-\d{2}-\d{2} \d{2}:/.test(l))
    assert.equal(dataLines.length, 3)
    assert.match(r.stderr, /showing the first 3 of 14 matching events/)
    const none = ok(['events', 'list', '--db', db, '--model', 'no-such-model'])
    assert.equal(none.stdout, '')
    assert.match(none.stderr, /no events match/)
  })

  test('--to with a bare date includes that whole day', () => {
    const day = list('--from', '2026-01-10', '--to', '2026-01-10')
    assert.ok(day.length > 0)
    assert.ok(day.every((e) => e.timestamp.startsWith('2026-01-10')))
    assert.ok(day.some((e) => e.timestamp > '2026-01-10T09:00:00'), 'events after midnight are in')
  })

  test('every event has a cost: logs without one are priced from usage and marked estimated', () => {
    const evs = list("--dataset", "mixed") as (Ev & {cost_source: string | null; usage: {input_tokens: number | null}})[]
    const priced = evs.filter((e) => e.usage.input_tokens !== null && e.model && /gpt-4o|claude/.test(e.model))
    assert.ok(priced.length > 0)
    for (const e of priced) {
      assert.equal(typeof e.cost, 'number', `${e.id} ${e.model}`)
      assert.ok(e.cost_source === 'estimated' || e.cost_source === 'reported' || e.cost_source === 'computed', String(e.cost_source))
    }
    assert.ok(priced.some((e) => e.cost_source === 'estimated'))
  })

  test('--format jsonl and csv', () => {
    const lines = ok(['events', 'list', '--db', db, '--format', 'jsonl', '--dataset', 'mixed']).stdout.trimEnd().split('\n')
    assert.equal(lines.length, 8)
    for (const l of lines) assert.equal(typeof (JSON.parse(l) as Ev).id, 'string')
    const csv = parse(ok(['events', 'list', '--db', db, '--format', 'csv', '--dataset', 'mixed']).stdout, {columns: true}) as Record<string, string>[]
    assert.equal(csv.length, 8)
    assert.equal(csv[0]!.dataset, 'mixed')
    assert.equal(csv[0]!.replayable, 'true')
  })
})

describe('kt events tail', () => {
  const dir = tempDir('kt-tail-')
  const db = join(dir, 'kt.db')
  ok(['import', MIXED, '--db', db])

  test('--format jsonl: one JSON object per line, the newest N', () => {
    const r = ok(['events', 'tail', '--db', db, '--format', 'jsonl', '--last', '3'])
    const lines = r.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 3)
    const evs = lines.map((l) => JSON.parse(l) as Ev)
    assert.deepEqual(evs.map((e) => e.timestamp), ['2026-01-10T09:05:00.000Z', '2026-01-10T09:06:00.000Z', '2026-01-11T10:00:00.000Z'])
    assert.equal(evs[2]!.model, 'gpt-4o')
  })

  test('defaults to the last 10 as a table; --model filters', () => {
    const r = ok(['events', 'tail', '--db', db])
    assert.equal(r.stdout.split('\n').filter((l) => /\d{4}-\d{2}-\d{2} \d{2}:/.test(l)).length, 8)
    const m = ok(['events', 'tail', '--db', db, '--model', 'claude-haiku-4-5', '--format', 'jsonl'])
    assert.deepEqual(m.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as Ev).model), ['claude-haiku-4-5'])
  })
})
