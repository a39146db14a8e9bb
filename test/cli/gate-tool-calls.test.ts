// tool_call_rate: of the requests that offer tools, the share answered with a tool call. A candidate that calls
// tools where the recorded primary answered in text changes what the application does next; a gate must see it.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, test} from 'node:test'
import {kt, tempDir} from '../support/cli.js'

const TOOLS = [{type: 'function', function: {name: 'get_order', description: 'Look up an order by its number', parameters: {type: 'object', properties: {order: {type: 'string'}}, required: ['order']}}}]

/** 40 requests that offer a tool and 10 that do not; the recorded primary always answered in text. */
function logLines(): string {
  return Array.from({length: 50}, (_, i) =>
    JSON.stringify({
      timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
      request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `Where is order ${1000 + i}? It has not arrived yet.`}], ...(i < 40 ? {tools: TOOLS} : {})},
      response: {id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Order ${1000 + i} left the warehouse yesterday and should arrive within two days.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 30, completion_tokens: 15, total_tokens: 45}},
    }),
  ).join('\n')
}

interface MetricRow {
  metric: string
  primary: number | null
  candidate: number | null
  n: number
  better: string | null
}

describe('tool_call_rate', () => {
  let dir: string
  let db: string
  let runId: string

  before(() => {
    dir = tempDir()
    db = join(dir, 'kt.db')
    writeFileSync(join(dir, 'logs.jsonl'), `${logLines()}\n`)
    assert.equal(kt(['import', join(dir, 'logs.jsonl'), '--db', db], {cwd: dir}).code, 0)
    // A terse simulated candidate calls the offered tool whenever there is one (a faithful one would answer in text,
    // as the recorded primary did).
    const r = kt(['replay', '--candidate', 'simulated:terse', '--db', db, '--json'], {cwd: dir})
    assert.equal(r.code, 0, r.stderr)
    runId = (JSON.parse(r.stdout) as {run_id: string}).run_id
  })

  test('the report counts only requests that offer tools, with no better direction', () => {
    const r = kt(['report', runId, '--db', db, '--format', 'json'], {cwd: dir})
    assert.equal(r.code, 0, r.stderr)
    const rows = (JSON.parse(r.stdout) as {metrics: MetricRow[]}).metrics
    const row = rows.find((m) => m.metric === 'tool_call_rate')
    assert.ok(row, `metrics: ${rows.map((m) => m.metric).join(', ')}`)
    assert.equal(row.n, 40, 'the 10 requests without tools are left out')
    assert.equal(row.primary, 0)
    assert.equal(row.candidate, 1)
    assert.equal(row.better, null)
  })

  test('a gate on it stops the swap; the other direction passes', () => {
    const fail = kt(['gate', runId, '--gate', 'tool_call_rate <= primary+0.05', '--db', db], {cwd: dir})
    assert.equal(fail.code, 1, fail.stdout + fail.stderr)
    assert.match(fail.stdout, /tool_call_rate/)
    assert.match(fail.stdout, /FAIL/)
    assert.doesNotMatch(fail.stderr, /check the comparison/, 'either bound is a sensible gate on a metric with no better direction')
    const pass = kt(['gate', runId, '--gate', 'tool_call_rate >= primary-0.05', '--db', db], {cwd: dir})
    assert.equal(pass.code, 0, pass.stdout + pass.stderr)
  })
})
