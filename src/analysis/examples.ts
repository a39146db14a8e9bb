// The worst regressions of a run, with their reasons in words, and the raw distributions the HTML charts draw.
import type {ArmData, PairedRequest} from './data.js'
import type {Distributions, ExampleRow} from './model.js'

const TEXT_CAP = 2000
const PROMPT_CAP = 500

function cap(text: string | null, n: number): string | null {
  if (text === null) return null
  return text.length > n ? `${text.slice(0, n)}…` : text
}

function candidateErrorReason(c: ArmData): string {
  const code = c.http_status !== null ? ` ${c.http_status}` : ''
  return c.status === 'timeout' ? 'candidate timed out' : `candidate error${code}${c.error_message ? `: ${c.error_message}` : ''}`
}

function reasonsFor(r: PairedRequest): string[] {
  const p = r.primary
  const c = r.candidate
  if (!c) return ['no candidate result']
  if (c.status !== 'ok') return [candidateErrorReason(c)]
  const out: string[] = []
  const pf = p?.flags ?? {}
  if (c.flags.empty === true && pf.empty !== true) out.push('candidate answer is empty')
  if (c.flags.refusal === true && pf.refusal !== true) out.push(c.flags.refusal_mixed === true ? 'candidate partly refused' : 'candidate refused')
  if ((c.flags.truncated === true || c.finish_reason === 'length') && pf.truncated !== true) out.push('candidate truncated')
  if (c.flags.json_valid === false && pf.json_valid !== false) out.push('candidate JSON invalid')
  if (c.flags.script_match === false && pf.script_match !== false) out.push('candidate answered in another script')
  if (c.flags.fences_ok === false && pf.fences_ok !== false) out.push('candidate code fences or brackets broken')
  if (c.timeouts > 0) out.push(`candidate timed out ${c.timeouts === 1 ? 'once' : `${c.timeouts} times`} before answering`)
  if (p && p.status === 'ok') {
    for (const d of ['relevance', 'coherence', 'completeness'] as const) {
      const a = p.scores[d]
      const b = c.scores[d]
      if (a !== null && b !== null && b - a <= -0.2) out.push(`${d} ${a.toFixed(2)} → ${b.toFixed(2)}`)
    }
    const pl = (p.text ?? '').length
    const cl = (c.text ?? '').length
    if (pl > 0 && cl < 0.5 * pl) out.push(`candidate answer is ${Math.round((100 * cl) / pl)}% of the primary's length`)
  }
  return out
}

export function worstExamples(requests: readonly PairedRequest[], k: number): ExampleRow[] {
  if (k <= 0) return []
  const rows = requests.map((r) => {
    const po = r.primary?.scores.overall ?? null
    const co = r.candidate?.scores.overall ?? null
    const delta = po !== null && co !== null ? co - po : null
    return {r, po, co, delta}
  })
  // Scored regressions, most negative first; then candidate errors where the primary answered.
  const scored = rows.filter((x) => x.delta !== null && x.delta < 0).sort((a, b) => a.delta! - b.delta! || (a.r.event_id < b.r.event_id ? -1 : 1))
  const errors = rows.filter((x) => x.r.candidate !== null && x.r.candidate.status !== 'ok' && x.r.primary?.status === 'ok')
  return [...scored, ...errors].slice(0, k).map(({r, po, co, delta}) => ({
    event_id: r.event_id,
    prompt: cap(r.prompt, PROMPT_CAP) ?? '',
    primary_text: cap(r.primary?.text ?? null, TEXT_CAP),
    candidate_text: cap(r.candidate?.text ?? null, TEXT_CAP),
    primary_overall: po,
    candidate_overall: co,
    delta,
    dice: r.similarity?.dice ?? null,
    reasons: reasonsFor(r),
  }))
}

/** Raw values for the charts: latencies of answered requests (every call), scores and similarities. */
export function distributions(requests: readonly PairedRequest[]): Distributions {
  const latency = (a: ArmData | null) => (a && (a.status === 'ok' || a.status === 'timeout') ? a.latency_ms : null)
  const nums = (v: (number | null)[]) => v.filter((x): x is number => x !== null)
  const scores = {} as Distributions['scores']
  for (const d of ['relevance', 'coherence', 'completeness', 'overall'] as const) {
    scores[d] = {primary: nums(requests.map((r) => r.primary?.scores[d] ?? null)), candidate: nums(requests.map((r) => r.candidate?.scores[d] ?? null))}
  }
  return {
    latency_ms: {primary: nums(requests.map((r) => latency(r.primary))), candidate: nums(requests.map((r) => latency(r.candidate)))},
    scores,
    similarity: {candidate: nums(requests.map((r) => r.similarity?.dice ?? null)), noise: nums(requests.map((r) => r.noise?.dice ?? null))},
  }
}
