import {Args, Flags} from '@oclif/core'
import {KtCommand, dbFlag, levelFlag} from '../cli/base.js'
import {judgeBudgetFlag, judgeBatchProgress, judgeFlags} from '../cli/judge-flags.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {loadConfigFromFlag, qualityPolicyFrom} from '../config/index.js'
import {DEFAULT_GATES} from '../gate/index.js'
import {gateJson, gateLines, verdictLine} from '../report/index.js'
import {junitXml} from '../report/index.js'
import {metricNames} from '../analysis/index.js'
import {gateRulesFrom, runGates} from '../app/gate-run.js'
import {pickRun} from '../app/runs.js'
import {normalizeLevel} from '../report/index.js'
import {formatJudgeSummary, judgeFromFlags} from '../scoring/index.js'
import {KtError, errorMessage, writeFileAtomic} from '../util/index.js'

export default class Gate extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Decide whether a replayed candidate is safe to ship: PASS, FAIL or INCONCLUSIVE per rule'
  static override description = `Compares the candidate with the primary on every request of a replay run, paired, and checks each gate rule
against a confidence interval. A run that has not been scored yet is scored first (offline heuristics, with the
quality policy from the config).

A rule is  METRIC OP THRESHOLD [@LEVEL]:
  quality.overall.mean_diff > -0.02 @95%   candidate − primary mean score, paired bootstrap
  quality.overall.mean >= 0.6               absolute, on the candidate
  error_rate <= primary+0.01                margin over the primary (Newcombe paired interval)
  latency.p95 <= 1.2x                       ratio candidate / primary (paired bootstrap)
  cost.total <= 0.8x                        ratio of total cost
Metrics: ${metricNames().join(', ')}.

Decision (non-inferiority, the default): PASS when the whole interval satisfies the rule, FAIL when none of it
does, INCONCLUSIVE otherwise; INSUFFICIENT below the minimum sample (30 pairs for means, 200 for p95).
--decision harm fails only when the whole interval is beyond the threshold (for smoke runs).
Rules come from --gate (repeatable), else from gates: in the config file, else the defaults:
  ${DEFAULT_GATES.join('\n  ')}

Exit status: 0 PASS, 1 FAIL, 2 usage or runtime error, 3 INCONCLUSIVE or INSUFFICIENT (0 with --allow-inconclusive).`

  static override examples = [
    {description: 'Gate the last run with the default rules', command: '<%= config.bin %> gate last'},
    {description: 'Your own rules, with a JUnit report for CI', command: '<%= config.bin %> gate run_01J… --gate "quality.overall.mean_diff > -0.02" --gate "latency.p95 <= 1.2x" --junit gate.xml'},
    {description: 'Rules from the config file; do not block the pipeline on an undecided result', command: '<%= config.bin %> gate nightly --config policy-config.yaml --allow-inconclusive'},
    {description: 'Machine-readable outcomes at 90% confidence', command: '<%= config.bin %> gate last --level 90 --json'},
  ]

  static override args = {
    run: Args.string({description: 'run id, name, unique id prefix, or "last"', required: true}),
  }

  static override flags = {
    db: dbFlag,
    'policy-config': policyConfigFlag,
    gate: Flags.string({char: 'g', description: 'gate rule, e.g. "latency.p95 <= 1.2x" (repeatable; replaces the config and default rules)', multiple: true}),
    junit: Flags.string({description: 'also write a JUnit XML report to FILE (one testcase per rule)', helpValue: 'FILE'}),
    'allow-inconclusive': Flags.boolean({description: 'exit 0 instead of 3 when the verdict is INCONCLUSIVE or INSUFFICIENT'}),
    decision: Flags.string({description: 'non-inferiority: PASS needs the whole interval inside the margin; harm: FAIL only when it is entirely beyond', options: ['non-inferiority', 'harm'], default: 'non-inferiority'}),
    level: Flags.string({description: 'confidence level in percent for rules without @LEVEL', default: '95'}),
    seed: Flags.integer({description: 'bootstrap seed: the same run and seed give identical numbers', default: 1}),
    ...judgeFlags,
    'judge-max-cost': judgeBudgetFlag,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Gate)
    const level = normalizeLevel(levelFlag(flags.level))
    const config = loadConfigFromFlag(flags['policy-config'])
    const rules = gateRulesFrom(flags.gate, config)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config, flags['judge-max-cost'], flags['judge-via'])
    if (judge?.via === 'batch') judge.onBatchProgress = judgeBatchProgress((line) => this.note(line))
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    try {
      const policy = qualityPolicyFrom(config) ?? undefined
      const run = pickRun(db, args.run, (line) => this.note(line), path)
      const {model, exitCode, scored, judge: judged} = await runGates(db, run.id, rules, {
        seed: flags.seed,
        level,
        decisionMode: flags.decision as 'non-inferiority' | 'harm',
        allowInconclusive: flags['allow-inconclusive'],
        policy,
        judge,
      })
      if (scored !== null) this.note(`scored run ${model.run.id} (${scored} answers) before gating`)
      if (judged) for (const line of formatJudgeSummary(judged)) this.note(line)
      if (flags.junit) {
        try {
          writeFileAtomic(flags.junit, junitXml(model))
        } catch (error) {
          throw new KtError(`--junit ${flags.junit}: cannot write the report: ${errorMessage(error)}`, 2)
        }
      }
      for (const w of model.warnings) this.note(`warning: ${w}`)
      process.exitCode = exitCode
      if (this.jsonEnabled()) return {...gateJson(model, level), ...(judged ? {judge: judged} : {})}
      this.out(`run ${model.run.id}${model.run.name ? ` (${model.run.name})` : ''}: ${model.run.primary} → ${model.run.candidate}`)
      this.out([...gateLines(model.gates), verdictLine(model, flags['allow-inconclusive'])].join('\n'))
      return undefined
    } finally {
      db.close()
    }
  }

  // exit 1 means FAIL to a CI system, so an unexpected error must not look like one.
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof KtError || err.oclif?.exit !== undefined || (err as {code?: string}).code === 'EPIPE') return super.catch(err)
    process.stderr.write(`kt: gate failed: ${err.message}\n`)
    process.exitCode = 2
    return undefined
  }
}
