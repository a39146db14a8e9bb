// The policies' destinations keep memory bounded: a destination that cannot take lines (here a named pipe nobody reads
// yet) holds at most MAX_QUEUED_LINES; the rest are dropped and counted, and what was held goes out once it can.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createReadStream} from 'node:fs'
import {once} from 'node:events'
import {join} from 'node:path'
import {test} from 'node:test'
import type {AuditLoggerPolicy} from '../../src/config/index.js'
import {MAX_QUEUED_LINES, PolicyLines, type AccessRecord} from '../../src/gateway/index.js'
import {tempDir} from '../support/cli.js'

const policy = (path: string): AuditLoggerPolicy => ({
  name: 'audit',
  type: 'audit-logger',
  enabled: true,
  source: {path: 'policies[0]', line: 2},
  destination: 'file',
  path,
  include_request: false,
  include_response: false,
  redact_fields: [],
  immutable: true,
  log_all_access: true,
})

const read = (i: number): AccessRecord => ({
  access: 'read',
  timestamp: new Date(0).toISOString(),
  method: 'GET',
  route: '/v1/events',
  remote_address: '127.0.0.1',
  token_presented: true,
  authorized: true,
  query: {limit: String(i)},
  status: 200,
  events_returned: i,
})

test('a destination that cannot keep up: lines past the bound are dropped and counted; the rest go out once it can', async () => {
  const fifo = join(tempDir('kt-gw-lines-'), 'audit.fifo')
  execFileSync('mkfifo', [fifo])
  const logs: string[] = []
  const lines = new PolicyLines((level, line) => logs.push(`${level} ${line}`), () => undefined)
  // Opening a pipe for writing waits for a reader: until one comes, every line waits.
  lines.configure([policy(fifo)])
  for (let i = 0; i < MAX_QUEUED_LINES + 5; i++) lines.access(read(i))
  lines.flush()
  assert.deepEqual(lines.counts, {written: {audit: 0}, dropped: {audit: 5}})
  const chunks: Buffer[] = []
  const reader = createReadStream(fifo)
  reader.on('data', (c) => chunks.push(c as Buffer))
  const ended = once(reader, 'end')
  await lines.close(10_000)
  await ended
  const got = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as {query: {limit: string}})
  assert.equal(got.length, MAX_QUEUED_LINES)
  assert.deepEqual([got[0]!.query.limit, got.at(-1)!.query.limit], ['0', String(MAX_QUEUED_LINES - 1)], 'the first lines kept, in order')
  assert.deepEqual(lines.counts, {written: {audit: MAX_QUEUED_LINES}, dropped: {audit: 5}})
  assert.deepEqual(logs.length, 1)
  assert.match(logs[0]!, /^WARN audit-logger\/log lines dropped .*: "audit" 5$/)
})
