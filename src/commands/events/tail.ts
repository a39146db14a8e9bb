import {Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {renderTable} from '../../cli/output.js'
import {filterFlags, queryFromFlags} from '../../cli/event-flags.js'
import {eventLine, TABLE_HEAD, tableRow} from '../../cli/event-render.js'
import {iterateEvents, maxRowid} from '../../store/index.js'
import {rowToEvent, SUMMARY_COLUMNS, type EventRow} from '../../records/index.js'

const POLL_MS = 500

export default class EventsTail extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Show the newest events, and with --follow keep printing new ones as they arrive'
  static override description = `Prints the newest N events, oldest of them first.

With --follow, kt then checks the database every ${POLL_MS} ms and prints each event stored after it started (by any process: an import, the gateway), in the order they were stored, until Ctrl-C or SIGTERM; it then exits with status 0. In follow mode the table format prints one line per event instead of a box.

A tail is a stream, so --json (the same as --format json) prints each event as its own JSON document, as jq prints
them: jq reads them one at a time (jq -r '.model'), and jq -s collects them into one array. --format jsonl prints
each event on one line. (kt events list, which is not a stream, prints one JSON array.)`

  static override examples = [
    {description: 'The last 10 events', command: '<%= config.bin %> events tail'},
    {description: 'Watch a model live', command: '<%= config.bin %> events tail --follow --model claude-sonnet-4-5'},
    {description: 'Requests per model among the last 20', command: "<%= config.bin %> events tail --last 20 --format json | jq -r '.model' | sort | uniq -c"},
    {description: 'Stream new events into jq', command: "<%= config.bin %> events tail -f --last 0 --json | jq -r '.model'"},
  ]

  static override flags = {
    db: dbFlag,
    last: Flags.integer({char: 'n', description: 'how many of the newest events to show first', default: 10, min: 0}),
    follow: Flags.boolean({char: 'f', description: 'keep running and print new events as they are stored'}),
    model: filterFlags.model,
    provider: filterFlags.provider,
    dataset: filterFlags.dataset,
    tag: filterFlags.tag,
    filter: filterFlags.filter,
    format: Flags.string({description: 'table; json (one JSON document per event, like --json); jsonl (one event per line)', options: ['table', 'json', 'jsonl'], default: 'table'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(EventsTail)
    const query = queryFromFlags(flags)
    const {db} = this.openStore(flags.db, {mustExist: true})
    const format = this.jsonEnabled() ? 'json' : flags.format
    const json = format === 'json' || format === 'jsonl'
    let stopped = false
    let wake: (() => void) | null = null
    const stop = () => {
      stopped = true
      wake?.()
    }
    // A closed pipe (| head) ends a follow as quietly as Ctrl-C.
    const onStdoutError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') stop()
    }
    process.stdout.on('error', onStdoutError)
    try {
      // Fix the starting point first, so nothing stored meanwhile is shown twice or missed.
      let seen = maxRowid(db)
      const initial = [...iterateEvents(db, {...query, last: flags.last, upToRowid: seen}, SUMMARY_COLUMNS)]
      const print = (rows: EventRow[]) => {
        if (rows.length === 0) return
        if (json) this.out(rows.map((r) => JSON.stringify(rowToEvent(r), null, format === 'json' ? 2 : undefined)).join('\n'))
        else if (flags.follow) this.out(rows.map((r) => eventLine(r)).join('\n'))
        else this.out(renderTable(TABLE_HEAD, rows.map((r) => tableRow(r))))
      }
      if (initial.length === 0 && !flags.follow && !json) this.note('no events match')
      print(initial)
      if (!flags.follow) return
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      while (!stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, POLL_MS)
          wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
        wake = null
        if (stopped) break
        const upTo = maxRowid(db)
        if (upTo <= seen) continue
        print([...iterateEvents(db, {...query, afterRowid: seen, upToRowid: upTo, order: 'rowid'}, SUMMARY_COLUMNS)])
        seen = upTo
      }
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.off('error', onStdoutError)
      db.close()
    }
  }
}
