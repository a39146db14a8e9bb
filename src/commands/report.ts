import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../cli/base.js'
import {judgeBudgetFlag, judgeFlags} from '../cli/judge-flags.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {loadConfigFromFlag, qualityPolicyFrom} from '../config/index.js'
import {parseGates} from '../gate/index.js'
import {gateRulesFrom} from '../app/gate-run.js'
import {buildReport, normalizeLevel} from '../report/index.js'
import {loadRunData} from '../analysis/index.js'
import {REPORT_FORMATS, formatFromPath, renderReport, type ReportFormat} from '../report/index.js'
import {compareRuns, renderCompareJson, renderCompareMarkdown, renderCompareTable} from '../report/index.js'
import {defaultColor} from '../report/index.js'
import type {QualityPolicy} from '../scoring/index.js'
import {formatJudgeSummary, judgeFromFlags, type JudgeOptions} from '../scoring/index.js'
import {runIsScored, scoreRun} from '../app/score-run.js'
import type {DB} from '../store/index.js'
import {getRun} from '../store/index.js'
import {KtError, errorMessage} from '../util/index.js'

export default class Report extends KtCommand {
  static override summary = 'Report a replay run: metrics, gates and worst regressions as a table, JSON, CSV, Markdown or HTML'
  static override description = `Builds the report of one replay run (scoring it first if it has not been scored, with the quality policy
from the config) and renders it:
  table     terminal summary: metrics with intervals, one line per gate, verdict, noise floor, worst regressions
  json      the full report (kt.report/v1) with a stable key order; same run and --seed give the same bytes
  csv       one row per request and arm (primary, candidate, A/A) with scores, similarity, prompt and answer
  markdown  for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment
  html      one self-contained page (no scripts, no network) with latency, score and similarity charts

Without --format, the format follows the --output extension (.html, .md, .json, .csv), else table.
Gates come from --gate (repeatable), else gates: in the config, else the defaults (see kt gate --help).

--compare RUN_B puts two runs' candidates side by side (say two candidate models replayed on the same
requests): A is RUN, B is RUN_B, paired only on the requests both runs share, with B − A (or B / A) and
its interval. --compare supports table, json and markdown.

The report does not gate: the exit status is 0 whatever the verdict (use kt gate in CI to fail a job),
2 on usage errors, 1 on other errors.`

  static override examples = [
    {description: 'Terminal summary of the last run', command: '<%= config.bin %> report'},
    {description: 'A self-contained HTML page with charts', command: '<%= config.bin %> report last --output report.html'},
    {description: 'GitHub Actions job summary', command: '<%= config.bin %> report last --format markdown >> "$GITHUB_STEP_SUMMARY"'},
    {description: 'Per-request CSV for a spreadsheet', command: '<%= config.bin %> report nightly --format csv --output nightly.csv'},
    {description: 'Your own gates, a fixed seed, as JSON', command: '<%= config.bin %> report run_01J… --format json --gate "latency.p95 <= 1.5x" --seed 7'},
    {description: 'Two candidates on the same requests', command: '<%= config.bin %> report haiku-run --compare mini-run --format markdown'},
  ]

  static override args = {
    run: Args.string({description: 'run id, name, unique id prefix, or "last"', default: 'last'}),
  }

  static override flags = {
    db: dbFlag,
    'policy-config': policyConfigFlag,
    format: Flags.string({char: 'f', description: 'output format [default: from the --output extension, else table]', options: [...REPORT_FORMATS]}),
    output: Flags.string({char: 'o', description: 'write to FILE (atomically: it appears complete or not at all) instead of stdout', helpValue: 'FILE'}),
    gate: Flags.string({char: 'g', description: 'gate rule, e.g. "latency.p95 <= 1.2x" (repeatable; replaces the config and default rules)', multiple: true}),
    seed: Flags.integer({description: 'bootstrap seed: the same run and seed give an identical report', default: 1}),
    level: Flags.string({description: 'confidence level in percent for intervals and rules without @LEVEL', default: '95'}),
    worst: Flags.integer({description: 'how many regressed requests to show', default: 5, min: 0, max: 100}),
    compare: Flags.string({description: 'a second run (B) whose candidate is compared with this run\'s (A), paired on shared requests', helpValue: 'RUN_B'}),
    ...judgeFlags,
    'judge-max-cost': judgeBudgetFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Report)
    const format: ReportFormat = (flags.format as ReportFormat | undefined) ?? (flags.output ? formatFromPath(flags.output) : null) ?? 'table'
    const levelText = flags.level.trim().replace(/%$/, '')
    const levelNum = Number(levelText)
    if (levelText === '' || !Number.isFinite(levelNum)) throw new KtError(`--level "${flags.level}": expected a percentage such as 90, 95 or 99`, 2)
    const level = normalizeLevel(levelNum)
    if (flags.compare && (format === 'csv' || format === 'html')) {
      throw new KtError(`--compare prints a side-by-side comparison as table, json or markdown; --format ${format} is for one run`, 2)
    }
    if (flags.output) checkOutputPath(flags.output)
    const config = loadConfigFromFlag(flags['policy-config'])
    const policy = qualityPolicyFrom(config) ?? undefined
    const rules = gateRulesFrom(flags.gate, config)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config, flags['judge-max-cost'])
    // A bad rule is a usage error before any work (scoring writes to the store).
    if (!flags.compare) parseGates(rules)
    const {db, path} = this.openStore(flags.db)
    let text: string
    try {
      const dataA = await this.scoredData(db, path, args.run, policy, judge)
      if (flags.compare) {
        const dataB = await this.scoredData(db, path, flags.compare, policy, judge)
        if (dataA.run.id === dataB.run.id) throw new KtError(`--compare ${flags.compare}: that is run ${dataA.run.id} itself; give another run`, 2)
        const cmp = compareRuns(dataA, dataB, {seed: flags.seed, level})
        if (cmp.shared === 0) throw new KtError(`runs ${dataA.run.id} and ${dataB.run.id} share no requests: there is nothing to pair`, 2)
        text =
          format === 'json' ? renderCompareJson(cmp) : format === 'markdown' ? renderCompareMarkdown(cmp) : renderCompareTable(cmp, {color: !flags.output && defaultColor()})
      } else {
        const model = buildReport(dataA, {gates: rules, seed: flags.seed, level, policy, worst: flags.worst})
        text = renderReport(format, model, dataA, {color: !flags.output && defaultColor()})
        // The table prints its warnings itself; other formats on stdout would hide them in the data.
        if (format !== 'table' || flags.output) for (const w of model.warnings) this.note(`warning: ${w}`)
      }
    } finally {
      db.close()
    }
    if (flags.output) {
      const written = writeAtomic(flags.output, text)
      this.note(`wrote ${format} report to ${written} (${Buffer.byteLength(text)} bytes)`)
    } else {
      process.stdout.write(text)
    }
  }

  /** The run's data, scored first if it has no scores yet (with the config's quality policy). */
  private async scoredData(db: DB, path: string, ref: string, policy: QualityPolicy | undefined, judge: JudgeOptions | undefined) {
    const run = getRun(db, ref)
    if (!run) throw new KtError(`no run "${ref}" in ${path} (see kt runs list)`, 2)
    if (judge || !runIsScored(db, run.id, policy)) {
      const outcome = await scoreRun(db, run.id, {policy, judge})
      if (outcome.scored > 0) this.note(`scored run ${run.id} (${outcome.scored} answers) before reporting`)
      if (outcome.judge) for (const line of formatJudgeSummary(outcome.judge)) this.note(line)
    }
    return loadRunData(db, run.id)
  }
}

function checkOutputPath(path: string): void {
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    // Does not exist yet: fine.
  }
  if (isDir) throw new KtError(`--output ${path}: is a directory; give a file name`, 2)
  const dir = dirname(resolve(path))
  let dirOk = false
  try {
    dirOk = statSync(dir).isDirectory()
  } catch {
    // Reported below.
  }
  if (!dirOk) throw new KtError(`--output ${path}: directory ${dir} does not exist`, 2)
}

/** Temp file in the target's directory, fsynced, renamed over the target: readers never see half a report. */
function writeAtomic(path: string, text: string): string {
  const target = resolve(path)
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  let fd: number | null = null
  try {
    fd = openSync(tmp, 'wx', 0o644)
    writeFileSync(fd, text)
    fsyncSync(fd)
    closeSync(fd)
    fd = null
    renameSync(tmp, target)
    return target
  } catch (error) {
    if (fd !== null) closeSync(fd)
    rmSync(tmp, {force: true})
    throw new KtError(`--output ${path}: cannot write the report: ${errorMessage(error)} (nothing was written)`)
  }
}
