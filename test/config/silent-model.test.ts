// LiteLLM's `silent_model` on a kt target: all of that target's traffic is also sent, in the background, to another
// target or another model; it is read into config.silent_mirrors for the gateway, and lint explains it.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {formatIssue, formatLintText, lintConfigFile, parseConfigText, targetFromConfig} from '../../src/config/index.js'
import {ROOT} from '../support/cli.js'

const FILE = join(ROOT, 'fixtures', 'config', 'silent-model.yaml')
const errors = (yaml: string): string[] => parseConfigText(yaml).issues.filter((i) => i.severity === 'error').map(formatIssue)

describe('silent_model', () => {
  test('a target id or a model of the same target, each an always-on background mirror', () => {
    const {config, issues} = parseConfigText(readFileSync(FILE, 'utf8'), FILE)
    assert.deepEqual(issues, [])
    assert.deepEqual(
      config?.silent_mirrors.map((m) => ({...m, source: m.source.line})),
      [
        {primary: 'gpt-3.5-turbo', shadow: 'gpt-4', model: 'gpt-4', silent_model: 'gpt-4', sample_rate: 1, async: true, source: 8},
        {primary: 'mini', shadow: 'mini', model: 'gpt-4.1-mini', silent_model: 'gpt-4.1-mini', sample_rate: 1, async: true, source: 15},
        {primary: 'any', shadow: 'gpt-4', model: 'gpt-4', silent_model: 'gpt-4', sample_rate: 1, async: true, source: 18},
      ],
    )
    // Not a field of the target itself: what the providers call stays a plain TargetSpec.
    assert.equal('silent_model' in targetFromConfig(config!.targets[0]!), false)
  })

  test('lint explains each one on its own line', () => {
    const text = formatLintText(lintConfigFile(FILE)).split('\n')
    assert.deepEqual(text.filter((l) => l.startsWith('Silent model:')), [
      'Silent model: every request to gpt-3.5-turbo is also sent to target gpt-4 (gpt-4) in the background; callers never wait for it and only the log sees its answer',
      'Silent model: every request to mini is also sent to model gpt-4.1-mini in the background; callers never wait for it and only the log sees its answer',
      'Silent model: every request to any is also sent to target gpt-4 (gpt-4) in the background; callers never wait for it and only the log sees its answer',
    ])
  })

  test('a shadow target without a model asks for the model of each request', () => {
    const {config} = parseConfigText('providers:\n  targets:\n    - {id: a, provider: openai, model: gpt-4o, silent_model: b}\n    - {id: b, provider: anthropic}\n')
    assert.deepEqual(config?.silent_mirrors.map((m) => [m.shadow, m.model ?? null]), [['b', null]])
  })

  test('itself, its own model, a provider name: errors naming the line; an invalid shadow target is reported once', () => {
    assert.deepEqual(
      errors(`providers:
  targets:
    - {id: a, provider: openai, model: gpt-4o, silent_model: a}
    - {id: b, provider: openai, model: gpt-4o, silent_model: gpt-4o}
    - {id: c, provider: openai, model: gpt-4o, silent_model: anthropic}
    - {id: d, provider: openai, model: gpt-4o, silent_model: e}
    - {id: e, provider: openai-compatible, model: m}
    - {id: f, provider: openai, model: gpt-4o, silent_model: ""}
`),
      [
        'providers.targets[0].silent_model: names this target itself; the copy would repeat every call (name another target or a model) (line 3)',
        'providers.targets[1].silent_model: "gpt-4o" is this target\'s own model; the copy would repeat every call (line 4)',
        'providers.targets[2].silent_model: "anthropic" is a provider, not a target or a model; name a target id, or a model for this target to call (line 5)',
        'providers.targets[4].base_url: is required for openai-compatible targets (line 7)',
        'providers.targets[5].silent_model: must not be empty (line 8)',
      ],
    )
  })
})
