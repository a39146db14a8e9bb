// The policy config file: loading, validation with YAML paths and lines, lint, and resolving targets.
// May import providers/ (target types), records/ and util/.
// Inside: read.ts (the file, safely) -> parse.ts (YAML) -> normalize.ts, which runs sections/ (targets, groups,
// mirroring, canary, header, telemetry, policy shapes, LiteLLM files) and policies/ (one file per policy type) into the
// typed KtConfig of types.ts; lint.ts and summary.ts are `kt policy lint`; targets.ts resolves --primary/--candidate.
export * from './types.js'
export {ConfigError, formatIssue, formatPath} from './issues.js'
export {
  CONFIG_ENV,
  DEFAULT_CONFIG_FILE,
  emptyConfig,
  loadConfig,
  loadConfigFromFlag,
  resolveConfigPath,
  type ResolvedConfigPath,
} from './load.js'
export {decodeConfig, MAX_CONFIG_BYTES, readConfigText, type ReadResult} from './read.js'
export {canonicalPolicyType, canonicalProvider} from './names.js'
export {parseConfigText, type ParseResult} from './parse.js'
export {qualityPolicyFrom} from './quality.js'
export {formatLintText, lintConfigFile, lintJson, type LintResult} from './lint.js'
export {summarizeConfig, summaryLines, type ConfigSummary} from './summary.js'
export {percent} from './weights.js'
export {resolvePrimary, resolveTarget, targetFromConfig, type PrimarySpec} from './targets.js'
