// Which model judges, and where its verdicts are cached: the --judge flags checked before anything is sent.
import {basename, dirname, join, resolve} from 'node:path'
import {resolveTarget, type KtConfig} from '../config/index.js'
import {BATCH_PROVIDERS, createClient, type TargetSpec} from '../providers/index.js'
import {KtError} from '../util/index.js'
import type {JudgeOptions} from './judge-types.js'

/** How a judge names itself in records and cache keys. */
export function judgeModelName(target: TargetSpec): string {
  return `${target.provider}:${target.model}`
}

/**
 * Where cached verdicts go: `cacheDir` when given, else `.kt/judge-cache` next to the database (just
 * `judge-cache` when the database already lives in a `.kt` folder). null for an in-memory database.
 */
export function judgeCacheDir(dbFile: string, explicit?: string): string | null {
  if (explicit) return resolve(explicit)
  const file = dbFile
  if (!file || file === ':memory:') return null
  const dir = dirname(resolve(file))
  return basename(dir) === '.kt' ? join(dir, 'judge-cache') : join(dir, '.kt', 'judge-cache')
}

/**
 * Fails early (before any replay or scoring) when a target cannot judge: a simulated target only echoes,
 * and a missing key is reported by its env variable name, never its value.
 */
export function checkJudgeTarget(target: TargetSpec, flag = 'judge'): void {
  if (target.provider === 'simulated') {
    throw new KtError(`--${flag} ${target.id}: a simulated target cannot judge answers; use a model such as openai:gpt-4o or anthropic:claude-sonnet-4-20250514`, 2)
  }
  try {
    createClient(target)
  } catch (error) {
    if (error instanceof KtError) throw new KtError(`--${flag}: ${error.message}`, 2)
    throw error
  }
}

/**
 * `--judge TARGET` / `--judge-pairwise` / `--judge-max-cost USD` to judge options (priced with the config's
 * `pricing:`), checked up front: a bad target, a missing key or a bad budget is a usage error before anything is
 * sent. undefined without --judge.
 */
export function judgeFromFlags(ref: string | undefined, pairwise: boolean | undefined, config: KtConfig, maxCost?: string, via?: string): JudgeOptions | undefined {
  if (!ref) {
    if (pairwise) throw new KtError('--judge-pairwise needs --judge TARGET (the model that compares the answers)', 2)
    if (via === 'batch') throw new KtError('--judge-via batch needs --judge TARGET (the model whose Batch API grades the answers)', 2)
    if (maxCost !== undefined) throw new KtError('--judge-max-cost needs --judge TARGET (the model whose calls it caps)', 2)
    return undefined
  }
  const budget = maxCost === undefined ? null : Number(maxCost)
  if (budget !== null && !(maxCost!.trim() !== '' && Number.isFinite(budget) && budget >= 0)) throw new KtError(`--judge-max-cost "${maxCost}": expected a number of USD >= 0`, 2)
  const target = resolveTarget(ref, config, 'judge')
  checkJudgeTarget(target)
  if (via === 'batch' && !BATCH_PROVIDERS.includes(target.provider)) throw new KtError(`--judge-via batch: the judge target "${target.id}" (${target.provider}) has no Batch API; use one of ${BATCH_PROVIDERS.join(', ')}`, 2)
  return {target, pairwise: Boolean(pairwise), pricing: config.pricing, ...(budget !== null ? {maxCost: budget} : {}), ...(via === 'batch' ? {via: 'batch' as const} : {})}
}
