// `kt import` as a user runs it, one row per format: the binary picks the format, prints the JSON summary, and the
// database holds what the format tests promise. Also: LiteLLM silent experiments come in as shadow traffic, which
// `kt replay` leaves out.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import Database from 'better-sqlite3'
import type {ImportSummary} from '../../src/app/import/import-files.js'
import {kt, PUBLIC_DATA, tempDir} from '../support/cli.js'

interface CliCase {
  name: string
  files: string[]
  /** [format, imported, not_replayable, skipped] per file, from `--json`. */
  files_summary: [string, number, number, number][]
  /** A query over the events table and the rows it must return. */
  sql: string
  rows: unknown[][]
  /** A line of the human summary (stderr) without --json. */
  human?: RegExp
}

const P = (...parts: string[]) => join(PUBLIC_DATA, ...parts)

const CASES: CliCase[] = [
  {
    name: 'OpenAI Batch output then input: joined on custom_id',
    files: [P('openai-batch', 'batch-output.jsonl'), P('openai-batch', 'batch-input.jsonl')],
    files_summary: [['openai-batch', 0, 0, 0], ['openai-batch', 2, 0, 0]],
    sql: 'SELECT source_id, input_tokens, substr(response_text, 1, 24) FROM events ORDER BY source_id',
    rows: [['request-1', 20, 'Hello! How can I assist '], ['request-2', 22, 'Hello! What can I do for']],
  },
  {
    name: 'a HAR capture with two entries',
    files: [P('har', 'openai-chat-streaming-agent-include-usage.har')],
    files_summary: [['har', 2, 0, 0]],
    sql: "SELECT dataset, finish_reason, total_tokens FROM events WHERE source_format = 'har' ORDER BY source_locator",
    rows: [['openai-chat-streaming-agent-include-usage', 'tool_calls', 112], ['openai-chat-streaming-agent-include-usage', 'stop', 139]],
  },
  {
    name: 'Anthropic cassettes: response-only recordings',
    files: [P('anthropic', 'messages-thinking-streaming.cassette.json'), P('anthropic', 'messages-reasoning-tool-use.cassette.json')],
    files_summary: [['recording', 0, 1, 0], ['recording', 0, 1, 0]],
    sql: 'SELECT reasoning_tokens FROM events ORDER BY reasoning_tokens',
    rows: [[28], [54]],
  },
  {
    name: 'an OTLP example without GenAI spans: skipped with its reason',
    files: [P('otel', 'otlp-json-trace-example.json')],
    files_summary: [['otel', 0, 0, 1]],
    sql: 'SELECT count(*) FROM events',
    rows: [[0]],
    human: /skipped 1: not an LLM call: the span has no GenAI/,
  },
  {
    name: 'a LiteLLM StandardLoggingPayload',
    files: [P('litellm', 'standard_logging_payload.json')],
    files_summary: [['litellm', 1, 0, 0]],
    sql: 'SELECT model, response_text, latency_ms FROM events',
    rows: [['gpt-4o', 'hi', 4.583]],
  },
]

function query(db: string, sql: string): unknown[][] {
  const d = new Database(db, {readonly: true})
  try {
    return d.prepare(sql).raw().all() as unknown[][]
  } finally {
    d.close()
  }
}

describe('kt import: one binary run per format', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const dir = tempDir()
      const db = join(dir, 'kt.db')
      const res = kt(['import', ...c.files, '--db', db, '--json'], {env: {KT_HOME: join(dir, 'home')}})
      assert.equal(res.code, 0, res.stderr)
      const summary = JSON.parse(res.stdout) as ImportSummary
      assert.deepEqual(
        summary.files.map((f) => [f.format, f.imported, f.not_replayable, f.skipped]),
        c.files_summary,
      )
      assert.equal(summary.totals.failed_files, 0)
      assert.deepEqual(query(db, c.sql), c.rows)
      if (c.human) {
        const human = kt(['import', ...c.files, '--db', join(dir, 'other.db')], {env: {KT_HOME: join(dir, 'home')}})
        assert.equal(human.code, 0)
        assert.match(human.stderr, c.human)
      }
    })
  }
})

describe('LiteLLM silent experiments', () => {
  test('import as shadow events, which kt replay does not send (dry run counts the real calls only)', () => {
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    const call = (id: string, model: string, meta: Record<string, unknown>) =>
      JSON.stringify({call_type: 'acompletion', startTime: 1741608000, endTime: 1741608001, model, messages: [{role: 'user', content: `Where is order ${id}?`}], response_cost: 0.0001, hidden_params: {}, id, metadata: meta})
    const lines = [call('a', 'gpt-4o-mini', {}), call('a-shadow', 'gpt-4.1-mini', {is_silent_experiment: true}), call('b', 'gpt-4o-mini', {}), call('b-shadow', 'gpt-4.1-mini', {is_silent_experiment: 'True'})]
    writeFileSync(join(dir, 'litellm.jsonl'), `${lines.join('\n')}\n`)
    const imp = kt(['import', join(dir, 'litellm.jsonl'), '--db', db], {cwd: dir})
    assert.equal(imp.code, 0, imp.stderr)
    assert.deepEqual(query(db, 'SELECT source_id, traffic_role FROM events ORDER BY source_id'), [['a', null], ['a-shadow', 'shadow'], ['b', null], ['b-shadow', 'shadow']])
    const dry = kt(['replay', '--candidate', 'simulated:terse', '--db', db, '--dry-run', '--json'], {cwd: dir})
    assert.equal(dry.code, 0, dry.stderr)
    const arms = (JSON.parse(dry.stdout) as {arms: {arm: string; requests: number}[]}).arms
    assert.deepEqual(arms.map((a) => [a.arm, a.requests]), [['candidate', 2]])
  })
})
