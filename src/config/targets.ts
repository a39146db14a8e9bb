// Turns what the user typed (`--candidate X`) into a target: a config target id, a shorthand
// (`openai:gpt-4o-mini`, `simulated:terse`), or `recorded` for the primary.
import type {KtConfig, TargetConfig} from './types.js'
import {parseTargetShorthand, type TargetSpec} from '../providers/index.js'
import {KtError} from '../util/index.js'


/** The TargetSpec a config target is (it extends one): the same object without its source, empty headers left out. */
export function targetFromConfig(t: TargetConfig): TargetSpec {
  const {source: _source, headers, simulation, ...spec} = t
  return {
    ...spec,
    ...(Object.keys(headers).length ? {headers: {...headers}} : {}),
    ...(simulation ? {simulation: {...simulation}} : {}),
  }
}

export function resolveTarget(ref: string, config: KtConfig, flag: string): TargetSpec {
  const fromConfig = config.targets.find((t) => t.id === ref)
  if (fromConfig) return targetFromConfig(fromConfig)
  if (!ref.includes(':')) {
    const known = config.targets.map((t) => t.id)
    throw new KtError(
      `--${flag} "${ref}": no target with that id${config.file ? ` in ${config.file}` : ' (no config file loaded)'}; ` +
        `use a configured id${known.length ? ` (${known.join(', ')})` : ''} or PROVIDER:MODEL such as openai:gpt-4o-mini or simulated:terse`,
      2,
    )
  }
  try {
    return parseTargetShorthand(ref)
  } catch (error) {
    if (error instanceof KtError) throw new KtError(`--${flag}: ${error.message}`, 2)
    throw error
  }
}

/** The primary of a replay: a live target, or the answers recorded in the log (which cost nothing). */
export type PrimarySpec = TargetSpec | 'recorded'

export function resolvePrimary(ref: string | undefined, config: KtConfig): PrimarySpec {
  if (!ref || ref === 'recorded') return 'recorded'
  return resolveTarget(ref, config, 'primary')
}
