// Every kind of config problem is reported as `path: message (line N)`, and all of them in one run.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {formatIssue, parseConfigText, type ConfigIssue} from '../../src/config/index.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FIX = join(ROOT, 'fixtures', 'config')

function issuesOf(yamlOrFile: string): ConfigIssue[] {
  const text = yamlOrFile.endsWith('.yaml') ? readFileSync(join(FIX, yamlOrFile), 'utf8') : yamlOrFile
  return parseConfigText(text).issues
}
const errors = (src: string): string[] => issuesOf(src).filter((i) => i.severity === 'error').map(formatIssue)
const warnings = (src: string): string[] => issuesOf(src).filter((i) => i.severity === 'warning').map(formatIssue)

describe('config errors', () => {
  test('a negative weight: the exact message style', () => {
    assert.deepEqual(errors('bad-weight.yaml'), ['model_groups[0].targets[1].weight: must be a number >= 0 (line 14)'])
    const {config, issues} = parseConfigText(readFileSync(join(FIX, 'bad-weight.yaml'), 'utf8'))
    assert.equal(config, null)
    assert.deepEqual(issues[0], {path: 'model_groups[0].targets[1].weight', line: 14, message: 'must be a number >= 0', severity: 'error'})
  })

  test('unknown references: mirror primary/shadow, mirroring.shadow_targets, group providers, chain names', () => {
    assert.deepEqual(errors('bad-references.yaml'), [
      'providers.mirroring.shadow_targets[1]: no target "ghost"; targets: openai-main, anthropic-shadow (line 11)',
      'model_groups[0].targets[1].provider: no target or provider "mistral"; targets: openai-main, anthropic-shadow; providers: openai, anthropic, azure-openai, openai-compatible, simulated (line 17)',
      'model_groups[0].targets[2].provider: no target or provider "anthropic-shadw"; did you mean "anthropic-shadow"? (line 18)',
      'traffic_mirror.primary: no target or provider "openai-prod"; targets: openai-main, anthropic-shadow; providers: openai, anthropic, azure-openai, openai-compatible, simulated (line 21)',
      'traffic_mirror.shadow: no target or provider "x"; targets: openai-main, anthropic-shadow; providers: openai, anthropic, azure-openai, openai-compatible, simulated (line 22)',
      'policies.chain[1]: no policy "redactor": not a key under policy: and not a policy type (line 24)',
    ])
  })

  test('value problems are all collected: ranges, types, duplicates, sums, enums, regexes', () => {
    assert.deepEqual(errors('bad-values.yaml'), [
      'providers.targets[0].timeout_ms: must be a number > 0 (line 7)',
      'providers.targets[0].max_concurrency: must be an integer >= 1 (line 8)',
      'providers.targets[0].rpm: must be a number > 0 (line 9)',
      'providers.targets[1].id: duplicate target id "a" (first defined at line 4) (line 10)',
      'providers.targets[2].simulation.style: must be one of faithful, terse, truncate, refuse, verbose, got "sloppy" (line 15)',
      'providers.targets[2].simulation.error_rate: must be a number between 0 and 1 (line 15)',
      'providers.targets[2].simulation.latency_ms.p95: must be >= p50 (900) (line 15)',
      'providers.targets[3].headers: must be a mapping, got a list (line 18)',
      'model_groups[0].targets: weights sum to 0; at least one weight must be > 0 (line 22)',
      'model_groups[1]: needs strategy: weighted (with targets) or routing: cost_optimized|lowest_latency|highest_quality (with models) (line 25)',
      'traffic_mirror.sample_rate: must be a number between 0 and 1 (line 28)',
      'traffic_mirror.async: must be true or false, got "yes" (line 29)',
      'policies[0].dimensions: weights sum to 0; at least one dimension needs a weight > 0 (line 33)',
      'policies[0].on_fail: must be one of escalate, block, flag, got "explode" (line 37)',
      'policies[1].variants: must list at least one variant (line 40)',
      'policies[2].max_usd_per_day: must be a number >= 0 (line 41)',
      'policies[3].blocked_patterns[0]: is not a valid regular expression: Invalid regular expression: /([unclosed/: Unterminated character class (line 44)',
      'pricing.gpt-4o.input_per_mtok: must be a number >= 0 (line 46)',
      'pricing.gpt-4o.output_per_mtok: must be a number >= 0 (line 46)',
      'gates[1]: must be a string, got 42 (line 49)',
    ])
    // A dropped bad value must not cause a second, vaguer complaint ("sets no limit" for policies[2]).
    assert.deepEqual(warnings('bad-values.yaml'), [])
  })

  test('YAML syntax errors, duplicate keys and several documents name a line', () => {
    assert.deepEqual(errors('bad-syntax.yaml'), [
      '(root): YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] (line 5)',
    ])
    assert.deepEqual(errors('duplicate-keys.yaml'), [
      '(root): YAML syntax error: duplicate key "model" (keys must be unique within a mapping) (line 6)',
    ])
    assert.deepEqual(errors('a: 1\n---\nb: 2\n'), [
      '(root): YAML syntax error: the file holds more than one YAML document (---); kt reads exactly one (line 2)',
    ])
    assert.deepEqual(errors('providers:\n  targets:\n    - *nothing\n'), [
      '(root): YAML error: Unresolved alias (the anchor must be set before the alias): nothing (line 1)',
    ])
  })

  test('an empty file, a comments-only file, a file that is not a mapping', () => {
    assert.deepEqual(errors('empty.yaml'), ['(root): the file is empty (line 1)'])
    assert.deepEqual(errors('only-comments.yaml'), ['(root): the file is empty (only comments) (line 1)'])
    assert.deepEqual(errors('- a\n- b\n'), ['(root): must be a mapping of sections (providers:, policies:, ...), got a list (line 1)'])
    assert.deepEqual(errors('providers: [a]\n'), ['providers: must be a mapping with targets:, got a list (line 1)'])
    assert.deepEqual(errors('providers:\n  targets: {id: a}\n'), ['providers.targets: must be a list of targets, got a mapping (line 2)'])
  })

  test('unknown keys are warnings with path, line and a hint; the file stays valid', () => {
    const {config} = parseConfigText(readFileSync(join(FIX, 'unknown-keys.yaml'), 'utf8'))
    assert.ok(config)
    assert.deepEqual(errors('unknown-keys.yaml'), [])
    assert.deepEqual(warnings('unknown-keys.yaml'), [
      'providers.targets[0].temprature: unknown key (line 7)',
      'providers.mirorring: unknown key (did you mean "mirroring"?) (line 8)',
      'traffic_mirror.log_shadow_responses: unknown key (did you mean "log_shadow_response"?) (line 11)',
      'targets: unknown key at the top level (did you mean providers.targets?) (line 12)',
      'policies[0].dimensions.fluency: unknown key (line 18)',
    ])
    assert.deepEqual(config.warnings.map(formatIssue), warnings('unknown-keys.yaml'))
  })

  test('a secret written inline gets a pointed warning', () => {
    assert.deepEqual(warnings('providers:\n  targets:\n    - id: openai\n      model: gpt-4o\n      api_key: sk-abc\n'), [
      'providers.targets[0].provider: missing; using "openai" from the target id (line 3)',
      'providers.targets[0].api_key: unknown key; never put secrets in the config: use secret_key_ref: {env: NAME} (line 5)',
    ])
  })

  test('targets: provider required/unknown, per-kind requirements, URL and env name checks', () => {
    assert.deepEqual(
      errors(`providers:
  targets:
    - {id: main, model: gpt-4o}
    - {id: b, provider: anthropc, model: m}
    - {id: az, provider: azure-openai}
    - {id: c, provider: openai-compatible, model: m}
    - {id: u, provider: openai, model: m, base_url: "ftp://x"}
    - {id: k, provider: openai, model: m, secret_key_ref: {env: "my key"}}
    - {id: z, provider: openai, model: m, secret_key_ref: OPENAI_API_KEY}
    - {id: 7, provider: openai, model: m}
`),
      [
        'providers.targets[0].provider: is required (one of openai, anthropic, azure-openai, openai-compatible, simulated) (line 3)',
        'providers.targets[1].provider: unknown provider "anthropc"; use one of openai, anthropic, azure-openai, openai-compatible, simulated (did you mean "anthropic"?) (line 4)',
        'providers.targets[3].base_url: is required for openai-compatible targets (line 6)',
        'providers.targets[4].base_url: must be an http(s) URL, got "ftp://x" (line 7)',
        'providers.targets[5].secret_key_ref.env: must be an environment variable name, e.g. OPENAI_API_KEY (line 8)',
        'providers.targets[6].secret_key_ref: must be a mapping {env: NAME}, got "OPENAI_API_KEY" (line 9)',
        'providers.targets[7].id: must be a string, got 7 (line 10)',
      ],
    )
  })

  test('fields for another provider kind are warned about, not silently used', () => {
    assert.deepEqual(
      warnings(`providers:
  targets:
    - id: o
      provider: openai
      model: gpt-4o
      api_version: "2024-10-21"
      simulation: {style: terse}
`),
      [
        'providers.targets[0].api_version: only used by azure-openai targets; ignored (line 6)',
        'providers.targets[0].simulation: only used by simulated targets; ignored (line 7)',
      ],
    )
  })

  test('model groups: conflicting/unknown strategies, missing weight, duplicate names, routing without models', () => {
    assert.deepEqual(
      errors(`model_groups:
  - {name: g, strategy: weighted, routing: cost_optimized, targets: [{provider: openai, model: m, weight: 1}]}
  - {name: h, strategy: round_robin}
  - {name: i, strategy: weighted, targets: [{provider: openai, model: m}]}
  - {name: i, routing: lowest_latency, models: [m]}
  - {name: j, routing: highest_quality}
  - {name: k, strategy: weighted, targets: [{provider: anthropic, weight: 1}]}
provider_routing: {strategy: fastest}
`),
      [
        'model_groups[0].routing: conflicts with strategy "weighted"; set only one (line 2)',
        'model_groups[1].strategy: must be one of weighted, cost_optimized, lowest_latency, highest_quality, got "round_robin" (line 3)',
        'model_groups[2].targets[0].weight: is required in a weighted group (line 4)',
        'model_groups[3].name: duplicate model group "i" (first defined at line 4) (line 5)',
        'model_groups[4]: routing highest_quality needs models: [model names or {provider, model}] (line 6)',
        'model_groups[5].targets[0].model: is required (line 7)',
        'provider_routing.strategy: must be one of weighted, cost_optimized, lowest_latency, highest_quality, got "fastest" (line 8)',
      ],
    )
  })

  test('traffic mirror: defined twice, enabled without a shadow; a disabled mirror needs none', () => {
    assert.deepEqual(
      errors(`traffic_mirror: {shadow: a}
providers:
  traffic_mirror: {shadow: a}
  targets: [{id: a, provider: openai, model: m}]
`),
      ['providers.traffic_mirror: also defined at the top level (line 1); keep one (line 3)'],
    )
    assert.deepEqual(errors('traffic_mirror:\n  primary: a\nproviders:\n  targets: [{id: a, provider: openai, model: m}]\n'), [
      'traffic_mirror.shadow: is required when the mirror is enabled (a target id or a provider) (line 1)',
    ])
    assert.deepEqual(errors('traffic_mirror: {enabled: false}\n'), [])
    assert.deepEqual(errors('providers:\n  mirroring: {enabled: true}\n'), [
      'providers.mirroring.shadow_targets: must list at least one target id when mirroring is enabled (line 2)',
    ])
    assert.deepEqual(errors('traffic_mirror: {shadow: a, sample_rate: "10%"}\nproviders:\n  targets: [{id: a, provider: openai, model: m}]\n'), [
      'traffic_mirror.sample_rate: must be a number between 0 and 1 (write 0.1 for 10%) (line 1)',
    ])
  })

  test('policies: missing name/type, unknown type, bad entries, duplicates, two scorers, shape errors', () => {
    assert.deepEqual(
      errors(`policies:
  - {type: log}
  - {name: x}
  - {name: f, type: modle_filter}
  - 5
  - {name: q, type: quality-scorer}
  - {name: q, type: quality-scorer}
`),
      [
        'policies[0].name: is required (line 2)',
        'policies[1].type: is required (one of quality-scorer, audit-logger, content_filter, model_filter, traffic_split, log, cost_limit) (line 3)',
        'policies[2].type: unknown policy type "modle_filter"; use one of quality-scorer, audit-logger, content_filter, model_filter, traffic_split, log, cost_limit (did you mean "model_filter"?) (line 4)',
        'policies[3]: must be a mapping {name, type, ...}, got 5 (line 5)',
        'policies[5]: duplicate policy name "q" (first at line 6) (line 7)',
        'policies[5]: a second enabled quality-scorer ("q"); only one may be enabled (first: "q", line 6) (line 7)',
      ],
    )
    assert.deepEqual(errors('policies: {}\n'), ['policies.chain: is required (or write policies as a list of {name, type, ...}) (line 1)'])
    assert.deepEqual(errors('policies: on\n'), ['policies: must be a list of policies or {chain: [names]}, got "on" (line 1)'])
    assert.deepEqual(errors('policies: {chain: [log, log]}\n'), ['policies.chain[1]: "log" is listed twice (line 1)'])
    assert.deepEqual(errors('policies: {chain: [guard]}\npolicy:\n  guard: {max_usd_per_day: 1}\n'), [
      'policy.guard.type: is required: "guard" is not a policy type (one of quality-scorer, audit-logger, content_filter, model_filter, traffic_split, log, cost_limit) (line 3)',
    ])
  })

  test('policies: per-type consistency checks', () => {
    assert.deepEqual(
      errors(`policies:
  - {name: mf, type: model_filter, blocked_models: [a], preferred_model: a}
  - {name: mf2, type: model_filter, allowed_models: [a], conditions: {max_tokens_gt: 100, max_tokens_lte: 10}}
  - {name: lg, type: log, destination: file}
  - {name: c, type: cost_limit, action: downgrade, max_usd_per_day: 1}
  - {name: al, type: audit-logger, destination: file}
  - {name: ts, type: traffic_split, variants: [{model: a, weight: 0}]}
`),
      [
        'policies[0].preferred_model: "a" is also in blocked_models (line 2)',
        'policies[1].conditions: max_tokens_gt (100) >= max_tokens_lte (10): the condition can never match (line 3)',
        'policies[2].path: is required when destination is file (line 4)',
        'policies[3].fallback_model: is required when action is downgrade (line 5)',
        'policies[4].path: is required when destination is file (line 6)',
        'policies[5].variants: weights sum to 0; at least one weight must be > 0 (line 7)',
      ],
    )
    assert.deepEqual(
      warnings(`policies:
  - {name: cf, type: content_filter}
  - {name: cl, type: cost_limit}
  - {name: mf, type: model_filter}
policy: {x: {type: log}}
`),
      [
        'policies[0]: filters nothing: set blocked_terms, blocked_patterns, redact_pii or config.categories (line 2)',
        'policies[1]: sets no limit: add max_usd_per_request, max_usd_per_day, max_usd_per_month or max_tokens_per_request (line 3)',
        'policies[2]: does nothing: set allowed_models, blocked_models or preferred_model (line 4)',
        'policy: ignored: policies is a list of {name, type, ...} (policy: goes with policies: {chain: [...]}) (line 5)',
      ],
    )
  })

  test('chain form: policy: entries left out of the chain are warned about and still checked', () => {
    const src = 'policies: {chain: [log]}\npolicy:\n  spare: {type: cost_limit, max_usd_per_day: -1}\n'
    assert.deepEqual(warnings(src), ['policy.spare: not listed in policies.chain; not applied (line 3)'])
    assert.deepEqual(errors(src), ['policy.spare.max_usd_per_day: must be a number >= 0 (line 3)'])
  })

  test('version, pack, pricing and gates shapes', () => {
    assert.deepEqual(errors('version: "2"\n'), [`version: unsupported config version "2" (this kt reads version '1') (line 1)`])
    assert.deepEqual(errors('pack: {version: 1}\n'), ['pack.name: is required (line 1)'])
    assert.deepEqual(errors('pricing: {m: {input_per_mtok: 1}}\n'), ['pricing.m.output_per_mtok: is required (line 1)'])
    assert.deepEqual(errors('gates: "x > 1"\n'), ['gates: must be a list of gate rules (line 1)'])
    assert.deepEqual(errors('gates: ["", "a > 1"]\n'), ['gates[0]: must not be empty (line 1)'])
  })

  test('paths quote keys that are not plain words', () => {
    assert.deepEqual(errors('pricing:\n  "claude 3.5": {input_per_mtok: -1, output_per_mtok: 1}\n'), [
      'pricing["claude 3.5"].input_per_mtok: must be a number >= 0 (line 2)',
    ])
  })
})

describe('keys the product docs use', () => {
  test('quality-scorer min_score / action are overall_min_score / on_fail; both spellings must agree', () => {
    const {config} = parseConfigText('policies: [{name: q, type: quality-scorer, min_score: 0.7, action: block}]\n')
    const q = config?.policies[0]
    assert.ok(q?.type === 'quality-scorer')
    assert.deepEqual([q.overall_min_score, q.on_fail], [0.7, 'block'])
    assert.deepEqual(errors('policies: [{name: q, type: quality-scorer, on_fail: flag, action: block, overall_min_score: 0.5, min_score: 0.5}]\n'), [
      'policies[0].action: "block" contradicts on_fail: "flag" (action and on_fail are the same setting; keep one) (line 1)',
    ])
    assert.deepEqual(errors('policies: [{name: q, type: quality-scorer, min_score: 2}]\n'), ['policies[0].min_score: must be a number between 0 and 1 (line 1)'])
  })

  test('log severity is its level; conditions are checked like model_filter\'s', () => {
    assert.deepEqual(errors('policies: [{name: l, type: log, level: info, severity: warn}]\n'), [
      'policies[0].severity: "warn" contradicts level: "info" (severity and level are the same setting; keep one) (line 1)',
    ])
    assert.deepEqual(errors('policies: [{name: l, type: log, severity: loud, conditions: {max_tokens_gt: 5, max_tokens_lte: 5}}]\n'), [
      'policies[0].severity: must be one of debug, info, warn, error, got "loud" (line 1)',
      'policies[0].conditions: max_tokens_gt (5) >= max_tokens_lte (5): the condition can never match (line 1)',
    ])
  })

  test('content_filter config: categories and threshold; a threshold without categories is ignored, with a warning', () => {
    assert.deepEqual(errors('policies: [{name: f, type: content_filter, config: {categories: [hate], threshold: extreme}}]\n'), [
      'policies[0].config.threshold: must be one of low, medium, high, got "extreme" (line 1)',
    ])
    assert.deepEqual(warnings('policies: [{name: f, type: content_filter, blocked_terms: [x], config: {threshold: high, severity: 3}}]\n'), [
      'policies[0].config.severity: unknown key (line 1)',
      'policies[0].config.threshold: applies to config.categories, and none are listed; ignored (line 1)',
    ])
    const {config} = parseConfigText('policies: [{name: f, type: content_filter, config: {categories: [hate, violence]}}]\n')
    const f = config?.policies[0]
    assert.ok(f?.type === 'content_filter')
    assert.deepEqual([f.categories, f.threshold], [['hate', 'violence'], 'medium'])
  })

  test('canary: a target id and a percentage of live traffic', () => {
    const targets = 'providers:\n  targets: [{id: cand, provider: openai, model: gpt-4o-mini}]\n'
    const {config} = parseConfigText(`${targets}canary: {target: cand, traffic_percentage: 10}\n`)
    assert.deepEqual({...config?.canary, source: undefined}, {enabled: true, target: 'cand', traffic_percentage: 10, share: 0.1, source: undefined})
    assert.deepEqual(errors(`${targets}canary: {target: cnad, traffic_percentage: 150}\n`), [
      'canary.traffic_percentage: must be a number between 0 and 100 (line 3)',
    ])
    assert.deepEqual(errors(`${targets}canary: {target: candd, traffic_percentage: 15}\n`), ['canary.target: no target "candd"; did you mean "cand"? (line 3)'])
    assert.deepEqual(errors('canary: {traffic_percentage: 5}\n'), ['canary.target: is required (line 1)'])
  })

  test('weights that do not add up to 100 are warned about, with the percentages used (groups and splits)', () => {
    assert.deepEqual(
      warnings(`model_groups:
  - {name: g, strategy: weighted, targets: [{provider: openai, model: a, weight: 0.7}, {provider: anthropic, model: b, weight: 0.3}]}
  - {name: h, strategy: weighted, targets: [{provider: openai, model: a, weight: 60}, {provider: anthropic, model: b, weight: 40}]}
policies:
  - {name: s, type: traffic_split, variants: [{model: a, weight: 2, tag: ctl}, {model: b, weight: 1}]}
`),
      [
        'model_groups[0].targets: weights add up to 1, not 100; read as shares: openai/a 70%, anthropic/b 30% (line 2)',
        'policies[0].variants: weights add up to 3, not 100; read as shares: a (ctl) 66.7%, b 33.3% (line 5)',
      ],
    )
  })

  test('azure-openai: base_url and api_version may come from the environment at call time; a given URL is still checked', () => {
    assert.deepEqual(errors('providers:\n  targets: [{id: az, provider: azure-openai, deployment: d}]\n'), [])
    assert.deepEqual(errors('providers:\n  targets: [{id: az, provider: azure-openai, base_url: "not a url"}]\n'), [
      'providers.targets[0].base_url: must be an http(s) URL, got "not a url" (line 2)',
    ])
  })

  test('an empty provider: is silent when the id is a provider kind, warned for an alias, an error otherwise', () => {
    assert.deepEqual(issuesOf('providers:\n  targets:\n    - id: anthropic\n      provider:\n'), [])
    assert.deepEqual(warnings('providers:\n  targets:\n    - id: azure\n      provider:\n      base_url: https://x.openai.azure.com\n'), [
      'providers.targets[0].provider: empty; using "azure-openai" from the target id "azure" (line 4)',
    ])
    assert.deepEqual(errors('providers:\n  targets:\n    - id: main\n      provider:\n'), [
      'providers.targets[0].provider: is required (one of openai, anthropic, azure-openai, openai-compatible, simulated) (line 4)',
    ])
  })

  test('a mirror end that is neither a target nor a provider', () => {
    assert.deepEqual(errors('traffic_mirror: {primary: opnai, shadow: anthropic}\n'), [
      'traffic_mirror.primary: no target or provider "opnai"; did you mean "openai"? (line 1)',
    ])
  })
})
