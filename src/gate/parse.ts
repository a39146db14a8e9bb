// The gate language (docs/scoring-and-gates.md §5.3): `metric op rhs [@ level]`, read by a small hand-written
// tokenizer so that every error can name the rule, the column and what was expected.
//
//   gate   := metric op rhs [ "@" level ]
//   op     := > | >= | < | <=
//   rhs    := number ["%"]                       absolute (or, for *.mean_diff, the difference)
//           | "primary" [ ("+"|"-") number ["%"] ] additive margin: candidate − primary
//           | "aa" [ ("+"|"-") number ["%"] ]      similarity only: margin on the run's own A/A noise floor
//           | number "x"                          ratio: candidate / primary
//   level  := number ["%"]                        95%, 95 or 0.95; default the report's level
import {KtError} from '../util/index.js'
import {findMetric, suggestMetrics, type GateKind, type MetricSpec} from '../analysis/index.js'

export type GateOp = '>' | '>=' | '<' | '<='

/** Where a rule was written: a config file, its line and YAML key (`gates[1]`). */
export interface RuleSource {
  file: string | null
  line: number | null
  key?: string
}

export interface GateRule {
  /** The rule as written (trimmed). */
  text: string
  /** Canonical metric name. */
  metric: string
  spec: MetricSpec
  op: GateOp
  kind: GateKind
  threshold: number
  /** Confidence level from `@…` (0..1), null for the report's level. */
  level: number | null
  /** Where the rule came from when it was read from a config file. */
  source: RuleSource | null
}

type TokenType = 'ident' | 'number' | 'op' | 'plus' | 'minus' | 'percent' | 'at' | 'end'

interface Token {
  type: TokenType
  text: string
  /** 0-based offset in the rule. */
  pos: number
}

/** A syntax or meaning problem at a position of one rule. */
export class GateSyntaxError extends Error {
  constructor(
    readonly rule: string,
    readonly pos: number,
    readonly detail: string,
  ) {
    super(detail)
    this.name = 'GateSyntaxError'
  }

  /** `WHERE "RULE": DETAIL (column N)` plus the rule and a caret under the column. */
  format(where = 'gate'): string {
    const col = Math.min(this.pos, this.rule.length)
    return `${where} "${this.rule}": ${this.detail} (column ${col + 1})\n    ${this.rule}\n    ${' '.repeat(col)}^`
  }
}

function tokenize(rule: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < rule.length) {
    const ch = rule[i]!
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const start = i
    if (/[A-Za-z_]/.test(ch)) {
      while (i < rule.length && /[A-Za-z0-9_.]/.test(rule[i]!)) i++
      out.push({type: 'ident', text: rule.slice(start, i), pos: start})
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(rule[i + 1] ?? ''))) {
      while (i < rule.length && /[0-9]/.test(rule[i]!)) i++
      if (rule[i] === '.') {
        i++
        while (i < rule.length && /[0-9]/.test(rule[i]!)) i++
      }
      if (/[eE]/.test(rule[i] ?? '') && /[0-9]/.test(rule[i + 1] === '-' || rule[i + 1] === '+' ? rule[i + 2] ?? '' : rule[i + 1] ?? '')) {
        i += rule[i + 1] === '-' || rule[i + 1] === '+' ? 2 : 1
        while (i < rule.length && /[0-9]/.test(rule[i]!)) i++
      }
      out.push({type: 'number', text: rule.slice(start, i), pos: start})
    } else if (/[<>=!]/.test(ch)) {
      while (i < rule.length && /[<>=!]/.test(rule[i]!)) i++
      out.push({type: 'op', text: rule.slice(start, i), pos: start})
    } else if (ch === '≤' || ch === '≥') {
      i++
      out.push({type: 'op', text: ch === '≤' ? '<=' : '>=', pos: start})
    } else if (ch === '×') {
      i++
      out.push({type: 'ident', text: 'x', pos: start})
    } else if (ch === '+' || ch === '-' || ch === '−') {
      i++
      out.push({type: ch === '+' ? 'plus' : 'minus', text: ch, pos: start})
    } else if (ch === '%') {
      i++
      out.push({type: 'percent', text: ch, pos: start})
    } else if (ch === '@') {
      i++
      out.push({type: 'at', text: ch, pos: start})
    } else {
      throw new GateSyntaxError(rule, start, `unexpected character "${ch}"`)
    }
  }
  out.push({type: 'end', text: '', pos: rule.length})
  return out
}

const OPS: readonly GateOp[] = ['>', '>=', '<', '<=']

function describe(t: Token): string {
  return t.type === 'end' ? 'the end of the rule' : `"${t.text}"`
}

/** Parses one rule; throws GateSyntaxError. */
export function parseGate(raw: string, source: RuleSource | null = null): GateRule {
  const rule = raw.trim()
  if (rule === '') throw new GateSyntaxError(rule, 0, 'empty rule; expected e.g. "quality.overall.mean_diff > -0.02"')
  const tokens = tokenize(rule)
  let k = 0
  const peek = () => tokens[k]!
  const take = () => tokens[k++]!

  // metric
  const m = take()
  if (m.type !== 'ident') throw new GateSyntaxError(rule, m.pos, `expected a metric name such as quality.overall.mean_diff, got ${describe(m)}`)
  const spec = findMetric(m.text)
  if (!spec) {
    if (/^judge\./i.test(m.text)) {
      throw new GateSyntaxError(rule, m.pos, `"${m.text}": judge metrics need LLM-judge scores, which this run does not have; gate on quality.<dim>.mean_diff instead`)
    }
    const near = suggestMetrics(m.text)
    const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '; see kt gate --help for the metric names'
    throw new GateSyntaxError(rule, m.pos, `unknown metric "${m.text}"${hint}`)
  }

  // op
  const o = take()
  if (o.type !== 'op') throw new GateSyntaxError(rule, o.pos, `expected a comparison (>, >=, <, <=) after ${spec.name}, got ${describe(o)}`)
  if (!OPS.includes(o.text as GateOp)) {
    const fix: Record<string, string> = {'=>': '>=', '=<': '<=', '>>': '>', '<<': '<'}
    const detail =
      o.text === '=' || o.text === '=='
        ? `"${o.text}" cannot be shown with an interval; use >= or <= with a margin`
        : fix[o.text]
          ? `unknown comparison "${o.text}"; did you mean "${fix[o.text]}"?`
          : `unknown comparison "${o.text}"; expected >, >=, < or <=`
    throw new GateSyntaxError(rule, o.pos, detail)
  }
  const op = o.text as GateOp

  // rhs
  let kind: GateKind
  let threshold: number
  const kindPos = peek().pos
  const percent = (value: number): number => {
    if (peek().type !== 'percent') return value
    const p = take()
    if (spec.unit !== 'rate' && spec.unit !== 'score' && spec.unit !== 'similarity') {
      throw new GateSyntaxError(rule, p.pos, `"%" only applies to rates, scores and similarities, not ${spec.name} (${spec.unit})`)
    }
    return value / 100
  }
  const first = peek()
  const word = first.type === 'ident' ? first.text.toLowerCase() : ''
  if (word === 'primary' || word === 'aa') {
    if (spec.family === 'score_diff') throw new GateSyntaxError(rule, first.pos, `"${first.text}" does not apply here: ${spec.hint}`)
    if (word === 'aa' && spec.family !== 'similarity') {
      throw new GateSyntaxError(rule, first.pos, `"aa" (the A/A noise floor) applies to similarity.<metric>.mean only; compare ${spec.name} with primary±margin or a number`)
    }
    take()
    kind = 'difference'
    threshold = 0
    const sign = peek()
    if (sign.type === 'plus' || sign.type === 'minus') {
      take()
      const n = take()
      if (n.type !== 'number') throw new GateSyntaxError(rule, n.pos, `expected a number after "${first.text}${sign.text}", got ${describe(n)}`)
      threshold = percent(Number(n.text)) * (sign.type === 'minus' ? -1 : 1)
    } else if (sign.type === 'number') {
      throw new GateSyntaxError(rule, sign.pos, `expected "+" or "-" between "${first.text}" and the margin (${word}+0.01)`)
    }
  } else {
    let negative = false
    if (first.type === 'plus' || first.type === 'minus') {
      take()
      negative = first.type === 'minus'
    }
    const n = take()
    if (n.type !== 'number') {
      const what = n.type === 'ident' ? `"${n.text}" (did you mean "primary"?)` : describe(n)
      throw new GateSyntaxError(rule, n.pos, `expected a number, primary±margin or a ratio like 1.2x, got ${what}`)
    }
    const value = Number(n.text) * (negative ? -1 : 1)
    const next = peek()
    if (next.type === 'ident' && next.text.toLowerCase() === 'x') {
      take()
      if (!(value > 0)) throw new GateSyntaxError(rule, n.pos, `a ratio must be positive, got ${value}x`)
      kind = 'ratio'
      threshold = value
    } else {
      threshold = percent(value)
      kind = spec.family === 'score_diff' ? 'difference' : 'absolute'
    }
  }
  if (!Number.isFinite(threshold)) throw new GateSyntaxError(rule, kindPos, 'the threshold is not a finite number')
  if (!spec.kinds.includes(kind)) {
    const what = kind === 'ratio' ? 'a ratio (Nx)' : kind === 'difference' ? 'a margin over the primary (primary±N)' : 'an absolute number'
    throw new GateSyntaxError(rule, kindPos, `${spec.name} cannot be compared with ${what}: ${spec.hint}`)
  }

  // level
  let level: number | null = null
  if (peek().type === 'at') {
    take()
    const n = take()
    if (n.type !== 'number') throw new GateSyntaxError(rule, n.pos, `expected a confidence level after "@" (90%, 95%, 99%), got ${describe(n)}`)
    let value = Number(n.text)
    if (peek().type === 'percent') {
      take()
      value /= 100
    } else if (value > 1) value /= 100
    if (!(value >= 0.5 && value < 1)) throw new GateSyntaxError(rule, n.pos, `confidence level ${n.text} is out of range; use 50% to 99.9%, e.g. @95%`)
    level = value
  }
  const rest = peek()
  if (rest.type !== 'end') {
    throw new GateSyntaxError(rule, rest.pos, `unexpected ${describe(rest)}; a rule ends after the threshold and an optional @level`)
  }
  return {text: rule, metric: spec.name, spec, op, kind, threshold, level, source}
}

export interface GateInput {
  rule: string
  source?: RuleSource | null
}

/**
 * Parses every rule and reports all problems at once (KtError, exit 2). A rule from a config file
 * is named by its file and line; a rule from `--gate` by the flag.
 */
export function parseGates(inputs: readonly (string | GateInput)[]): GateRule[] {
  const rules: GateRule[] = []
  const problems: string[] = []
  for (const input of inputs) {
    const {rule, source} = typeof input === 'string' ? {rule: input, source: null} : {rule: input.rule, source: input.source ?? null}
    try {
      rules.push(parseGate(rule, source))
    } catch (error) {
      if (!(error instanceof GateSyntaxError)) throw error
      const where = source
        ? `${source.file ?? 'config'}${source.line !== null ? `:${source.line}` : ''}: ${source.key ?? 'gate'}`
        : '--gate'
      problems.push(error.format(where))
    }
  }
  if (problems.length) {
    const head = problems.length === 1 ? '' : `${problems.length} gate rules have problems:\n`
    throw new KtError(`${head}${problems.join('\n')}`, 2)
  }
  return rules
}
