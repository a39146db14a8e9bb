// A replay that starts while another connection holds the write lock (an import committing a batch) waits for it,
// as its result writes do, instead of failing the run on its first status write.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import Database from 'better-sqlite3'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun} from '../../src/replay/index.js'
import {getRun, resultsFor} from '../../src/store/index.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'

test('a run started under a held write lock waits it out and completes', async () => {
  const dir = tempDir('kt-busy-status-')
  const file = join(dir, 'logs.jsonl')
  const line = (i: number) =>
    JSON.stringify({
      request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `Question ${i}?`}]},
      response: {id: `c${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Answer ${i}.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 3, total_tokens: 8}},
    })
  writeFileSync(file, `${[0, 1, 2].map(line).join('\n')}\n`)
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  await importFiles(db, path, [file])
  const planned = createReplayRun(db, {primary: 'recorded', candidate: {id: 'sim', provider: 'simulated', model: 'faithful'}, settings: {selection: {}, modelMap: {}, concurrency: 2, rps: null, tpm: null, timeoutMs: 5000, retries: 0, maxCost: null, aa: 0, seed: 1}})
  // Another writer holds the lock for longer than the engine's short busy timeout (100 ms), then lets go.
  const other = new Database(path)
  other.exec('BEGIN IMMEDIATE')
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      other.exec('COMMIT')
      other.close()
      resolve()
    }, 700),
  )
  const out = await executeRun(db, planned, {})
  await released
  assert.equal(out.status, 'completed')
  assert.equal(getRun(db, planned.runId)!.status, 'completed')
  assert.equal(resultsFor(db, planned.runId).filter((r) => r.arm === 'candidate').length, 3)
  db.close()
})
