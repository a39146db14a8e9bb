// Runs of kt's offline `simulated` provider, replayed in memory and scored as `kt replay` + the scoring pass would
// (docs/scoring-and-gates.md §4.6 self-check): the same faithful target twice with different seeds is an A/A run; options
// on the candidate plant a regression (truncate_rate, latency_ms, error_rate).
import {createClient, estimateCost, type CallResult, type SimulationSpec} from '../../src/providers/index.js'
import type {RunData} from '../../src/analysis/data.js'
import {samplePrompts} from './prompts.js'
import {scoredRun, type Answer} from './scored-run.js'

function answerOf(r: CallResult): Answer {
  return {
    status: r.status,
    text: r.response?.text ?? null,
    finish_reason: r.response?.finish_reason ?? null,
    latency_ms: r.latency_ms,
    input_tokens: r.usage.input_tokens,
    output_tokens: r.usage.output_tokens,
    cost_usd: estimateCost('sim-faithful', r.usage),
  }
}

/** n seeded prompts answered by a faithful simulated primary and a candidate with `candidateSim` on top. */
export async function simulatedRun(n: number, seed: number, candidateSim: SimulationSpec = {}, aa = false, withSimilarity = aa): Promise<RunData> {
  const prompts = samplePrompts(n, seed)
  const bodies = prompts.map((p) => ({model: 'gpt-4o-mini', messages: [{role: 'user', content: p}]}))
  const client = (id: string, s: number, extra: SimulationSpec = {}) =>
    createClient({id, provider: 'simulated', model: 'sim-faithful', simulation: {style: 'faithful', seed: s, ...extra}})
  const primary = client('p', 1000 + 2 * seed)
  const candidate = client('c', 1001 + 2 * seed, candidateSim)
  const repeat = client('p', 1000 + 2 * seed + 7919)
  const p: Answer[] = []
  const c: Answer[] = []
  const a: (Answer | null)[] = []
  for (const body of bodies) {
    p.push(answerOf(await primary.call({api: 'openai.chat', body})))
    c.push(answerOf(await candidate.call({api: 'openai.chat', body})))
    a.push(aa ? answerOf(await repeat.call({api: 'openai.chat', body})) : null)
  }
  return scoredRun({id: `simulated-${seed}`, prompts, primary: p, candidate: c, ...(aa ? {primary_aa: a} : {}), similarity: withSimilarity})
}
