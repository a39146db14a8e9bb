import {KtCommand} from '../../cli/base.js'
import {runExportCommand} from '../../cli/export-command.js'
import {exportFlags} from '../../cli/event-flags.js'

export default class EventsExport extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Export events as CSV, JSON or JSONL (streamed; re-importable with kt import)'
  static override description = `Writes every matching event, in time order, without loading them all into memory.

csv: a header row, then one row per event (RFC 4180, UTF-8 without BOM): the kt events columns (event_id, timestamp, trace_id, … tags, request_hash), kt's own columns (request_id, dataset, kind, source_format, source_file, source_locator, replayable, error_code, finish_reason_raw, timestamp_inferred), one metadata.<key> column per metadata key (nested keys as metadata.a.b), and with --include-bodies request_json, response_json and response_text. An empty cell is null, booleans are true|false, tags are separated by ';'. A cell a spreadsheet would run as a formula (leading = + - @, tab, CR) gets a ' in front; kt import removes it again.

json: one JSON array of event objects. jsonl: one event object per line.

"replayable" means replayable from this file: it is false for every event unless --include-bodies is given. "kt import FILE" reads any of these back into the same events (ids, dataset, tags, metadata and, when present, bodies).

With --output the file appears only when the export is complete (a temp file next to it is renamed into place); progress and a summary go to stderr. Ctrl-C stops the export with status 130 and leaves no partial file.`

  static override examples = [
    {description: 'Last week as CSV for a spreadsheet', command: '<%= config.bin %> events export --since 7d --output last-week.csv'},
    {description: 'A replayable dataset to move to another machine', command: '<%= config.bin %> events export --dataset prod-nov --include-bodies --format jsonl --output prod-nov.jsonl'},
    {description: 'Errors of one model between two dates, to stdout', command: '<%= config.bin %> events export --model gpt-4o --filter status=error --from 2026-01-01 --to 2026-02-01 --format json'},
  ]

  static override flags = exportFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(EventsExport)
    // --json is --format json: the export streams one JSON array.
    if (this.jsonEnabled()) flags.format = 'json'
    await runExportCommand(flags, {openStore: (db) => this.openStore(db, {mustExist: true}), note: (l) => this.note(l)})
  }
}
