// Gateway overhead: latency added (p50, p99) and throughput of `kt gateway run` over calling the fake upstream
// directly, at 1, 16 and 64 connections, with mirroring off, mirroring every request (sample_rate 1.0) to a fast shadow,
// and mirroring to a shadow that answers after 2 s. In the same run, a bare reference proxy written here (node:http
// piping the bytes through, no parsing) is measured the same way: the floor for any Node gateway on this machine; and
// the same bare proxy sending a copy of each request to the fast shadow: the floor for any Node gateway that mirrors.
// Then the gateway's memory over 100,000 requests, and the call path decision (the official SDKs vs plain node:http)
// measured on CPU per call. Upstreams, the bare proxy and the gateway each run in their own process.
//
//   node dist/bench/gateway.js                            all of it
//   KT_BENCH_GATEWAY_REQUESTS=2000                        requests per measurement at 16 and 64 connections (default 6000; 1 connection: a tenth)
//   KT_BENCH_GATEWAY_DELAY_MS=10                          upstream delay (default 10)
//   KT_BENCH_GATEWAY_MEMORY=100000                        requests of the memory run (0: skip)
//   KT_BENCH_GATEWAY_ROUNDS=3                             rounds at 64 connections (medians reported)
//
// Targets (issue 13), at 64 connections with mirroring on: added p50 <= 1 ms, p99 <= 1.2x the bare proxy's,
// throughput >= 0.9x the bare proxy's; the 2 s shadow changes throughput by < 5%; memory flat.
import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {Agent, createServer, request} from 'node:http'
import {createServer as netServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {createClient} from '../src/providers/index.js'

const SELF = fileURLToPath(import.meta.url)
const FAKE_UPSTREAM = new URL('../test/support/fake-upstream.js', import.meta.url).href
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const KEY = 'sk-bench-0123456789abcdef'

interface Proc {
  url: string
  pid: number
  stop(): Promise<void>
}

/** CPU time (user + system) a process has used, in µs: every thread, or its main thread only. */
function cpuUs(pid: number, mainOnly = false): number {
  const stat = readFileSync(mainOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100
}

async function health(url: string): Promise<Record<string, number>> {
  try {
    const r = await fetch(`${url}/healthz`)
    return (await r.json()) as Record<string, number>
  } catch {
    return {}
  }
}

/** Waits (at most a minute) until a gateway has written its events and has no shadow in flight. */
async function settle(urls: string[]): Promise<void> {
  const until = Date.now() + 60_000
  for (const url of urls) {
    for (;;) {
      const h = await health(url)
      if ((h.events_pending ?? 0) === 0 && (h.shadows_in_flight ?? 0) === 0 && (h.requests_in_flight ?? 0) === 0) break
      if (Date.now() > until) break
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(t)
}

/** Runs `script` (ESM) in a child that prints one JSON line `{url}` once listening. */
async function child(args: string[], env: NodeJS.ProcessEnv = process.env, ready?: RegExp, url?: string): Promise<Proc> {
  const c = spawn(process.execPath, args, {stdio: ['pipe', 'pipe', 'pipe'], env})
  let out = ''
  let err = ''
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const found = await new Promise<string>((res, rej) => {
    const check = () => {
      if (ready && ready.test(err)) res(url!)
      const line = out.split('\n')[0]
      if (!ready && out.includes('\n') && line) res((JSON.parse(line) as {url: string}).url)
    }
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      check()
    })
    c.stderr!.on('data', check)
    c.once('exit', (code) => rej(new Error(`${args.join(' ')} exited with ${code}: ${err.slice(-500)}`)))
  })
  return {url: found, pid: c.pid!, stop: () => stopChild(c)}
}

function fake(delayMs: number): Promise<Proc> {
  const script = `
    const {startFakeUpstream} = await import(${JSON.stringify(FAKE_UPSTREAM)})
    const up = await startFakeUpstream({delayMs: ${delayMs}, record: false})
    process.stdout.write(JSON.stringify({url: up.url}) + '\\n')
    process.on('SIGTERM', () => up.close().then(() => process.exit(0)))
  `
  return child(['--input-type=module', '-e', script])
}

/**
 * The reference: node:http, keep-alive both ways, bytes piped, nothing parsed. With `shadow`, it also sends each
 * request's bytes to the shadow and throws the answer away: the floor for any Node gateway that mirrors.
 */
export function bareProxy(target: string, shadow?: string): Promise<{url: string; close: () => Promise<void>}> {
  const t = new URL(target)
  const s = shadow ? new URL(shadow) : null
  const agent = new Agent({keepAlive: true, maxSockets: 1024})
  const shadowAgent = new Agent({keepAlive: true, maxSockets: 256})
  const server = createServer((req, res) => {
    const up = request({host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers, agent}, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    if (!s) return void req.pipe(up)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      up.end(body)
      const copy = request({host: s.hostname, port: s.port, path: req.url, method: req.method, headers: req.headers, agent: shadowAgent}, (sr) => sr.resume())
      copy.on('error', () => {})
      copy.end(body)
    })
  })
  server.keepAliveTimeout = 65_000
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({url: `http://127.0.0.1:${(server.address() as {port: number}).port}`, close: () => new Promise((r) => server.close(() => r()))})))
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = netServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as {port: number}).port
      s.close(() => res(p))
    })
  })
}

async function gateway(dir: string, primary: string, shadow: string | null, name: string): Promise<Proc> {
  const mirror = shadow
    ? `traffic_mirror:\n  primary: main\n  shadow: shadow\n  sample_rate: 1.0\n  log_shadow_response: true\n`
    : ''
  const config = join(dir, `${name}.yaml`)
  writeFileSync(config, `providers:\n  targets:\n    - id: main\n      provider: openai\n      base_url: ${primary}/v1\n    - id: shadow\n      provider: openai\n      base_url: ${shadow ?? primary}/v1\n${mirror}`)
  const port = await freePort()
  const env = {...process.env, OPENAI_API_KEY: KEY, KT_DB: join(dir, `${name}.db`), KT_NO_PROGRESS: '1'}
  return child([BIN, 'gateway', 'run', '--policy-config', config, '--port', String(port)], env, /Gateway ready/, `http://127.0.0.1:${port}`)
}

const BODY = JSON.stringify({model: 'gpt-4o-mini', messages: [{role: 'system', content: 'You are terse.'}, {role: 'user', content: 'Explain the principle of least privilege in two sentences, please.'}], temperature: 0.2})

export interface Measure {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50: number
  p99: number
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** `n` requests from `conns` keep-alive connections, each sending one after another; client-side latency. */
export async function drive(base: string, conns: number, n: number): Promise<Measure> {
  const agent = new Agent({keepAlive: true, maxSockets: conns})
  const url = new URL(`${base}/v1/chat/completions`)
  const lat: number[] = []
  let errors = 0
  let next = 0
  const one = () =>
    new Promise<void>((res) => {
      const t0 = performance.now()
      const req = request(url, {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), authorization: `Bearer ${KEY}`}}, (r) => {
        r.resume()
        r.on('end', () => {
          if (r.statusCode === 200) lat.push(performance.now() - t0)
          else errors++
          res()
        })
      })
      req.on('error', () => {
        errors++
        res()
      })
      req.end(BODY)
    })
  const t0 = performance.now()
  await Promise.all(
    Array.from({length: conns}, async () => {
      while (next++ < n) await one()
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  agent.destroy()
  lat.sort((a, b) => a - b)
  return {requests: n, errors, seconds, rps: lat.length / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99)}
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

type Sample = Measure & {cpu: number; main: number}

/** Each figure's median over rounds (figures of different rounds may come from different rounds). */
function medianSample(v: Sample[]): Sample {
  const med = (k: keyof Sample) => {
    const xs = v.map((x) => x[k]).sort((p, q) => p - q)
    return xs[Math.floor(xs.length / 2)]!
  }
  return {requests: v[0]!.requests, errors: v.reduce((n, x) => n + x.errors, 0), seconds: med('seconds'), rps: med('rps'), p50: med('p50'), p99: med('p99'), cpu: med('cpu'), main: med('main')}
}

const f1 = (v: number) => v.toFixed(1)
const f2 = (v: number) => v.toFixed(2)

/** CPU per call through the SDK client (providers/) and through a plain node:http request, same upstream. */
async function callPathCost(upstream: string, calls: number): Promise<{sdkUs: number; rawUs: number}> {
  process.env.KT_BENCH_KEY = KEY
  const client = createClient({id: 'bench', provider: 'openai', base_url: `${upstream}/v1`, api_key_env: 'KT_BENCH_KEY'})
  await client.ready?.()
  const body = JSON.parse(BODY) as Record<string, unknown>
  const measure = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await fn()
    const c0 = process.cpuUsage()
    let left = calls
    await Promise.all(Array.from({length: 16}, async () => {
      while (left-- > 0) await fn()
    }))
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / calls
  }
  const sdkUs = await measure(() => client.call({api: 'openai.chat', body}))
  const agent = new Agent({keepAlive: true, maxSockets: 16})
  const url = new URL(`${upstream}/v1/chat/completions`)
  const rawUs = await measure(
    () =>
      new Promise<void>((res) => {
        const req = request(url, {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), authorization: `Bearer ${KEY}`}}, (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c: Buffer) => chunks.push(c))
          r.on('end', () => res())
        })
        req.on('error', () => res())
        req.end(BODY)
      }),
  )
  agent.destroy()
  return {sdkUs, rawUs}
}

export async function run(): Promise<void> {
  const n = Number(process.env.KT_BENCH_GATEWAY_REQUESTS ?? 6000)
  const delay = Number(process.env.KT_BENCH_GATEWAY_DELAY_MS ?? 10)
  const memRequests = Number(process.env.KT_BENCH_GATEWAY_MEMORY ?? 100_000)
  const log = (s: string) => process.stdout.write(`${s}\n`)
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-gw-'))
  const procs: Proc[] = []
  try {
    const upstream = await fake(delay)
    const fastShadow = await fake(delay)
    const slowShadow = await fake(2000)
    procs.push(upstream, fastShadow, slowShadow)
    const bareScript = (shadow: string | null) => `const {bareProxy} = await import(${JSON.stringify(new URL(import.meta.url).href)}); const p = await bareProxy(${JSON.stringify(upstream.url)}${shadow ? `, ${JSON.stringify(shadow)}` : ''}); process.stdout.write(JSON.stringify({url: p.url}) + '\\n')`
    const bare = await child(['--input-type=module', '-e', bareScript(null)])
    const bareMirror = await child(['--input-type=module', '-e', bareScript(fastShadow.url)])
    procs.push(bare, bareMirror)
    const off = await gateway(dir, upstream.url, null, 'off')
    const on = await gateway(dir, upstream.url, fastShadow.url, 'on')
    const slow = await gateway(dir, upstream.url, slowShadow.url, 'slow')
    procs.push(off, on, slow)
    log(`upstream delay ${delay} ms; requests per measurement ${n} (1 connection: ${Math.ceil(n / 10)}); one process each; at 64 connections the median of ${Math.max(1, Number(process.env.KT_BENCH_GATEWAY_ROUNDS ?? 3))} interleaved rounds`)
    log('cpu µs/req: all threads of the proxy process (in brackets: its main thread, the one that answers)')
    log('conns  setup                          p50 ms  p99 ms   req/s   +p50 ms  +p99 ms    cpu µs/req     p99 vs bare  req/s vs bare  cpu vs bare')
    for (const conns of [1, 16, 64]) {
      const count = conns === 1 ? Math.ceil(n / 10) : n
      const sides: [string, string, number | null][] = [['direct to upstream', upstream.url, null], ['bare node:http proxy', bare.url, bare.pid], ['bare proxy, mirror 1.0', bareMirror.url, bareMirror.pid], ['gateway, mirroring off', off.url, off.pid], ['gateway, mirror 1.0', on.url, on.pid], ['gateway, 2 s shadow', slow.url, slow.pid]]
      // At 64 connections (where the targets are) every setup is measured `rounds` times, interleaved, and each figure
      // is the median of its rounds: one round on a shared machine moves by several percent.
      const rounds = conns === 64 ? Math.max(1, Number(process.env.KT_BENCH_GATEWAY_ROUNDS ?? 3)) : 1
      const runs: Record<string, Sample[]> = {}
      for (let round = 0; round < rounds; round++) {
        for (const [name, url, pid] of sides) {
          await drive(url, conns, Math.min(count, 200))
          // Nothing left over from the previous measurement (events being written, shadows in flight) may run during this one.
          await settle([off.url, on.url, slow.url])
          const c0 = pid === null ? 0 : cpuUs(pid)
          const t0 = pid === null ? 0 : cpuUs(pid, true)
          const m = await drive(url, conns, count)
          ;(runs[name] ??= []).push({...m, cpu: pid === null ? NaN : (cpuUs(pid) - c0) / count, main: pid === null ? NaN : (cpuUs(pid, true) - t0) / count})
        }
      }
      const results: Record<string, Sample> = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, medianSample(v)]))
      const d = results['direct to upstream']!
      const b = results['bare node:http proxy']!
      for (const [name] of sides) {
        const m = results[name]!
        const vsBare = name === 'direct to upstream' || name === 'bare node:http proxy' ? '' : `${f2(m.p99 / b.p99).padStart(13)}x  ${f2(m.rps / b.rps).padStart(12)}x  ${f2(m.cpu / b.cpu).padStart(10)}x`
        const cpu = Number.isNaN(m.cpu) ? '' : `${f1(m.cpu)} [${f1(m.main)}]`
        log(`${String(conns).padStart(5)}  ${name.padEnd(28)} ${f2(m.p50).padStart(7)} ${f2(m.p99).padStart(7)} ${f1(m.rps).padStart(8)} ${f2(m.p50 - d.p50).padStart(9)} ${f2(m.p99 - d.p99).padStart(8)} ${cpu.padStart(15)}  ${vsBare}${m.errors ? `  (${m.errors} errors)` : ''}`)
      }
      const bm = results['bare proxy, mirror 1.0']!
      const gm = results['gateway, mirror 1.0']!
      log(`       mirroring, against the bare proxy that mirrors too: throughput ${f2(gm.rps / bm.rps)}x, +p50 ${f2(gm.p50 - bm.p50)} ms, p99 ${f2(gm.p99 / bm.p99)}x`)
      const off64 = results['gateway, mirroring off']!
      const slow64 = results['gateway, 2 s shadow']!
      log(`       the 2 s shadow changed gateway throughput by ${f1((100 * (slow64.rps - off64.rps)) / off64.rps)}% (target: under 5%)`)
    }
    if (memRequests > 0) {
      log(`memory: ${memRequests} requests at 64 connections through the gateway mirroring every request`)
      const samples: string[] = []
      const step = Math.max(1, Math.floor(memRequests / 10))
      for (let done = 0; done < memRequests; done += step) {
        await drive(on.url, 64, step)
        samples.push(`${done + step}: ${f1(rssMb(on.pid))} MB`)
      }
      log(`  gateway RSS after ${samples.join(', ')}`)
      await settle([on.url])
      const h = await health(on.url)
      const dropped = /kt_gateway_events_dropped_total (\d+)/.exec(await (await fetch(`${on.url}/metrics`)).text())?.[1] ?? '0'
      log(`  events written ${h.events_written}, dropped ${dropped}`)
    }
    const path = await callPathCost(upstream.url, 2000)
    log(`call path: CPU per upstream call, official SDK client ${f1(path.sdkUs)} µs vs plain node:http ${f1(path.rawUs)} µs (${f1(path.sdkUs / path.rawUs)}x): the gateway calls upstreams through node:http`)
  } finally {
    for (const p of procs.reverse()) await p.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) await run()
