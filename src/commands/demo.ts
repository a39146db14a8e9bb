import {Flags} from '@oclif/core'
import {KtCommand} from '../cli/base.js'
import {Progress} from '../cli/progress.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {loadConfigFromFlag, qualityPolicyFrom} from '../config/index.js'
import {runDemo} from '../app/demo.js'
import {resolveTarget} from '../config/index.js'

export default class Demo extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Run the whole story offline: import the shipped sample, replay, score, report and gate'
  static override description = `The main job on embedded defaults, with no API key and no network:
  1. imports kt's shipped production sample (fixtures/) into a fresh SQLite file in the output folder,
  2. replays it against the recorded primary (the logged answers) and an offline simulated candidate,
  3. scores both answers of every request and evaluates the gates,
  4. prints the report and the verdict, and writes report.html, report.csv, report.md, report.json there.

The default candidate, simulated:terse, answers like a cheaper model that says less: the report shows
what such a swap would change. Try --candidate simulated:faithful (should pass) or simulated:truncate.
The demo always exits 0 when it ran; kt gate is the command whose exit status a CI job relies on.`

  static override examples = [
    {description: 'Run it (writes ./kt-demo/)', command: '<%= config.bin %> demo'},
    {description: 'A candidate that behaves like the primary', command: '<%= config.bin %> demo --candidate simulated:faithful --out /tmp/kt-demo'},
    {description: 'Then explore the same database with the other commands', command: '<%= config.bin %> events list --db kt-demo/kt.db --last 5'},
  ]

  static override flags = {
    out: Flags.string({char: 'o', description: 'folder for the database and the reports', default: 'kt-demo'}),
    candidate: Flags.string({char: 'c', description: 'candidate TARGET (config id or PROVIDER:MODEL)', default: 'simulated:terse'}),
    gate: Flags.string({char: 'g', description: 'gate rule (repeatable) [default: the config gates, else kt defaults]', multiple: true}),
    'policy-config': policyConfigFlag,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Demo)
    const config = loadConfigFromFlag(flags['policy-config'])
    const candidate = resolveTarget(flags.candidate, config, 'candidate')
    const progress = new Progress('replay', {unit: 'calls'})
    const result = await runDemo({
      outDir: flags.out,
      candidate,
      gates: flags.gate ?? config.gates,
      policy: qualityPolicyFrom(config) ?? undefined,
      onStage: (m) => {
        progress.stop()
        this.note(m)
      },
      onProgress: (done, total) => {
        progress.setTotal(total)
        progress.update(done)
      },
    })
    progress.stop()
    const t = result.imported.totals
    const summary = {run_id: result.runId, database: result.dbPath, verdict: result.model.verdict, exit_code: result.model.exit_code, imported: t, reports: result.files}
    if (this.jsonEnabled()) return summary
    this.note(`imported ${t.imported} replayable requests (${t.not_replayable} metrics-only, ${t.duplicates} duplicates, ${t.rejected} rejected)`)
    this.out(result.table)
    this.note('')
    this.note(`verdict: ${result.model.verdict.toUpperCase()} (kt gate ${result.runId} --db ${result.dbPath} exits ${result.model.exit_code})`)
    this.note(`reports: ${result.files.html}`)
    this.note(`         ${result.files.csv}`)
    this.note(`         ${result.files.markdown}`)
    this.note(`         ${result.files.json}`)
    this.note(`database: ${result.dbPath}   (try: kt events list --db ${result.dbPath} --last 5)`)
    return summary
  }
}
