// Conversations are clustered (issue 12, item 6; docs/scoring-and-gates.md §4.1): records imported with a session id
// (here LiteLLM StandardLoggingPayload lines with metadata.session_id, 3 turns per conversation) become clusters, the
// bootstrap resamples whole conversations, and the report warns that the run is multi-turn.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {loadRunData} from '../../src/analysis/index.js'
import {scoreRun} from '../../src/app/score-run.js'
import {importFiles} from '../../src/app/import/import-files.js'
import {createReplayRun, executeRun} from '../../src/replay/index.js'
import {buildReport} from '../../src/report/index.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'

/** One LiteLLM StandardLoggingPayload line: turn `turn` of conversation `conv`. */
function slpLine(conv: number, turn: number): string {
  const i = conv * 3 + turn
  const start = 1741608000 + i * 10
  return JSON.stringify({
    id: `chatcmpl-c${conv}-t${turn}`,
    call_type: 'acompletion',
    stream: false,
    status: 'success',
    custom_llm_provider: 'openai',
    startTime: start,
    endTime: start + 1.2,
    model: 'gpt-4o-mini',
    metadata: {session_id: `conv-${conv}`},
    messages: [
      {role: 'user', content: `Question ${conv}: how do I export invoices to the accounting system?`},
      ...(turn > 0 ? [{role: 'assistant', content: 'Use the export page.'}, {role: 'user', content: `Follow-up ${turn}: and the tax fields?`}] : []),
    ],
    response: {id: `chatcmpl-c${conv}-t${turn}`, object: 'chat.completion', created: start, model: 'gpt-4o-mini', choices: [{index: 0, finish_reason: 'stop', message: {role: 'assistant', content: `Answer ${i}: open the export page.`}}], usage: {prompt_tokens: 30, completion_tokens: 9, total_tokens: 39}},
    prompt_tokens: 30,
    completion_tokens: 9,
    total_tokens: 39,
    response_cost: 0.0001,
  })
}

describe('multi-turn conversations', () => {
  test('session ids become clusters: cluster bootstrap and a warning', async () => {
    const dir = tempDir()
    const file = join(dir, 'slp.jsonl')
    writeFileSync(file, Array.from({length: 60}, (_, i) => slpLine(Math.floor(i / 3), i % 3)).join('\n') + '\n')
    const path = join(dir, 'kt.db')
    const db = openDb(path)
    const imported = await importFiles(db, path, [file], {format: 'litellm'})
    assert.equal(imported.totals.imported, 60)
    const sim = (id: string, seed: number) => ({id, provider: 'simulated' as const, model: `sim-${id}`, simulation: {style: 'faithful' as const, seed}})
    const planned = createReplayRun(db, {
      primary: sim('p', 1),
      candidate: sim('c', 2),
      settings: {selection: {}, modelMap: {}, concurrency: 4, rps: null, tpm: null, timeoutMs: 60000, retries: 0, maxCost: null, aa: 0, seed: 1},
    })
    await executeRun(db, planned)
    await scoreRun(db, planned.runId)
    const data = loadRunData(db, planned.runId)
    assert.equal(new Set(data.requests.map((r) => r.cluster)).size, 20)
    assert.ok(data.requests.every((r) => /^conv-\d+$/.test(r.cluster ?? '')))

    const m = buildReport(data, {B: 500, gates: ['quality.overall.mean_diff > -0.2', 'latency.p50 <= 3x']})
    assert.ok(m.warnings.some((w) => /^clustering: 60 requests in 20 conversations\/traces \(multi-turn\); bootstrap intervals resample whole conversations/.test(w)), m.warnings.join('\n'))
    const q = m.metrics.find((r) => r.metric === 'quality.overall.mean')!
    assert.match(q.comparison!.method, /^studentized cluster bootstrap \(B=500, 20 clusters\)/)
    assert.match(m.gates[1]!.value.method, /^paired cluster bootstrap \(B=500, 20 clusters\)/)
    db.close()
  })
})
