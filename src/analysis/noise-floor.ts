// The noise floor section of the report (docs/scoring-and-gates.md §4.6): how similar two runs of the primary are, how similar
// the candidate is, their paired difference, the beyond-noise rate and the A/A score noise.
import type {RunData} from './data.js'
import {DIFF_RANGE, meanDiff} from './intervals.js'
import type {MetricEngine} from './measure.js'
import type {NoiseFloor} from './model.js'
import {findMetric} from './registry.js'
import {mean, sd} from '../stats/index.js'

/** SD of the A/A overall-score deltas s(P') − s(P): the measurement noise of the scorers. */
export function aaScoreSd(data: RunData): number | null {
  const deltas: number[] = []
  for (const r of data.requests) {
    const a = r.primary_aa?.scores.overall ?? null
    const p = r.primary?.scores.overall ?? null
    if (a !== null && p !== null) deltas.push(a - p)
  }
  return deltas.length >= 2 ? sd(deltas) : null
}

export function noiseFloor(engine: MetricEngine): NoiseFloor | null {
  const requests = engine.data.requests
  const withNoise = requests.filter((r) => r.noise !== null)
  if (withNoise.length === 0) return null
  const paired = engine.pairing.similarity('dice').paired
  const level = engine.opts.level
  const diff = paired.primary.length > 0 ? meanDiff(paired, engine.opts, level, DIFF_RANGE).value : null
  const bn = engine.measure(findMetric('similarity.dice.beyond_noise_rate')!, 'absolute', level)
  const candDice = requests.filter((r) => r.similarity !== null).map((r) => r.similarity!.dice)
  const noiseDice = withNoise.map((r) => r.noise!.dice)
  return {
    n: paired.primary.length,
    noise_dice_mean: paired.primary.length ? mean(paired.primary) : mean(noiseDice),
    candidate_dice_mean: candDice.length ? mean(candDice) : null,
    diff,
    beyond_noise_rate: bn.insufficient ? null : bn.value,
    aa_score_sd: aaScoreSd(engine.data),
  }
}
