// Replay through the Batch APIs at scale: 100,000 stored requests replayed with `--via batch` against the fake
// OpenAI Files + Batches (or Anthropic Message Batches) endpoints of test/support/fake-batch.ts, run in its own child
// process so that its work (answering 100,000 requests) never shares kt's event loop or its memory. kt's side runs in
// another child, so that its peak RSS (getrusage maxRSS) is the replay's alone, not the setup's:
//   plan     createReplayRun: the request set and the recorded primary's results
//   submit   the batch inputs built on disk from the stored bodies, split under the limits, uploaded, created
//   collect  polls, then the output files downloaded, parsed and stored, one result per request
//
//   node dist/bench/batch.js                                100,000 requests, then 10,000 to compare peak memory
//   KT_BENCH_BATCH_REQUESTS=20000 node dist/bench/batch.js  one size only (smoke test)
//   KT_BENCH_BATCH_PROVIDER=anthropic                       Anthropic Message Batches instead of OpenAI
//
//   KT_BENCH_GC=0                                           no forced GC between phases (the retained heap is then not shown)
//   KT_BENCH_DATA=DIR                                       where the generated logs and databases are kept (default bench/data)
//
// Targets: kt's own work (plan + submit + collect, minus the time asleep between polls) under 60 s for 100,000
// requests on a 2-core machine, and flat memory: the heap kt retains after each phase (after a full GC) the same at
// 10,000 and 100,000 requests, and the peak RSS at 100,000 within 1.5x of the peak at 10,000 (the bodies are streamed
// to disk and back, never held together; what remains of the difference is garbage V8 had not collected yet).
import {spawn} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {createReplayRun, submitBatches, waitForBatches, type PlannedRun, type ReplaySettings} from '../src/replay/index.js'
import {openDb} from '../src/store/db.js'
import {importFiles} from '../src/app/import/import-files.js'
import {ensureData} from './import.js'
import {startChildServer} from './child-server.js'

const SELF = fileURLToPath(import.meta.url)
const FAKE_BATCH = new URL('../test/support/fake-batch.js', import.meta.url).href
const dataDir = () => process.env.KT_BENCH_DATA ?? fileURLToPath(new URL('../../bench/data/', import.meta.url))

export const TARGET_SECONDS = 60
export const TARGET_RSS_RATIO = 1.5

export interface KtSide {
  requests: number
  batches: number
  /** Wall time per phase, seconds. */
  plan: number
  submit: number
  collect: number
  /** Of `collect`: time asleep between polls (the provider's time, not kt's). */
  pollSleep: number
  /** User + system CPU of kt's process over the three phases, seconds. */
  cpu: number
  bytesUploaded: number
  results: number
  /** getrusage maxRSS of kt's process, MB: at the end, and after each phase (it only grows). */
  maxRssMb: number
  maxRssAfter: {plan: number; submit: number; collect: number}
  /** Heap in use after each phase, after a full GC (KT_BENCH_GC=1; else without GC): what is retained, not garbage. */
  heapAfterGcMb: {plan: number; submit: number; collect: number}
}

export interface FakeStats {
  uploads: {files: number; bytes: number}
  anthropicBytes: number
  downloads: {files: number; bytes: number}
  polls: number
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

/** A database holding `n` imported requests, made once and copied for each run. */
async function ensureDb(n: number): Promise<string> {
  const data = dataDir()
  mkdirSync(data, {recursive: true})
  const path = join(data, `batch-${n}.db`)
  if (existsSync(path)) return path
  const file = await ensureData(n, data)
  const partial = `${path}.partial`
  rmSync(partial, {force: true})
  const t0 = performance.now()
  const db = openDb(partial)
  try {
    const s = await importFiles(db, partial, [file])
    if (s.totals.imported !== n) throw new Error(`imported ${s.totals.imported} of ${n}`)
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  copyFileSync(partial, path)
  for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, {force: true})
  log(`imported ${n.toLocaleString('en-US')} requests into ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s (setup, not measured)`)
  return path
}

/** The fake in its own process: answers one JSON line (its counters) per line on its stdin. */
async function startFake(): Promise<{url: string; stats: () => Promise<FakeStats>; close: () => Promise<void>}> {
  const script = `
    const {startFakeBatch} = await import(${JSON.stringify(FAKE_BATCH)})
    const f = await startFakeBatch({polls: {validating: 1, in_progress: 1, finalizing: 1}})
    process.stdout.write(JSON.stringify({url: f.url}) + '\\n')
    process.stdin.on('data', (d) => { for (const _ of String(d).matchAll(/\\n/g)) process.stdout.write(JSON.stringify({uploads: f.uploads, anthropicBytes: f.anthropicBytes, downloads: f.downloads, polls: f.polls}) + '\\n') })
    process.stdin.on('end', () => f.close().then(() => process.exit(0)))
  `
  const child = await startChildServer<{url: string}, FakeStats>(script, 'fake Batch API')
  return {url: child.hello.url, stats: () => child.stats(), close: () => child.stop()}
}

/** kt's side, in this process (run as a child by measure()): plan, submit, collect; prints one JSON line. */
async function ktChild(dbPath: string, url: string, provider: string): Promise<void> {
  const settings: ReplaySettings = {selection: {}, modelMap: {}, concurrency: 8, rps: null, tpm: null, timeoutMs: 60_000, retries: 0, maxCost: null, aa: 0, seed: 1, via: {primary: 'live', candidate: 'batch'}}
  const candidate = provider === 'anthropic' ? {id: 'claude', provider: 'anthropic' as const, model: 'claude-3-5-haiku-20241022', base_url: url} : {id: 'mini', provider: 'openai' as const, model: 'gpt-4o-mini', base_url: `${url}/v1`}
  const db = openDb(dbPath)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const planned: PlannedRun = createReplayRun(db, {primary: 'recorded', candidate, settings})
  const t1 = performance.now()
  const peak = () => process.resourceUsage().maxRSS / 1024
  const gc = (globalThis as {gc?: () => void}).gc
  const heap = () => {
    gc?.()
    return process.memoryUsage().heapUsed / 1e6
  }
  const heapAfter = {plan: heap(), submit: 0, collect: 0}
  const afterPlan = peak()
  const sub = await submitBatches(db, planned)
  const t2 = performance.now()
  const afterSubmit = peak()
  heapAfter.submit = heap()
  const waited = await waitForBatches(db, planned)
  const t3 = performance.now()
  const cpu = process.cpuUsage(cpu0)
  heapAfter.collect = heap()
  db.close()
  const out: KtSide = {
    requests: planned.total,
    batches: sub.batches,
    plan: (t1 - t0) / 1000,
    submit: (t2 - t1) / 1000,
    collect: (t3 - t2) / 1000,
    pollSleep: waited.sleptMs / 1000,
    cpu: (cpu.user + cpu.system) / 1e6,
    bytesUploaded: sub.bytes,
    results: waited.results,
    maxRssMb: peak(),
    maxRssAfter: {plan: afterPlan, submit: afterSubmit, collect: peak()},
    heapAfterGcMb: heapAfter,
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

async function measure(n: number, provider: string): Promise<{kt: KtSide; fake: FakeStats}> {
  const source = await ensureDb(n)
  const dir = join(dataDir(), 'batch-run')
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const dbPath = join(dir, 'kt.db')
  copyFileSync(source, dbPath)
  const fake = await startFake()
  try {
    const env = {...process.env, OPENAI_API_KEY: 'sk-bench', ANTHROPIC_API_KEY: 'sk-ant-bench', KT_BATCH_POLL_MS: '100', KT_BATCH_POLL_MAX_MS: '100'}
    const flags = process.env.KT_BENCH_GC === '0' ? [] : ['--expose-gc']
    const child = spawn(process.execPath, [...flags, SELF, '--child', dbPath, fake.url, provider], {env, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('close', r))
    if (code !== 0) throw new Error(`kt's side exited ${code}`)
    const kt = JSON.parse(out.trim().split('\n').at(-1)!) as KtSide
    return {kt, fake: await fake.stats()}
  } finally {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

export async function benchBatch(sizes: number[], provider: string): Promise<{n: number; kt: KtSide; fake: FakeStats}[]> {
  const rows: {n: number; kt: KtSide; fake: FakeStats}[] = []
  for (const n of sizes) {
    log(`replaying ${n.toLocaleString('en-US')} stored requests through the fake ${provider} Batch API…`)
    const {kt, fake} = await measure(n, provider)
    if (kt.results !== n) throw new Error(`stored ${kt.results} results of ${n}`)
    rows.push({n, kt, fake})
    const own = kt.plan + kt.submit + kt.collect - kt.pollSleep
    log(
      `  ${kt.batches} batches; plan ${kt.plan.toFixed(1)} s, submit (build + upload) ${kt.submit.toFixed(1)} s, collect (poll + download + store) ${kt.collect.toFixed(1)} s ` +
        `of which ${kt.pollSleep.toFixed(1)} s asleep between polls`,
    )
    log(`  kt's own work ${own.toFixed(1)} s wall (target < ${TARGET_SECONDS} s), ${kt.cpu.toFixed(1)} s CPU; peak RSS ${kt.maxRssMb.toFixed(0)} MB (after plan ${kt.maxRssAfter.plan.toFixed(0)}, submit ${kt.maxRssAfter.submit.toFixed(0)}, collect ${kt.maxRssAfter.collect.toFixed(0)}); heap in use after GC: plan ${kt.heapAfterGcMb.plan.toFixed(0)} MB, submit ${kt.heapAfterGcMb.submit.toFixed(0)} MB, collect ${kt.heapAfterGcMb.collect.toFixed(0)} MB`)
    log(`  uploaded ${mb(provider === 'anthropic' ? fake.anthropicBytes : fake.uploads.bytes)} (kt counted ${mb(kt.bytesUploaded)}), downloaded ${mb(fake.downloads.bytes)} in ${fake.downloads.files} files, ${fake.polls} polls`)
  }
  if (rows.length > 1) {
    const big = rows[0]!
    const small = rows.at(-1)!
    const ratio = big.kt.maxRssMb / small.kt.maxRssMb
    log(`peak RSS ${big.kt.maxRssMb.toFixed(0)} MB at ${big.n.toLocaleString('en-US')} requests vs ${small.kt.maxRssMb.toFixed(0)} MB at ${small.n.toLocaleString('en-US')}: ${ratio.toFixed(2)}x (target <= ${TARGET_RSS_RATIO}x: flat)`)
  }
  return rows
}

export async function run(): Promise<void> {
  const set = process.env.KT_BENCH_BATCH_REQUESTS
  const sizes = set ? [Number(set)] : [100_000, 10_000]
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`KT_BENCH_BATCH_REQUESTS must be a positive integer, got "${set}"`)
  const provider = process.env.KT_BENCH_BATCH_PROVIDER ?? 'openai'
  if (provider !== 'openai' && provider !== 'anthropic') throw new Error(`KT_BENCH_BATCH_PROVIDER must be openai or anthropic, got "${provider}"`)
  await benchBatch(sizes, provider)
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  if (process.argv[2] === '--child') await ktChild(process.argv[3]!, process.argv[4]!, process.argv[5]!)
  else await run()
}
