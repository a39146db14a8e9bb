// Replay throughput and latency fidelity: kt's real replay path (importFiles → createReplayRun → executeRun with
// a live primary and a candidate, both openai-compatible through the official SDK) against a bare keep-alive
// HTTP client sending the same request bodies, at several concurrencies, to a fake upstream that answers after a
// fixed delay. The upstream runs in its own child process so that it never shares an event loop with kt.
//
//   node dist/bench/replay.js                                   1,000 requests (2,000 calls), concurrency 16, 64, 256
//   KT_BENCH_REPLAY_REQUESTS=200 KT_BENCH_REPLAY_CONCURRENCY=16 node dist/bench/replay.js   smoke test
//   KT_BENCH_REPLAY_DELAY_MS=50                                 upstream delay (default 50)
//   KT_BENCH_REPLAY_REPEAT=3                                    runs per side and concurrency, fastest kept (default 3)
//   KT_BENCH_GC=0                                               no forced GC between runs (memory then shows heap without GC)
//   KT_BENCH_PROFILE=1 ...                                      profile kt's run at the highest concurrency (inspector,
//                                                               kt's run only) into bench/data/profiles/, print hot spots
//   KT_REPLAY_THREADS=0                                         kt without worker threads (see src/replay/engine.ts callThreads)
//
// Targets per concurrency: kt/bare calls per second >= 0.9, mean recorded latency_ms within 10% of the delay,
// memory flat across runs (heap after a forced GC; RSS shown too).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {Session} from 'node:inspector/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'
import {createClient, type CallResult, type ProviderClient, type TargetSpec} from '../src/providers/index.js'
import {createReplayRun, executeRun, type ReplaySettings} from '../src/replay/index.js'
import {rng} from '../src/stats/rng.js'
import {openDb, type DB} from '../src/store/db.js'
import {importFiles} from '../src/app/import/import-files.js'
import {benchLine, summarizeProfile, type CpuProfile, type HotSpot, type ProfileNode} from './import.js'
import {startChildServer} from './child-server.js'

const SELF = fileURLToPath(import.meta.url)
const FAKE_UPSTREAM = new URL('../test/support/fake-upstream.js', import.meta.url).href

export const TARGET_KT_OVER_BARE = 0.9
export const TARGET_LATENCY_ERROR = 0.1

export interface BenchOptions {
  requests: number
  concurrency: number[]
  delayMs: number
  /** Runs per side and concurrency; the fastest counts. */
  repeat: number
  /** Profile kt's run at the highest concurrency (written to bench/data/profiles/). */
  profile?: boolean
  log?: (line: string) => void
}

export interface Side {
  calls: number
  errors: number
  seconds: number
  callsPerSecond: number
  /** Per-call latency as the client measured it (kt: the stored latency_ms). */
  meanLatencyMs: number
  p95LatencyMs: number
  /** CPU time of this process (user + system) per call, ms. */
  cpuMsPerCall: number
  /** Event-loop utilisation during the run (1 = the loop never waited). */
  elu: number
}

export interface KtSide extends Side {
  /** Worker threads kt made its calls on (0: its main thread). */
  threads: number
  /** How low kt's pacing took the calls in flight (null: never below the concurrency). */
  pacedTo: number | null
  /** The upstream's own mean time per answer during the run (its timer fires late when its machine is busy); NaN without HTTP. */
  upstreamMeanMs: number
  rssBeforeMb: number
  rssAfterMb: number
  /** Heap in use after the run (after a full GC unless KT_BENCH_GC=0). */
  heapAfterGcMb: number
}

export interface ConcurrencyResult {
  concurrency: number
  idealCallsPerSecond: number
  bare: Side
  kt: KtSide
  /** kt's engine with a timer in place of the HTTP transport (see engineOnlyClients). */
  engineOnly: KtSide
  ratioToIdeal: number
  ktOverBare: number
  latencyError: number
}

export interface ReplayBenchResult {
  requests: number
  delayMs: number
  rows: ConcurrencyResult[]
  ok: boolean
}

// ---------------------------------------------------------------------------------------------
// The upstream, in a child process

interface Upstream {
  url: string
  /** Requests answered so far and the upstream's own total time for them (fake-upstream `served`). */
  served(): Promise<{count: number; totalMs: number}>
  stop(): Promise<void>
}

async function startUpstreamProcess(delayMs: number): Promise<Upstream> {
  // A tiny ESM script: start the fake, print its URL, live until stdin closes (so it dies with the bench).
  const script = `
    const {startFakeUpstream} = await import(${JSON.stringify(FAKE_UPSTREAM)})
    const up = await startFakeUpstream({delayMs: ${Number(delayMs)}, record: false})
    process.stdout.write(JSON.stringify({url: up.url}) + '\\n')
    process.stdin.on('data', (d) => { for (const _ of String(d).matchAll(/\\n/g)) process.stdout.write(JSON.stringify(up.served) + '\\n') })
    process.stdin.on('end', () => up.close().then(() => process.exit(0)))
  `
  const child = await startChildServer<{url: string}, {count: number; totalMs: number}>(script, 'fake upstream')
  return {url: child.hello.url, served: () => child.stats(), stop: () => child.stop()}
}

// ---------------------------------------------------------------------------------------------
// The bare reference client: a pool of workers, each a loop of keep-alive POSTs

function post(agent: Agent, url: URL, body: string): Promise<{status: number; ms: number}> {
  const start = performance.now()
  return new Promise((resolveCall, reject) => {
    const req = request(
      url,
      {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer bench'}},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          // Read and parse the answer, as any client must.
          JSON.parse(Buffer.concat(chunks).toString('utf8'))
          resolveCall({status: res.statusCode ?? 0, ms: performance.now() - start})
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function bare(upstreamUrl: string, bodies: string[], concurrency: number): Promise<Side> {
  const agent = new Agent({keepAlive: true, maxSockets: Infinity})
  const url = new URL(`${upstreamUrl}/v1/chat/completions`)
  const latencies: number[] = []
  let errors = 0
  let next = 0
  const m = meter()
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= bodies.length) return
      try {
        const r = await post(agent, url, bodies[i]!)
        latencies.push(r.ms)
        if (r.status !== 200) errors++
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(concurrency, bodies.length)}, worker))
  const result = side(m, bodies.length, errors, latencies)
  agent.destroy()
  return result
}

interface Meter {
  cpu: NodeJS.CpuUsage
  elu: ReturnType<typeof performance.eventLoopUtilization>
  t0: number
}

function meter(): Meter {
  return {cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t0: performance.now()}
}

function side(m: Meter, calls: number, errors: number, latencies: number[]): Side {
  const seconds = (performance.now() - m.t0) / 1000
  const cpu = process.cpuUsage(m.cpu)
  const sorted = [...latencies].sort((a, b) => a - b)
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)
  return {
    calls,
    errors,
    seconds,
    callsPerSecond: calls / seconds,
    meanLatencyMs: mean,
    p95LatencyMs: sorted[Math.floor(0.95 * (sorted.length - 1))] ?? NaN,
    cpuMsPerCall: (cpu.user + cpu.system) / 1000 / calls,
    elu: performance.eventLoopUtilization(m.elu).utilization,
  }
}

// ---------------------------------------------------------------------------------------------
// kt's path

const PRIMARY_MODEL = 'bench-primary'
const CANDIDATE_MODEL = 'bench-candidate'

function targets(upstreamUrl: string): {primary: TargetSpec; candidate: TargetSpec} {
  const base = `${upstreamUrl}/v1`
  return {
    primary: {id: 'bench-primary', provider: 'openai-compatible', model: PRIMARY_MODEL, base_url: base},
    candidate: {id: 'bench-candidate', provider: 'openai-compatible', model: CANDIDATE_MODEL, base_url: base},
  }
}

function settings(concurrency: number, limit?: number): ReplaySettings {
  return {selection: limit ? {limit} : {}, modelMap: {}, concurrency, rps: null, tpm: null, timeoutMs: 30_000, retries: 0, maxCost: null, aa: 0, seed: 1}
}

const mb = (bytes: number) => bytes / 1024 / 1024

/**
 * A full GC, so that memory is compared on live objects rather than on GC timing; null when unavailable or
 * KT_BENCH_GC=0. Made on first use: importing a bench module must not change the process (run-all imports them all).
 */
let gcFn: (() => void) | null | undefined
function gc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn
  gcFn = null
  if (process.env.KT_BENCH_GC !== '0') {
    try {
      setFlagsFromString('--expose-gc')
      gcFn = runInNewContext('gc') as () => void
    } catch {
      gcFn = null
    }
  }
  return gcFn
}

async function ktRun(db: DB, upstream: Upstream, concurrency: number, opts: {limit?: number; clientFor?: (t: TargetSpec) => ProviderClient} = {}): Promise<KtSide> {
  const {primary, candidate} = targets(upstream.url)
  const served0 = await upstream.served()
  const planned = createReplayRun(db, {primary, candidate, settings: settings(concurrency, opts.limit)})
  const runId = planned.runId
  gc()?.()
  const rssBefore = process.memoryUsage().rss
  const m = meter()
  const out = await executeRun(db, planned, opts.clientFor ? {clientFor: opts.clientFor} : {})
  const result = side(m, out.sent, out.errors, db.prepare('SELECT latency_ms FROM results WHERE run_id = ?').pluck().all(runId) as number[])
  const rssAfter = process.memoryUsage().rss
  const served1 = await upstream.served()
  const upstreamMeanMs = (served1.totalMs - served0.totalMs) / (served1.count - served0.count)
  gc()?.()
  if (out.status !== 'completed') throw new Error(`kt run ${runId} ended ${out.status}`)
  return {...result, threads: out.threads, pacedTo: out.pacedTo, upstreamMeanMs, rssBeforeMb: mb(rssBefore), rssAfterMb: mb(rssAfter), heapAfterGcMb: mb(process.memoryUsage().heapUsed)}
}

/**
 * kt's engine with the transport taken out: every call answers a real, pre-recorded result after the same delay
 * (a timer instead of a socket). Its CPU per call is what the engine itself costs; the rest of kt's is the provider
 * transport (SDK, fetch, parsing).
 */
function engineOnlyClients(canned: CallResult, delayMs: number): (t: TargetSpec) => ProviderClient {
  return (target) => ({
    target,
    nativeApi: 'openai.chat',
    call: () =>
      new Promise<CallResult>((resolveCall) => {
        const start = performance.now()
        setTimeout(() => resolveCall({...canned, latency_ms: performance.now() - start}), delayMs)
      }),
  })
}

/** The bodies kt sends, in kt's order: per request the stored body with the arm's model. */
function bodiesFor(db: DB, requests: number): string[] {
  const rows = db.prepare("SELECT request_json FROM events WHERE kind = 'request' ORDER BY timestamp, rowid LIMIT ?").pluck().all(requests) as string[]
  const out: string[] = []
  for (const r of rows) {
    const body = JSON.parse(r) as Record<string, unknown>
    out.push(JSON.stringify({...body, model: PRIMARY_MODEL}), JSON.stringify({...body, model: CANDIDATE_MODEL}))
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The bench

const f0 = (n: number) => Math.round(n).toLocaleString('en-US')
const f1 = (n: number) => n.toFixed(1)
const f2 = (n: number) => n.toFixed(2)
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`

export async function benchReplay(opts: BenchOptions): Promise<ReplayBenchResult> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-replay-'))
  const upstream = await startUpstreamProcess(opts.delayMs)
  const dbPath = join(dir, 'kt.db')
  const db = openDb(dbPath)
  try {
    const file = join(dir, 'pairs.jsonl')
    const u = rng(20261116)
    writeFileSync(file, `${Array.from({length: opts.requests}, (_, i) => benchLine(u, i)).join('\n')}\n`)
    const imported = await importFiles(db, dbPath, [file])
    if (imported.totals.imported !== opts.requests) throw new Error(`imported ${imported.totals.imported} of ${opts.requests} requests`)
    const bodies = bodiesFor(db, opts.requests)
    log(`replay bench: ${f0(opts.requests)} requests × 2 live arms = ${f0(bodies.length)} calls per run, upstream delay ${opts.delayMs} ms (own process at ${upstream.url}), best of ${opts.repeat} runs per side`)

    // Warm-up, not measured: what is measured is the steady state (JIT-compiled code in every thread that makes
    // calls, keep-alive sockets, SQLite pages). kt's worker threads each compile the SDK path on their own and need
    // about two full runs to get there, so every client gets two full-size runs at the highest concurrency. kt's
    // first (cold) run is printed, so that what a short one-off replay sees is not hidden.
    const firstBody = JSON.parse(db.prepare("SELECT request_json FROM events WHERE kind = 'request' LIMIT 1").pluck().get() as string) as Record<string, unknown>
    const canned = await createClient(targets(upstream.url).candidate).call({api: 'openai.chat', body: firstBody})
    if (canned.status !== 'ok') throw new Error(`the fake upstream did not answer: ${canned.error?.message ?? canned.status}`)
    const engineOnly = engineOnlyClients(canned, opts.delayMs)
    const warm = Math.max(16, ...opts.concurrency)
    const cold = await ktRun(db, upstream, warm)
    for (let i = 0; i < 2; i++) {
      await bare(upstream.url, bodies, warm)
      if (i > 0) await ktRun(db, upstream, warm)
      await ktRun(db, upstream, warm, {clientFor: engineOnly})
    }

    const rows: ConcurrencyResult[] = []
    /** Every real kt run in order, for the memory trend. */
    const trail: KtSide[] = []
    // Each side runs `repeat` times, interleaved, and keeps its fastest run: on a shared machine the best of a few runs
    // is the one least disturbed by neighbours, for both clients alike.
    const best = <T extends Side>(a: T | null, b: T): T => (a === null || b.callsPerSecond > a.callsPerSecond ? b : a)
    for (const c of opts.concurrency) {
      let b: Side | null = null
      let k: KtSide | null = null
      let e: KtSide | null = null
      for (let i = 0; i < opts.repeat; i++) {
        b = best(b, await bare(upstream.url, bodies, c))
        const profileThis = opts.profile && c === Math.max(...opts.concurrency) && i === 0
        const run = profileThis ? await profiled(`kt-replay-c${c}`, () => ktRun(db, upstream, c), log) : await ktRun(db, upstream, c)
        trail.push(run)
        k = best(k, run)
        e = best(e, await ktRun(db, upstream, c, {clientFor: engineOnly}))
      }
      if (!b || !k || !e) throw new Error('repeat must be at least 1')
      const ideal = c / (opts.delayMs / 1000)
      rows.push({
        concurrency: c,
        idealCallsPerSecond: ideal,
        bare: b,
        kt: k,
        engineOnly: e,
        ratioToIdeal: k.callsPerSecond / ideal,
        ktOverBare: k.callsPerSecond / b.callsPerSecond,
        latencyError: k.meanLatencyMs / opts.delayMs - 1,
      })
    }

    const table = (head: string[], body: string[][]) => {
      const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
      for (const r of [head, ...body]) log(r.map((x, i) => x.padStart(widths[i]!)).join('  '))
    }
    log('')
    table(
      ['conc', 'ideal/s', 'bare/s', 'kt/s', 'kt threads', 'kt/ideal', 'kt/bare', 'kt latency mean (p95) ms', 'bare latency mean ms', 'upstream took ms', 'RSS before→after MB', gc() ? 'heap after GC MB' : 'heap MB'],
      rows.map((r) => [
        String(r.concurrency),
        f0(r.idealCallsPerSecond),
        f0(r.bare.callsPerSecond),
        f0(r.kt.callsPerSecond),
        String(r.kt.threads),
        f2(r.ratioToIdeal),
        f2(r.ktOverBare),
        `${f1(r.kt.meanLatencyMs)} (${f1(r.kt.p95LatencyMs)})`,
        f1(r.bare.meanLatencyMs),
        f1(r.kt.upstreamMeanMs),
        `${f0(r.kt.rssBeforeMb)} → ${f0(r.kt.rssAfterMb)}`,
        f1(r.kt.heapAfterGcMb),
      ]),
    )
    log('')
    log(`where kt's time goes ("engine alone": kt's engine, SQLite included, with a timer in place of HTTP):`)
    table(
      ['conc', 'CPU ms/call kt', 'engine alone', 'bare', 'loop busy kt', 'engine alone', 'bare', 'engine alone calls/s', 'engine alone latency ms'],
      rows.map((r) => [
        String(r.concurrency),
        f2(r.kt.cpuMsPerCall),
        f2(r.engineOnly.cpuMsPerCall),
        f2(r.bare.cpuMsPerCall),
        f2(r.kt.elu),
        f2(r.engineOnly.elu),
        f2(r.bare.elu),
        f0(r.engineOnly.callsPerSecond),
        f1(r.engineOnly.meanLatencyMs),
      ]),
    )
    log('')
    let ok = true
    for (const r of rows) {
      const throughput = r.ktOverBare >= TARGET_KT_OVER_BARE
      const latency = Math.abs(r.latencyError) <= TARGET_LATENCY_ERROR
      const clean = r.kt.errors === 0 && r.bare.errors === 0
      ok &&= throughput && latency && clean
      log(
        `concurrency ${r.concurrency}: kt/bare ${r.ktOverBare.toFixed(3)} (target >= ${TARGET_KT_OVER_BARE}) ${throughput ? 'ok' : 'MISSED'}; ` +
          `mean latency ${f1(r.kt.meanLatencyMs)} ms vs ${opts.delayMs} ms (${r.latencyError >= 0 ? '+' : ''}${f1(r.latencyError * 100)}%, target within ±${TARGET_LATENCY_ERROR * 100}%) ${latency ? 'ok' : 'MISSED'}` +
          ` [the upstream itself took ${f1(r.kt.upstreamMeanMs)} ms per answer: kt's recorded latency is ${pct(r.kt.meanLatencyMs / r.kt.upstreamMeanMs - 1)} over it]` +
          (r.kt.pacedTo === null ? '' : `; kt paced its calls in flight down to ${r.kt.pacedTo}`) +
          (clean ? '' : `; ERRORS kt ${r.kt.errors}, bare ${r.bare.errors}`),
      )
    }
    log(
      `kt's cold first run (concurrency ${warm}, before the warm-up, not counted): ${f0(cold.callsPerSecond)} calls/s, ` +
        `mean latency ${f1(cold.meanLatencyMs)} ms (upstream ${f1(cold.upstreamMeanMs)} ms)` +
        (cold.pacedTo === null ? '' : `; calls in flight paced down to ${cold.pacedTo} while its threads were saturated`),
    )
    const heap = trail.map((r) => r.heapAfterGcMb)
    log(
      `memory over ${trail.length} kt runs (${f0(trail.length * bodies.length)} calls): heap ${gc() ? 'after GC' : '(no forced GC)'} ${heap.map((x) => f1(x)).join(', ')} MB ` +
        `(last - first ${f1(heap[heap.length - 1]! - heap[0]!)} MB); RSS ${trail.map((r) => f0(r.rssAfterMb)).join(', ')} MB`,
    )
    return {requests: opts.requests, delayMs: opts.delayMs, rows, ok}
  } finally {
    db.close()
    await upstream.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${v}"`)
  return n
}

// ---------------------------------------------------------------------------------------------
// CPU profile of kt's side only (KT_BENCH_PROFILE=1): the inspector records just the kt run, not the import or bare.

/** Self time by where the code lives: kt, the openai SDK, undici (fetch), node core, SQLite, GC, idle. */
export function profileByArea(profile: CpuProfile): {area: string; ms: number; pct: number}[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const area = (n: ProfileNode): string => {
    const {url, functionName} = n.callFrame
    if (!url) {
      if (functionName.startsWith('(')) return functionName
      // better-sqlite3's Statement.run is the result INSERT; writev is socket writes.
      return functionName === 'run' || functionName === 'all' || functionName === 'get' ? 'SQLite (native)' : functionName === 'writev' ? 'socket writes (native writev)' : 'other native'
    }
    if (url.includes('/dist/src/')) return 'kt (dist/src)'
    if (url.includes('/dist/bench/')) return 'bench'
    if (url.includes('node_modules/openai/')) return 'openai SDK'
    if (url.includes('node_modules/better-sqlite3/')) return 'better-sqlite3'
    if (url.includes('deps/undici')) return 'undici (fetch)'
    if (url.startsWith('node:')) return 'node core'
    return 'other'
  }
  const acc = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    total += dt
    const n = byId.get(id)
    if (n) acc.set(area(n), (acc.get(area(n)) ?? 0) + dt)
  })
  return [...acc.entries()].sort((a, b) => b[1] - a[1]).map(([a, ms]) => ({area: a, ms, pct: (100 * ms) / total}))
}

async function profiled<T>(name: string, fn: () => Promise<T>, log: (line: string) => void): Promise<T> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', {interval: 200})
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const {profile} = (await session.post('Profiler.stop')) as unknown as {profile: CpuProfile}
    session.disconnect()
    const dir = join(fileURLToPath(new URL('../../', import.meta.url)), 'bench', 'data', 'profiles')
    mkdirSync(dir, {recursive: true})
    const file = join(dir, `${name}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    const summary = summarizeProfile(profile, 25)
    const row = (h: HotSpot) => `  ${h.pct.toFixed(1).padStart(5)}%  ${h.ms.toFixed(0).padStart(6)} ms  ${h.fn}`
    log(`profile of ${name}: ${file} (${(summary.totalMs / 1000).toFixed(2)} s sampled)`)
    log('self time by area:')
    for (const a of profileByArea(profile)) log(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.ms.toFixed(0).padStart(6)} ms  ${a.area}`)
    log('top self time:')
    for (const h of summary.self) log(row(h))
    log('kt functions, inclusive time:')
    for (const h of summary.inclusive) log(row(h))
  }
}

export async function run(): Promise<void> {
  const concurrency = (process.env.KT_BENCH_REPLAY_CONCURRENCY ?? '16,64,256').split(',').map((s) => {
    const n = Number(s.trim())
    if (!Number.isInteger(n) || n <= 0) throw new Error(`KT_BENCH_REPLAY_CONCURRENCY must list positive integers, got "${process.env.KT_BENCH_REPLAY_CONCURRENCY}"`)
    return n
  })
  await benchReplay({requests: envInt('KT_BENCH_REPLAY_REQUESTS', 1000), concurrency,
    delayMs: envInt('KT_BENCH_REPLAY_DELAY_MS', 50),
    repeat: envInt('KT_BENCH_REPLAY_REPEAT', 3), profile: process.env.KT_BENCH_PROFILE === '1'})
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  await run()
}
