// The main job on embedded defaults: the shipped production sample goes into a fresh SQLite file,
// is replayed against the recorded primary and an offline simulated candidate, scored, reported and
// gated. No API key, no network. Every step is the same code the individual commands run.
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {runGates} from './gate-run.js'
import {loadRunData} from '../analysis/index.js'
import {renderReport} from '../report/index.js'
import type {ReportModel} from '../analysis/index.js'
import {createReplayRun, executeRun, type ReplaySettings} from '../replay/index.js'
import type {TargetSpec} from '../providers/index.js'
import type {QualityPolicy} from '../scoring/index.js'
import {openDb} from '../store/index.js'
import {importFiles, type ImportSummary} from './import/import-files.js'
import {KtError} from '../util/index.js'

/** The shipped sample, wherever kt is installed (dist/src/demo → repo root). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/', import.meta.url))

export function fixtureFiles(dir = FIXTURES_DIR): string[] {
  if (!existsSync(dir)) throw new KtError(`the shipped fixtures are missing (${dir}); reinstall kt`)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(dir, f))
  // Sample sets shipped as folders (e.g. an OpenAI Batch input/output pair) are imported together.
  for (const sub of readdirSync(dir, {withFileTypes: true})) {
    if (!sub.isDirectory() || sub.name === 'config') continue
    for (const f of readdirSync(join(dir, sub.name)).sort()) if (f.endsWith('.jsonl')) files.push(join(dir, sub.name, f))
  }
  return files
}

export interface DemoOptions {
  outDir: string
  candidate: TargetSpec
  gates: string[]
  policy?: QualityPolicy
  concurrency?: number
  onStage?: (message: string) => void
  onProgress?: (done: number, total: number, errors: number) => void
}

export interface DemoResult {
  dbPath: string
  runId: string
  imported: ImportSummary
  model: ReportModel
  files: Record<'table' | 'csv' | 'html' | 'markdown' | 'json', string>
  table: string
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const outDir = resolve(opts.outDir)
  mkdirSync(outDir, {recursive: true})
  const dbPath = join(outDir, 'kt.db')
  // The demo owns its folder's database: start clean so every run tells the same story.
  for (const f of ['kt.db', 'kt.db-wal', 'kt.db-shm']) rmSync(join(outDir, f), {force: true})
  const stage = opts.onStage ?? (() => undefined)
  const db = openDb(dbPath)
  try {
    const files = fixtureFiles()
    stage(`1/4 importing the shipped production sample (${files.length} files) into ${dbPath}`)
    const imported = await importFiles(db, dbPath, files)
    if (imported.totals.failed_files > 0) throw new KtError(`importing the fixtures failed: ${imported.files.find((f) => f.error)?.error}`)

    stage(`2/4 replaying against the recorded primary and candidate ${opts.candidate.id} (offline)`)
    const settings: ReplaySettings = {selection: {}, modelMap: {}, concurrency: opts.concurrency ?? 16, rps: null, tpm: null, timeoutMs: 60_000, retries: 2, maxCost: null, aa: 0, seed: 1}
    const run = createReplayRun(db, {primary: 'recorded', candidate: opts.candidate, settings}, {name: 'demo'})
    const runId = run.runId
    await executeRun(db, run, {onProgress: (p) => opts.onProgress?.(p.done, p.total, p.errors)})

    stage('3/4 scoring both answers of every request and gating the swap')
    const {model} = await runGates(db, runId, opts.gates, {policy: opts.policy})
    const data = loadRunData(db, runId)

    stage(`4/4 writing reports to ${outDir}`)
    const out: DemoResult['files'] = {
      table: join(outDir, 'report.txt'),
      csv: join(outDir, 'report.csv'),
      html: join(outDir, 'report.html'),
      markdown: join(outDir, 'report.md'),
      json: join(outDir, 'report.json'),
    }
    for (const format of ['csv', 'html', 'markdown', 'json'] as const) writeFileSync(out[format], renderReport(format, model, data, {color: false}))
    const table = renderReport('table', model, data, {color: Boolean(process.stdout.isTTY)})
    writeFileSync(out.table, renderReport('table', model, data, {color: false}))
    return {dbPath, runId, imported, model, files: out, table}
  } finally {
    db.close()
  }
}
