// `kt gateway run` with the audit-logger block every gateway config of the product docs carries (no path: stdout),
// on the offline gateway: one JSON line per request on stdout (the gateway's own log is on stderr), a read of
// /v1/events recorded (log_all_access), and a log policy's line in the gateway's log format on stderr.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {BIN, ROOT, tempDir} from '../support/cli.js'
import {chat, daemon, get, post, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'

const DOCS_BLOCK = `
policies:
  chain: [audit-logger, log]
policy:
  audit-logger:
    immutable: true
    retention_days: 365
    log_all_access: true
  log:
    severity: warn
    conditions:
      model: sim-small
`
const TOKEN = 'gw-cli-audit-token-0123456789'

let gw: Daemon | null = null

after(async () => {
  if (gw && gw.child.exitCode === null) {
    gw.child.kill('SIGTERM')
    await gw.exited
  }
})

const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

describe('kt gateway run: the docs audit-logger block', () => {
  test('JSON lines on stdout, one per request and one per read of /v1/events; the log policy on stderr', async () => {
    const dir = tempDir('kt-gw-cli-audit-')
    const shell = await tutorialShell(dir)
    const config = join(dir, 'policy-config.yaml')
    writeFileSync(config, readFileSync(join(ROOT, 'fixtures', 'gateway-offline.yaml'), 'utf8') + DOCS_BLOCK)
    gw = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', config, '--port', String(shell.port), '--auth-token', TOKEN], {env: shell.env, cwd: dir})
    await gw.waitFor('Gateway ready')
    assert.match(gw.stderr(), /INFO kt::gateway Audit logger "audit-logger": one JSON line per request to stdout; reads of \/v1\/events logged; retention_days 365 recorded in each line, not enforced\n/)
    assert.match(gw.stderr(), /INFO kt::gateway Log "log": warn line to stderr for requests with model sim-small\n/)
    assert.equal(gw.stdout(), '', 'nothing else on stdout')
    const base = `http://127.0.0.1:${shell.port}`
    const auth = {authorization: `Bearer ${TOKEN}`}
    const ids: string[] = []
    for (const model of ['sim-large', 'sim-small', 'sim-large']) ids.push((await post(base, '/v1/chat/completions', chat(`What is least privilege? (${model})`, {model, user: 'carol'}), auth)).headers['x-kt-event-id'] as string)
    await waitFor(() => jsonLines(gw!.stdout()).length >= 3, () => `3 lines on stdout (have: ${gw!.stdout()})`)
    const reads = await get(base, '/v1/events?since=1h', auth)
    assert.equal(reads.status, 200)
    await waitFor(() => jsonLines(gw!.stdout()).length >= 4, () => `the read on stdout (have: ${gw!.stdout()})`)
    gw.child.kill('SIGTERM')
    assert.equal(await gw.exited, 0, gw.stderr())
    const out = jsonLines(gw.stdout())
    assert.deepEqual(out.map((l) => l.kind), ['request', 'request', 'request', 'access'])
    // In the order the events were built (a mirrored request's once its shadow is done), not necessarily sent.
    const byId = (id: string) => out.find((l) => l.event_id === id)!
    assert.deepEqual(ids.map(byId).map((l) => [l.event_id, l.model, l.provider, l.status, l.http_status, l.retention_days]), [
      [ids[0], 'sim-large', 'simulated', 'ok', 200, 365],
      [ids[1], 'sim-small', 'simulated', 'ok', 200, 365],
      [ids[2], 'sim-large', 'simulated', 'ok', 200, 365],
    ])
    // Every request is mirrored to sim-shadow: its shadow is summarised in the request's line.
    assert.deepEqual((out[0]!.shadows as {model: string}[]).map((s) => s.model), ['sim-candidate'])
    assert.ok(out.every((l) => !('request' in l) && !JSON.stringify(l).includes('carol') && !JSON.stringify(l).includes(TOKEN)))
    assert.deepEqual([out[3]!.route, out[3]!.token_presented, out[3]!.authorized, out[3]!.events_returned, out[3]!.query], ['/v1/events', true, true, 6, {since: '1h'}])
    const logged = gw.stderr().split('\n').filter((l) => l.includes('log "log"'))
    assert.equal(logged.length, 1, gw.stderr())
    assert.match(logged[0]!, new RegExp(`^WARN kt::gateway log "log": event ${ids[1]} /v1/chat/completions sim-small on sim-small \\(simulated\\): ok 200, \\d+ ms, \\d+\\+\\d+ tokens, \\$\\d+\\.\\d{6}$`))
  })
})
