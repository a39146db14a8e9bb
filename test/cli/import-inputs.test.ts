// Import inputs that are not plain readable files (issue 11, item 8): an unreadable file, a directory or a missing one
// among others is one line naming it, --json still prints the summary, and the files after it are imported; a FIFO,
// /dev/stdin, `<(zcat f.gz)` and `-` are read as streams; UTF-16 with a BOM is read as UTF-16, without one refused
// naming the encoding; /dev/zero is binary data, refused at once.
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {gzipSync} from 'node:zlib'
import Database from 'better-sqlite3'
import {BIN, kt, tempDir} from '../support/cli.js'

const pair = (i: number) =>
  JSON.stringify({
    request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `input question ${i}`}]},
    response: {id: `chatcmpl-in${i}`, object: 'chat.completion', created: 1763600000 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `answer ${i}.`}, finish_reason: 'stop'}]},
  })

function count(db: string): number {
  const d = new Database(db, {readonly: true})
  try {
    return (d.prepare('SELECT count(*) AS n FROM events').get() as {n: number}).n
  } finally {
    d.close()
  }
}

interface Summary {
  files: {file: string; imported: number; error: string | null; dataset: string}[]
  totals: {imported: number; failed_files: number}
}

const NO_STACK = /\n\s+at .*\.js:\d+|Unhandled 'error' event|node:internal/

describe('import: inputs that are not plain readable files', () => {
  test('a directory and a missing file among good files: one line each, --json summary, the files after them imported', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'a.jsonl'), `${pair(1)}\n`)
    writeFileSync(join(dir, 'b.jsonl'), `${pair(2)}\n`)
    mkdirSync(join(dir, 'logs'))
    const r = kt(['import', join(dir, 'a.jsonl'), join(dir, 'logs'), join(dir, 'gone.jsonl'), join(dir, 'b.jsonl'), '--db', db, '--json'])
    assert.equal(r.code, 1)
    assert.doesNotMatch(r.stderr, NO_STACK)
    const s = JSON.parse(r.stdout) as Summary
    assert.deepEqual(s.files.map((f) => [f.imported, f.error]), [
      [1, null],
      [0, `${join(dir, 'logs')}: is a directory, not a log file`],
      [0, `${join(dir, 'gone.jsonl')}: no such file`],
      [1, null],
    ])
    assert.equal(count(db), 2)
    const text = kt(['import', join(dir, 'logs'), join(dir, 'a.jsonl'), '--db', db])
    assert.match(text.stderr, /✗ .*logs: is a directory, not a log file\n/)
    assert.doesNotMatch(text.stderr, NO_STACK)
  })

  test('a file kt may not read (EACCES): one line naming it, and the next file is still imported', (t) => {
    const dir = tempDir('kt-perm-')
    chmodSync(dir, 0o777)
    const db = join(dir, 'kt.db')
    const locked = join(dir, 'locked.jsonl')
    const good = join(dir, 'good.jsonl')
    writeFileSync(locked, `${pair(3)}\n`)
    writeFileSync(good, `${pair(4)}\n`)
    chmodSync(locked, 0o000)
    chmodSync(good, 0o644)
    const args = [BIN, 'import', locked, good, '--db', db, '--json']
    // root reads any file, so the test runs kt as an unprivileged user when it is root.
    const asRoot = process.getuid?.() === 0
    const r = asRoot
      ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, ...args], {encoding: 'utf8', env: {...process.env, KT_NO_PROGRESS: '1', HOME: '/tmp'}})
      : spawnSync(process.execPath, args, {encoding: 'utf8', env: {...process.env, KT_NO_PROGRESS: '1'}})
    if (r.error) return t.skip('runuser unavailable')
    assert.equal(r.status, 1, r.stderr)
    assert.doesNotMatch(r.stderr, NO_STACK)
    const s = JSON.parse(r.stdout) as Summary
    assert.deepEqual(s.files.map((f) => [f.imported, f.error]), [
      [0, `${locked}: permission denied`],
      [1, null],
    ])
  })

  test('-, /dev/stdin (a pipe), a FIFO and <(zcat f.gz) are read as streams', async () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const dash = kt(['import', '-', '--db', db, '--json'], {input: `${pair(10)}\n${pair(11)}\n`})
    assert.equal(dash.code, 0, dash.stderr)
    const ds = JSON.parse(dash.stdout) as Summary
    assert.deepEqual([ds.files[0]!.file, ds.files[0]!.dataset, ds.totals.imported], ['-', 'stdin', 2])
    const devStdin = kt(['import', '/dev/stdin', '--db', db, '--json'], {input: `${pair(12)}\n`})
    assert.equal(devStdin.code, 0, devStdin.stderr)
    assert.equal((JSON.parse(devStdin.stdout) as Summary).totals.imported, 1)
    const empty = kt(['import', '-', '--db', db], {input: ''})
    assert.equal(empty.code, 1)
    assert.match(empty.stderr, /stdin: no input \(stdin is empty\)/)

    const fifo = join(dir, 'pipe.jsonl')
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
    const writer = spawn('sh', ['-c', `printf '%s\\n' '${pair(13)}' > ${fifo}`])
    const viaFifo = kt(['import', fifo, '--db', db, '--json'])
    writer.kill()
    assert.equal(viaFifo.code, 0, viaFifo.stderr)
    assert.equal((JSON.parse(viaFifo.stdout) as Summary).totals.imported, 1)

    const gz = join(dir, 'more.jsonl.gz')
    writeFileSync(gz, gzipSync(`${pair(14)}\n${pair(15)}\n`))
    const csv = join(dir, 'spend.csv.gz')
    writeFileSync(csv, gzipSync('request_id,call_type,spend,startTime,endTime,model,prompt_tokens,completion_tokens,total_tokens\nreq-1,acompletion,0.001,2025-01-24 09:20:46.847371,2025-01-24 09:20:47.847371,gpt-4o-mini,10,5,15\n'))
    const sub = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" import <(zcat "${gz}") <(zcat "${csv}") --db "${db}" --json`], {encoding: 'utf8', env: {...process.env, KT_NO_PROGRESS: '1'}})
    assert.equal(sub.status, 0, sub.stderr)
    const subs = JSON.parse(sub.stdout) as Summary
    assert.deepEqual(subs.files.map((f) => f.imported + (f as unknown as {not_replayable: number}).not_replayable), [2, 1], 'JSONL and CSV from a pipe')
    assert.equal(count(db), 7)
  })

  test('UTF-16 with a BOM is read as UTF-16 (LE and BE, plain or gzip); without a BOM it is refused naming the encoding', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const text = `${pair(20)}\n`
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    const be = Buffer.from(le)
    be.swap16()
    writeFileSync(join(dir, 'le.jsonl'), le)
    writeFileSync(join(dir, 'be.jsonl'), be)
    writeFileSync(join(dir, 'le.jsonl.gz'), gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${pair(21)}\n`, 'utf16le')])))
    const ok = kt(['import', join(dir, 'le.jsonl'), join(dir, 'be.jsonl'), join(dir, 'le.jsonl.gz'), '--db', db, '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    const s = JSON.parse(ok.stdout) as {files: {imported: number; duplicates: number}[]}
    assert.deepEqual(s.files.map((f) => [f.imported, f.duplicates]), [[1, 0], [0, 1], [1, 0]])
    const stored = new Database(db, {readonly: true}).prepare("SELECT response_text FROM events WHERE request_json LIKE '%input question 20%'").pluck().get()
    assert.equal(stored, 'answer 20.')
    writeFileSync(join(dir, 'nobom.jsonl'), Buffer.from(text, 'utf16le'))
    const refused = kt(['import', join(dir, 'nobom.jsonl'), '--db', db])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /nobom\.jsonl: the file looks like UTF-16 \(little-endian\) without a byte-order mark/)
    assert.doesNotMatch(refused.stderr, /binary/)
  })

  test('/dev/zero is binary data, refused after its first bytes', () => {
    const dir = tempDir()
    const r = kt(['import', '/dev/zero', '--db', join(dir, 'kt.db')])
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim(), 'kt: /dev/zero: binary data, not a text log (expected JSON, JSONL, CSV or SSE)')
  })
})
