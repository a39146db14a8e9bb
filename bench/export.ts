// Export benchmark: 1,000,000 synthetic events inserted straight into a temp database (one transaction,
// one prepared statement), then streamed as CSV to /dev/null by the same writer `kt events export` uses.
// Prints events/s, the RSS growth during the export and the process's peak RSS.
// Run: node dist/bench/export.js [events]   (KT_BENCH_EVENTS also sets the count)
import {createWriteStream, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {streamEvents, type ExportFormat} from '../src/app/export-events.js'
import {openDb, type DB} from '../src/store/db.js'
import {EVENT_COLUMNS, type EventRow} from '../src/records/index.js'

const MODELS: [string, string, string][] = [
  ['openai', 'openai.chat', 'gpt-4o-mini'],
  ['openai', 'openai.chat', 'gpt-4o'],
  ['anthropic', 'anthropic.messages', 'claude-haiku-4-5'],
  ['anthropic', 'anthropic.messages', 'claude-sonnet-4-5'],
]

/** Inserts `n` realistic metrics-only events (no bodies) in one transaction; returns the elapsed ms. */
export function insertSynthetic(db: DB, n: number, start = Date.parse('2026-01-01T00:00:00Z')): number {
  const t0 = Date.now()
  // Positional parameters: binding 55 named parameters per row costs more than the insert itself.
  const stmt = db.prepare(`INSERT INTO events (${EVENT_COLUMNS.join(',')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(',')})`)
  const values: unknown[] = new Array<unknown>(EVENT_COLUMNS.length)
  const row: EventRow = {
    event_id: '', kind: 'request', timestamp: '', timestamp_inferred: 0, source_id: null, source_format: 'openai-chat',
    source_file: 'prod.jsonl', source_locator: null, dataset: 'bench', import_id: null, trace_id: null, session_id: null,
    user_id_hash: null, app: 'shop', route: '/v1/chat/completions', environment: 'prod', provider: null, api: null, model: null,
    response_model: null, traffic_role: 'primary', mirror_group_id: null, primary_event_id: null, shadow_event_id: null,
    decision: null, policy_id: null, decision_reason: null, status: 'ok', http_status: 200, error_type: null, error_code: null,
    error_message: null, stream: 0, finish_reason: 'stop', finish_reason_raw: 'stop', latency_ms: null, ttft_ms: null,
    input_tokens: null, output_tokens: null, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
    total_tokens: null, cost_usd: null, cost_source: 'computed', comparison_metric: null, comparison_score: null,
    comparison_verdict: null, tags: '["env=prod"]', request_hash: null, replayable: 1, request_json: null, response_json: null,
    response_text: null, metadata_json: '{}', target_id: null, model_group: null, policies_triggered_json: null,
    traffic_mirror_json: null,
  }
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const [provider, api, model] = MODELS[i % MODELS.length]!
      const hex = i.toString(16).padStart(8, '0')
      const input = 50 + (i % 900)
      const output = 10 + (i % 300)
      row.event_id = `ev_bench${hex}`
      row.timestamp = new Date(start + i * 250).toISOString()
      row.source_id = `chatcmpl-${hex}`
      row.source_locator = `line ${i + 1}`
      row.trace_id = `tr_${hex}`
      row.session_id = `s_${i % 5000}`
      row.provider = provider
      row.api = api
      row.model = model
      row.response_model = `${model}-2025`
      row.status = i % 97 === 0 ? 'error' : 'ok'
      row.http_status = i % 97 === 0 ? 429 : 200
      row.error_type = i % 97 === 0 ? 'rate_limit_error' : null
      row.error_message = i % 97 === 0 ? 'Rate limit reached, please retry' : null
      row.latency_ms = 200 + ((i * 37) % 4000)
      row.ttft_ms = 80 + ((i * 13) % 500)
      row.input_tokens = input
      row.output_tokens = output
      row.total_tokens = input + output
      row.cost_usd = (input * 0.15 + output * 0.6) / 1e6
      row.request_hash = `${hex}${hex}${hex}${hex}`
      row.metadata_json = `{"user":"u_${i % 1000}","feature":"f${i % 7}","request":{"team":"t${i % 3}","region":"eu-${i % 2}"}}`
      for (let c = 0; c < EVENT_COLUMNS.length; c++) values[c] = row[EVENT_COLUMNS[c]!]
      stmt.run(values)
    }
  })()
  return Date.now() - t0
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export async function run(): Promise<void> {
  const n = Number(process.argv[2] ?? process.env.KT_BENCH_EVENTS ?? 1_000_000)
  const format = (process.env.KT_BENCH_FORMAT ?? 'csv') as ExportFormat
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-export-'))
  try {
    const db = openDb(join(dir, 'bench.db'))
    const insertMs = insertSynthetic(db, n)
    process.stdout.write(`inserted ${n} events in ${(insertMs / 1000).toFixed(1)} s (${Math.round(n / (insertMs / 1000))} events/s)\n`)
    ;(globalThis as {gc?: () => void}).gc?.()
    const rssBefore = process.memoryUsage.rss()
    let rssMax = rssBefore
    const out = createWriteStream('/dev/null')
    const t0 = process.hrtime.bigint()
    const result = await streamEvents(db, {}, out, {
      format,
      onProgress: () => {
        rssMax = Math.max(rssMax, process.memoryUsage.rss())
      },
    })
    await new Promise<void>((resolve) => out.end(() => resolve()))
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    rssMax = Math.max(rssMax, process.memoryUsage.rss())
    db.close()
    const peak = process.resourceUsage().maxRSS * 1024
    process.stdout.write(
      [
        `exported ${result.count} events as ${format} (${mb(result.bytes)}, ${result.metadataColumns.length} metadata columns) in ${secs.toFixed(2)} s`,
        `throughput: ${Math.round(result.count / secs)} events/s, ${(result.bytes / 1024 / 1024 / secs).toFixed(1)} MB/s`,
        `rss before export: ${mb(rssBefore)}, max during export: ${mb(rssMax)}, growth: ${mb(rssMax - rssBefore)}`,
        `peak rss of the process (maxRSS, includes the insert phase): ${mb(peak)}`,
      ].join('\n') + '\n',
    )
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run()
