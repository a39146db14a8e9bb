// Real prompts for simulations: the public prompt sets in test/data/public/prompts (Vicuna bench, MT-Bench first turns,
// Self-Instruct seed and user-oriented tasks), and seeded samples of them.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {rng} from '../../src/stats/index.js'
import {ROOT} from './cli.js'

const PROMPTS = join(ROOT, 'test', 'data', 'public', 'prompts')

function load(): string[] {
  const out: string[] = []
  const lines = (f: string) => readFileSync(join(PROMPTS, f), 'utf8').split('\n').filter((l) => l.trim())
  for (const f of ['vicuna-bench-questions.jsonl', 'mt-bench-questions.jsonl']) for (const l of lines(f)) out.push((JSON.parse(l) as {turns: string[]}).turns[0]!)
  for (const f of ['self-instruct-seed-tasks.jsonl', 'self-instruct-user-oriented-instructions.jsonl']) {
    for (const l of lines(f)) {
      const o = JSON.parse(l) as {instruction: string; instances?: {input?: string}[]}
      const input = o.instances?.[0]?.input
      out.push(input ? `${o.instruction}\n\n${input}` : o.instruction)
    }
  }
  return out
}

let cached: string[] | null = null

export function allPrompts(): string[] {
  return (cached ??= load())
}

/** Seeded sample of n prompts (Fisher–Yates with the stats PRNG); with n above the pool, prompts repeat in new orders. */
export function samplePrompts(n: number, seed: number): string[] {
  const all = allPrompts()
  const next = rng(seed)
  const out: string[] = []
  while (out.length < n) {
    const idx = all.map((_, i) => i)
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
    }
    for (const i of idx) if (out.length < n) out.push(all[i]!)
  }
  return out
}
