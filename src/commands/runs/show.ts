import {Args} from '@oclif/core'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {fmtCost, fmtNum, renderTable} from '../../cli/output.js'
import {describeRun} from '../../replay/index.js'
import {summarizeRun} from '../../replay/index.js'
import {pickRun} from '../../app/runs.js'

export default class RunsShow extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Describe one replay run: targets, settings, counts and status'
  static override examples = ['<%= config.bin %> runs show last', '<%= config.bin %> runs show run_01jd… --json']
  static override args = {run: Args.string({description: 'run id, name, unique id prefix, or "last"', default: 'last'})}
  static override flags = {db: dbFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RunsShow)
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    try {
      const run = pickRun(db, args.run, (line) => this.note(line), path)
      const d = describeRun(db, run)
      const arms = summarizeRun(db, run.id)
      if (this.jsonEnabled()) return {...d, arms}
      this.out(`run        ${d.id}${d.name ? ` (${d.name})` : ''}`)
      this.out(`status     ${d.status}   created ${d.created_at}   updated ${d.updated_at}`)
      this.out(`primary    ${d.primary}`)
      this.out(`candidate  ${d.candidate}`)
      this.out(`requests   ${d.total}   results ${d.results_done}/${d.results_expected}   errors ${d.errors}`)
      this.out(`settings   ${JSON.stringify(d.settings)}`)
      if (arms.length) {
        this.out(
          renderTable(
            ['arm', 'requests', 'errors', 'p50 ms', 'p95 ms', 'tokens in', 'tokens out', 'cost'],
            arms.map((a) => [a.arm, a.requests, a.errors, fmtNum(a.latency_p50_ms), fmtNum(a.latency_p95_ms), a.input_tokens, a.output_tokens, fmtCost(a.cost_usd)]),
          ),
        )
      }
      if (d.batches?.length) {
        this.out(
          renderTable(
            ['batch', 'arm', 'state', 'requests', 'done', 'failed', 'collected'],
            d.batches.map((b) => [b.batch_id ?? '(not created)', b.arm, b.state, b.requests, b.completed, b.failed, b.collected ? 'yes' : 'no']),
          ),
        )
      }
      if (d.status === 'waiting') this.note(`collect its batches with: kt runs wait ${d.id}`)
      else if (d.status !== 'completed') this.note(`resume with: kt replay --resume ${d.id}`)
    } finally {
      db.close()
    }
  }
}
