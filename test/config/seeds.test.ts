// The product docs' configuration examples (test/data/seeds/, see its README) lint as written: every key they use
// is known (no "unknown key" warning), and each is read into the typed config the gateway runs on.
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {formatIssue, formatLintText, lintConfigFile, type KtConfig, type Policy} from '../../src/config/index.js'
import {ROOT} from '../support/cli.js'

const SEEDS = join(ROOT, 'test', 'data', 'seeds')

function lint(name: string): {config: KtConfig; warnings: string[]; text: string} {
  const r = lintConfigFile(join(SEEDS, name))
  assert.equal(r.exitCode, 0, `${name}:\n${formatLintText(r)}`)
  return {config: r.config!, warnings: r.warnings.map(formatIssue), text: formatLintText(r)}
}

function policy<T extends Policy['type']>(config: KtConfig, name: string, type: T): Extract<Policy, {type: T}> {
  const p = config.policies.find((x) => x.name === name)
  assert.ok(p && p.type === type, `policy ${name} of type ${type}`)
  return p as Extract<Policy, {type: T}>
}

/** Every warning each kt example gets; none is about a key. */
const EXPECTED_WARNINGS: Record<string, string[]> = {
  '000-1-traffic-mirroring.yaml': [],
  '000-2-model-groups.yaml': [],
  '000-3-canary.yaml': [],
  '000-4-quality-gate.yaml': [],
  '000-5-full-ab-test.yaml': [],
  '001-step2-ab-test.yaml': [],
  '001-step7-weights-50-50.yaml': [],
  '001-step8-graduate.yaml': [],
  // kt's content filter needs something to look for; the page's filter only sets its action.
  '002-step1-traffic-mirror.yaml': ['policies[0]: filters nothing: set blocked_terms, blocked_patterns, redact_pii or config.categories (line 27)'],
  '002-step7-sample-rate.yaml': [],
  '002-step8-staging.yaml': [],
  '003-1-routing.yaml': [],
  '003-2-routing-by-use-case.yaml': [],
  '003-3-traffic-split.yaml': [],
  '003-4-deprecation-warn.yaml': [],
  '003-5-deprecation-block.yaml': [],
}

describe('the product docs\' configuration examples', () => {
  test('every seed file is listed here and lints with exactly the expected warnings', () => {
    const files = readdirSync(SEEDS).filter((f) => f.endsWith('.yaml'))
    assert.deepEqual(files.filter((f) => !f.startsWith('004')), Object.keys(EXPECTED_WARNINGS))
    for (const [name, expected] of Object.entries(EXPECTED_WARNINGS)) assert.deepEqual(lint(name).warnings, expected, name)
  })

  test('001 step 2: the summary starts with exactly the lines the tutorial prints, details follow', () => {
    const {text, config} = lint('001-step2-ab-test.yaml')
    assert.deepEqual(text.split('\n').slice(0, 4), [
      '✓ Configuration is valid',
      'Providers: 2 (openai, anthropic)',
      'Model groups: 1 (quality-ab-test)',
      'Policies: 1 (basic-filter)',
    ])
    assert.deepEqual(text.split('\n').slice(4), [
      'Provider openai: openai, the model each request names',
      'Provider anthropic: anthropic, the model each request names',
      'Model group quality-ab-test: weighted, openai/gpt-4o 70%, anthropic/claude-sonnet-4-20250514 30%',
      'Policy basic-filter: content_filter, categories hate at medium, flag',
    ])
    assert.deepEqual(config.targets.map((t) => [t.id, t.model ?? null, t.api_key_env]), [
      ['openai', null, 'OPENAI_API_KEY'],
      ['anthropic', null, 'ANTHROPIC_API_KEY'],
    ])
    const f = policy(config, 'basic-filter', 'content_filter')
    assert.deepEqual([f.action, f.categories, f.threshold], ['flag', ['hate'], 'medium'])
  })

  test('000: audit-logger immutable and log_all_access, routing groups over provider kinds, the quality gate, mirroring', () => {
    for (const name of ['000-1-traffic-mirroring.yaml', '000-3-canary.yaml', '002-step8-staging.yaml']) {
      const a = policy(lint(name).config, 'audit-logger', 'audit-logger')
      assert.deepEqual([a.immutable, a.log_all_access, a.retention_days], [true, true, 365], name)
    }
    const groups = lint('000-2-model-groups.yaml').config.model_groups
    assert.deepEqual(groups.map((g) => [g.name, g.strategy]), [
      ['production', 'cost_optimized'],
      ['candidate', 'lowest_latency'],
      ['premium', 'highest_quality'],
    ])
    const gate = policy(lint('000-4-quality-gate.yaml').config, 'quality-scorer', 'quality-scorer')
    assert.deepEqual([gate.dimensions.relevance, gate.overall_min_score, gate.on_fail], [{weight: 0.5, min_score: 0.7}, 0.65, 'escalate'])
    const full = lint('000-5-full-ab-test.yaml').config
    assert.deepEqual([full.mirroring?.shadow_targets, full.mirroring?.sample_rate, full.mirroring?.log_shadow_responses], [['candidate-gpt4o-mini'], 0.5, true])
    assert.equal(policy(full, 'audit-logger', 'audit-logger').immutable, false)
  })

  test('001 steps 7 and 8: re-weighted groups adding up to 100, no warning', () => {
    const g = lint('001-step7-weights-50-50.yaml').config.model_groups[0]!
    assert.ok(g.strategy === 'weighted')
    assert.deepEqual(g.targets.map((t) => [t.provider_kind, t.share]), [['openai', 0.5], ['anthropic', 0.5]])
    assert.match(lint('001-step8-graduate.yaml').text, /^Model group quality-ab-test: weighted, anthropic\/claude-sonnet-4-20250514 100%$/m)
  })

  test('002: the mirror names targets (step 1) or, in the block alone, providers (step 7); a staging endpoint (step 8)', () => {
    const m1 = lint('002-step1-traffic-mirror.yaml').config.traffic_mirror!
    assert.deepEqual([m1.primary_target_id, m1.shadow_target_id, m1.shadow_kind, m1.sample_rate, m1.async, m1.log_shadow_response], ['openai', 'anthropic', 'anthropic', 1, true, true])
    assert.deepEqual(m1.compare_metrics, ['latency', 'token_count', 'content_similarity'])
    const m7 = lint('002-step7-sample-rate.yaml').config.traffic_mirror!
    assert.deepEqual([m7.primary_target_id, m7.primary_kind, m7.shadow_kind, m7.sample_rate, m7.model_mapping], [undefined, 'openai', 'anthropic', 0.1, {'gpt-4o-mini': 'claude-sonnet-4-20250514'}])
    const staging = lint('002-step8-staging.yaml').config.targets[1]!
    assert.deepEqual([staging.base_url, staging.api_key_env], ['https://staging-api.openai.com', 'OPENAI_API_KEY_STAGING'])
  })

  test('003: empty provider: keys, an azure target left to its environment, conditions, splits, severity', () => {
    const routing = lint('003-1-routing.yaml')
    assert.deepEqual(routing.config.targets.map((t) => [t.id, t.provider, t.base_url ?? null, t.api_version ?? null]), [
      ['openai', 'openai', null, null],
      ['anthropic', 'anthropic', null, null],
      ['azure-openai', 'azure-openai', null, null],
    ])
    assert.match(routing.text, /^Provider azure-openai: azure-openai, the model each request names, endpoint from \$AZURE_OPENAI_ENDPOINT, API version from \$OPENAI_API_VERSION$/m)
    const byUse = lint('003-2-routing-by-use-case.yaml').config
    assert.deepEqual(policy(byUse, 'route-complex-reasoning', 'model_filter').conditions, {max_tokens_gt: 2000})
    assert.deepEqual(policy(byUse, 'route-simple-tasks', 'model_filter').conditions, {max_tokens_lte: 2000})
    const split = policy(lint('003-3-traffic-split.yaml').config, 'ab-test-models', 'traffic_split')
    assert.deepEqual(split.variants.map((v) => [v.model, v.share, v.tag]), [['gpt-4o', 0.5, 'variant-a'], ['claude-sonnet-4-20250514', 0.5, 'variant-b']])
    const warn = policy(lint('003-4-deprecation-warn.yaml').config, 'deprecation-warning', 'log')
    assert.deepEqual([warn.level, warn.conditions], ['warn', {model: ['gpt-4-turbo']}])
    assert.deepEqual(policy(lint('003-5-deprecation-block.yaml').config, 'block-deprecated', 'model_filter').blocked_models, ['gpt-4-turbo'])
  })

  test('004: a LiteLLM model_list is not valid; lint says it is LiteLLM\'s and shows each deployment as a kt target', () => {
    const r = lintConfigFile(join(SEEDS, '004-litellm-model-list.yaml'))
    assert.equal(r.exitCode, 1)
    assert.deepEqual(formatLintText(r).split('\n'), [
      '✗ Configuration has 1 problem(s)',
      'model_list: this is a LiteLLM proxy config (model_list), not a kt config: kt reads providers.targets (id, provider, model, base_url, secret_key_ref.env, silent_model), model_groups, traffic_mirror and policies (README, "5. Configuration") (line 2)',
      '⚠ model_list[0]: as a kt target: {id: gpt-3.5-turbo, provider: azure-openai, deployment: chatgpt-v-2, secret_key_ref: {env: AZURE_OPENAI_API_KEY}, silent_model: gpt-4} (line 3)',
      '⚠ model_list[1]: as a kt target: {id: gpt-4, provider: openai, model: gpt-4, secret_key_ref: {env: OPENAI_API_KEY}} (line 8)',
    ])
  })
})
