// RunData built in the test, for the tests of what reads it (gates, buildReport): one arm's answer and the
// run around the paired requests. Each test passes what it asserts on (texts, run names, counts).
import type {ArmData, PairedRequest, RunData} from '../../src/analysis/data.js'

/** A successful simulated answer with `score` from every quality scorer (null: not scored); `over` replaces any field. */
export function arm(over: Partial<ArmData> = {}, score: number | null = 0.8): ArmData {
  return {
    status: 'ok',
    http_status: 200,
    error_message: null,
    latency_ms: 500,
    ttft_ms: null,
    input_tokens: 100,
    output_tokens: 50,
    cost_usd: 0.001,
    finish_reason: 'stop',
    text: 'An answer.',
    model: 'm',
    scores: {relevance: score, coherence: score, completeness: score, overall: score},
    pass: score === null ? null : score >= 0.6,
    flags: {empty: false, refusal: false, truncated: false, json_valid: null},
    on_fail: [],
    tool_calls: null,
    translation_losses: [],
    simulated: true,
    attempts: 1,
    timeouts: 0,
    latency_censored: false,
    ...over,
  }
}

/** A completed run of `requests` (one result each unless `run` says otherwise); `run` replaces any field of the description. */
export function runData(requests: PairedRequest[], run: Partial<RunData['run']> = {}): RunData {
  return {
    run: {
      id: 'run_test',
      name: 'test',
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
      status: 'completed',
      primary: 'recorded',
      candidate: 'sim',
      total: requests.length,
      results_done: requests.length,
      results_expected: requests.length,
      errors: 0,
      settings: {selection: {}, modelMap: {}, concurrency: 1, rps: null, tpm: null, timeoutMs: 1000, retries: 0, maxCost: null, aa: 0, seed: 1},
      config: null,
      ...run,
    },
    requests,
  }
}
