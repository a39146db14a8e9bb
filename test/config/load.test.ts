// Finding and loading the config file: flag, KT_CONFIG, ./policy-config.yaml; missing vs explicit; ConfigError.
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {ConfigError, emptyConfig, loadConfig, loadConfigFromFlag, resolveConfigPath} from '../../src/config/index.js'
import {KtError} from '../../src/util/errors.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FIX = join(ROOT, 'fixtures', 'config')
const tempDir = () => mkdtempSync(join(tmpdir(), 'kt-'))

describe('config loading', () => {
  test('resolveConfigPath: flag beats KT_CONFIG beats ./policy-config.yaml', () => {
    const cwd = tempDir()
    assert.deepEqual(resolveConfigPath('a.yaml', {KT_CONFIG: 'b.yaml'}, cwd), {path: join(cwd, 'a.yaml'), explicit: true, source: 'flag'})
    assert.deepEqual(resolveConfigPath(undefined, {KT_CONFIG: 'b.yaml'}, cwd), {path: join(cwd, 'b.yaml'), explicit: true, source: 'env'})
    assert.deepEqual(resolveConfigPath(undefined, {KT_CONFIG: '  '}, cwd), {path: join(cwd, 'policy-config.yaml'), explicit: false, source: 'default'})
    assert.deepEqual(resolveConfigPath(undefined, {}, cwd), {path: join(cwd, 'policy-config.yaml'), explicit: false, source: 'default'})
    assert.deepEqual(resolveConfigPath('/abs/c.yaml', {}, cwd), {path: '/abs/c.yaml', explicit: true, source: 'flag'})
  })

  test('resolveConfigPath with no arguments uses the process environment and cwd', () => {
    const saved = process.env.KT_CONFIG
    try {
      delete process.env.KT_CONFIG
      assert.equal(resolveConfigPath().path, join(process.cwd(), 'policy-config.yaml'))
      process.env.KT_CONFIG = '/x/from-env.yaml'
      assert.deepEqual(resolveConfigPath(), {path: '/x/from-env.yaml', explicit: true, source: 'env'})
    } finally {
      if (saved === undefined) delete process.env.KT_CONFIG
      else process.env.KT_CONFIG = saved
    }
  })

  test('a missing default file gives the empty config; a missing explicit file is a ConfigError (exit 2)', () => {
    const dir = tempDir()
    const missing = join(dir, 'policy-config.yaml')
    assert.deepEqual(loadConfig(missing, {required: false}), emptyConfig())
    assert.throws(
      () => loadConfig(missing, {required: true}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.ok(error instanceof KtError)
        assert.equal(error.exitCode, 2)
        assert.equal(error.message, `config file not found: ${missing}`)
        assert.deepEqual(error.issues, [{path: '(root)', line: null, message: `config file not found: ${missing}`, severity: 'error'}])
        return true
      },
    )
  })

  test('a directory is not a config file, even when optional', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'policy-config.yaml'))
    assert.throws(() => loadConfig(join(dir, 'policy-config.yaml'), {required: false}), /is a directory, not a config file/)
  })

  test('an invalid file throws ConfigError listing every error with path and line', () => {
    assert.throws(
      () => loadConfig(join(FIX, 'bad-references.yaml'), {required: false}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.equal(error.exitCode, 2)
        assert.equal(error.errors.length, 6)
        assert.equal(error.file, join(FIX, 'bad-references.yaml'))
        const lines = error.message.split('\n')
        assert.equal(lines[0], `${join(FIX, 'bad-references.yaml')}: configuration has 6 problems`)
        assert.ok(lines.includes('  traffic_mirror.shadow: no target or provider "x"; targets: openai-main, anthropic-shadow; providers: openai, anthropic, azure-openai, openai-compatible, simulated (line 22)'), error.message)
        assert.deepEqual(
          error.issues.find((i) => i.path === 'traffic_mirror.primary'),
          {path: 'traffic_mirror.primary', line: 21, message: 'no target or provider "openai-prod"; targets: openai-main, anthropic-shadow; providers: openai, anthropic, azure-openai, openai-compatible, simulated', severity: 'error'},
        )
        return true
      },
    )
  })

  test('a valid file loads, with its warnings on the config', () => {
    const config = loadConfig(join(FIX, 'provider-from-id.yaml'), {required: true})
    assert.equal(config.file, join(FIX, 'provider-from-id.yaml'))
    assert.equal(config.targets.length, 2)
    assert.equal(config.warnings.length, 2)
    assert.ok(config.warnings.every((w) => w.severity === 'warning' && w.line !== null))
  })

  test('loadConfigFromFlag: explicit flag must exist; KT_CONFIG is named in the message', () => {
    const dir = tempDir()
    const file = join(dir, 'kt.yaml')
    copyFileSync(join(FIX, 'lint-example.yaml'), file)
    assert.equal(loadConfigFromFlag(file).targets.length, 2)
    assert.throws(() => loadConfigFromFlag(join(dir, 'nope.yaml')), /config file not found: .*nope\.yaml$/)
    const saved = process.env.KT_CONFIG
    try {
      process.env.KT_CONFIG = join(dir, 'gone.yaml')
      assert.throws(() => loadConfigFromFlag(), (e: unknown) => e instanceof ConfigError && /gone\.yaml \(set by KT_CONFIG\)$/.test(e.message))
    } finally {
      if (saved === undefined) delete process.env.KT_CONFIG
      else process.env.KT_CONFIG = saved
    }
  })

  test('an empty config file is an error, not the empty default', () => {
    const dir = tempDir()
    const file = join(dir, 'policy-config.yaml')
    writeFileSync(file, '\n\n')
    assert.throws(() => loadConfig(file, {required: false}), (e: unknown) => e instanceof ConfigError && e.errors[0]?.message === 'the file is empty')
  })
})
