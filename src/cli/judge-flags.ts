// The --judge flags, the same on kt replay, kt report and kt gate.
import {Flags} from '@oclif/core'

export const judgeFlags = {
  judge: Flags.string({description: 'also grade every answer with an LLM judge: a config target id or PROVIDER:MODEL (its key comes from the env variable the target names)', helpValue: 'TARGET', helpGroup: 'JUDGE'}),
  'judge-pairwise': Flags.boolean({description: 'with --judge: also compare primary and candidate head to head, in both orders', helpGroup: 'JUDGE'}),
}

/** kt report and kt gate: the judge's own budget (kt replay's --max-cost covers its judge). */
export const judgeBudgetFlag = Flags.string({
  description: 'with --judge: USD the judge may spend (priced from pricing: in the config, else the shipped table); answers past it are left for a later pass',
  helpValue: 'USD',
  helpGroup: 'JUDGE',
})
