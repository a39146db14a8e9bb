// Replays every request of a fresh database (one logged pair per argument after the URL) against the upstream at
// argv[2] and prints, as JSON, the candidate results and the process's peak resident set size: tests compare peaks of
// separate processes as ratios (never times). The upstream runs in the test's process, so this one measures only kt.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun} from '../../src/replay/index.js'
import {resultsFor} from '../../src/store/index.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from './cli.js'

const [url, stream] = process.argv.slice(2)
const dir = tempDir()
const file = join(dir, 'pairs.jsonl')
const pair = (i: number) => JSON.stringify({request: {model: 'gpt-4o-mini', stream: stream === 'stream', messages: [{role: 'user', content: `question ${i}`}]}, response: {id: `c${i}`, object: 'chat.completion', created: 1761955200, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'ok.'}, finish_reason: 'stop'}]}})
writeFileSync(file, `${pair(1)}\n${pair(2)}\n`)
const dbPath = join(dir, 'kt.db')
const db = openDb(dbPath)
try {
  await importFiles(db, dbPath, [file])
  const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'cand', provider: 'openai-compatible', model: 'm', base_url: `${url}/v1`}, settings: {selection: {}, modelMap: {}, concurrency: 1, rps: null, tpm: null, timeoutMs: 60_000, retries: 2, maxCost: null, aa: 0, seed: 1}})
  await executeRun(db, planned, {retryBaseMs: 5})
  const results = resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate').map((r) => ({status: r.status, error_type: r.error_type, error_message: r.error_message, attempts: r.attempts, text_length: r.response_text?.length ?? 0}))
  process.stdout.write(`${JSON.stringify({maxRssBytes: process.resourceUsage().maxRSS * 1024, results})}\n`)
} finally {
  db.close()
}
