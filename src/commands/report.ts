import {Args, Flags} from '@oclif/core'
import {gateRulesFrom} from '../app/gate-run.js'
import {reportRun} from '../app/report-run.js'
import {KtCommand, dbFlag, levelFlag} from '../cli/base.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {judgeBudgetFlag, judgeBatchProgress, judgeFlags} from '../cli/judge-flags.js'
import {loadConfigFromFlag, qualityPolicyFrom} from '../config/index.js'
import {parseGates} from '../gate/index.js'
import {defaultColor, formatFromPath, REPORT_FORMATS, type ReportFormat} from '../report/index.js'
import {judgeFromFlags} from '../scoring/index.js'
import {checkOutputPath, KtError, writeFileAtomic} from '../util/index.js'

export default class Report extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Report a replay run: metrics, gates and worst regressions as a table, JSON, CSV, Markdown or HTML'
  static override description = `Builds the report of one replay run (scoring it first if it has not been scored, with the quality policy
from the config) and renders it:
  table     terminal summary: metrics with intervals, one line per gate, verdict, noise floor, worst regressions
  json      the full report (kt.report/v1) with a stable key order; same run and --seed give the same bytes
  csv       one row per request and arm (primary, candidate, A/A) with scores, similarity, prompt and answer
  markdown  for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment
  html      one self-contained page (no scripts, no network) with latency, score and similarity charts

Without --format, the format follows the --output extension (.html, .md, .json, .csv), else table; --json is
--format json.
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
    const format: ReportFormat = (flags.format as ReportFormat | undefined) ?? (this.jsonEnabled() ? 'json' : null) ?? (flags.output ? formatFromPath(flags.output) : null) ?? 'table'
    const level = levelFlag(flags.level)
    if (flags.compare && (format === 'csv' || format === 'html')) {
      throw new KtError(`--compare prints a side-by-side comparison as table, json or markdown; --format ${format} is for one run`, 2)
    }
    if (flags.output) checkOutputPath(flags.output)
    const config = loadConfigFromFlag(flags['policy-config'])
    const rules = gateRulesFrom(flags.gate, config)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config, flags['judge-max-cost'], flags['judge-via'])
    if (judge?.via === 'batch') judge.onBatchProgress = judgeBatchProgress((line) => this.note(line))
    // A bad rule is a usage error before any work (scoring writes to the store).
    if (!flags.compare) parseGates(rules)
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    let out
    try {
      const input = {run: args.run, compare: flags.compare, format, rules, seed: flags.seed, level, worst: flags.worst, color: !flags.output && defaultColor(), policy: qualityPolicyFrom(config) ?? undefined, judge}
      out = await reportRun(db, path, input, (line) => this.note(line))
    } finally {
      db.close()
    }
    // The table prints its warnings itself; other formats on stdout would hide them in the data.
    if (format !== 'table' || flags.output) for (const w of out.warnings) this.note(`warning: ${w}`)
    if (flags.output) {
      const written = writeFileAtomic(flags.output, out.text)
      this.note(`wrote ${format} report to ${written} (${Buffer.byteLength(out.text)} bytes)`)
    } else {
      process.stdout.write(out.text)
    }
  }
}
