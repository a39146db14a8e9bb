// Shared setup for the judge tests: a real SQLite store with a real replay run (recorded primary vs an
// offline simulated candidate), and scripted judge answers for the fake upstream.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {SimulationSpec, TargetSpec} from '../../src/providers/index.js'
import {createReplayRun, executeRun} from '../../src/replay/index.js'
import {openDb, type DB} from '../../src/store/db.js'
import {importFiles} from '../../src/app/import/import-files.js'

export type Json = Record<string, unknown>

/** Recorded primary answers all contain this marker; the simulated candidate's never do. */
export const PRIMARY_MARK = 'Open settings'

function pairLine(i: number): string {
  return JSON.stringify({
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    request: {
      model: 'gpt-4o-mini',
      temperature: 0.3,
      messages: [
        {role: 'system', content: 'You help with accounts.'},
        {role: 'user', content: `How do I reset password number ${i}?`},
      ],
    },
    response: {
      id: `chatcmpl-${i}`, object: 'chat.completion', created: 1761955200 + i, model: 'gpt-4o-mini',
      choices: [{index: 0, message: {role: 'assistant', content: `${PRIMARY_MARK} and reset password ${i}.`}, finish_reason: 'stop'}],
      usage: {prompt_tokens: 20, completion_tokens: 8, total_tokens: 28},
    },
    latency_ms: 300 + i,
  })
}

/** A store in `dir` with one completed run of n requests: recorded primary, simulated candidate. */
export async function seededRun(dir: string, n: number, candidateSim: SimulationSpec = {style: 'terse'}): Promise<{db: DB; dbPath: string; runId: string}> {
  const file = join(dir, 'prod.jsonl')
  writeFileSync(file, Array.from({length: n}, (_, i) => pairLine(i)).join('\n') + '\n')
  const dbPath = join(dir, 'kt.db')
  const db = openDb(dbPath)
  const s = await importFiles(db, dbPath, [file])
  assert.equal(s.totals.imported, n)
  const candidate: TargetSpec = {id: 'cand', provider: 'simulated', model: 'simulated-terse', simulation: candidateSim}
  const settings = {selection: {}, modelMap: {}, concurrency: 4, rps: null, tpm: null, timeoutMs: 5000, retries: 0, maxCost: null, aa: 0, seed: 1}
  const planned = createReplayRun(db, {primary: 'recorded', candidate, settings})
  const runId = planned.runId
  const out = await executeRun(db, planned, {retryBaseMs: 1})
  assert.equal(out.status, 'completed')
  return {db, dbPath, runId}
}

export function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
}

/** Text of a message's content in either wire format. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((p) => {
    const o = obj(p)
    return typeof o.text === 'string' ? o.text : typeof o.content === 'string' ? o.content : ''
  }).join('\n')
}

/** The judge prompt's first user turn (the data the judge grades). */
export function judgeUserText(body: Json): string {
  const messages = Array.isArray(body.messages) ? body.messages.map(obj) : []
  const first = messages.find((m) => m.role === 'user')
  return first ? contentText(first.content) : ''
}

/** record_scores / record_verdict, from either the OpenAI json_schema name or the forced Anthropic tool. */
export function judgeKind(body: Json): 'pointwise' | 'pairwise' | null {
  const name = obj(obj(body.response_format).json_schema).name ?? obj(body.tool_choice).name
  return name === 'record_scores' ? 'pointwise' : name === 'record_verdict' ? 'pairwise' : judgeUserText(body).includes('<response_a>') ? 'pairwise' : judgeUserText(body).includes('<response>') ? 'pointwise' : null
}

export function between(text: string, open: string, close: string): string {
  const a = text.indexOf(open)
  const b = text.indexOf(close, a + open.length)
  return a >= 0 && b > a ? text.slice(a + open.length, b) : ''
}

/** A well-formed pointwise answer. */
export function scoresJson(rel: number, coh: number, com: number): string {
  return JSON.stringify({
    relevance: {reasoning: 'It addresses the question.', score: rel},
    coherence: {reasoning: 'It reads clearly.', score: coh},
    completeness: {reasoning: 'It covers the steps.', score: com},
  })
}

/** Primary answers get 5/4/3, candidate answers 2/2/2: arm means that tell the arms apart. */
export function gradeByArm(body: Json): string {
  const response = between(judgeUserText(body), '<response>', '</response>')
  return response.includes(PRIMARY_MARK) ? scoresJson(5, 4, 3) : scoresJson(2, 2, 2)
}
