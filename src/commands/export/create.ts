import {Flags} from '@oclif/core'
import {KtCommand} from '../../cli/base.js'
import {runExportCommand} from '../../cli/export-command.js'
import {exportFlags} from '../../cli/event-flags.js'

export default class ExportCreate extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Create an export (same as kt events export, with a description and a manifest)'
  static override description = `The same streamed export as "kt events export" (see its help for the columns), under the name other tools use.

--description is printed in the stderr summary and, with --output, written together with the filters, format and event count to <output>.manifest.json next to the file. The data file itself stays a plain CSV/JSON/JSONL that kt import reads back.`

  static override examples = [
    {description: 'Last week as JSON with a description', command: '<%= config.bin %> export create --type events --format json --since 7d --description "weekly audit" --output week.json'},
    {description: 'CSV to stdout', command: '<%= config.bin %> export create --type events --format csv --since 1d > today.csv'},
  ]

  static override flags = {
    type: Flags.string({description: 'what to export', options: ['events'], required: true}),
    ...exportFlags,
    description: Flags.string({description: 'what this export is for; shown in the summary and stored in <output>.manifest.json'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ExportCreate)
    // --json is --format json: the export streams one JSON array.
    if (this.jsonEnabled()) flags.format = 'json'
    await runExportCommand(flags, {openStore: (db) => this.openStore(db, {mustExist: true}), note: (l) => this.note(l)}, {description: flags.description, manifest: true})
  }
}
