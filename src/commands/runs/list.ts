import {Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {renderTable} from '../../cli/output.js'
import {describeRun} from '../../replay/index.js'
import {listRuns} from '../../store/index.js'

export default class RunsList extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'List replay runs, newest first'
  static override examples = ['<%= config.bin %> runs list', '<%= config.bin %> runs list --json --limit 5']
  static override flags = {
    db: dbFlag,
    limit: Flags.integer({description: 'how many runs', default: 20, min: 1}),
    format: Flags.string({description: 'output format (json is the same as --json: one array)', options: ['table', 'json', 'jsonl'], default: 'table'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(RunsList)
    const {db} = this.openStore(flags.db, {mustExist: true})
    try {
      const runs = listRuns(db, flags.limit).map((r) => describeRun(db, r))
      if (this.jsonEnabled()) return runs
      if (flags.format === 'json') return this.out(JSON.stringify(runs, null, 2))
      if (flags.format === 'jsonl') return this.out(runs.map((r) => JSON.stringify(r)).join('\n'))
      if (runs.length === 0) return this.note('no runs yet; start one with: kt replay --candidate simulated:terse')
      this.out(
        renderTable(
          ['run', 'name', 'created', 'status', 'primary', 'candidate', 'requests', 'done', 'errors'],
          runs.map((r) => [r.id, r.name ?? '', r.created_at.slice(0, 19).replace('T', ' '), r.status, r.primary, r.candidate, r.total, r.results_done, r.errors]),
        ),
      )
    } finally {
      db.close()
    }
  }
}
