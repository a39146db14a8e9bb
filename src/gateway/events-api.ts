// GET /v1/events: the product docs' events API (`?since=7d&model=M&format=json&limit=N`), answering the same JSON
// as `kt events list --format json` (one array; `format=jsonl` gives one object per line). Read from its own read-only
// connection; every answer is bounded by `limit` (at most MAX_EVENTS).
import type {ServerResponse} from 'node:http'
import {rowToEvent, SUMMARY_COLUMNS} from '../records/index.js'
import {iterateEvents, openDb, wantsScores, type DB, type EventQuery} from '../store/index.js'
import {KtError, parseTimeFlag} from '../util/index.js'
import {sendJson} from './errors.js'

export const DEFAULT_EVENTS_LIMIT = 1000
export const MAX_EVENTS = 10_000

/** Query parameters → EventQuery (the CLI's flags under the same names); KtError for bad values. */
export function eventsQuery(params: URLSearchParams, now = Date.now()): {query: EventQuery; format: 'json' | 'jsonl'} {
  const q: EventQuery = {}
  const since = params.get('since') ?? params.get('from')
  if (since) q.from = parseTimeFlag(params.has('since') ? 'since' : 'from', since, now)
  const to = params.get('to')
  if (to) q.to = parseTimeFlag('to', to, now, true)
  const list = (k: string) => params.getAll(k).flatMap((v) => v.split(',')).filter(Boolean)
  if (list('model').length) q.model = list('model')
  if (list('provider').length) q.provider = list('provider')
  if (list('dataset').length) q.dataset = list('dataset')
  if (params.getAll('filter').length) q.filter = params.getAll('filter')
  if (wantsScores(q.filter)) q.scores = true
  const count = (k: string): number | undefined => {
    const v = params.get(k)
    if (v === null) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new KtError(`${k}: expected a whole number, got "${v}"`, 2)
    return Math.min(n, MAX_EVENTS)
  }
  const last = count('last')
  if (last !== undefined) q.last = last
  else q.limit = count('limit') ?? DEFAULT_EVENTS_LIMIT
  const format = params.get('format') ?? 'json'
  if (format !== 'json' && format !== 'jsonl') throw new KtError(`format: json or jsonl, got "${format}"`, 2)
  return {query: q, format}
}

export class EventsApi {
  private db: DB | null = null

  constructor(private readonly dbPath: string) {}

  /** Answers the read; returns its status and how many events it returned (what an audit-logger records). */
  handle(params: URLSearchParams, res: ServerResponse): {status: number; events: number} {
    let parsed: ReturnType<typeof eventsQuery>
    try {
      parsed = eventsQuery(params)
    } catch (err) {
      // The time parser speaks of flags; here they are query parameters.
      const message = (err as Error).message.replace(/^--([a-z]+)/, '$1')
      sendJson(res, 400, {error: {message, type: 'invalid_request_error', param: null, code: null}})
      return {status: 400, events: 0}
    }
    this.db ??= openDb(this.dbPath, {readonly: true})
    const events: string[] = []
    for (const row of iterateEvents(this.db, parsed.query, SUMMARY_COLUMNS)) events.push(JSON.stringify(rowToEvent(row)))
    const text = parsed.format === 'jsonl' ? events.map((e) => `${e}\n`).join('') : `[${events.join(',\n')}]\n`
    res.writeHead(200, {'content-type': parsed.format === 'jsonl' ? 'application/x-ndjson' : 'application/json', 'content-length': Buffer.byteLength(text)})
    res.end(text)
    return {status: 200, events: events.length}
  }

  close(): void {
    this.db?.close()
    this.db = null
  }
}
