import {Args, Flags} from '@oclif/core'
import {waitRun} from '../../app/runs-wait.js'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {policyConfigFlag} from '../../cli/config-flag.js'
import {judgeBatchProgress, judgeFlags} from '../../cli/judge-flags.js'
import {batchProgress, liveProgress, renderRunOutcome, runOutcomeJson} from '../../cli/run-output.js'
import {loadConfigFromFlag} from '../../config/index.js'
import {parseGates} from '../../gate/index.js'
import {judgeFromFlags} from '../../scoring/index.js'

export default class RunsWait extends KtCommand {
  static override enableJsonFlag = true
  static override summary = "Wait for a run's provider batches and store their answers"
  static override description = `Polls the batches of a run replayed with --via batch (kt replay … --detach, or a replay whose wait was
stopped), with progress on stderr, and stores every answer the moment its batch ends, as a live replay does. A
request with no line in its batch's output or error file gets an error result saying so; requests an expired,
cancelled or failed batch never ran keep no result: kt replay --resume RUN sends them again. Nothing is submitted
here. Ctrl-C stops the wait and leaves the batches running.

The targets (and their keys) are rebuilt from the config and the environment, as for --resume: pass the run's
--policy-config when its targets came from one.

Exit status: 0 when the run is complete, 1 when answers are missing (resubmit with kt replay --resume RUN) or a
batched arm mostly failed, 130 when the wait was stopped; with --gate, the gate's status.`

  static override examples = [
    {description: 'Collect the batches of the last run', command: '<%= config.bin %> runs wait last'},
    {description: 'Collect and gate', command: '<%= config.bin %> runs wait mini --gate "quality.overall.mean_diff > -0.02"'},
  ]

  static override args = {run: Args.string({description: 'run id, name, unique id prefix, or "last"', default: 'last'})}
  static override flags = {
    db: dbFlag,
    'policy-config': policyConfigFlag,
    gate: Flags.string({description: 'gate the completed run with this rule (repeatable)', multiple: true, helpGroup: 'GATE'}),
    'allow-inconclusive': Flags.boolean({description: 'with --gate: exit 0 instead of 3 when the verdict is INCONCLUSIVE or INSUFFICIENT', helpGroup: 'GATE'}),
    ...judgeFlags,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RunsWait)
    const config = loadConfigFromFlag(flags['policy-config'])
    if (flags.gate) parseGates(flags.gate)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config, undefined, flags['judge-via'])
    if (judge?.via === 'batch') judge.onBatchProgress = judgeBatchProgress((line) => this.note(line))
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    try {
      const outcome = await waitRun(
        db,
        path,
        {ref: args.run, config, gates: flags.gate, allowInconclusive: flags['allow-inconclusive'], judge},
        {note: (line) => this.note(line), progress: liveProgress, batchProgress, dbHint: flags.db ? ` --db ${flags.db}` : ''},
      )
      process.exitCode = outcome.exit_code
      if (this.jsonEnabled()) return runOutcomeJson(outcome)
      renderRunOutcome(outcome, flags['allow-inconclusive'], (t) => this.out(t))
      return undefined
    } finally {
      db.close()
    }
  }
}
