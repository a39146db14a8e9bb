// Runs every bench module next to this file (dist/bench/*.js) that exports `run()`, one after another,
// with a header per bench. Bench modules must not do work on import: guard their CLI entry point with
// `if (resolve(process.argv[1]) === fileURLToPath(import.meta.url))`.
//
//   node dist/bench/run-all.js                 all benches, in file-name order
//   node dist/bench/run-all.js import replay   only these
// Exit status 1 when a bench throws (the others still run).
import {readdirSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

const SELF = fileURLToPath(import.meta.url)
const DIR = dirname(SELF)

/** Bench module names (file names without .js) in `dir`, this runner excluded. */
export function benchNames(dir = DIR): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.js') && e.name !== basename(SELF))
    .map((e) => e.name.slice(0, -3))
    .sort()
}

export interface BenchOutcome {
  name: string
  status: 'ok' | 'failed' | 'no-run'
  seconds: number
  error?: string
}

export async function runAll(only: string[] = [], dir = DIR, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<BenchOutcome[]> {
  const names = benchNames(dir)
  const unknown = only.filter((n) => !names.includes(n))
  if (unknown.length) throw new Error(`unknown bench ${unknown.map((n) => `"${n}"`).join(', ')}; available: ${names.join(', ')}`)
  const outcomes: BenchOutcome[] = []
  for (const name of names) {
    if (only.length && !only.includes(name)) continue
    const mod = (await import(pathToFileURL(join(dir, `${name}.js`)).href)) as {run?: unknown}
    if (typeof mod.run !== 'function') {
      outcomes.push({name, status: 'no-run', seconds: 0})
      continue
    }
    out(`\n=== bench: ${name} ===`)
    const t0 = performance.now()
    try {
      await (mod.run as () => unknown)()
      const seconds = (performance.now() - t0) / 1000
      outcomes.push({name, status: 'ok', seconds})
      out(`=== ${name}: done in ${seconds.toFixed(1)} s ===`)
    } catch (error) {
      const seconds = (performance.now() - t0) / 1000
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      outcomes.push({name, status: 'failed', seconds, error: message})
      out(`=== ${name}: FAILED after ${seconds.toFixed(1)} s ===\n${message}`)
    }
  }
  const ran = outcomes.filter((o) => o.status !== 'no-run')
  out(`\n${ran.length} bench(es): ${ran.map((o) => `${o.name} ${o.status} (${o.seconds.toFixed(1)} s)`).join(', ') || 'none found'}`)
  return outcomes
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  try {
    const outcomes = await runAll(process.argv.slice(2))
    if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 2
  }
}
