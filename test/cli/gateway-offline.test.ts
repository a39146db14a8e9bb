// The offline gateway the README shows: `kt gateway run` on the shipped fixtures/gateway-offline.yaml with no API key
// in the environment and no upstream at all; curl through both APIs, the 70/30 group, the mirror comparison on every
// event, then the same events replayed by `kt replay --dataset gateway`.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {BIN, ROOT, tempDir} from '../support/cli.js'
import {daemon, readEvents, tutorialShell, waitFor, type Daemon} from '../support/gateway.js'

let gw: Daemon | null = null

after(async () => {
  if (gw && gw.child.exitCode === null) {
    gw.child.kill('SIGTERM')
    await gw.exited
  }
})

describe('README: the gateway offline', () => {
  test('simulated targets answer through the gateway with no key and no network', async () => {
    const dir = tempDir('kt-gw-offline-')
    const shell = await tutorialShell(dir)
    delete shell.env.OPENAI_API_KEY
    delete shell.env.ANTHROPIC_API_KEY
    const config = join(ROOT, 'fixtures', 'gateway-offline.yaml')
    gw = daemon(process.execPath, [BIN, 'gateway', 'run', '--policy-config', config, '--port', String(shell.port)], {env: shell.env, cwd: dir})
    await gw.waitFor('Gateway ready')
    assert.match(gw.stderr(), /Model group "assistant": sim-large \(70%\) \/ sim-small \(30%\)/)
    const base = `http://127.0.0.1:${shell.port}`
    const send = await shell.run(`for i in $(seq 1 12); do curl -s ${base}/v1/chat/completions -H 'Content-Type: application/json' \\
  -d "{\\"model\\":\\"assistant\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"What is least privilege, case $i?\\"}]}" | jq -c '{model, provider}'; done`)
    assert.equal(send.code, 0, send.stderr)
    const answers = send.stdout.trim().split('\n').map((l) => JSON.parse(l) as {model: string; provider: string})
    assert.equal(answers.length, 12)
    assert.ok(answers.every((a) => a.provider === 'simulated' && (a.model === 'sim-large' || a.model === 'sim-small')), send.stdout)
    const anthropic = await shell.run(`curl -sN ${base}/v1/messages -H 'Content-Type: application/json' -H 'anthropic-version: 2023-06-01' \\
  -d '{"model":"sim-large","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"What is least privilege?"}]}'`)
    assert.match(anthropic.stdout, /event: message_start[\s\S]*event: content_block_delta[\s\S]*event: message_stop/)
    await waitFor(() => readEvents(shell.dbPath).filter((e) => e.traffic_mirror).length === 13, '13 primary events with their mirror comparison')
    const list = await shell.run(`kt events list --since 1h --format json | jq -c '[.[] | select(.traffic_mirror != null) | .traffic_mirror.shadow.model] | unique'`)
    assert.equal(list.stdout.trim(), '["sim-candidate"]', list.stderr)
    const replay = await shell.run('kt replay --dataset gateway --candidate simulated:terse --name offline --json | jq -r .run.status')
    assert.equal(replay.code, 0, replay.stderr)
  })
})
