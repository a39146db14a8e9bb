// The doctor's checks called directly, for what the CLI cannot vary (the Node version) and the text layout.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {checkConfig, checkDatabase, checkGateway, checkKey, checkNode, checkTelemetry, doctorExitCode, formatDoctorText, type DoctorCheck} from '../../src/app/doctor/index.js'
import {tempDir} from '../support/cli.js'

describe('doctor checks', () => {
  test('Node: 20 and newer pass, older fails with what to install', () => {
    assert.equal(checkNode('20.0.0').status, 'ok')
    assert.equal(checkNode('22.11.0').detail, 'v22.11.0')
    const old = checkNode('18.19.1')
    assert.equal(old.status, 'fail')
    assert.match(old.detail, /v18\.19\.1; kt needs Node 20 or newer/)
    assert.match(old.fix ?? '', /install Node 20/)
    assert.equal(checkNode('garbage').status, 'fail')
  })

  test('key: the variable is named, its value never shown', () => {
    const t = {id: 'main', provider: 'openai' as const, model: 'gpt-4o-mini'}
    const set = checkKey(t, {OPENAI_API_KEY: 'sk-secret-value-123456'})
    assert.deepEqual(set, {check: 'key:main', status: 'ok', detail: 'OPENAI_API_KEY is set', fix: null})
    const custom = checkKey({...t, api_key_env: 'MY_KEY'}, {OPENAI_API_KEY: 'x'})
    assert.equal(custom.status, 'fail')
    assert.equal(custom.detail, 'MY_KEY is not set')
    assert.equal(checkKey({id: 's', provider: 'simulated', model: 'simulated-terse'}, {}).status, 'ok')
  })

  test('telemetry: each OTLP header variable is checked by name, its value never shown', () => {
    const dir = tempDir()
    const file = join(dir, 'policy-config.yaml')
    writeFileSync(file, 'providers:\n  targets:\n    - {id: main, provider: openai}\ntelemetry:\n  otlp:\n    endpoint: http://127.0.0.1:4318/v1/traces\n    headers:\n      Authorization: {secret_key_ref: {env: KT_TEST_OTLP_AUTH}}\n')
    const {config} = checkConfig(file, {}, dir)
    assert.ok(config)
    const missing = checkTelemetry(config, {})!
    assert.equal(missing.status, 'fail')
    assert.match(missing.detail, /KT_TEST_OTLP_AUTH \(header Authorization\) not set/)
    assert.match(missing.fix ?? '', /export KT_TEST_OTLP_AUTH=/)
    const set = checkTelemetry(config, {KT_TEST_OTLP_AUTH: 'Bearer otlp-secret-0123456789'})!
    assert.equal(set.status, 'ok')
    assert.ok(!JSON.stringify(set).includes('otlp-secret'))
  })

  test('database: a path under a file cannot work; a directory is not a database', () => {
    const dir = tempDir()
    const asDir = checkDatabase(dir)
    assert.equal(asDir.status, 'fail')
    assert.match(asDir.detail, /is a directory/)
    const fresh = checkDatabase(join(dir, 'a', 'b', 'kt.db'))
    assert.equal(fresh.status, 'ok')
  })

  test('gateway: an invalid KT_GATEWAY_URL is a warning with a fix, never a failure', async () => {
    const c = await checkGateway({KT_GATEWAY_URL: 'ftp://nope'}, 200)
    assert.equal(c.status, 'warn')
    assert.match(c.detail, /KT_GATEWAY_URL="ftp:\/\/nope" is not an http\(s\) URL/)
    assert.match(c.fix ?? '', /KT_GATEWAY_URL/)
  })

  test('text: aligned names, the fix under each ✗, a verdict; exit 1 only on a failure', () => {
    const checks: DoctorCheck[] = [
      {check: 'node', status: 'ok', detail: 'v20.1.0', fix: null},
      {check: 'key:openai-main', status: 'fail', detail: 'OPENAI_API_KEY is not set', fix: 'export OPENAI_API_KEY=…'},
      {check: 'gateway', status: 'warn', detail: 'not running', fix: null},
    ]
    assert.equal(
      formatDoctorText(checks),
      [
        '✓ node             v20.1.0',
        '✗ key openai-main  OPENAI_API_KEY is not set',
        '                   → export OPENAI_API_KEY=…',
        '⚠ gateway          not running',
        '',
        '1 problem to fix, 1 warning',
      ].join('\n'),
    )
    assert.equal(doctorExitCode(checks), 1)
    assert.equal(doctorExitCode([checks[0]!, checks[2]!]), 0)
    assert.match(formatDoctorText([checks[0]!]), /\nall checks passed$/)
  })
})
