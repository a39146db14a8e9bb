// Every config shape users write parses and normalises into the one typed KtConfig.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {formatIssue, parseConfigText, qualityPolicyFrom, targetFromConfig, type KtConfig, type Policy} from '../../src/config/index.js'
import {estimateCost} from '../../src/providers/index.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FIX = join(ROOT, 'fixtures', 'config')

function parseFile(name: string): KtConfig {
  const path = name.includes('/') ? join(ROOT, name) : join(FIX, name)
  const {config, issues} = parseConfigText(readFileSync(path, 'utf8'), path)
  assert.ok(config, `expected ${name} to be valid:\n${issues.map(formatIssue).join('\n')}`)
  return config
}

function parse(yaml: string): KtConfig {
  const {config, issues} = parseConfigText(yaml)
  assert.ok(config, `expected valid:\n${issues.map(formatIssue).join('\n')}`)
  return config
}

function policy<T extends Policy['type']>(config: KtConfig, name: string, type: T): Extract<Policy, {type: T}> {
  const p = config.policies.find((x) => x.name === name)
  assert.ok(p, `policy ${name}`)
  assert.equal(p.type, type)
  return p as Extract<Policy, {type: T}>
}

describe('config shapes', () => {
  test('the example users copy (fixtures/policy-config.yaml) is valid, warning-free and complete', () => {
    const c = parseFile('fixtures/policy-config.yaml')
    assert.deepEqual(c.warnings, [])
    assert.deepEqual(
      c.targets.map((t) => [t.id, t.provider, t.model, t.api_key_env ?? null, t.simulation?.style ?? null]),
      [
        ['openai-main', 'openai', 'gpt-4o-mini', 'OPENAI_API_KEY', null],
        ['anthropic-shadow', 'anthropic', 'claude-sonnet-4-20250514', 'ANTHROPIC_API_KEY', null],
        ['sim-primary', 'simulated', 'sim-faithful', null, 'faithful'],
        ['sim-candidate', 'simulated', 'sim-terse', null, 'terse'],
      ],
    )
    const candidate = c.targets[3]!.simulation!
    assert.deepEqual(candidate, {style: 'terse', seed: 42, latency_ms: {p50: 250, p95: 700}, error_rate: 0.02, truncate_rate: 0.05})
    const group = c.model_groups[0]!
    assert.equal(group.strategy, 'weighted')
    assert.ok(group.strategy === 'weighted')
    assert.deepEqual(group.targets.map((t) => [t.target_id, t.provider_kind, t.share]), [
      ['openai-main', 'openai', 0.8],
      ['anthropic-shadow', 'anthropic', 0.2],
    ])
    assert.equal(c.traffic_mirror?.shadow, 'anthropic-shadow')
    assert.equal(c.traffic_mirror?.sample_rate, 0.1)
    assert.deepEqual(qualityPolicyFrom(c), {
      dimensions: {
        relevance: {weight: 0.4, min_score: 0.6},
        coherence: {weight: 0.3, min_score: 0.5},
        completeness: {weight: 0.3, min_score: 0.5},
      },
      overall_min_score: 0.6,
      on_fail: 'escalate',
    })
    assert.equal(c.gates.length, 4)
    assert.equal(c.gates[0], 'quality.overall.mean_diff > -0.02 @95%')
    assert.equal(c.pack?.name, 'support-bot-swap')
    assert.deepEqual(c.pricing['gpt-4o-mini'], {input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075})
  })

  test('targets: every provider kind, headers stringified, azure model from deployment, simulated defaults', () => {
    const c = parseFile('full-shapes.yaml')
    // Its one warning is about the 1:2 weights of group `split` (test 'weights that do not add up to 100').
    assert.deepEqual(c.warnings.map(formatIssue), [
      'providers.model_groups[2].targets: weights add up to 3, not 100; read as shares: oa/gpt-4o-mini 33.3%, az/gpt4o-prod 66.7% (line 43)',
    ])
    const [oa, az, local, simFast, simDefault] = c.targets
    assert.deepEqual(
      {...oa, source: undefined},
      {
        id: 'oa',
        provider: 'openai',
        model: 'gpt-4o-mini',
        base_url: 'https://api.openai.com/v1',
        api_key_env: 'OPENAI_API_KEY',
        headers: {'x-team': 'search', 'x-version': '3'},
        timeout_ms: 30000,
        max_concurrency: 8,
        rpm: 500,
        tpm: 150000,
        source: undefined,
      },
    )
    assert.deepEqual(oa!.source, {path: 'providers.targets[0]', line: 8})
    assert.equal(az!.provider, 'azure-openai')
    assert.equal(az!.model, 'gpt4o-prod')
    assert.equal(az!.api_version, '2024-10-21')
    assert.equal(az!.deployment, 'gpt4o-prod')
    assert.equal(local!.provider, 'openai-compatible')
    assert.equal(local!.base_url, 'http://127.0.0.1:8000/v1')
    assert.deepEqual(simFast!.simulation, {style: 'verbose', latency_ms: {p50: 120, p95: 120}, error_rate: 0, truncate_rate: 0})
    assert.equal(simFast!.model, 'sim-fast')
    assert.deepEqual(simDefault!.simulation, {style: 'faithful', error_rate: 0, truncate_rate: 0})
  })

  test('a config target is a TargetSpec: targetFromConfig leaves out only its source (and empty headers)', () => {
    const c = parseFile('full-shapes.yaml')
    assert.deepEqual(targetFromConfig(c.targets[0]!), {
      id: 'oa',
      provider: 'openai',
      model: 'gpt-4o-mini',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
      headers: {'x-team': 'search', 'x-version': '3'},
      timeout_ms: 30000,
      max_concurrency: 8,
      rpm: 500,
      tpm: 150000,
    })
    assert.deepEqual(targetFromConfig(c.targets[3]!), {
      id: 'sim-fast',
      provider: 'simulated',
      model: 'sim-fast',
      simulation: {style: 'verbose', latency_ms: {p50: 120, p95: 120}, error_rate: 0, truncate_rate: 0},
    })
  })

  test('pricing is the providers\' config spelling: estimateCost reads it as is, cache writes included', () => {
    const c = parse('pricing:\n  m1: {input_per_mtok: 2, output_per_mtok: 10, cached_input_per_mtok: 1, cache_write_per_mtok: 4}\n')
    assert.deepEqual(c.pricing.m1, {input_per_mtok: 2, output_per_mtok: 10, cached_input_per_mtok: 1, cache_write_per_mtok: 4})
    const usage = {input_tokens: 1_000_000, output_tokens: 100_000, cached_input_tokens: 200_000, cache_write_tokens: 300_000, reasoning_tokens: null, total_tokens: 1_100_000}
    // 500k plain × 2 + 200k cached × 1 + 300k written × 4 + 100k out × 10, per million
    assert.equal(estimateCost('m1', usage, c.pricing), (500_000 * 2 + 200_000 * 1 + 300_000 * 4 + 100_000 * 10) / 1e6)
  })

  test('a target without a model is kept: it serves the model each request names', () => {
    const c = parse('providers:\n  targets:\n    - {id: openai, provider: openai, secret_key_ref: {env: OPENAI_API_KEY}}\n')
    assert.deepEqual(c.targets.map((t) => ({...t, source: undefined})), [
      {id: 'openai', provider: 'openai', api_key_env: 'OPENAI_API_KEY', headers: {}, source: undefined},
    ])
    assert.equal('model' in c.targets[0]!, false)
  })

  test('pack header: version stringified, enabled kept', () => {
    const c = parseFile('full-shapes.yaml')
    assert.deepEqual(c.pack, {name: 'full-shapes', version: '2', enabled: false})
    assert.equal(c.version, '1')
  })

  test('model groups under providers: routing with models, provider_routing default, weighted with target ids', () => {
    const c = parseFile('full-shapes.yaml')
    assert.deepEqual(c.provider_routing, {strategy: 'lowest_latency'})
    const [cheap, dflt, split] = c.model_groups
    assert.ok(cheap && cheap.strategy === 'cost_optimized')
    assert.deepEqual(cheap.models, [
      {model: 'gpt-4o-mini'},
      {provider: 'anthropic', model: 'claude-3-5-haiku', provider_kind: 'anthropic'},
      {provider: 'local', model: 'llama-3.1-8b-instruct', target_id: 'local', provider_kind: 'openai-compatible'},
    ])
    assert.equal(cheap.source.path, 'providers.model_groups[0]')
    assert.ok(dflt && dflt.strategy === 'lowest_latency', 'strategy comes from provider_routing')
    assert.deepEqual(dflt.models.map((m) => m.target_id), ['oa', 'az'])
    assert.ok(split && split.strategy === 'weighted')
    assert.deepEqual(
      split.targets.map((t) => [t.provider, t.model, t.weight, Math.round(t.share * 1000) / 1000]),
      [
        ['oa', 'gpt-4o-mini', 1, 0.333],
        ['az', 'gpt4o-prod', 2, 0.667],
      ],
    )
  })

  test('traffic_mirror under providers gets defaults; providers.mirroring is kept', () => {
    const c = parseFile('full-shapes.yaml')
    assert.deepEqual({...c.traffic_mirror, source: undefined}, {
      enabled: true,
      primary: 'oa',
      primary_target_id: 'oa',
      primary_kind: 'openai',
      shadow: 'local',
      shadow_target_id: 'local',
      shadow_kind: 'openai-compatible',
      model_mapping: {'gpt-4o-mini': 'llama-3.1-8b-instruct'},
      sample_rate: 1,
      async: true,
      log_shadow_response: false,
      compare_metrics: ['latency', 'similarity'],
      source: undefined,
    })
    assert.equal(c.traffic_mirror?.source.path, 'providers.traffic_mirror')
    assert.deepEqual({...c.mirroring, source: undefined}, {
      enabled: true,
      shadow_targets: ['sim-fast', 'local'],
      sample_rate: 0.25,
      log_shadow_responses: true,
      source: undefined,
    })
  })

  test('pricing and gates (with the line of every gate for the gate parser)', () => {
    const c = parseFile('full-shapes.yaml')
    assert.deepEqual(c.pricing, {
      'gpt-4o-mini': {input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075},
      'claude-3-5-haiku': {input_per_mtok: 0.8, output_per_mtok: 4},
    })
    assert.deepEqual(c.gates, ['quality.overall.mean_diff > -0.02 @95%', 'latency.p95 <= 1.2x'])
    assert.deepEqual(c.gate_sources, [
      {path: 'gates[0]', line: 62},
      {path: 'gates[1]', line: 63},
    ])
  })

  test('policies as a list: every type normalised with its defaults', () => {
    const c = parseFile('policies-list.yaml')
    assert.deepEqual(c.policies.map((p) => [p.name, p.type, p.enabled]), [
      ['quality', 'quality-scorer', true],
      ['audit', 'audit-logger', true],
      ['no-secrets', 'content_filter', true],
      ['big-prompts-to-mini', 'model_filter', true],
      ['ab', 'traffic_split', true],
      ['debug-log', 'log', false],
      ['budget', 'cost_limit', true],
    ])
    const q = policy(c, 'quality', 'quality-scorer')
    assert.deepEqual(q.dimensions, {
      relevance: {weight: 0.5, min_score: 0.7},
      coherence: {weight: 0.25, min_score: 0.5},
      completeness: {weight: 0.25, min_score: 0},
    })
    assert.equal(q.on_fail, 'block')
    assert.equal(q.overall_min_score, 0.65)
    const a = policy(c, 'audit', 'audit-logger')
    assert.equal(a.destination, 'file', 'a path implies a file destination')
    assert.deepEqual([a.path, a.include_request, a.include_response, a.redact_fields, a.retention_days], ['.kt/audit.jsonl', false, false, ['messages'], 30])
    const f = policy(c, 'no-secrets', 'content_filter')
    assert.deepEqual([f.blocked_terms, f.blocked_patterns, f.redact_pii, f.action, f.apply_to], [[], ['sk-[A-Za-z0-9]{20,}'], true, 'redact', 'request'])
    const m = policy(c, 'big-prompts-to-mini', 'model_filter')
    assert.deepEqual(m.allowed_models, ['gpt-4o', 'gpt-4o-mini'])
    assert.deepEqual(m.blocked_models, ['gpt-3.5-turbo'])
    assert.equal(m.preferred_model, 'gpt-4o-mini')
    assert.deepEqual(m.conditions, {max_tokens_gt: 1000, max_tokens_lte: 8000, model: ['gpt-4o']})
    const s = policy(c, 'ab', 'traffic_split')
    assert.deepEqual(s.variants, [
      {model: 'gpt-4o', weight: 3, share: 0.75, tag: 'control'},
      {model: 'claude-3-5-sonnet', weight: 1, share: 0.25, tag: 'candidate'},
    ])
    const l = policy(c, 'debug-log', 'log')
    assert.deepEqual([l.level, l.destination, l.include_request], ['debug', 'stderr', false])
    const b = policy(c, 'budget', 'cost_limit')
    assert.deepEqual([b.max_usd_per_request, b.max_usd_per_day, b.action, b.fallback_model], [0.02, 50, 'downgrade', 'gpt-4o-mini'])
  })

  test('policies as {chain} + policy: map: chain order, names from keys, a bare type gets its defaults', () => {
    const c = parseFile('policies-chain.yaml')
    assert.deepEqual(c.warnings, [])
    assert.deepEqual(c.policies.map((p) => [p.name, p.type, p.source.path]), [
      ['quality-scorer', 'quality-scorer', 'policy.quality-scorer'],
      ['audit-logger', 'audit-logger', 'policy.audit-logger'],
      ['log', 'log', 'policies.chain[2]'],
    ])
    const a = policy(c, 'audit-logger', 'audit-logger')
    assert.deepEqual([a.destination, a.include_request], ['sqlite', true])
    const l = policy(c, 'log', 'log')
    assert.deepEqual([l.level, l.destination], ['info', 'stderr'])
  })

  test('both policy shapes give the same quality policy', () => {
    const list = parse(`
policies:
  - name: quality-scorer
    type: quality-scorer
    dimensions:
      relevance: {weight: 0.4, min_score: 0.6}
      coherence: {weight: 0.3, min_score: 0.5}
      completeness: {weight: 0.3, min_score: 0.5}
    overall_min_score: 0.6
    on_fail: escalate
`)
    const chain = parseFile('policies-chain.yaml')
    assert.deepEqual(qualityPolicyFrom(list), qualityPolicyFrom(chain))
    assert.equal(qualityPolicyFrom(list)?.dimensions.relevance.min_score, 0.6)
  })

  test('qualityPolicyFrom: null without a scorer, defaults without dimensions, ignores a disabled scorer', () => {
    assert.equal(qualityPolicyFrom(parse('version: "1"\n')), null)
    assert.equal(qualityPolicyFrom(parse('policies: [{name: q, type: quality-scorer, enabled: false}]\n')), null)
    assert.deepEqual(qualityPolicyFrom(parse('policies: {chain: [quality-scorer]}\n')), {
      dimensions: {
        relevance: {weight: 1, min_score: 0},
        coherence: {weight: 1, min_score: 0},
        completeness: {weight: 1, min_score: 0},
      },
      overall_min_score: 0,
      on_fail: 'flag',
    })
  })

  test('a policy: map alone applies its entries in file order; a list may name policy: entries', () => {
    const c = parse(`
policy:
  audit-logger: {}
  tight-budget: {type: cost-limit, max_usd_per_day: 10}
`)
    assert.deepEqual(c.policies.map((p) => [p.name, p.type]), [
      ['audit-logger', 'audit-logger'],
      ['tight-budget', 'cost_limit'],
    ])
    const mixed = parse(`
policies: [quality-scorer, {name: lg, type: log}]
policy:
  quality-scorer: {on_fail: block}
`)
    assert.deepEqual(mixed.policies.map((p) => [p.name, p.type]), [
      ['quality-scorer', 'quality-scorer'],
      ['lg', 'log'],
    ])
    assert.equal(qualityPolicyFrom(mixed)?.on_fail, 'block')
  })

  test('provider taken from the target id: warned when the key is missing, silent when written empty (the docs\' way)', () => {
    const c = parseFile('provider-from-id.yaml')
    assert.deepEqual(c.targets.map((t) => [t.id, t.provider]), [
      ['anthropic', 'anthropic'],
      ['openai', 'openai'],
    ])
    assert.deepEqual(c.warnings.map(formatIssue), [
      'providers.targets[0].provider: missing; using "anthropic" from the target id (line 3)',
      'unknown_section: unknown key (line 8)',
    ])
  })

  test('model_groups at the top level and under providers are merged; `version: 1` as a number is fine', () => {
    const c = parse(`
version: 1
model_groups:
  - {name: a, routing: highest_quality, models: [gpt-4o]}
providers:
  model_groups:
    - {name: b, strategy: weighted, targets: [{provider: openai, model: gpt-4o, weight: 1}]}
`)
    assert.deepEqual(c.model_groups.map((g) => [g.name, g.strategy, g.source.path]), [
      ['a', 'highest_quality', 'model_groups[0]'],
      ['b', 'weighted', 'providers.model_groups[0]'],
    ])
  })

  test('a group with targets and no strategy is weighted; a routing group may list weighted targets (warned)', () => {
    const c = parse(`
model_groups:
  - name: implicit
    targets: [{provider: openai, model: gpt-4o, weight: 3}, {provider: anthropic, model: claude-3-5-haiku, weight: 1}]
  - name: routed
    routing: lowest_latency
    targets: [{provider: openai, model: gpt-4o-mini, weight: 5}]
`)
    const [implicit, routed] = c.model_groups
    assert.ok(implicit?.strategy === 'weighted')
    assert.deepEqual(implicit.targets.map((t) => t.share), [0.75, 0.25])
    assert.ok(routed?.strategy === 'lowest_latency')
    assert.deepEqual(routed.models, [{provider: 'openai', model: 'gpt-4o-mini', provider_kind: 'openai'}])
    assert.deepEqual(c.warnings.map(formatIssue), [
      'model_groups[0].targets: weights add up to 4, not 100; read as shares: openai/gpt-4o 75%, anthropic/claude-3-5-haiku 25% (line 4)',
      'model_groups[1].targets: weights are ignored by routing lowest_latency; use models: [...] (line 7)',
    ])
  })

  test('provider spellings: alias read with a warning; policy types accept - or _', () => {
    const c = parse(`
providers:
  targets:
    - {id: az, provider: azure_openai, base_url: "https://x.openai.azure.com", api_version: "2024-10-21", deployment: d}
policies:
  - {name: f, type: content-filter, blocked_terms: [x]}
`)
    assert.equal(c.targets[0]!.provider, 'azure-openai')
    assert.equal(c.policies[0]!.type, 'content_filter')
    assert.deepEqual(c.warnings.map(formatIssue), [
      'providers.targets[0].provider: "azure_openai" is read as "azure-openai"; write "azure-openai" (line 4)',
    ])
  })

  test('simulation: latency as {p50, p95}, seed and every style', () => {
    for (const style of ['faithful', 'terse', 'truncate', 'refuse', 'verbose'] as const) {
      const c = parse(`
providers:
  targets:
    - id: s
      provider: simulated
      simulation: {style: ${style}, seed: 7, latency_ms: {p50: 100, p95: 300}, error_rate: 0.1, truncate_rate: 0}
`)
      assert.deepEqual(c.targets[0]!.simulation, {style, seed: 7, latency_ms: {p50: 100, p95: 300}, error_rate: 0.1, truncate_rate: 0})
    }
  })

  test('empty `key:` values mean "not set"', () => {
    const c = parse(`
traffic_mirror:
  shadow: t
  sample_rate:
providers:
  targets:
    - {id: t, provider: openai, model: gpt-4o, base_url: }
`)
    assert.equal(c.traffic_mirror?.sample_rate, 1)
    assert.equal(c.targets[0]!.base_url, undefined)
  })
})
