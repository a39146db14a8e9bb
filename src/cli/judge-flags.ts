// The --judge flags, the same on kt replay, kt report and kt gate.
import {Flags} from '@oclif/core'
import type {JudgeOptions} from '../scoring/index.js'

export const judgeFlags = {
  judge: Flags.string({description: 'also grade every answer with an LLM judge: a config target id or PROVIDER:MODEL (its key comes from the env variable the target names)', helpValue: 'TARGET', helpGroup: 'JUDGE'}),
  'judge-pairwise': Flags.boolean({description: 'with --judge: also compare primary and candidate head to head, in both orders', helpGroup: 'JUDGE'}),
  'judge-via': Flags.string({
    description: 'with --judge: batch sends the judge calls through the judge target\'s Batch API first (half price, answered within 24 hours; kt waits), then asks live only what it did not answer well',
    options: ['live', 'batch'],
    default: 'live',
    helpGroup: 'JUDGE',
  }),
}

/** Progress of a judge batch on stderr, a line per poll (the wait can be long). */
export function judgeBatchProgress(log: (line: string) => void): NonNullable<JudgeOptions['onBatchProgress']> {
  return (p) => log(`judge batch: ${p.completed} of ${p.requests} answered, ${p.failed} failed, ${Math.round(p.elapsedMs / 1000)} s (${p.batches} batch${p.batches === 1 ? '' : 'es'})`)
}

/** kt report and kt gate: the judge's own budget (kt replay's --max-cost covers its judge). */
export const judgeBudgetFlag = Flags.string({
  description: 'with --judge: USD the judge may spend (priced from pricing: in the config, else the shipped table); answers past it are left for a later pass',
  helpValue: 'USD',
  helpGroup: 'JUDGE',
})
