import {resolve} from 'node:path'
import {ConfigError, ROOT_PATH} from './issues.js'
import {emptyConfig} from './normalize.js'
import {parseConfigText} from './parse.js'
import {readConfigText} from './read.js'
import type {KtConfig} from './types.js'

export const DEFAULT_CONFIG_FILE = 'policy-config.yaml'
export const CONFIG_ENV = 'KT_CONFIG'

export interface ResolvedConfigPath {
  /** Absolute path. */
  path: string
  /** True when the user named the file (flag or KT_CONFIG): then a missing file is an error. */
  explicit: boolean
  /** Where the path came from, for messages. */
  source: 'flag' | 'env' | 'default'
}

/** `--policy-config FILE` / `--config FILE`, else `$KT_CONFIG`, else `./policy-config.yaml`. */
export function resolveConfigPath(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ResolvedConfigPath {
  if (flag !== undefined && flag.trim() !== '') return {path: resolve(cwd, flag), explicit: true, source: 'flag'}
  const fromEnv = env[CONFIG_ENV]
  if (fromEnv !== undefined && fromEnv.trim() !== '') return {path: resolve(cwd, fromEnv), explicit: true, source: 'env'}
  return {path: resolve(cwd, DEFAULT_CONFIG_FILE), explicit: false, source: 'default'}
}

// Lives next to the parser, which starts every parsed config from it.
export {emptyConfig}

/**
 * Loads, validates and normalises a config file. Throws ConfigError (exit 2) listing every problem when the file
 * is invalid, or when it is missing and `required` (the user named it). A missing optional file gives the empty
 * default. Warnings come back in `config.warnings`.
 */
export function loadConfig(path: string, {required}: {required: boolean}): KtConfig {
  const read = readConfigText(path)
  if (!read.ok) {
    if (read.reason === 'missing' && !required) return emptyConfig()
    throw new ConfigError(path, [{path: ROOT_PATH, line: null, message: read.message, severity: 'error'}], {message: read.message})
  }
  const {config, issues, errorCount} = parseConfigText(read.text, path, read.warnings)
  if (!config) throw new ConfigError(path, issues, {errorCount})
  return config
}

/** resolveConfigPath + loadConfig, the usual pair in a command: `loadConfigFromFlag(flags['policy-config'])`. */
export function loadConfigFromFlag(flag?: string): KtConfig {
  const resolved = resolveConfigPath(flag)
  try {
    return loadConfig(resolved.path, {required: resolved.explicit})
  } catch (error) {
    // A missing file named by the environment is puzzling unless the message says where the name came from.
    if (error instanceof ConfigError && resolved.source === 'env' && error.issues.every((i) => i.line === null)) {
      throw new ConfigError(error.file, error.issues, {message: `${error.message} (set by ${CONFIG_ENV})`})
    }
    throw error
  }
}
