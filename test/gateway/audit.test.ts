// The audit-logger and log policies: an append-only JSONL file (mode 0600) with one line per request and the fields an
// auditor reads, no secret and no raw user key in it, the request and answer only when asked, redact_fields masking
// at any depth, every read of /v1/events recorded with log_all_access; a log policy writing only the requests its
// conditions match; a file that cannot be opened is one log line naming its config path while the gateway keeps
// serving, and a reload that fixes the path opens the new file.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'
import {chat, get, KEYS, post, seedConfig, startGateway, waitFor, type TestGateway} from '../support/gateway.js'
import {tempDir} from '../support/cli.js'

const TOKEN = 'gw-audit-token-0123456789'
const USER = 'alice@example.com'
const PROMPT = `My key is ${KEYS.OPENAI_API_KEY}, keep it safe.`

type Line = Record<string, unknown>

function lines(path: string): Line[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)
}

async function linesWhen(path: string, n: number, keep: (l: Line) => boolean = () => true): Promise<Line[]> {
  let got: Line[] = []
  await waitFor(() => (got = lines(path).filter(keep)).length >= n, () => `${n} line(s) in ${path} (have ${got.length})`)
  return got
}

const withPolicies = (policies: unknown[]) => (d: Record<string, unknown>) => ({...d, policies})

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream()
})
after(async () => {
  await up.close()
})

describe('audit-logger and log policies to files', () => {
  let g: TestGateway
  let dir: string
  const audit = () => join(dir, 'audit', 'audit.jsonl')
  const full = () => join(dir, 'full.jsonl')
  const deprecated = () => join(dir, 'deprecated.jsonl')
  before(async () => {
    dir = tempDir('kt-gw-audit-')
    const config = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, withPolicies([
      // Relative paths are the config file's directory's; a missing directory is made.
      {name: 'audit', type: 'audit-logger', destination: 'file', path: 'audit/audit.jsonl', immutable: true, retention_days: 365, log_all_access: true},
      {name: 'audit-full', type: 'audit-logger', path: 'full.jsonl', include_request: true, include_response: true, redact_fields: ['Content', 'finish_reason']},
      {name: 'deprecated', type: 'log', severity: 'warn', conditions: {model: 'gpt-4o-mini'}, path: 'deprecated.jsonl'},
    ]))
    g = await startGateway(config, join(dir, 'kt.db'), {authToken: TOKEN})
  })
  after(async () => {
    await g.gw.close(2000)
  })

  test('one line per request with the fields an auditor reads; no key, no raw user key; no body unless asked', async () => {
    const auth = {authorization: `Bearer ${TOKEN}`}
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const r = await post(g.url, '/v1/chat/completions', {model: 'quality-ab-test', user: USER, messages: [{role: 'user', content: `${PROMPT} (${i})`}]}, auth)
      assert.equal(r.status, 200)
      ids.push(r.headers['x-kt-event-id'] as string)
    }
    const got = await linesWhen(audit(), 3)
    assert.equal(got.length, 3)
    assert.deepEqual(got.map((l) => l.event_id), ids)
    assert.equal(statSync(audit()).mode & 0o777, 0o600)
    for (const l of got) {
      assert.equal(l.kind, 'request')
      assert.equal(l.audit_policy, 'audit')
      assert.match(l.user_hash as string, /^[0-9a-f]{32}$/)
      assert.equal(l.requested_model, 'quality-ab-test')
      assert.ok(['gpt-4o', 'claude-sonnet-4-20250514'].includes(l.model as string))
      assert.equal(l.target_id, l.provider)
      assert.deepEqual([l.route, l.decision, l.model_group, l.status, l.http_status, l.retention_days], ['/v1/chat/completions', 'route', 'quality-ab-test', 'ok', 200, 365])
      assert.deepEqual(l.policies_triggered, [])
      assert.ok(typeof l.latency_ms === 'number' && typeof l.cost_usd === 'number' && (l.cost_usd as number) > 0)
      const tokens = l.tokens as Record<string, number>
      assert.equal(tokens.total, tokens.input! + tokens.output!)
      assert.ok(!('request' in l) && !('response' in l), 'include_request and include_response are off by default')
      for (const k of ['timestamp', 'trace_id', 'policy_id']) assert.ok(k in l, k)
    }
    const text = readFileSync(audit(), 'utf8') + readFileSync(full(), 'utf8')
    assert.ok(!text.includes(KEYS.OPENAI_API_KEY) && !text.includes(KEYS.ANTHROPIC_API_KEY), 'no provider key')
    assert.ok(!text.includes(USER), 'no raw user key')
    assert.ok(!text.includes(TOKEN), 'no gateway token')
  })

  test('include_request / include_response with redact_fields masking keys at any depth, whatever their case', async () => {
    const got = await linesWhen(full(), 3)
    const l = got[0]!
    const request = l.request as {model: string; user: string; messages: {role: string; content: string}[]}
    assert.equal(request.model, l.model, 'the body as stored: the routed model')
    assert.deepEqual(request.messages, [{role: 'user', content: '[redacted]'}])
    assert.equal(request.user, '[redacted]', 'the user is its hash only')
    const response = l.response as {text: string; finish_reason: string; tool_calls: unknown[]}
    assert.match(response.text, /^Fake answer .* My key is \[redacted\], keep it safe\. \(0\)$/)
    assert.equal(response.finish_reason, '[redacted]')
    assert.ok(!('retention_days' in l))
  })

  test('log_all_access: every read of /v1/events is a line (token presented or not, never the token, the query, the count)', async () => {
    const ok = await get(g.url, `/v1/events?since=1h&limit=2&token=${TOKEN}`, {authorization: `Bearer ${TOKEN}`})
    assert.equal(ok.status, 200)
    const refused = await get(g.url, '/v1/events?model=gpt-4o')
    assert.equal(refused.status, 401)
    const reads = await linesWhen(audit(), 2, (l) => l.kind === 'access')
    assert.deepEqual(reads.map((r) => [r.route, r.method, r.status, r.token_presented, r.authorized, r.events_returned]), [
      ['/v1/events', 'GET', 200, true, true, 2],
      ['/v1/events', 'GET', 401, false, false, 0],
    ])
    assert.deepEqual(reads[0]!.query, {since: '1h', limit: '2', token: '[redacted]'})
    assert.deepEqual(reads[1]!.query, {model: 'gpt-4o'})
    assert.ok(!readFileSync(audit(), 'utf8').includes(TOKEN))
    assert.ok(lines(full()).every((l) => l.kind !== 'access'), 'only audit-loggers with log_all_access record reads')
  })

  test('an LLM call refused for a wrong or missing token: no event, but a refused line in every audit-logger', async () => {
    const wrong = await post(g.url, '/v1/chat/completions', {model: 'gpt-4o', messages: [{role: 'user', content: 'let me in'}]}, {authorization: 'Bearer not-the-token-0123456789'})
    assert.equal(wrong.status, 401)
    const none = await post(g.url, '/v1/messages', {model: 'claude-sonnet-4-20250514', max_tokens: 5, messages: [{role: 'user', content: 'x'}]})
    assert.equal(none.status, 401)
    for (const file of [audit(), full()]) {
      const refused = await linesWhen(file, 2, (l) => l.kind === 'refused')
      assert.deepEqual(refused.map((r) => [r.route, r.method, r.status, r.token_presented, r.authorized]), [
        ['/v1/chat/completions', 'POST', 401, true, false],
        ['/v1/messages', 'POST', 401, false, false],
      ])
      assert.ok(!readFileSync(file, 'utf8').includes('not-the-token-0123456789'), 'the wrong token is never written')
    }
  })

  test('a log policy writes only the requests its conditions match; /metrics counts the lines', async () => {
    const auth = {authorization: `Bearer ${TOKEN}`}
    const mini = await post(g.url, '/v1/chat/completions', chat('old model'), auth)
    await post(g.url, '/v1/chat/completions', chat('new model', {model: 'gpt-4o'}), auth)
    const mini2 = await post(g.url, '/v1/chat/completions', chat('old model again', {max_tokens: 30}), auth)
    await linesWhen(audit(), 6, (l) => l.kind === 'request')
    const got = await linesWhen(deprecated(), 2)
    assert.deepEqual(got.map((l) => [l.event_id, l.level, l.log_policy, l.model]), [
      [mini.headers['x-kt-event-id'], 'warn', 'deprecated', 'gpt-4o-mini'],
      [mini2.headers['x-kt-event-id'], 'warn', 'deprecated', 'gpt-4o-mini'],
    ])
    assert.ok(!('request' in got[0]!))
    // The counts reach the answering thread with the side thread's next progress message (audit: 6 requests, 2 reads,
    // 2 refused calls).
    let metrics = ''
    const counted = (text: string) => /kt_gateway_policy_lines_written_total\{policy="deprecated"\} 2\n/.test(text) && /kt_gateway_policy_lines_written_total\{policy="audit"\} 10\n/.test(text)
    await waitFor(async () => counted((metrics = (await get(g.url, '/metrics')).text)), () => `the line counts in /metrics: ${metrics}`)
    assert.match(metrics, /kt_gateway_policy_lines_dropped_total\{policy="audit"\} 0\n/)
  })
})

describe('a destination that cannot be opened', () => {
  test('one log line naming the config path and the error; the gateway keeps serving; a reload with a good path opens it', async () => {
    const dir = tempDir('kt-gw-audit-bad-')
    writeFileSync(join(dir, 'not-a-dir'), 'a file, not a directory\n')
    const good = join(dir, 'good.jsonl')
    const policy = (path: string) => withPolicies([{name: 'audit', type: 'audit-logger', path}])
    const config = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, policy('not-a-dir/audit.jsonl'))
    const g = await startGateway(config, join(dir, 'kt.db'))
    try {
      await waitFor(() => g.logs.some((l) => l.startsWith('ERROR')), 'an error line')
      const errors = g.logs.filter((l) => l.startsWith('ERROR'))
      assert.equal(errors.length, 1, errors.join('\n'))
      assert.match(errors[0]!, /^ERROR policies\[0\]\.path \(line \d+\): cannot open .*not-a-dir\/audit\.jsonl for appending: (ENOTDIR|EEXIST)/)
      const r = await post(g.url, '/v1/chat/completions', chat('still served'))
      assert.equal(r.status, 200)
      await waitFor(async () => /kt_gateway_policy_lines_dropped_total\{policy="audit"\} 1/.test((await get(g.url, '/metrics')).text), 'the line counted as dropped')
      seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, policy(good))
      assert.equal(g.gw.reload().ok, true)
      const again = await post(g.url, '/v1/chat/completions', chat('after the reload'))
      const [l] = await linesWhen(good, 1)
      assert.equal(l!.event_id, again.headers['x-kt-event-id'])
      assert.equal(g.logs.filter((x) => x.startsWith('ERROR')).length, 1)
    } finally {
      await g.gw.close(2000)
    }
  })
})

describe('destination sqlite', () => {
  test('the events are the trail: nothing else is written; a read of /v1/events is a gateway log line', async () => {
    const dir = tempDir('kt-gw-audit-sql-')
    const config = seedConfig('weighted-ab.yaml', {openai: up.url, anthropic: up.url}, dir, withPolicies([{name: 'trail', type: 'audit-logger', destination: 'sqlite', log_all_access: true}]))
    const g = await startGateway(config, join(dir, 'kt.db'), {authToken: TOKEN})
    try {
      assert.equal((await post(g.url, '/v1/chat/completions', chat('into the store'), {authorization: `Bearer ${TOKEN}`})).status, 200)
      assert.equal((await get(g.url, '/v1/events?limit=5', {'x-api-key': 'not-the-token-0123'})).status, 401)
      await waitFor(() => g.logs.some((l) => l.includes('audit-logger "trail"')), 'the read in the log')
      assert.deepEqual(g.logs.filter((l) => l.includes('audit-logger "trail"')), ['INFO audit-logger "trail": GET /v1/events?limit=5 from 127.0.0.1, token presented, refused: 401, 0 event(s) returned'])
      const metrics = (await get(g.url, '/metrics')).text
      assert.ok(!/kt_gateway_policy_lines_written_total\{policy="trail"\} [1-9]/.test(metrics), 'no line written anywhere')
    } finally {
      await g.gw.close(2000)
    }
  })
})
