// Self-check of the gate engine (docs/scoring-and-gates.md §4.6: "an A/A gate run must PASS, which doubles as a self-test
// of the gate engine's false-positive behaviour"), built in-process from the real simulated provider and
// the real scorers, exactly as `kt replay` + the scoring pass would:
//   • 200 A/A runs: the same simulated target twice with different seeds (nondeterminism only), 300
//     requests each from a seeded sample of real prompts. The default gates may FAIL in at most 5%.
//   • 50 runs with a planted regression (the candidate truncates 10% of answers), 500 requests each.
//     The default gates must FAIL in at least 90%.
// Bootstrap resamples: B=1000 here instead of 5000 to stay well under a minute on 2 cores. The test
// shows this does not change what it measures: every run whose FAIL-deciding bound comes within a
// small distance of its threshold is re-evaluated at B=5000 (and another seed), and its FAIL/not-FAIL
// outcome must be the same. (Measured while writing this: at B=1000 vs B=5000 only latency.p95
// PASS↔INCONCLUSIVE flips occurred, in runs whose upper bound sat within 0.02 of 1.2; no FAIL flipped.)
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {MetricEngine} from '../../src/analysis/index.js'
import {DEFAULT_GATES, evaluateGates, parseGates, verdictOf, type GateRule} from '../../src/gate/index.js'
import {createClient, estimateCost, type CallResult, type SimulationSpec} from '../../src/providers/index.js'
import type {ArmData, PairedRequest, RunData} from '../../src/analysis/data.js'
import type {GateOutcome} from '../../src/analysis/model.js'
import {buildIdf, scoreResponse} from '../../src/scoring/heuristics.js'
import {applyPolicy, DEFAULT_QUALITY_POLICY} from '../../src/scoring/policy.js'
import {promptInfo, type PromptInfo} from '../../src/scoring/index.js'
import {rng} from '../../src/stats/index.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PROMPTS = join(ROOT, 'test', 'data', 'public', 'prompts')
const B_SELF = 1000

function loadPrompts(): string[] {
  const out: string[] = []
  const lines = (f: string) => readFileSync(join(PROMPTS, f), 'utf8').split('\n').filter((l) => l.trim())
  for (const f of ['vicuna-bench-questions.jsonl', 'mt-bench-questions.jsonl']) for (const l of lines(f)) out.push((JSON.parse(l) as {turns: string[]}).turns[0]!)
  for (const f of ['self-instruct-seed-tasks.jsonl', 'self-instruct-user-oriented-instructions.jsonl']) {
    for (const l of lines(f)) {
      const o = JSON.parse(l) as {instruction: string; instances?: {input?: string}[]}
      const input = o.instances?.[0]?.input
      out.push(input ? `${o.instruction}\n\n${input}` : o.instruction)
    }
  }
  return out
}

const ALL_PROMPTS = loadPrompts()

/** Seeded sample of n prompts (Fisher–Yates with the stats PRNG). */
function sample(n: number, seed: number): string[] {
  const next = rng(seed)
  const idx = ALL_PROMPTS.map((_, i) => i)
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
  }
  return idx.slice(0, n).map((i) => ALL_PROMPTS[i]!)
}

/** One replayed and scored run, the way kt replay + scoreRun make it (IDF over the run's prompts, otherLength from the other arm). */
async function simulatedRun(n: number, seed: number, candidateSim: SimulationSpec): Promise<RunData> {
  const prompts = sample(n, seed)
  const bodies = prompts.map((p) => ({model: 'gpt-4o-mini', messages: [{role: 'user', content: p}]}))
  const primary = createClient({id: 'p', provider: 'simulated', model: 'sim-faithful', simulation: {style: 'faithful', seed: 1000 + 2 * seed}})
  const candidate = createClient({id: 'c', provider: 'simulated', model: 'sim-faithful', simulation: {style: 'faithful', seed: 1001 + 2 * seed, ...candidateSim}})
  const infos: PromptInfo[] = bodies.map((b) => promptInfo('openai.chat', JSON.stringify(b)))
  const idf = buildIdf(infos.map((p) => `${p.system ?? ''}\n${p.allUserText}`))
  const toArm = (i: number, r: CallResult, other: CallResult): ArmData => {
    const text = r.response?.text ?? null
    const s = scoreResponse(
      {
        prompt: infos[i]!,
        response: {text, finish_reason: r.response?.finish_reason ?? null, status: r.status, tool_calls: r.response?.tool_calls.length ?? 0},
        otherLength: other.status === 'ok' ? (other.response?.text ?? '').length : null,
      },
      {idf},
    )
    const v = applyPolicy(s.dimensions, DEFAULT_QUALITY_POLICY)
    const d = s.dimensions
    return {
      status: r.status,
      http_status: r.http_status,
      error_message: r.error?.message ?? null,
      latency_ms: r.latency_ms,
      ttft_ms: r.ttft_ms,
      input_tokens: r.usage.input_tokens,
      output_tokens: r.usage.output_tokens,
      cost_usd: estimateCost('sim-faithful', r.usage),
      finish_reason: r.response?.finish_reason ?? null,
      text,
      model: r.response_model,
      scores: {relevance: d.relevance.score, coherence: d.coherence.score, completeness: d.completeness.score, overall: v.overall},
      pass: v.pass,
      flags: {...s.flags},
      on_fail: v.on_fail,
      tool_calls: null,
      translation_losses: r.translation_losses,
      simulated: true,
      attempts: 1,
      timeouts: r.status === 'timeout' ? 1 : 0,
      latency_censored: r.status === 'timeout',
    }
  }
  const requests: PairedRequest[] = []
  for (let i = 0; i < n; i++) {
    const rp = await primary.call({api: 'openai.chat', body: bodies[i]!})
    const rc = await candidate.call({api: 'openai.chat', body: bodies[i]!})
    // Similarity is not used by the default gates; it is left out to keep the self-check fast.
    requests.push({event_id: `ev${i}`, timestamp: '2026-11-01T00:00:00.000Z', model: 'gpt-4o-mini', prompt: prompts[i]!, cluster: null, primary: toArm(i, rp, rc), candidate: toArm(i, rc, rp), primary_aa: null, similarity: null, noise: null})
  }
  return {
    run: {
      id: `selfcheck-${seed}`,
      name: null,
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
      status: 'completed',
      primary: 'p',
      candidate: 'c',
      total: n,
      results_done: 2 * n,
      results_expected: 2 * n,
      errors: 0,
      settings: {selection: {}, modelMap: {}, concurrency: 1, rps: null, tpm: null, timeoutMs: 120000, retries: 0, maxCost: null, aa: 0, seed},
      config: null,
    },
    requests,
  }
}

/** How far the bound that decides FAIL is from the threshold, relative to the threshold's scale. */
function failDistance(g: GateOutcome): number {
  if (g.value.low === null || g.value.high === null) return Infinity
  const far = g.op === '>' || g.op === '>=' ? g.value.high : g.value.low
  return Math.abs(far - g.threshold) / (g.kind === 'ratio' ? g.threshold : 0.02)
}

interface Tally {
  verdicts: Record<string, number>
  byGate: Record<string, number>[]
  fails: number
  rechecked: number
}

async function tally(runs: number, n: number, candidateSim: SimulationSpec, rules: GateRule[]): Promise<Tally> {
  const t: Tally = {verdicts: {}, byGate: rules.map(() => ({})), fails: 0, rechecked: 0}
  for (let seed = 1; seed <= runs; seed++) {
    const data = await simulatedRun(n, seed, candidateSim)
    const outcomes = evaluateGates(new MetricEngine(data, {seed: 1, B: B_SELF, level: 0.95}), rules, 'non-inferiority', 0.95)
    const verdict = verdictOf(outcomes)
    t.verdicts[verdict] = (t.verdicts[verdict] ?? 0) + 1
    outcomes.forEach((o, i) => (t.byGate[i]![o.decision] = (t.byGate[i]![o.decision] ?? 0) + 1))
    if (verdict === 'fail') t.fails++
    // Stability: near the FAIL boundary, B=5000 (and another bootstrap seed) must agree on FAIL / not FAIL.
    if (outcomes.some((o) => failDistance(o) < 0.15)) {
      t.rechecked++
      for (const [seedB, B] of [[1, 5000], [7, B_SELF]] as const) {
        const other = evaluateGates(new MetricEngine(data, {seed: seedB, B, level: 0.95}), rules, 'non-inferiority', 0.95)
        outcomes.forEach((o, i) => assert.equal(other[i]!.decision === 'fail', o.decision === 'fail', `run ${seed}, ${o.rule}: B=${B_SELF} says ${o.decision} ${JSON.stringify(o.value)}, B=${B} seed ${seedB} says ${other[i]!.decision} ${JSON.stringify(other[i]!.value)}`))
      }
    }
  }
  return t
}

describe('gate self-check on simulated runs', () => {
  const rules = parseGates(DEFAULT_GATES)

  test('A/A: 200 runs × 300 requests, the default gates FAIL in at most 5%', async (ctx) => {
    const t = await tally(200, 300, {}, rules)
    const rate = t.fails / 200
    ctx.diagnostic(`A/A false-FAIL rate ${(100 * rate).toFixed(1)}% (${t.fails}/200); verdicts ${JSON.stringify(t.verdicts)}; per gate ${JSON.stringify(rules.map((r, i) => [r.text, t.byGate[i]]))}; re-checked near the boundary: ${t.rechecked}`)
    assert.ok(rate <= 0.05, `A/A false-FAIL rate ${rate}`)
    // The engine must also not be trivially "never FAIL": the quality gate passes every A/A run.
    assert.equal(t.byGate[0]!.pass, 200)
  })

  test('planted regression: 10% truncated answers at 500 requests, the default gates FAIL in at least 90% of 50 seeds', async (ctx) => {
    const t = await tally(50, 500, {truncate_rate: 0.1}, rules)
    const rate = t.fails / 50
    ctx.diagnostic(`planted-regression FAIL rate ${(100 * rate).toFixed(1)}% (${t.fails}/50); verdicts ${JSON.stringify(t.verdicts)}; per gate ${JSON.stringify(rules.map((r, i) => [r.text, t.byGate[i]]))}; re-checked near the boundary: ${t.rechecked}`)
    assert.ok(rate >= 0.9, `planted-regression FAIL rate ${rate}`)
    // It is the quality gate that catches it (truncation lowers coherence and completeness), not cost or latency.
    assert.equal(t.byGate[0]!.fail, t.fails)
  })
})
