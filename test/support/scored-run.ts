// A replayed and scored run built in memory, the way `kt replay` + the scoring pass (src/app/score-run.ts) make it,
// for simulations that need thousands of runs: the real heuristic scorers and similarity, IDF over the run's
// prompts, each answer scored against the other arm's length. Answers come from the caller (the simulated
// provider, the noisy model of noisy-model.ts).
import type {ArmData, PairedRequest, RunData} from '../../src/analysis/data.js'
import {buildIdf, responseLength, scoreResponse} from '../../src/scoring/heuristics.js'
import {applyPolicy, DEFAULT_QUALITY_POLICY} from '../../src/scoring/policy.js'
import {promptInfo, similarity, type PromptInfo} from '../../src/scoring/index.js'

/** One answer as a replay records it. */
export interface Answer {
  status: 'ok' | 'error' | 'timeout'
  text: string | null
  finish_reason: string | null
  latency_ms: number
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
  /** Tool calls in the answer; null when the request offered no tools. */
  tool_calls?: number | null
  attempts?: number
  timeouts?: number
}

export interface ScoredRunInput {
  id: string
  prompts: readonly string[]
  primary: readonly Answer[]
  candidate: readonly Answer[]
  /** The A/A repeat of the primary, where there is one. */
  primary_aa?: readonly (Answer | null)[]
  /** Conversation of each request (cluster), when any. */
  clusters?: readonly (string | null)[]
  /** Compute the similarities (default true; gates on scores, rates and latency do not need them, and they cost). */
  similarity?: boolean
}

function scoreArm(prompt: PromptInfo, a: Answer, other: Answer | null, idf: ReturnType<typeof buildIdf>): ArmData {
  const s = scoreResponse(
    {
      prompt,
      response: {text: a.text, finish_reason: a.finish_reason, status: a.status, tool_calls: a.tool_calls ?? 0},
      otherLength: other && other.status === 'ok' ? responseLength(other.text) : null,
    },
    {idf},
  )
  const v = applyPolicy(s.dimensions, DEFAULT_QUALITY_POLICY)
  const d = s.dimensions
  return {
    status: a.status,
    http_status: a.status === 'ok' ? 200 : a.status === 'timeout' ? null : 529,
    error_message: a.status === 'ok' ? null : a.status,
    latency_ms: a.latency_ms,
    ttft_ms: null,
    input_tokens: a.input_tokens,
    output_tokens: a.output_tokens,
    cost_usd: a.cost_usd,
    finish_reason: a.finish_reason,
    text: a.text,
    model: 'm',
    scores: {relevance: d.relevance.score, coherence: d.coherence.score, completeness: d.completeness.score, overall: v.overall},
    pass: v.pass,
    flags: {...s.flags},
    on_fail: v.on_fail,
    tool_calls: a.tool_calls ?? null,
    translation_losses: [],
    simulated: true,
    attempts: a.attempts ?? 1,
    timeouts: a.timeouts ?? (a.status === 'timeout' ? 1 : 0),
    latency_censored: a.status === 'timeout',
  }
}

export function scoredRun(input: ScoredRunInput): RunData {
  const n = input.prompts.length
  const infos = input.prompts.map((p) => promptInfo('openai.chat', JSON.stringify({model: 'm', messages: [{role: 'user', content: p}]})))
  const idf = buildIdf(infos.map((p) => `${p.system ?? ''}\n${p.allUserText}`))
  const requests: PairedRequest[] = []
  for (let i = 0; i < n; i++) {
    const p = input.primary[i]!
    const c = input.candidate[i]!
    const aa = input.primary_aa?.[i] ?? null
    const both = p.status === 'ok' && c.status === 'ok' && input.similarity !== false
    const sim = both ? similarity(p.text ?? '', c.text ?? '') : null
    const noise = both && aa && aa.status === 'ok' ? similarity(p.text ?? '', aa.text ?? '') : null
    requests.push({
      event_id: `ev${String(i).padStart(5, '0')}`,
      timestamp: '2026-11-01T00:00:00.000Z',
      model: 'm',
      prompt: input.prompts[i]!,
      cluster: input.clusters?.[i] ?? null,
      primary: scoreArm(infos[i]!, p, c, idf),
      candidate: scoreArm(infos[i]!, c, p, idf),
      primary_aa: aa ? scoreArm(infos[i]!, aa, c, idf) : null,
      similarity: sim,
      noise,
    })
  }
  return {
    run: {
      id: input.id,
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
      settings: {selection: {}, modelMap: {}, concurrency: 1, rps: null, tpm: null, timeoutMs: 120000, retries: 0, maxCost: null, aa: input.primary_aa ? 1 : 0, seed: 1},
      config: null,
    },
    requests,
  }
}
