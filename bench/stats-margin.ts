// The full figures behind test/gate/margin.test.ts and test/analysis/beyond-noise.test.ts (issue 12, items 1–2; quoted in
// docs/scoring-and-gates.md §4.1.1 and §4.6):
//   1. P(PASS) of `mean_diff > -0.02` when the true mean difference is exactly −0.02, per family and n, for kt's mean
//      interval (studentized bootstrap + rare-event bound) and, for comparison, the percentile bootstrap kt used
//      before; with a Clopper–Pearson 95% upper bound on each Monte Carlo estimate;
//   2. the A/A false-FAIL rate of `mean_diff > 0`;
//   3. the beyond-noise rate on A/A runs: mean, FAIL and PASS of `beyond_noise_rate <= 0.05`.
// The mean intervals are computed with stats.meanInterval directly (the gate path is exercised by the tests).
//
//   node dist/bench/stats-margin.js                         1000 runs per cell, B = 2000
//   KT_BENCH_STATS_RUNS=200 KT_BENCH_STATS_B=500 node dist/bench/stats-margin.js     quick look
import {pathToFileURL} from 'node:url'
import {beyondNoiseRate, clopperPearsonUpper, meanInterval, quantileSorted, rng, type NoisePair} from '../src/stats/index.js'
import {DIFFERENCES, type DiffGen} from '../test/support/differences.js'

const RUNS = Number(process.env.KT_BENCH_STATS_RUNS ?? 1000)
const B = Number(process.env.KT_BENCH_STATS_B ?? 2000)
const NS = [30, 50, 100, 200, 500]

/** The percentile bootstrap of the mean kt used before (for comparison only). */
function percentileLow(d: number[], next: () => number): number {
  const n = d.length
  const stats = new Float64Array(B)
  for (let r = 0; r < B; r++) {
    let s = 0
    for (let k = 0; k < n; k++) s += d[Math.floor(next() * n)]!
    stats[r] = s / n
  }
  return quantileSorted(stats.sort(), 0.025)
}

function pct(k: number, n: number): string {
  return `${((100 * k) / n).toFixed(1)}% (≤${(100 * clopperPearsonUpper(k, n, 0.025)).toFixed(1)})`
}

function marginCell(gen: DiffGen, n: number, seed: number): {now: number; before: number} {
  const u = rng(seed)
  const old = rng(seed + 1)
  let now = 0
  let before = 0
  for (let r = 0; r < RUNS; r++) {
    const d = Array.from({length: n}, () => gen(u))
    if (meanInterval(d, {seed: r + 1, B, range: [-1, 1]}).low > -0.02) now++
    if (percentileLow(d, old) > -0.02) before++
  }
  return {now, before}
}

function aaCell(gen: DiffGen, n: number, seed: number): number {
  const u = rng(seed)
  let fail = 0
  for (let r = 0; r < RUNS; r++) {
    const d = Array.from({length: n}, () => gen(u))
    if (meanInterval(d, {seed: r + 1, B, range: [-1, 1]}).high <= 0) fail++
  }
  return fail
}

function beyondNoiseCell(n: number, aa: number, seed: number): {mean: number; fail: number; pass: number} {
  const u = rng(seed)
  let total = 0
  let fail = 0
  let pass = 0
  for (let r = 0; r < RUNS; r++) {
    const items: NoisePair[] = []
    for (let i = 0; i < n; i++) {
      const typical = 0.3 + 0.6 * u()
      const draw = () => Math.min(1, Math.max(0, typical + 0.1 * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())))
      const sim = draw()
      items.push({sim, noise: u() < aa ? draw() : null})
    }
    const b = beyondNoiseRate(items, {seed: r + 1, B})
    total += b.rate
    if (b.low > 0.05) fail++
    if (b.high <= 0.05) pass++
  }
  return {mean: total / RUNS, fail, pass}
}

export async function run(): Promise<void> {
  console.log(`stats-margin: ${RUNS} runs per cell, B = ${B}; rates with a 95% upper bound on the Monte Carlo estimate`)
  console.log('\n1. P(PASS) of "mean_diff > -0.02" at a true mean difference of −0.02 (nominal 2.5%, required ≤ 3%)')
  for (const [name, gens] of Object.entries(DIFFERENCES)) {
    const cells = NS.map((n, i) => marginCell(gens.margin, n, 1000 * i + name.length))
    console.log(`  ${name.padEnd(20)} now:    ${cells.map((c, i) => `n=${NS[i]} ${pct(c.now, RUNS)}`).join('  ')}`)
    console.log(`  ${''.padEnd(20)} before: ${cells.map((c, i) => `n=${NS[i]} ${pct(c.before, RUNS)}`).join('  ')}`)
  }
  console.log('\n2. A/A false-FAIL of "mean_diff > 0" (nominal 2.5%, required ≤ 5%)')
  for (const [name, gens] of Object.entries(DIFFERENCES)) {
    const cells = [30, 100, 300].map((n, i) => aaCell(gens.aa, n, 77 * i + name.length))
    console.log(`  ${name.padEnd(20)} ${cells.map((k, i) => `n=${[30, 100, 300][i]} ${pct(k, RUNS)}`).join('  ')}`)
  }
  console.log('\n3. beyond_noise_rate on A/A runs: mean (nominal 5%), FAIL and PASS of "<= 0.05"')
  for (const [n, aa] of [[300, 0.3], [400, 0.25], [200, 0.5], [120, 1]] as const) {
    const c = beyondNoiseCell(n, aa, n + Math.round(aa * 100))
    console.log(`  n=${n}, A/A on ${aa * 100}% (≈${Math.round(n * aa)} pairs): mean ${(100 * c.mean).toFixed(2)}%  FAIL ${pct(c.fail, RUNS)}  PASS ${pct(c.pass, RUNS)}`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
