// `kt report` end to end: score the run if it is not scored yet (with the config's quality policy and an optional
// judge), build its report model once, and render it; or put two runs' candidates side by side.
import {loadRunData, type RunData} from '../analysis/index.js'
import type {GateInput} from '../gate/index.js'
import {buildReport, compareRuns, normalizeLevel, renderCompareJson, renderCompareMarkdown, renderCompareTable, renderReport, type ReportFormat} from '../report/index.js'
import {formatJudgeSummary, type JudgeOptions, type QualityPolicy} from '../scoring/index.js'
import type {DB} from '../store/index.js'
import {KtError} from '../util/index.js'
import {droppedWarning, rulesForRun} from './gate-run.js'
import {pickRun} from './runs.js'
import {scoreRun} from './score-run.js'

export interface ReportInput {
  run: string
  /** A second run whose candidate is compared with this run's. */
  compare?: string
  format: ReportFormat
  rules: readonly (string | GateInput)[]
  seed: number
  level: number
  worst: number
  color: boolean
  policy?: QualityPolicy
  judge?: JudgeOptions
}

/** The rendered report, and the warnings to show beside it. */
export interface ReportOutput {
  text: string
  warnings: string[]
}

/** A run's data, scored first if it has no scores yet (scoreRun skips a run already scored under this policy and judge). */
export async function scoredRunData(
  db: DB,
  dbPath: string,
  ref: string,
  opts: {policy?: QualityPolicy; judge?: JudgeOptions; note: (line: string) => void; purpose: string},
): Promise<RunData> {
  const run = pickRun(db, ref, opts.note, dbPath)
  const outcome = await scoreRun(db, run.id, {policy: opts.policy, judge: opts.judge})
  if (outcome.scored > 0) opts.note(`scored run ${run.id} (${outcome.scored} answers) before ${opts.purpose}`)
  if (outcome.judge) for (const line of formatJudgeSummary(outcome.judge)) opts.note(line)
  return loadRunData(db, run.id)
}

export async function reportRun(db: DB, dbPath: string, input: ReportInput, note: (line: string) => void): Promise<ReportOutput> {
  const level = normalizeLevel(input.level)
  const dataA = await scoredRunData(db, dbPath, input.run, {policy: input.policy, judge: input.judge, note, purpose: 'reporting'})
  if (input.compare) {
    const dataB = await scoredRunData(db, dbPath, input.compare, {policy: input.policy, judge: input.judge, note, purpose: 'reporting'})
    if (dataA.run.id === dataB.run.id) throw new KtError(`--compare ${input.compare}: that is run ${dataA.run.id} itself; give another run`, 2)
    const cmp = compareRuns(dataA, dataB, {seed: input.seed, level})
    if (cmp.in_both === 0) throw new KtError(`runs ${dataA.run.id} and ${dataB.run.id} share no requests: there is nothing to pair`, 2)
    const text = input.format === 'json' ? renderCompareJson(cmp) : input.format === 'markdown' ? renderCompareMarkdown(cmp) : renderCompareTable(cmp, {color: input.color})
    return {text, warnings: []}
  }
  const {rules, dropped} = rulesForRun(input.rules, dataA.run)
  const model = buildReport(dataA, {gates: rules, seed: input.seed, level, policy: input.policy, worst: input.worst})
  model.warnings.push(...droppedWarning(dropped))
  return {text: renderReport(input.format, model, dataA, {color: input.color}), warnings: model.warnings}
}
