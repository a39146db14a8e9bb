// Import throughput: kt's real import path against a bare floor (read lines, JSON.parse, one prepared
// INSERT per row) on the same generated file, each measured in its own child process so that peak RSS
// (process.resourceUsage().maxRSS) belongs to that measurement alone.
//
//   node dist/bench/import.js                      1,000,000 records (~1 GB, generated once into bench/data/)
//   KT_BENCH_RECORDS=20000 node dist/bench/import.js   smoke test
//   KT_BENCH_PROFILE=1 ...                          also runs kt under --cpu-prof and prints the hot spots
//   KT_BENCH_DATA=dir                               generated data and profiles go there instead of bench/data/
//
// Targets: kt ≥ 0.6 × the floor's records/s, kt peak RSS < 300 MB.
import {spawn} from 'node:child_process'
import {createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {join, relative, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import Database from 'better-sqlite3'
import {rng} from '../src/stats/rng.js'
import {openDb} from '../src/store/db.js'
import {EVENT_COLUMNS} from '../src/records/index.js'
import {importFiles} from '../src/app/import/import-files.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where generated data and profiles go; KT_BENCH_DATA moves it (tests use a temp dir). Read per call. */
function dataDir(): string {
  return process.env.KT_BENCH_DATA ? resolve(process.env.KT_BENCH_DATA) : join(ROOT, 'bench', 'data')
}

/** A path for messages: relative to the repo when inside it. */
function shown(path: string): string {
  const rel = relative(ROOT, path)
  return rel.startsWith('..') ? path : rel
}
const SELF = fileURLToPath(import.meta.url)

export const TARGET_RATIO = 0.6
export const TARGET_RSS_MB = 300
const FLOOR_TXN_ROWS = 50_000

// ---------------------------------------------------------------------------------------------
// Data: pair-format lines with OpenAI Chat bodies of realistic size (~1 KB), streamed to disk.

const WORDS = (
  'the a to and of for your you is in on it this that we order label shipment parcel carrier tracking customer ' +
  'refund return invoice balance plan account delivery address warehouse printer batch webhook api key rate limit ' +
  'please thanks can how when why what does will should could would there their our my with from by at as be not ' +
  'yesterday today week month status delayed delivered scanned voided created pending update check help settings ' +
  'billing team store integration sync orders customs form weight package box damaged lost claim insurance protect'
).split(' ')

const MODELS = [
  ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'fp_560af6e559'],
  ['gpt-4o', 'gpt-4o-2024-08-06', 'fp_07871e2ad8'],
  ['gpt-4.1-mini', 'gpt-4.1-mini-2025-04-14', 'fp_6f2eabb9a5'],
] as const

const FEATURES = ['support-bot', 'ticket-classifier', 'summarizer', 'translation', 'return-extraction']
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function sentenceText(u: () => number, words: number): string {
  let s = ''
  let inSentence = 0
  for (let i = 0; i < words; i++) {
    let w = WORDS[Math.floor(u() * WORDS.length)]!
    if (inSentence === 0) w = w[0]!.toUpperCase() + w.slice(1)
    s += (i ? ' ' : '') + w
    inSentence++
    if (inSentence > 6 && u() < 0.15) {
      s += '.'
      inSentence = 0
    }
  }
  return `${s}.`
}

/** One JSONL line (~1 KB). Deterministic for (seed, i); every line is distinct (own timestamp and ids). */
export function benchLine(u: () => number, i: number): string {
  const [model, snapshot, fp] = MODELS[i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 2]!
  const t = Date.UTC(2026, 10, 16) + i * 250 + Math.floor(u() * 250)
  const question = sentenceText(u, 16 + Math.floor(u() * 12))
  const answer = sentenceText(u, 24 + Math.floor(u() * 16))
  const inTok = 40 + Math.round(question.length / 4)
  const outTok = Math.round(answer.length / 4)
  let id = ''
  for (let k = 0; k < 29; k++) id += B62[Math.floor(u() * 62)]
  const user = `u_${Math.floor(u() * 0xffffffff).toString(16).padStart(8, '0')}${(i % 65536).toString(16).padStart(4, '0')}`
  const line = {
    request: {
      model,
      messages: [
        {role: 'system', content: 'You are Parcel, the support assistant for Parcelwise merchants. Answer briefly and concretely.'},
        {role: 'user', content: question},
      ],
      temperature: 0.3,
      max_tokens: 512,
      user,
    },
    response: {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: Math.floor(t / 1000),
      model: snapshot,
      choices: [{index: 0, message: {role: 'assistant', content: answer, refusal: null}, logprobs: null, finish_reason: 'stop'}],
      usage: {prompt_tokens: inTok, completion_tokens: outTok, total_tokens: inTok + outTok, prompt_tokens_details: {cached_tokens: 0, audio_tokens: 0}},
      system_fingerprint: fp,
    },
    timestamp: new Date(t).toISOString(),
    latency_ms: Math.round(350 + outTok * 8 * (0.7 + u() * 0.6)),
    metadata: {user_id_hash: user, app_version: 'dashboard-web@4.31.2', request_id: `req_${id.slice(0, 20)}`},
    tags: [`feature=${FEATURES[i % FEATURES.length]}`, 'env=prod'],
  }
  return JSON.stringify(line)
}

/** Writes the data file once (atomically, via a .partial file); flat memory: ~1 MB of lines in flight. */
export async function ensureData(records: number, dir = dataDir()): Promise<string> {
  mkdirSync(dir, {recursive: true})
  const file = join(dir, `import-${records}.jsonl`)
  if (existsSync(file)) return file
  const partial = `${file}.partial`
  const out = createWriteStream(partial)
  const u = rng(20261116 + records)
  const t0 = performance.now()
  let buf: string[] = []
  let size = 0
  for (let i = 0; i < records; i++) {
    const line = benchLine(u, i)
    buf.push(line)
    size += line.length + 1
    if (size >= 1 << 20 || i === records - 1) {
      if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain')
      buf = []
      size = 0
    }
  }
  out.end()
  await once(out, 'finish')
  renameSync(partial, file)
  log(`generated ${shown(file)}: ${records.toLocaleString('en-US')} records, ${mb(statSync(file).size)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return file
}

// ---------------------------------------------------------------------------------------------
// Child-process measurements

export interface Measurement {
  what: 'kt' | 'floor'
  records: number
  seconds: number
  recordsPerSecond: number
  maxRssMb: number
  dbBytes: number
  note?: string
}

/** kt's own path: openDb (migrations) + importFiles with default options, then close (checkpoint). */
async function childKt(file: string, dbPath: string): Promise<Omit<Measurement, 'what' | 'recordsPerSecond' | 'maxRssMb'>> {
  const db = openDb(dbPath)
  const t0 = performance.now()
  const summary = await importFiles(db, dbPath, [file])
  db.close()
  const seconds = (performance.now() - t0) / 1000
  const t = summary.totals
  const fileError = summary.files.find((f) => f.error)?.error
  return {
    records: t.imported + t.not_replayable + t.duplicates,
    seconds,
    dbBytes: dbSize(dbPath),
    note: fileError ? `error: ${fileError}` : t.rejected || t.skipped ? `rejected ${t.rejected}, skipped ${t.skipped}` : undefined,
  }
}

/**
 * The floor: the least any importer must do. Same streaming line split as kt's reader, JSON.parse,
 * and one prepared INSERT per row into a plain table with as many columns as kt's events table,
 * keeping the same bytes kt keeps (request and response JSON, response text, scalars).
 */
async function childFloor(file: string, dbPath: string): Promise<Omit<Measurement, 'what' | 'recordsPerSecond' | 'maxRssMb'>> {
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const ncol = EVENT_COLUMNS.length
  db.exec(`CREATE TABLE floor (${Array.from({length: ncol}, (_, i) => `c${i}`).join(', ')})`)
  const insert = db.prepare(`INSERT INTO floor VALUES (${Array.from({length: ncol}, () => '?').join(', ')})`)
  const row: unknown[] = new Array(ncol).fill(null)
  const t0 = performance.now()
  let n = 0
  db.exec('BEGIN')
  const store = (text: string) => {
    const o = JSON.parse(text) as {request: {model: string}; response: {choices: {message: {content: string}; finish_reason: string}[]; usage: {prompt_tokens: number; completion_tokens: number}}; timestamp: string; latency_ms: number; metadata: unknown; tags: unknown}
    const choice = o.response.choices[0]!
    row[0] = `floor_${n}`
    row[1] = 'request'
    row[2] = o.timestamp
    row[3] = o.request.model
    row[4] = o.latency_ms
    row[5] = o.response.usage.prompt_tokens
    row[6] = o.response.usage.completion_tokens
    row[7] = choice.finish_reason
    row[8] = JSON.stringify(o.tags)
    row[9] = JSON.stringify(o.request)
    row[10] = JSON.stringify(o.response)
    row[11] = choice.message.content
    row[12] = JSON.stringify(o.metadata)
    insert.run(row)
    if (++n % FLOOR_TXN_ROWS === 0) {
      db.exec('COMMIT')
      db.exec('BEGIN')
    }
  }
  let pending: Buffer[] = []
  for await (const chunk of createReadStream(file, {highWaterMark: 1 << 20}) as AsyncIterable<Buffer>) {
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(10, start)
      if (nl === -1) break
      let piece = chunk.subarray(start, nl)
      if (pending.length) {
        piece = Buffer.concat([...pending, piece])
        pending = []
      }
      if (piece.length) store(piece.toString('utf8'))
      start = nl + 1
    }
    if (start < chunk.length) pending.push(chunk.subarray(start))
  }
  if (pending.length) store(Buffer.concat(pending).toString('utf8'))
  db.exec('COMMIT')
  db.close()
  return {records: n, seconds: (performance.now() - t0) / 1000, dbBytes: dbSize(dbPath)}
}

function dbSize(dbPath: string): number {
  let total = 0
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f)) total += statSync(f).size
  return total
}

/** Runs one measurement in a fresh node process and reads its JSON result from stdout. */
async function measure(what: 'kt' | 'floor', file: string, extraNodeArgs: string[] = []): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-'))
  try {
    const child = spawn(process.execPath, [...extraNodeArgs, SELF, '--child', what, file, join(dir, 'bench.db')], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const [code] = (await once(child, 'close')) as [number | null]
    if (code !== 0) throw new Error(`bench child "${what}" exited with ${code}: ${out.trim()}`)
    const last = out.trim().split('\n').pop() ?? ''
    return JSON.parse(last) as Measurement
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

export interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string; lineNumber: number}
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface HotSpot {
  fn: string
  ms: number
  pct: number
}

/** Self time per function, and inclusive time for kt's own functions (dist/src), from a .cpuprofile. */
export function summarizeProfile(profile: CpuProfile, top = 15): {self: HotSpot[]; inclusive: HotSpot[]; totalMs: number} {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const label = (n: ProfileNode) => {
    const {functionName, url, lineNumber} = n.callFrame
    const where = url ? `${url.replace(/^file:\/\//, '').replace(ROOT, '').replace(/^node:/, 'node:')}:${lineNumber + 1}` : ''
    return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`
  }
  const self = new Map<string, number>()
  const incl = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    total += dt
    const leaf = byId.get(profile.samples[i]!)
    if (!leaf) continue
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt)
    const seen = new Set<string>()
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!
      if (!n.callFrame.url.includes('/dist/src/')) continue
      const l = label(n)
      if (seen.has(l)) continue
      seen.add(l)
      incl.set(l, (incl.get(l) ?? 0) + dt)
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({fn, ms, pct: (100 * ms) / total}))
  return {self: rank(self), inclusive: rank(incl), totalMs: total}
}

// ---------------------------------------------------------------------------------------------
// The bench

export interface ImportBenchResult {
  records: number
  file: string
  kt: Measurement
  floor: Measurement
  ratio: number
  ratioOk: boolean
  rssOk: boolean
  profile?: ReturnType<typeof summarizeProfile>
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

function rate(m: Measurement): string {
  return `${Math.round(m.recordsPerSecond).toLocaleString('en-US')} records/s (${m.records.toLocaleString('en-US')} in ${m.seconds.toFixed(2)} s), peak RSS ${m.maxRssMb.toFixed(0)} MB, db ${mb(m.dbBytes)}`
}

export async function run(): Promise<ImportBenchResult> {
  const records = Number(process.env.KT_BENCH_RECORDS ?? 1_000_000)
  if (!Number.isInteger(records) || records <= 0) throw new Error(`KT_BENCH_RECORDS must be a positive integer, got "${process.env.KT_BENCH_RECORDS}"`)
  const file = await ensureData(records)
  log(`import bench: ${records.toLocaleString('en-US')} records, ${mb(statSync(file).size)} (${shown(file)})`)
  const floor = await measure('floor', file)
  log(`floor:     ${rate(floor)}`)
  const kt = await measure('kt', file)
  log(`kt import: ${rate(kt)}${kt.note ? ` [${kt.note}]` : ''}`)
  if (kt.records !== records) log(`warning: kt stored ${kt.records} of ${records} records`)
  const ratio = kt.recordsPerSecond / floor.recordsPerSecond
  const ratioOk = ratio >= TARGET_RATIO
  const rssOk = kt.maxRssMb < TARGET_RSS_MB
  log(`kt/floor:  ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}) ${ratioOk ? 'ok' : 'MISSED'}`)
  log(`kt RSS:    ${kt.maxRssMb.toFixed(0)} MB (target < ${TARGET_RSS_MB} MB) ${rssOk ? 'ok' : 'MISSED'}`)
  const result: ImportBenchResult = {records, file, kt, floor, ratio, ratioOk, rssOk}
  if (process.env.KT_BENCH_PROFILE === '1') {
    const profDir = join(dataDir(), 'profiles')
    mkdirSync(profDir, {recursive: true})
    const name = `kt-import-${records}.cpuprofile`
    rmSync(join(profDir, name), {force: true})
    await measure('kt', file, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}`])
    const profile = summarizeProfile(JSON.parse(readFileSync(join(profDir, name), 'utf8')) as CpuProfile)
    result.profile = profile
    log(`profile:   ${shown(join(profDir, name))} (${(profile.totalMs / 1000).toFixed(1)} s sampled)`)
    log('top self time:')
    for (const h of profile.self) log(`  ${h.pct.toFixed(1).padStart(5)}%  ${h.ms.toFixed(0).padStart(7)} ms  ${h.fn}`)
    log('kt functions, inclusive time:')
    for (const h of profile.inclusive) log(`  ${h.pct.toFixed(1).padStart(5)}%  ${h.ms.toFixed(0).padStart(7)} ms  ${h.fn}`)
  }
  return result
}

async function child(what: string, file: string, dbPath: string): Promise<void> {
  const r = what === 'kt' ? await childKt(file, dbPath) : await childFloor(file, dbPath)
  const maxRssMb = process.resourceUsage().maxRSS / 1024
  const m: Measurement = {what: what as Measurement['what'], ...r, recordsPerSecond: r.records / r.seconds, maxRssMb}
  process.stdout.write(`${JSON.stringify(m)}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  if (process.argv[2] === '--child') {
    await child(process.argv[3]!, process.argv[4]!, process.argv[5]!)
  } else {
    await run()
  }
}
