// Hostile or odd config files: FIFOs and devices, oversized and binary files, UTF-16, YAML merge keys,
// alias bombs and files with thousands of problems. Each must end quickly with a clear message.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {
  ConfigError,
  formatIssue,
  lintConfigFile,
  loadConfig,
  MAX_CONFIG_BYTES,
  parseConfigText,
  readConfigText,
} from '../../src/config/index.js'
import {tempDir} from '../support/cli.js'

const VALID = 'version: "1"\nproviders:\n  targets:\n    - {id: openai, provider: openai, model: gpt-4o}\n'

function file(name: string, content: string | Uint8Array): string {
  const path = join(tempDir(), name)
  writeFileSync(path, content)
  return path
}

function fifo(): string {
  const path = join(tempDir(), 'config.fifo')
  execFileSync('mkfifo', [path])
  return path
}

const errorsOf = (yaml: string): string[] => parseConfigText(yaml).issues.filter((i) => i.severity === 'error').map(formatIssue)

describe('reading the config file', {timeout: 20_000}, () => {
  test('a FIFO is refused without being opened for a blocking read (lint, load)', () => {
    const path = fifo()
    const r = lintConfigFile(path)
    assert.equal(r.exitCode, 2)
    assert.deepEqual(r.errors.map((e) => e.message), [`${path} is a FIFO (named pipe); kt reads its config from a regular file (save the YAML to one)`])
    assert.throws(() => loadConfig(path, {required: false}), (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && /is a FIFO/.test(e.message))
  })

  test('/dev/zero and other devices are refused', () => {
    const r = readConfigText('/dev/zero')
    assert.deepEqual(r, {ok: false, reason: 'unreadable', message: '/dev/zero is a character device; kt reads its config from a regular file (save the YAML to one)'})
  })

  test('a file past the size limit is refused by its size, even a sparse 8 GB one, without reading it', () => {
    const big = file('big.yaml', `${VALID}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`)
    assert.deepEqual(readConfigText(big), {ok: false, reason: 'unreadable', message: `${big} is larger than 256 KiB; a config file is far smaller (is this the right file?)`})
    const sparse = file('sparse.yaml', VALID)
    truncateSync(sparse, 8 * 1024 ** 3)
    assert.equal(lintConfigFile(sparse).exitCode, 2)
    const atLimit = file('limit.yaml', `${VALID}#${'x'.repeat(MAX_CONFIG_BYTES - VALID.length - 2)}\n`)
    assert.equal(lintConfigFile(atLimit).exitCode, 0, 'exactly the limit is read')
  })

  test('UTF-16 files (with or without a BOM, either byte order) are read and named as such', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VALID, 'utf16le')])
    const be = Buffer.from(le).swap16()
    const bare = Buffer.from(VALID, 'utf16le')
    for (const [bytes, order] of [[le, 'little'], [be, 'big'], [bare, 'little']] as const) {
      const r = lintConfigFile(file('u16.yaml', bytes))
      assert.equal(r.exitCode, 0, JSON.stringify(r.errors))
      assert.deepEqual(r.config?.targets.map((t) => t.model), ['gpt-4o'])
      assert.deepEqual(r.warnings.map(formatIssue), [`(root): the file is UTF-16 (${order}-endian) text; read as such (UTF-8 is what most YAML tools expect)`])
    }
  })

  test('UTF-32, binary and invalid UTF-8 are named; a UTF-8 BOM is fine', () => {
    const u32 = file('u32.yaml', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('a: 1\n', 'utf16le')]))
    assert.equal((readConfigText(u32) as {message: string}).message, `${u32} is UTF-32 text; save it as UTF-8`)
    const bin = file('bin.yaml', Buffer.from([0x61, 0x3a, 0x20, 0x00, 0x01, 0x02, 0x0a, 0x62, 0xff, 0x00, 0x00, 0x7f]))
    assert.equal((readConfigText(bin) as {message: string}).message, `${bin} is binary (it holds NUL bytes), not YAML text`)
    const latin1 = file('latin1.yaml', Buffer.from('version: "1"\npack: {name: caf\xe9}\n', 'latin1'))
    assert.equal((readConfigText(latin1) as {message: string}).message, `${latin1} is not UTF-8 text (first invalid byte on line 2); save it as UTF-8`)
    const bom = lintConfigFile(file('bom.yaml', `\uFEFF${VALID}`))
    assert.deepEqual([bom.exitCode, bom.warnings], [0, []])
  })
})

describe('YAML features and hostile YAML', {timeout: 20_000}, () => {
  test('merge keys (<<) share settings between entries; own keys win; a list of sources merges in order', () => {
    const {config, issues} = parseConfigText(`
x-defaults: &defaults
  provider: openai
  secret_key_ref: {env: OPENAI_API_KEY}
  timeout_ms: 30000
x-slow: &slow {timeout_ms: 90000, max_concurrency: 2}
providers:
  targets:
    - <<: *defaults
      id: mini
      model: gpt-4o-mini
    - {<<: [*slow, *defaults], id: big, model: gpt-4o}
    - <<: *defaults
      id: quick
      timeout_ms: 5000
`)
    // Top-level `x-...` keys hold the anchors and are not sections: no warning about them.
    assert.deepEqual(issues, [])
    assert.deepEqual(
      config?.targets.map((t) => [t.id, t.provider, t.model ?? null, t.api_key_env, t.timeout_ms, t.max_concurrency ?? null]),
      [
        ['mini', 'openai', 'gpt-4o-mini', 'OPENAI_API_KEY', 30000, null],
        ['big', 'openai', 'gpt-4o', 'OPENAI_API_KEY', 90000, 2],
        ['quick', 'openai', null, 'OPENAI_API_KEY', 5000, null],
      ],
    )
  })

  test('only `x-` keys are free at the top level; a plain `<<` key was an unknown key before merge keys were read', () => {
    assert.deepEqual(parseConfigText('x-anything: {a: 1}\nversion: "1"\n').issues, [])
    assert.deepEqual(parseConfigText('anything: {a: 1}\n').issues.map(formatIssue), ['anything: unknown key (line 1)'])
    const merged = parseConfigText('x-p: &p {name: shared-pack}\npack: {<<: *p, version: 2}\n')
    assert.deepEqual(merged.config?.pack, {name: 'shared-pack', version: '2', enabled: true})
  })

  test('a bad value that came through a merge key is reported at the anchor it came from', () => {
    assert.deepEqual(
      errorsOf(`x-defaults: &d
  provider: openai
  rpm: -5
providers:
  targets:
    - <<: *d
      id: a
`),
      ['providers.targets[0].rpm: must be a number > 0 (line 3)'],
    )
  })

  test('an alias bomb ("billion laughs") is refused, not expanded', () => {
    let yaml = 'a: &a [x, x, x, x, x, x, x, x, x]\n'
    for (let i = 1; i < 10; i++) yaml += `l${i}: &${'b'.repeat(i)} [${Array(9).fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`).join(', ')}]\n`
    assert.deepEqual(errorsOf(yaml), ['(root): YAML error: Excessive alias count indicates a resource exhaustion attack (line 1)'])
  })

  test('one large anchor aliased many times is refused past 100000 values', () => {
    const yaml = `big: &big [${Array(2000).fill('x').join(',')}]\ngates: [${Array(60).fill('*big').join(',')}]\n`
    assert.deepEqual(errorsOf(yaml), ['(root): the file expands to more than 100000 values (aliases included); a kt config is far smaller (line 1)'])
  })

  test('flow collections nested past 100 levels are refused before parsing', () => {
    assert.deepEqual(errorsOf(`a: 1\nb: ${'['.repeat(50_000)}`), ['(root): [ and { nest more than 100 levels deep; a kt config needs a few (line 2)'])
    assert.deepEqual(errorsOf(`# ${'['.repeat(500)}\npack: {name: "[[[["}\n`), [], 'comments do not count')
  })

  test('thousands of problems: the first 100 are listed, the rest counted, and all of them decide', () => {
    const yaml = `providers:\n  targets:\n${Array.from({length: 300}, (_, i) => `    - {id: t${i}, provider: openai, rpm: -1, bogus: 1}\n`).join('')}`
    const r = parseConfigText(yaml)
    assert.equal(r.config, null)
    assert.equal(r.errorCount, 300)
    assert.equal(r.issues.length, 101)
    assert.deepEqual(formatIssue(r.issues.at(-1)!), '(root): and 250 more errors and 250 more warnings not listed (only the first 100 problems are)')
    const file = join(tempDir(), 'many.yaml')
    writeFileSync(file, yaml)
    assert.throws(() => loadConfig(file, {required: true}), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${file}: configuration has 300 problems\n`))
  })
})
