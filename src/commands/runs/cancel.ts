import {Args} from '@oclif/core'
import {cancelRun} from '../../app/runs-wait.js'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {policyConfigFlag} from '../../cli/config-flag.js'
import {loadConfigFromFlag} from '../../config/index.js'

export default class RunsCancel extends KtCommand {
  static override enableJsonFlag = true
  static override summary = "Cancel a run's provider batches"
  static override description = `Asks the provider to cancel every batch of a run replayed with --via batch that is still running. What the
batches finished before stopping is kept: kt runs wait RUN stores it, and kt replay --resume RUN sends the rest again.`

  static override examples = ['<%= config.bin %> runs cancel last']
  static override args = {run: Args.string({description: 'run id, name, unique id prefix, or "last"', default: 'last'})}
  static override flags = {db: dbFlag, 'policy-config': policyConfigFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RunsCancel)
    const config = loadConfigFromFlag(flags['policy-config'])
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    try {
      const outcome = await cancelRun(db, path, {ref: args.run, config}, {note: (line) => this.note(line), dbHint: flags.db ? ` --db ${flags.db}` : ''})
      if (this.jsonEnabled()) return outcome
      for (const b of outcome.cancelled) this.out(`${b.batch_id}  ${b.state}`)
      this.note(`run ${outcome.run_id}: ${outcome.cancelled.length} batch${outcome.cancelled.length === 1 ? '' : 'es'} cancelling${outcome.already ? `, ${outcome.already} already over` : ''}; store what they finished with: ${outcome.next}`)
      return undefined
    } finally {
      db.close()
    }
  }
}
