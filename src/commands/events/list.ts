import {Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {renderTable} from '../../cli/output.js'
import {streamEvents} from '../../app/export-events.js'
import {filterFlags, queryFromFlags} from '../../cli/event-flags.js'
import {TABLE_HEAD, tableRow} from '../../cli/event-render.js'
import {countEvents, iterateEvents} from '../../store/index.js'
import {SUMMARY_COLUMNS} from '../../records/index.js'
import {KtError} from '../../util/index.js'

const TABLE_LIMIT = 100

export default class EventsList extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'List stored events: imported traffic and the gateway\'s requests and decisions'
  static override description = `Lists events in time order, oldest first, filtered by time, model, provider, dataset, tags or text.

A table shows at most ${TABLE_LIMIT} events unless --limit is given; a note on stderr says when more match. json, jsonl and csv print every match unless --limit or --last is given.

--json (the same as --format json) prints ONE JSON array; jsonl prints one event object per line. csv has the same columns as "kt events export" (without bodies). Here "replayable" shows what the database holds.

Events are traffic. The quality-scorer verdicts of replay runs are listed only when asked for: --filter quality_scorer (or --filter kind=score), one event per scored answer with its run, arm, model, scores and verdict.

Exit status: 0 on success (also when nothing matches), 1 on errors, 2 on usage errors (bad time, bad flag).`

  static override examples = [
    {description: 'The last hour of traffic', command: '<%= config.bin %> events list --since 1h'},
    {description: 'The newest 20 errors of one model', command: '<%= config.bin %> events list --model gpt-4o-mini --filter status=error --last 20'},
    {description: 'Shadow traffic of a dataset as JSON for jq', command: "<%= config.bin %> events list --dataset prod-nov --filter traffic_role=shadow --format json | jq '.[].latency_ms'"},
    {description: 'Events tagged env=prod between two dates, as CSV', command: '<%= config.bin %> events list --tag env=prod --from 2026-01-01 --to 2026-02-01 --format csv > jan.csv'},
    {description: 'Free-text search in ids, names, tags and metadata', command: '<%= config.bin %> events list --filter checkout'},
  ]

  static override flags = {
    db: dbFlag,
    ...filterFlags,
    last: Flags.integer({description: 'only the newest N matching events (still printed oldest first)', min: 0}),
    limit: Flags.integer({description: `at most N events [default: ${TABLE_LIMIT} for table, all otherwise]`, min: 1}),
    format: Flags.string({char: 'f', description: 'output format', options: ['table', 'json', 'jsonl', 'csv'], default: 'table'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(EventsList)
    // --json streams the same array as --format json (an export can be larger than memory).
    if (this.jsonEnabled()) flags.format = 'json'
    const query = queryFromFlags(flags)
    if (flags.last !== undefined && flags.limit !== undefined) throw new KtError('--last and --limit both cap the listing; use one of them (--last keeps the newest)', 2)
    if (flags.last !== undefined) query.last = flags.last
    const limit = flags.limit ?? (flags.format === 'table' && flags.last === undefined ? TABLE_LIMIT : undefined)
    const {db} = this.openStore(flags.db, {mustExist: true})
    try {
      if (flags.format === 'table') {
        const rows: string[][] = []
        for (const r of iterateEvents(db, limit === undefined ? query : {...query, limit: limit + 1}, SUMMARY_COLUMNS)) rows.push(tableRow(r))
        const more = limit !== undefined && rows.length > limit
        if (more) rows.length = limit
        if (rows.length === 0) this.note('no events match')
        else this.out(renderTable(TABLE_HEAD, rows))
        if (more) this.note(`showing the first ${limit} of ${countEvents(db, query)} matching events; use --limit N, --last N or narrow the filters`)
        return
      }
      const format = flags.format as 'json' | 'jsonl' | 'csv'
      const result = await streamEvents(db, limit === undefined ? query : {...query, limit}, process.stdout, {format, storedReplayable: true})
      if (limit !== undefined && result.count === limit) {
        const total = countEvents(db, query)
        if (total > limit) this.note(`showing the first ${limit} of ${total} matching events`)
      }
    } finally {
      db.close()
    }
  }
}
