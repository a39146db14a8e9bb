// A run scored under one quality policy is scored again when the policy changes, never reported stale.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {createReplayRun, executeRun} from '../../src/replay/index.js'
import {DEFAULT_QUALITY_POLICY, type QualityPolicy} from '../../src/scoring/policy.js'
import {runIsScored, scoreRun} from '../../src/app/score-run.js'
import {openDb} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {tempDir} from '../support/cli.js'

test('changing the quality policy re-scores the run', async () => {
  const dir = tempDir()
  const file = join(dir, 'p.jsonl')
  const lines = Array.from({length: 12}, (_, i) =>
    JSON.stringify({
      request: {model: 'gpt-4o-mini', messages: [{role: 'user', content: `Explain how refunds work for order ${i}, and how long they take?`}]},
      response: {id: `c${i}`, object: 'chat.completion', created: 1762000000 + i, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: `Refunds for order ${i} go back to the original card and take five to ten business days.`}, finish_reason: 'stop'}], usage: {prompt_tokens: 20, completion_tokens: 20, total_tokens: 40}},
    }),
  )
  writeFileSync(file, lines.join('\n') + '\n')
  const path = join(dir, 'kt.db')
  const db = openDb(path)
  await importFiles(db, path, [file])
  const planned = createReplayRun(db, {
    primary: 'recorded',
    candidate: {id: 'sim', provider: 'simulated', model: 'simulated-terse', simulation: {style: 'terse'}},
    settings: {selection: {}, modelMap: {}, concurrency: 4, rps: null, tpm: null, timeoutMs: 1000, retries: 0, maxCost: null, aa: 0, seed: 1},
  })
  const runId = planned.runId
  await executeRun(db, planned)
  const first = await scoreRun(db, runId)
  assert.equal(first.skipped, false)
  assert.equal(runIsScored(db, runId), true)
  assert.equal((await scoreRun(db, runId)).skipped, true, 'same policy: nothing to do')

  // A bar no answer can clear: every primary answer (all scoring 1.0 here) now fails it.
  const strict: QualityPolicy = {...DEFAULT_QUALITY_POLICY, overall_min_score: 1.01}
  assert.equal(runIsScored(db, runId, strict), false, 'a different policy makes the stored scores stale')
  const passBefore = db.prepare("SELECT sum(pass) FROM scores WHERE run_id = ? AND arm = 'primary'").pluck().get(runId) as number
  const again = await scoreRun(db, runId, {policy: strict})
  assert.equal(again.skipped, false)
  const passAfter = db.prepare("SELECT sum(pass) FROM scores WHERE run_id = ? AND arm = 'primary'").pluck().get(runId) as number
  assert.ok(passAfter < passBefore, `stricter policy passes fewer answers (${passBefore} → ${passAfter})`)
  assert.equal(runIsScored(db, runId, strict), true)
  db.close()
})
