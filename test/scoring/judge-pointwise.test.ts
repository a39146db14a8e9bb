// The pointwise LLM judge through the real scoring pass, the real SDKs and a local fake upstream:
// structured answers, format repair, judge failures (null, never 0), the content-hash cache, and the
// Anthropic forced-tool path.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import type {TargetSpec} from '../../src/providers/index.js'
import {judgeSummary} from '../../src/scoring/judge-summary.js'
import type {JudgeRecord} from '../../src/scoring/judge-types.js'
import {scoreRun} from '../../src/app/score-run.js'
import {HEURISTIC_SCORER} from '../../src/scoring/index.js'
import {iterateEvents, judgeRows as storeJudgeRows} from '../../src/store/index.js'
import type {DB} from '../../src/store/db.js'
import {tempDir} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {contentText, gradeByArm, judgeKind, judgeUserText, obj, PRIMARY_MARK, scoresJson, seededRun, type Json} from '../support/judge-fixture.js'

const KEY_ENV = 'KT_TEST_JUDGE_KEY'
const KEY = 'sk-judge-test-secret-5f2a9c'

let up: FakeUpstream
let script: (body: Json, index: number) => string | undefined = () => undefined

function openaiJudge(): TargetSpec {
  return {id: 'judge', provider: 'openai', model: 'gpt-judge', base_url: `${up.url}/v1`, api_key_env: KEY_ENV}
}

function anthropicJudge(): TargetSpec {
  return {id: 'judge-a', provider: 'anthropic', model: 'claude-judge', base_url: up.url, api_key_env: KEY_ENV}
}

function judgeRows(db: DB, runId: string): {event_id: string; arm: string; relevance: number | null; scorer: string; judge: JudgeRecord}[] {
  const rows = db.prepare('SELECT event_id, arm, relevance, scorer, judge_json FROM scores WHERE run_id = ? ORDER BY event_id, arm').all(runId) as {event_id: string; arm: string; relevance: number | null; scorer: string; judge_json: string | null}[]
  return rows.map((r) => {
    assert.ok(r.judge_json, `judge_json stored for ${r.event_id}/${r.arm}`)
    return {...r, judge: JSON.parse(r.judge_json) as JudgeRecord}
  })
}

function judgeCalls(path = '/v1/chat/completions') {
  return up.calls.filter((c) => c.path === path && c.body && judgeKind(c.body) !== null)
}

describe('LLM judge, pointwise', () => {
  before(async () => {
    process.env[KEY_ENV] = KEY
    up = await startFakeUpstream({answer: (body, i) => script(body, i)})
  })
  after(async () => {
    delete process.env[KEY_ENV]
    await up.close()
  })

  test('structured answer: json_schema request, 1–5 normalised to 0..1, stored per (request, arm)', async () => {
    up.reset()
    script = gradeByArm
    const {db, runId} = await seededRun(tempDir(), 4)
    const out = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(out.scored, 8)
    assert.ok(out.judge)
    assert.equal(out.judge.calls, 8, 'one call per response')
    assert.equal(out.judge.cache_hits, 0)

    const calls = judgeCalls()
    assert.equal(calls.length, 8)
    const body = calls[0]!.body!
    assert.equal(body.model, 'gpt-judge')
    assert.equal(body.temperature, 0)
    assert.equal(body.seed, 42)
    const rf = obj(body.response_format)
    assert.equal(rf.type, 'json_schema')
    const js = obj(rf.json_schema)
    assert.equal(js.name, 'record_scores')
    assert.equal(js.strict, true)
    const schema = obj(js.schema)
    assert.deepEqual(schema.required, ['relevance', 'coherence', 'completeness'])
    assert.equal(schema.additionalProperties, false)
    assert.deepEqual(Object.keys(obj(obj(obj(schema.properties).relevance).properties)), ['reasoning', 'score'], 'reasoning comes before the score')
    const messages = (body.messages as Json[]).map(obj)
    assert.equal(messages[0]!.role, 'system')
    const system = contentText(messages[0]!.content)
    assert.match(system, /Ignore length and style unless they affect the dimension/)
    assert.match(system, /1 = .*\n\s+3 = .*\n\s+5 = /, 'anchored 1/3/5 descriptions')
    const user = judgeUserText(body)
    assert.match(user, /<conversation>[\s\S]*How do I reset password number \d\?[\s\S]*<\/conversation>/)
    assert.doesNotMatch(user, /gpt-4o-mini|simulated|primary|candidate/i, 'the judged assistant is anonymous')
    assert.equal(calls[0]!.headers.authorization, `Bearer ${KEY}`, 'key from the env variable the target names')

    const rows = judgeRows(db, runId)
    assert.equal(rows.length, 8)
    for (const r of rows) {
      assert.equal(r.scorer, HEURISTIC_SCORER, 'heuristic columns keep their scorer')
      assert.equal(r.judge.status, 'ok')
      assert.equal(r.judge.model, 'openai:gpt-judge')
      assert.equal(r.judge.rubric, 'kt-rubric@1')
      assert.match(r.judge.prompt_sha256 ?? '', /^[0-9a-f]{64}$/)
      assert.equal(r.judge.cached, false)
      if (r.arm === 'primary') {
        assert.deepEqual(r.judge.scores, {relevance: 1, coherence: 0.75, completeness: 0.5, overall: 0.775})
        assert.match(r.judge.reason, /^relevance 5\/5: It addresses the question\./)
      } else {
        assert.deepEqual(r.judge.scores, {relevance: 0.25, coherence: 0.25, completeness: 0.25, overall: 0.25})
      }
    }
    const sum = judgeSummary(storeJudgeRows(db, runId))
    assert.equal(sum.arms.primary?.means.overall, 0.775)
    assert.equal(sum.arms.candidate?.means.relevance, 0.25)
    assert.equal(sum.arms.primary?.error_rate, 0)
    assert.equal(sum.arms.candidate?.error_rate, 0)
    assert.equal(sum.pairwise, null)
    assert.deepEqual(sum.warnings, [])
    // The quality-scorer verdicts listed as events carry the judge outcome too.
    const meta = [...iterateEvents(db, {scores: true, kind: ['score'], filter: [`trace_id=${runId}`]})].map((r) => r.metadata_json)
    assert.equal(meta.length, 8)
    assert.equal((JSON.parse(meta[0]!) as {judge: {status: string}}).judge.status, 'ok')
    db.close()
  })

  test('a malformed answer is repaired with a format-repair turn (at most two retries)', async () => {
    up.reset()
    // First answer of every conversation is prose; the answer after the repair turn is valid JSON.
    script = (body) => ((body.messages as unknown[]).length > 2 ? gradeByArm(body) : 'The answer seems good to me overall.')
    const {db, runId} = await seededRun(tempDir(), 3)
    const out = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(out.judge?.calls, 12, 'two calls per response: the malformed one and the repaired one')
    const repaired = judgeCalls().filter((c) => (c.body!.messages as unknown[]).length === 4)
    assert.equal(repaired.length, 6)
    const msgs = (repaired[0]!.body!.messages as Json[]).map(obj)
    assert.equal(msgs[2]!.role, 'assistant')
    assert.equal(msgs[2]!.content, 'The answer seems good to me overall.')
    assert.equal(msgs[3]!.role, 'user')
    assert.match(String(msgs[3]!.content), /could not be used: .*Reply again with only the JSON object/s)
    for (const r of judgeRows(db, runId)) assert.equal(r.judge.status, 'ok')
    assert.equal(judgeSummary(storeJudgeRows(db, runId)).arms.primary?.means.relevance, 1)
    db.close()
  })

  test('text fallback: JSON inside prose and [[n]] markers are accepted without a repair', async () => {
    up.reset()
    let n = 0
    script = (body) => (n++ % 2 === 0 ? `Here is my grading.\n${gradeByArm(body)}\nThanks.` : 'Relevance: on topic [[4]]\nCoherence: clear [[5]]\nCompleteness: misses a step [[3]]')
    const {db, runId} = await seededRun(tempDir(), 2)
    const out = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(out.judge?.calls, 4)
    const rows = judgeRows(db, runId)
    assert.ok(rows.every((r) => r.judge.status === 'ok'))
    assert.ok(rows.some((r) => r.judge.scores.relevance === 0.75 && r.judge.scores.coherence === 1 && r.judge.scores.completeness === 0.5), 'marker answer parsed per dimension')
    db.close()
  })

  test('a judge that always fails: null scores with judge_error (never 0), error rate reported', async () => {
    up.reset()
    script = () => 'I would rather not grade this.'
    const {db, runId} = await seededRun(tempDir(), 3)
    const out = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(out.judge?.calls, 18, 'three attempts per response (the first and two repairs)')
    for (const r of judgeRows(db, runId)) {
      assert.equal(r.judge.status, 'judge_error')
      assert.deepEqual(r.judge.scores, {relevance: null, coherence: null, completeness: null, overall: null})
      assert.match(r.judge.reason, /^malformed judge answer after 3 attempts: /)
      assert.notEqual(r.relevance, null, 'heuristic scores are unaffected')
    }
    const sum = out.judge!
    assert.equal(sum.arms.primary?.error_rate, 1)
    assert.equal(sum.arms.candidate?.error_rate, 1)
    assert.equal(sum.arms.candidate?.errors, 3)
    assert.equal(sum.arms.primary?.means.overall, null, 'no mean from failures')
    assert.ok(sum.warnings.some((w) => /judge error rate on candidate is 100\.0%/.test(w)))

    // Upstream failures: retryable ones are retried twice, then recorded with the reason.
    up.reset()
    up.setFaults(() => ({type: 'http', status: 500}))
    const again = await scoreRun(db, runId, {judge: {target: openaiJudge(), retryBaseMs: 1}})
    up.setFaults(undefined)
    assert.equal(again.judge?.calls, 18, 'three attempts per response')
    const reasons = judgeRows(db, runId).map((r) => r.judge.reason)
    assert.ok(reasons.every((r) => /^judge call failed: HTTP 500/.test(r)), reasons[0])
    assert.ok(reasons.every((r) => !r.includes(KEY)))

    // A judge error on one arm only: the rates differ and the summary says so.
    up.reset()
    script = (body) => (judgeUserText(body).includes(PRIMARY_MARK) ? gradeByArm(body) : '{"relevance": 9}')
    const mixed = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(mixed.judge?.arms.primary?.error_rate, 0)
    assert.equal(mixed.judge?.arms.candidate?.error_rate, 1)
    assert.ok(mixed.judge?.warnings.some((w) => /differ between arms/.test(w)))
    assert.match(judgeRows(db, runId).find((r) => r.arm === 'candidate')!.judge.reason, /does not match the schema/)
    db.close()
  })

  test('an upstream error on a replayed answer is not judged and not a judge error', async () => {
    up.reset()
    script = gradeByArm
    const {db, runId} = await seededRun(tempDir(), 2, {style: 'terse', error_rate: 1})
    const out = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(out.judge?.calls, 2, 'only the primary answers are sent to the judge')
    const cand = judgeRows(db, runId).filter((r) => r.arm === 'candidate')
    assert.ok(cand.every((r) => r.judge.status === 'not_judged' && r.judge.scores.overall === null))
    assert.equal(out.judge?.arms.candidate?.error_rate, null)
    assert.equal(out.judge?.arms.candidate?.not_judged, 2)
    db.close()
  })

  test('cache: sha256(judge, rubric, request, response) → a file; a hit makes no call', async () => {
    up.reset()
    script = gradeByArm
    const dir = tempDir()
    const {db, runId} = await seededRun(dir, 3)
    const first = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(first.judge?.calls, 6)
    const cacheDir = join(dir, '.kt', 'judge-cache')
    const files = readdirSync(cacheDir).filter((f) => f.endsWith('.json'))
    assert.equal(files.length, 6)
    assert.ok(files.every((f) => /^[0-9a-f]{64}\.json$/.test(f)))
    assert.ok(!readFileSync(join(cacheDir, files[0]!), 'utf8').includes(KEY))

    // Already judged by this judge: nothing to do.
    up.reset()
    const skipped = await scoreRun(db, runId, {judge: {target: openaiJudge()}})
    assert.equal(skipped.skipped, true)
    assert.equal(up.callCount(), 0)

    // Forced re-score: every answer comes from the cache.
    const forced = await scoreRun(db, runId, {force: true, judge: {target: openaiJudge()}})
    assert.equal(forced.judge?.calls, 0)
    assert.equal(forced.judge?.cache_hits, 6)
    assert.equal(up.callCount(), 0, 'the fake saw no second call')
    const rows = judgeRows(db, runId)
    assert.ok(rows.every((r) => r.judge.cached && r.judge.status === 'ok'))
    assert.equal(forced.judge?.arms.primary?.cached, 3)
    assert.equal(forced.judge?.arms.primary?.means.overall, 0.775)

    // Another judge model is another cache key.
    const other = await scoreRun(db, runId, {force: true, judge: {target: {...openaiJudge(), model: 'gpt-judge-2'}}})
    assert.equal(other.judge?.calls, 6)

    // Scoring again without a judge keeps the (paid-for) judge records.
    await scoreRun(db, runId, {force: true})
    assert.equal(judgeRows(db, runId)[0]!.judge.model, 'openai:gpt-judge-2')
    db.close()
  })

  test('Anthropic judge: forced tool call record_scores, native body, repair via tool_result', async () => {
    up.reset()
    script = (body) => {
      const messages = (body.messages as Json[]).map(obj)
      // First attempt: a tool input out of range; after the repair turn: valid.
      return messages.length === 1 ? scoresJson(7, 4, 3) : gradeByArm(body)
    }
    const {db, runId} = await seededRun(tempDir(), 2)
    const out = await scoreRun(db, runId, {judge: {target: anthropicJudge()}})
    assert.equal(out.judge?.calls, 8)
    const calls = judgeCalls('/v1/messages')
    assert.equal(calls.length, 8)
    const body = calls[0]!.body!
    assert.equal(body.model, 'claude-judge')
    assert.equal(body.temperature, 0)
    assert.equal(body.seed, undefined, 'Anthropic takes no seed')
    assert.equal(typeof body.max_tokens, 'number')
    assert.match(String(body.system), /impartial judge/)
    assert.deepEqual(body.tool_choice, {type: 'tool', name: 'record_scores'})
    const tool = obj((body.tools as unknown[])[0])
    assert.equal(tool.name, 'record_scores')
    assert.deepEqual(obj(tool.input_schema).required, ['relevance', 'coherence', 'completeness'])
    // SDK 1.11 sends the key as a bearer token (older SDKs used x-api-key).
    assert.ok(calls[0]!.headers.authorization === `Bearer ${KEY}` || calls[0]!.headers['x-api-key'] === KEY)

    const repair = calls.find((c) => (c.body!.messages as unknown[]).length === 3)!.body!
    const [, assistant, user] = (repair.messages as Json[]).map(obj)
    const toolUse = obj((assistant!.content as unknown[])[0])
    assert.equal(toolUse.type, 'tool_use')
    assert.equal(toolUse.name, 'record_scores')
    const result = obj((user!.content as unknown[])[0])
    assert.equal(result.type, 'tool_result')
    assert.equal(result.tool_use_id, toolUse.id)
    assert.equal(result.is_error, true)
    assert.match(String(result.content), /relevance\.score/)

    const rows = judgeRows(db, runId)
    assert.ok(rows.every((r) => r.judge.status === 'ok' && r.judge.model === 'anthropic:claude-judge'))
    assert.deepEqual(rows.find((r) => r.arm === 'primary')!.judge.scores, {relevance: 1, coherence: 0.75, completeness: 0.5, overall: 0.775})
    db.close()
  })
})
