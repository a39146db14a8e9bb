// kt events tail --follow: picks up events another process stores, and exits 0 on SIGTERM/SIGINT.
import assert from 'node:assert/strict'
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {BIN, kt, ROOT, tempDir} from '../support/cli.js'

const MIXED = join(ROOT, 'test', 'data', 'events', 'mixed.jsonl')

function follow(args: string[]): {child: ChildProcessWithoutNullStreams; lines: () => string[]; stderr: () => string; waitLines: (n: number) => Promise<string[]>; exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>} {
  const env: NodeJS.ProcessEnv = {...process.env, KT_NO_PROGRESS: '1'}
  delete env.KT_DB
  delete env.KT_HOME
  const child = spawn(process.execPath, [BIN, ...args], {env, cwd: ROOT})
  let out = ''
  let err = ''
  const waiters: (() => void)[] = []
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const lines = () => out.split('\n').filter((l) => l !== '')
  const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
  const waitLines = async (n: number) => {
    const deadline = Date.now() + 10_000
    while (lines().length < n) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`timed out waiting for ${n} lines; got ${JSON.stringify(out)}; stderr ${err}`)
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return lines()
  }
  return {child, lines, stderr: () => err, waitLines, exit}
}

function newEventFile(dir: string, name: string, text: string, models = ['gpt-4o']): string {
  const file = join(dir, name)
  const line = (model: string) =>
    JSON.stringify({
      timestamp: '2026-02-01T12:00:00.000Z',
      latency_ms: 321,
      request: {model, messages: [{role: 'user', content: text}]},
      response: {id: `chatcmpl-${name}-${model}`, object: 'chat.completion', model, choices: [{index: 0, message: {role: 'assistant', content: 'hi'}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 1, total_tokens: 6}},
    })
  writeFileSync(file, models.map((m) => `${line(m)}\n`).join(''))
  return file
}

/** A stream of JSON documents (what `jq` reads), one value per document. */
function jsonDocuments(text: string): unknown[] {
  return text.trim() === '' ? [] : text.trim().split(/\n(?=\{)/).map((d) => JSON.parse(d) as unknown)
}

describe('kt events tail: JSON is a stream of documents', () => {
  test('--json and --format json print one JSON document per event, as jq reads them; --format jsonl one line each', () => {
    const dir = tempDir('kt-tail-')
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', MIXED, '--db', db]).code, 0)
    const json = kt(['events', 'tail', '--last', '3', '--json', '--db', db])
    assert.equal(json.code, 0, json.stderr)
    const docs = jsonDocuments(json.stdout) as {model: string}[]
    assert.equal(docs.length, 3)
    assert.ok(json.stdout.split('\n').length > 3 * 10, 'pretty: many lines per document')
    assert.deepEqual(jsonDocuments(kt(['events', 'tail', '--last', '3', '--format', 'json', '--db', db]).stdout), docs)
    const lines = kt(['events', 'tail', '--last', '3', '--format', 'jsonl', '--db', db]).stdout.trim().split('\n')
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), docs)
    // events list, which is not a stream, prints one array with --json.
    assert.deepEqual(JSON.parse(kt(['events', 'list', '--last', '3', '--json', '--db', db]).stdout), docs)
  })
})

describe('kt events tail --follow', () => {
  test('jsonl: prints an event another process imports, then exits 0 on SIGTERM', async () => {
    const dir = tempDir('kt-follow-')
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', MIXED, '--db', db]).code, 0)
    const f = follow(['events', 'tail', '--follow', '--format', 'jsonl', '--last', '1', '--db', db])
    const first = await f.waitLines(1)
    assert.equal((JSON.parse(first[0]!) as {timestamp: string}).timestamp, '2026-01-11T10:00:00.000Z')
    const imp = kt(['import', newEventFile(dir, 'late.jsonl', 'arrived later'), '--db', db])
    assert.equal(imp.code, 0, imp.stderr)
    const lines = await f.waitLines(2)
    const ev = JSON.parse(lines[1]!) as {model: string; latency_ms: number; dataset: string}
    assert.equal(ev.model, 'gpt-4o')
    assert.equal(ev.latency_ms, 321)
    assert.equal(ev.dataset, 'late')
    f.child.kill('SIGTERM')
    const {code, signal} = await f.exit
    assert.equal(signal, null)
    assert.equal(code, 0, f.stderr())
    assert.equal(f.lines().length, 2)
    for (const l of f.lines()) JSON.parse(l)
  })

  test('table: one line per event (no box), --model filter applies to new events, SIGINT exits 0', async () => {
    const dir = tempDir('kt-follow-')
    const db = join(dir, 'kt.db')
    assert.equal(kt(['import', MIXED, '--db', db]).code, 0)
    const f = follow(['events', 'tail', '-f', '--last', '2', '--model', 'gpt-4o', '--db', db])
    const initial = await f.waitLines(2)
    assert.ok(initial.every((l) => l.includes('gpt-4o') && !/[│┌└─]/.test(l)), initial.join('\n'))
    // gpt-4o-mini is stored first and must not show up (--model is exact).
    assert.equal(kt(['import', newEventFile(dir, 'other.jsonl', 'two models', ['gpt-4o-mini', 'gpt-4o']), '--db', db]).code, 0)
    const lines = await f.waitLines(3)
    assert.match(lines[2]!, /^2026-02-01 12:00:00 +ok +gpt-4o +321 ms +5→1 tok/)
    await new Promise((resolve) => setTimeout(resolve, 700))
    assert.equal(f.lines().length, 3, f.lines().join('\n'))
    f.child.kill('SIGINT')
    const {code} = await f.exit
    assert.equal(code, 0, f.stderr())
  })
})
