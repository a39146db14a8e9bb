// Public API of the configuration layer. Import from here: `import {loadConfig} from './index.js'`.
export * from './types.js'
export {ConfigError, formatIssue, formatPath} from './issues.js'
export {
  CONFIG_ENV,
  DEFAULT_CONFIG_FILE,
  emptyConfig,
  loadConfig,
  loadConfigFromFlag,
  readConfigText,
  resolveConfigPath,
  type ResolvedConfigPath,
} from './load.js'
export {canonicalPolicyType, canonicalProvider, parseConfigText, type ParseResult} from './normalize.js'
export {qualityPolicyFrom} from './quality.js'
export {
  formatLintText,
  lintConfigFile,
  lintJson,
  percent,
  summarizeConfig,
  summaryLines,
  type ConfigSummary,
  type LintResult,
} from './lint.js'
export {resolvePrimary, resolveTarget, targetFromConfig} from './targets.js'
