// Throughput of the offline scorers: 10,000 primary/candidate pairs of ~2 KB answers, each
// scored with the three heuristics (both arms) plus dice/ROUGE-L/Jaccard. Inputs are generated
// from a seeded PRNG, so every run scores the same texts.
import {pathToFileURL} from 'node:url'
import {buildIdf, responseLength, scoreResponse, type ScoreInput, type ScorePrompt} from '../src/scoring/heuristics.js'
import {applyPolicy} from '../src/scoring/policy.js'
import {similarity} from '../src/scoring/similarity.js'
import {rng} from '../src/stats/index.js'

const PAIRS = 10_000
const TARGET_CHARS = 2000

const VOCAB = (
  'account password reset settings security email link refund policy annual plan invoice billing payment card ' +
  'server request latency cache database index query migration deploy container cluster node memory thread ' +
  'model prompt token response quality score metric gate threshold sample interval estimate variance ' +
  'customer order shipping delivery address warehouse return window days support ticket agent escalation ' +
  'the a to of and in for with on is are be can will your you this that it as by from or at'
).split(' ')

type Next = () => number

function pick<T>(next: Next, xs: readonly T[]): T {
  return xs[Math.floor(next() * xs.length)]!
}

function sentence(next: Next): string {
  const n = 8 + Math.floor(next() * 14)
  const words: string[] = []
  for (let i = 0; i < n; i++) words.push(pick(next, VOCAB))
  const s = words.join(' ')
  return s[0]!.toUpperCase() + s.slice(1) + pick(next, ['.', '.', '.', '!', '?'])
}

function answer(next: Next): string {
  const parts: string[] = []
  let len = 0
  let item = 1
  while (len < TARGET_CHARS) {
    const r = next()
    let block: string
    if (r < 0.1) block = `${item++}. ${sentence(next)}`
    else if (r < 0.13) block = '```python\ndef handler(event):\n    return {"status": "ok", "items": [1, 2, 3]}\n```'
    else block = sentence(next)
    parts.push(block)
    len += block.length + 1
  }
  return parts.join(next() < 0.5 ? ' ' : '\n')
}

interface BenchPair {
  prompt: ScorePrompt
  primary: string
  candidate: string
}

function generate(seed: number): BenchPair[] {
  const next = rng(seed)
  const prompts: ScorePrompt[] = []
  for (let i = 0; i < 200; i++) {
    const q = `${sentence(next)} ${sentence(next).replace(/[.!]$/, '?')}`
    prompts.push({system: 'You are a helpful assistant.', lastUser: q, allUserText: q, wantsJson: false})
  }
  const pairs: BenchPair[] = []
  for (let i = 0; i < PAIRS; i++) {
    const primary = answer(next)
    // Candidates: mostly an edited primary, sometimes unrelated, sometimes cut short.
    const r = next()
    let candidate: string
    if (r < 0.6) candidate = primary.replace(/\b(the|a|your)\b/g, () => pick(next, ['the', 'a', 'your', 'our']))
    else if (r < 0.9) candidate = answer(next)
    else candidate = primary.slice(0, 900 + Math.floor(next() * 600))
    pairs.push({prompt: prompts[i % prompts.length]!, primary, candidate})
  }
  return pairs
}

export async function run(): Promise<void> {
  const pairs = generate(20240601)
  const idf = buildIdf([...new Set(pairs.map((p) => p.prompt.lastUser))])
  const ctx = {idf}
  const inputsMb = process.memoryUsage().rss / 1024 / 1024
  let checksum = 0
  const start = process.hrtime.bigint()
  for (const pair of pairs) {
    const lp = responseLength(pair.primary)
    const lc = responseLength(pair.candidate)
    const base = {finish_reason: 'stop', status: 'ok', tool_calls: 0}
    const inP: ScoreInput = {prompt: pair.prompt, response: {text: pair.primary, ...base}, otherLength: lc}
    const inC: ScoreInput = {prompt: pair.prompt, response: {text: pair.candidate, ...base}, otherLength: lp}
    const sp = scoreResponse(inP, ctx)
    const sc = scoreResponse(inC, ctx)
    const sim = similarity(pair.primary, pair.candidate)
    checksum += (applyPolicy(sp.dimensions).overall ?? 0) + (applyPolicy(sc.dimensions).overall ?? 0) + sim.dice + sim.rougeL + sim.jaccard
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const avgChars = Math.round(pairs.reduce((s, p) => s + p.primary.length + p.candidate.length, 0) / (2 * pairs.length))
  // maxRSS is in kilobytes on Linux and macOS.
  const peakMb = process.resourceUsage().maxRSS / 1024
  console.log(`scoring: ${pairs.length} pairs, ${avgChars} chars per answer on average`)
  console.log(`scoring: ${ms.toFixed(0)} ms total, ${((ms * 1000) / pairs.length).toFixed(1)} us per pair`)
  console.log(`scoring: ${Math.round((pairs.length / ms) * 1000)} pairs/s`)
  console.log(`scoring: peak RSS ${peakMb.toFixed(1)} MB (${inputsMb.toFixed(1)} MB after generating the inputs)`)
  console.log(`scoring: checksum ${checksum.toFixed(6)}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
