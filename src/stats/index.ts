// kt's statistics: seeded bootstrap, proportions, hypothesis tests, noise floor, sequential bounds. Pure and
// deterministic (the only randomness is the seeded generator). May import util/ only.

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
