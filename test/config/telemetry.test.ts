// `telemetry.otlp`: the OTLP/HTTP exporter's settings, defaults applied, header values only as environment variable
// names, every mistake reported with its YAML path and line and never repeating what was written in a header.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {formatIssue, formatLintText, lintConfigFile, parseConfigText} from '../../src/config/index.js'
import {ROOT, tempDir} from '../support/cli.js'

const issues = (yaml: string, severity: 'error' | 'warning' = 'error'): string[] =>
  parseConfigText(yaml).issues.filter((i) => i.severity === severity).map(formatIssue)

const BLOCK = `telemetry:
  otlp:
    endpoint: http://collector:4318/v1/traces
    headers:
      Authorization: {secret_key_ref: {env: OTLP_AUTH}}
      x-tenant: {secret_key_ref: {env: OTLP_TENANT}}
    sample_rate: 0.25
`

describe('telemetry.otlp', () => {
  test('the block with defaults applied; headers keep only the variable names', () => {
    const {config, issues: found} = parseConfigText(BLOCK)
    assert.deepEqual(found, [])
    const o = config!.telemetry.otlp!
    assert.deepEqual({...o, headers: o.headers.map((h) => [h.name, h.env, h.source.path, h.source.line]), source: o.source.line}, {
      enabled: true,
      endpoint: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: [
        ['Authorization', 'OTLP_AUTH', 'telemetry.otlp.headers.Authorization.secret_key_ref.env', 5],
        ['x-tenant', 'OTLP_TENANT', 'telemetry.otlp.headers.x-tenant.secret_key_ref.env', 6],
      ],
      sample_rate: 0.25,
      max_queue_size: 2048,
      max_export_batch_size: 512,
      export_timeout_ms: 10000,
      scheduled_delay_ms: 1000,
      capture_content: true,
      service_name: 'kt-gateway',
      source: 2,
    })
  })

  test('protocol: http/json (default) or http/protobuf; grpc is refused with what to use instead', () => {
    assert.equal(parseConfigText('telemetry:\n  otlp: {endpoint: "http://c/v1/traces", protocol: http/protobuf}\n').config!.telemetry.otlp!.protocol, 'http/protobuf')
    assert.deepEqual(issues('telemetry:\n  otlp: {endpoint: "http://c/v1/traces", protocol: grpc}\n'), [
      'telemetry.otlp.protocol: grpc is not supported: use http/protobuf (the same messages over HTTP, port 4318) or http/json (line 2)',
    ])
    assert.deepEqual(issues('telemetry:\n  otlp: {endpoint: "http://c/v1/traces", protocol: thrift}\n'), ['telemetry.otlp.protocol: must be one of http/json, http/protobuf (line 2)'])
  })

  test('no block: null; enabled: false is kept', () => {
    assert.equal(parseConfigText('version: 1\n').config!.telemetry.otlp, null)
    assert.equal(parseConfigText('telemetry:\n  otlp:\n    endpoint: https://x/v1/traces\n    enabled: false\n').config!.telemetry.otlp!.enabled, false)
  })

  test('a batch larger than a small queue is cut to the queue by default, and an error when written', () => {
    assert.equal(parseConfigText('telemetry:\n  otlp: {endpoint: "http://c/v1/traces", max_queue_size: 16}\n').config!.telemetry.otlp!.max_export_batch_size, 16)
    assert.deepEqual(issues('telemetry:\n  otlp: {endpoint: "http://c/v1/traces", max_queue_size: 16, max_export_batch_size: 32}\n'), [
      'telemetry.otlp.max_export_batch_size: must be <= max_queue_size (16) (line 2)',
    ])
  })

  test('every problem with its path and line', () => {
    assert.deepEqual(
      issues(`telemetry:
  otlp:
    endpoint: collector:4318
    headers:
      Authorization: {secret_key_ref: {env: "not a name"}}
      "bad header": {secret_key_ref: {env: OK}}
    sample_rate: 50%
    max_queue_size: 0
    export_timeout_ms: -1
`),
      [
        'telemetry.otlp.endpoint: must be an http(s) URL, e.g. http://collector:4318/v1/traces, got "collector:4318" (line 3)',
        'telemetry.otlp.headers.Authorization.secret_key_ref.env: must be an environment variable name, e.g. OTLP_AUTH (line 5)',
        'telemetry.otlp.headers["bad header"]: is not a valid HTTP header name (line 6)',
        'telemetry.otlp.sample_rate: must be a number between 0 and 1 (write 0.5 for 50%) (line 7)',
        'telemetry.otlp.max_queue_size: must be an integer >= 1 (line 8)',
        'telemetry.otlp.export_timeout_ms: must be an integer >= 1 (line 9)',
      ],
    )
    assert.deepEqual(issues('telemetry:\n  otlp:\n    sample_rate: 1\n'), ['telemetry.otlp.endpoint: is required (line 2)'])
    assert.deepEqual(issues('telemetry: yes\n'), ['telemetry: must be a mapping with otlp:, got "yes" (line 1)'])
    assert.deepEqual(issues('telemetry:\n  jaeger: {}\n  otlp: {endpoint: "http://c/v1/traces", verbose: true}\n', 'warning'), [
      'telemetry.jaeger: unknown key (kt exports telemetry.otlp only) (line 2)',
      'telemetry.otlp.verbose: unknown key (line 3)',
    ])
  })

  test('a secret written in the file is refused without being repeated, in a header or in the URL', () => {
    const secret = 'Bearer sk-otlp-very-secret-0123456789'
    const found = issues(`telemetry:
  otlp:
    endpoint: https://user:pw-secret-0123456789@collector/v1/traces
    headers:
      Authorization: "${secret}"
      x-api-key: {secret_key_ref: "${secret}"}
      x-other: {value: "${secret}"}
`)
    assert.deepEqual(found, [
      'telemetry.otlp.endpoint: must not hold credentials (user:password@); send them in a header read from an environment variable (line 3)',
      'telemetry.otlp.headers.Authorization: must be {secret_key_ref: {env: NAME}}: header values are read only from the environment, never written in the file (line 5)',
      'telemetry.otlp.headers.x-api-key.secret_key_ref: must be a mapping {env: NAME} (line 6)',
      'telemetry.otlp.headers.x-other.secret_key_ref: is required (line 7)',
    ])
    const all = parseConfigText(`telemetry:\n  otlp:\n    endpoint: http://c/v1/traces\n    headers:\n      Authorization: "${secret}"\n`).issues.map(formatIssue).join('\n')
    assert.ok(!all.includes('sk-otlp'), all)
    assert.ok(!found.join('\n').includes('pw-secret'))
  })

  test("the README's block is valid as written and spells out the defaults", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const block = /\n( *)```yaml\n((?:\1 *telemetry:\n)[\s\S]*?)\1```/.exec(readme)
    assert.ok(block, 'the README shows a telemetry block')
    const yaml = block[2]!.split('\n').map((l) => l.slice(block[1]!.length)).join('\n')
    const {config, issues: found} = parseConfigText(yaml)
    assert.deepEqual(found, [])
    const {source: _s, headers, endpoint: _e, ...rest} = config!.telemetry.otlp!
    const {source: _d, headers: _h, endpoint: _f, ...defaults} = parseConfigText('telemetry:\n  otlp: {endpoint: "http://c/v1/traces"}\n').config!.telemetry.otlp!
    assert.deepEqual(rest, defaults)
    assert.deepEqual(headers.map((h) => [h.name, h.env]), [['Authorization', 'OTLP_AUTH']])
  })

  test('kt policy lint shows the exporter and where each header comes from, never a value', () => {
    const file = join(tempDir('kt-otlp-lint-'), 'policy-config.yaml')
    writeFileSync(file, BLOCK)
    const r = lintConfigFile(file)
    assert.equal(r.valid, true)
    assert.deepEqual(r.summary!.otlp, {enabled: true, endpoint: 'http://collector:4318/v1/traces', protocol: 'http/json', sample_rate: 0.25, headers: [{name: 'Authorization', env: 'OTLP_AUTH'}, {name: 'x-tenant', env: 'OTLP_TENANT'}]})
    assert.ok(formatLintText(r).split('\n').includes('Telemetry: OTLP/HTTP traces (JSON) to http://collector:4318/v1/traces, 25% sampled, headers Authorization (from $OTLP_AUTH), x-tenant (from $OTLP_TENANT)'))
    writeFileSync(file, 'telemetry:\n  otlp: {endpoint: "http://c/v1/traces", enabled: false}\n')
    assert.ok(formatLintText(lintConfigFile(file)).split('\n').includes('Telemetry: OTLP disabled'))
  })
})
