// Public face of kt's statistics. Everything here is pure and deterministic: the only
// randomness is the seeded generator, so a recorded seed reproduces every interval.

export {rng} from './rng.js'
export {mean, sd, sum, median, quantile, quantileSorted} from './descriptive.js'
export {normalCdf, normalQuantile, zCritical, binomialCdf, binomialPmf, logGamma} from './distributions.js'
export {pairedBootstrapMean, pairedBootstrapRatio} from './bootstrap.js'
export type {BootstrapOptions, Interval, RatioInterval, RatioStat} from './bootstrap.js'
export {mcnemarExact, wilson, newcombePairedDiff} from './proportions.js'
export type {Bounds, PairedCounts, DiffInterval} from './proportions.js'
export {holm, mde, cohensDz, wilcoxonSignedRank} from './hypothesis.js'
export type {WilcoxonResult, WilcoxonOptions} from './hypothesis.js'
export {asymptoticConfidenceSequence, msprt} from './sequential.js'
export type {RunningSummary, SequenceBounds, MsprtResult} from './sequential.js'
export {beyondNoiseRate} from './noise.js'
export type {BeyondNoise} from './noise.js'
