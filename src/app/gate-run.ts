// Gating a stored run end to end, for `kt gate` and `kt replay --gate`: parse the rules, score the
// run if it has not been scored, build the report, and hand back the model and the exit code.
import type {KtConfig} from '../config/index.js'
import {loadRunData} from '../analysis/index.js'
import {buildReport, type BuildReportOptions} from '../report/index.js'
import type {ReportModel} from '../analysis/index.js'
import type {JudgeOptions} from '../scoring/index.js'
import {scoreRun, type ScoreRunOutcome} from './score-run.js'
import type {DB} from '../store/index.js'
import {getRun} from '../store/index.js'
import {KtError} from '../util/index.js'
import {DEFAULT_GATES} from '../gate/index.js'
import {parseGates, type GateInput} from '../gate/index.js'

export type RunGatesOptions = Omit<BuildReportOptions, 'gates'> & {
  /** Also grade the answers with an LLM judge (scores the run again when it lacks this judge's results). */
  judge?: JudgeOptions
}

export interface RunGatesResult {
  model: ReportModel
  exitCode: number
  /** The run had to be scored first (how many answers were scored). */
  scored: number | null
  /** The judge's outcome when `judge` was given. */
  judge: ScoreRunOutcome['judge']
}

/**
 * Which rules apply: `--gate` rules when given, else the config's `gates:` (with file and line for
 * error messages), else the defaults.
 */
export function gateRulesFrom(flagRules: readonly string[] | undefined, config: KtConfig | null): GateInput[] {
  if (flagRules && flagRules.length) return flagRules.map((rule) => ({rule, source: null}))
  if (config && config.gates.length) {
    return config.gates.map((rule, i) => {
      const src = config.gate_sources[i]
      return {rule, source: {file: config.file, line: src?.line ?? null, key: src?.path ?? `gates[${i}]`}}
    })
  }
  return [...DEFAULT_INPUTS]
}

/** The default rules, as objects: a default rule is told from the same rule typed by the user by identity. */
const DEFAULT_INPUTS: readonly GateInput[] = DEFAULT_GATES.map((rule) => ({rule, source: null}))

/**
 * The rules that apply to a run: a run with a batched arm has no latency to gate, so the default latency rule is
 * left out (saying so); a latency rule the user asked for is refused by the gate evaluation.
 */
export function rulesForRun(rules: readonly (string | GateInput)[], run: {batch_arms?: readonly string[]}): {rules: (string | GateInput)[]; dropped: string[]} {
  if (!run.batch_arms?.some((a) => a !== 'primary_aa')) return {rules: [...rules], dropped: []}
  const dropped: string[] = []
  const kept = rules.filter((r) => {
    const isDefault = typeof r !== 'string' && DEFAULT_INPUTS.includes(r)
    if (isDefault && parseGates([r])[0]!.spec.quantile) {
      dropped.push(r.rule)
      return false
    }
    return true
  })
  return {rules: kept, dropped}
}

/** The warning that says which default rules a batched run left out. */
export function droppedWarning(dropped: readonly string[]): string[] {
  return dropped.length ? [`default gate${dropped.length > 1 ? 's' : ''} ${dropped.map((d) => `"${d}"`).join(', ')} left out: a batched arm has no latency`] : []
}

/**
 * Gates a run. Rules are parsed before anything else (a bad rule is exit 2 with nothing written);
 * an empty rule list means the default gates. An unscored run is scored first, with `opts.policy`.
 */
export async function runGates(db: DB, runId: string, rules: readonly (string | GateInput)[], options: RunGatesOptions = {}): Promise<RunGatesResult> {
  const {judge, ...opts} = options
  parseGates(rules.length ? rules : DEFAULT_INPUTS)
  const run = getRun(db, runId)
  if (!run) throw new KtError(`no run "${runId}" (see kt runs list)`, 2)
  // Scores the run unless it already is (under this policy, with this judge's records).
  const outcome = await scoreRun(db, run.id, {policy: opts.policy, judge})
  const data = loadRunData(db, run.id)
  const {rules: list, dropped} = rulesForRun(rules.length ? rules : DEFAULT_INPUTS, data.run)
  const model = buildReport(data, {...opts, gates: list})
  model.warnings.push(...droppedWarning(dropped))
  return {model, exitCode: model.exit_code, scored: outcome.skipped ? null : outcome.scored, judge: outcome.judge}
}
