// `report.json`: the model itself, with a fixed key order (independent of how the model object was
// built), 2-space indent and a final newline, so the same run, seed and B give byte-identical files.
import type {ReportModel} from '../../analysis/index.js'

/** Key order per object kind: the order of the ReportModel interfaces. Unlisted keys follow, sorted. */
const ORDER: Record<string, readonly string[]> = {
  report: ['schema', 'run', 'seed', 'bootstrap_B', 'decision_mode', 'scorer', 'policy', 'verdict', 'exit_code', 'gates', 'metrics', 'arms', 'noise', 'judge', 'worst', 'distributions', 'warnings'],
  run: ['id', 'name', 'status', 'created_at', 'primary', 'candidate', 'total'],
  policy: ['dimensions', 'overall_min_score', 'on_fail'],
  dimensions: ['relevance', 'coherence', 'completeness'],
  dimension: ['weight', 'min_score', 'on_fail'],
  metric: ['metric', 'label', 'unit', 'better', 'primary', 'candidate', 'lower_bound', 'comparison', 'n', 'p_value', 'p_test', 'mde'],
  interval: ['kind', 'estimate', 'low', 'high', 'level', 'method'],
  gate: ['rule', 'metric', 'decision', 'kind', 'op', 'threshold', 'value', 'n', 'mde', 'reason'],
  arm: [
    'arm', 'label', 'n', 'ok', 'error_rate', 'refusal_rate', 'truncation_rate', 'empty_rate', 'pass_rate', 'retry_rate', 'timeout_rate', 'latency_ms', 'ttft_ms',
    'tokens', 'cost', 'scores', 'finish_reasons', 'on_fail', 'translation_losses',
  ],
  quantiles: ['p50', 'p95', 'p99', 'mean', 'censored', 'lower_bound'],
  tokens: ['input_total', 'output_total', 'output_mean'],
  cost: ['total', 'per_request'],
  scores: ['relevance', 'coherence', 'completeness', 'overall'],
  example: ['event_id', 'delta', 'primary_overall', 'candidate_overall', 'dice', 'reasons', 'prompt', 'primary_text', 'candidate_text'],
  noise: ['n', 'noise_dice_mean', 'candidate_dice_mean', 'diff', 'beyond_noise_rate', 'aa_score_sd'],
  distributions: ['latency_ms', 'scores', 'similarity'],
  pair: ['primary', 'candidate'],
  similarity: ['candidate', 'noise'],
}

/** What kind of object sits under `key` inside an object of kind `parent`. */
function childKind(parent: string, key: string): string {
  switch (parent) {
    case 'report':
      return {run: 'run', policy: 'policy', metrics: 'metric', gates: 'gate', arms: 'arm', noise: 'noise', worst: 'example', distributions: 'distributions'}[key] ?? ''
    case 'policy':
      return key === 'dimensions' ? 'dimensions' : ''
    case 'dimensions':
      return 'dimension'
    case 'metric':
      return key === 'comparison' ? 'interval' : key === 'lower_bound' ? 'pair' : ''
    case 'gate':
      return key === 'value' ? 'interval' : ''
    case 'arm':
      return {latency_ms: 'quantiles', ttft_ms: 'quantiles', tokens: 'tokens', cost: 'cost', scores: 'scores'}[key] ?? ''
    case 'noise':
      return key === 'diff' || key === 'beyond_noise_rate' ? 'interval' : ''
    case 'distributions':
      return key === 'latency_ms' ? 'pair' : key === 'scores' ? 'scores' : key === 'similarity' ? 'similarity' : ''
    case 'scores':
      // Only the distributions' per-dimension entries are objects.
      return 'pair'
    default:
      return ''
  }
}

function ordered(value: unknown, kind: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, kind))
  if (value === null || typeof value !== 'object') return typeof value === 'number' && !Number.isFinite(value) ? null : value
  const obj = value as Record<string, unknown>
  const known = ORDER[kind] ?? []
  const keys = [...known.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !known.includes(k)).sort()]
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    if (obj[k] === undefined) continue
    out[k] = ordered(obj[k], childKind(kind, k))
  }
  return out
}

/** The model as JSON with a stable key order; ±Infinity and NaN (unbounded ratio intervals) become null. */
export function renderJson(model: ReportModel): string {
  return `${JSON.stringify(ordered(model, 'report'), null, 2)}\n`
}
