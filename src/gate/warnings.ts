// Warnings about the rules a run is gated with (docs/scoring-and-gates.md §4.6, §5.3): a margin below the measured noise, a
// rule that points the wrong way, and an absolute similarity threshold above what two runs of the primary reach.
import type {AnalysisModel} from '../analysis/index.js'
import type {GateRule} from './parse.js'

/** §4.6: a margin below the measurement noise cannot be told apart from noise. */
function marginWarnings(rules: readonly GateRule[], model: AnalysisModel): string[] {
  const sd = model.noise?.aa_score_sd ?? null
  const n = model.metrics.find((m) => m.metric === 'quality.overall.mean')?.n ?? 0
  if (sd === null || n === 0) return []
  const floor = sd / Math.sqrt(n)
  const out: string[] = []
  for (const r of rules) {
    if (r.spec.family !== 'score' && r.spec.family !== 'score_diff') continue
    if (r.kind === 'difference' && Math.abs(r.threshold) < floor) {
      out.push(`gate "${r.text}": margin ${Math.abs(r.threshold)} is below the A/A score noise (sd ${sd.toFixed(3)} / √${n} = ${floor.toFixed(4)})`)
    }
  }
  return out
}

/**
 * An absolute similarity threshold that the primary does not reach against itself fails an identical model: the
 * noise floor, not the candidate, decides it. `aa-margin` compares with the run's own A/A value instead.
 */
function similarityWarnings(rules: readonly GateRule[], model: AnalysisModel): string[] {
  const out: string[] = []
  for (const r of rules) {
    if (r.spec.family !== 'similarity' || r.kind !== 'absolute' || (r.op !== '>' && r.op !== '>=')) continue
    // The similarity row's "primary" is the A/A similarity (primary vs primary').
    const aa = model.metrics.find((m) => m.metric === r.metric)?.primary ?? null
    if (aa === null) {
      out.push(`gate "${r.text}": no A/A replay tells what an identical model reaches; replay with --aa 0.3 and compare with aa-0.05 instead`)
    } else if (r.threshold > aa) {
      out.push(`gate "${r.text}": the primary reaches only ${aa.toFixed(3)} against itself (A/A), so an identical model fails this threshold; use ${r.metric} >= aa-0.05`)
    }
  }
  return out
}

function directionWarnings(rules: readonly GateRule[]): string[] {
  const out: string[] = []
  for (const r of rules) {
    const asks = r.op === '>' || r.op === '>=' ? 'higher' : 'lower'
    // A metric with no better direction (tool_call_rate) can be bounded either way.
    if (r.spec.better !== null && r.spec.better !== asks) {
      out.push(`gate "${r.text}": asks for ${r.metric} to be ${asks === 'higher' ? 'at least' : 'at most'} the threshold, but lower is ${r.spec.better === 'lower' ? 'better' : 'worse'}; check the comparison`)
    }
  }
  return out
}

export function gateWarnings(rules: readonly GateRule[], model: AnalysisModel): string[] {
  return [...marginWarnings(rules, model), ...similarityWarnings(rules, model), ...directionWarnings(rules)]
}
