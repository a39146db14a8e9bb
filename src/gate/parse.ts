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

/** A cursor over one rule's tokens, with a method per part of the grammar. Every error names the rule and column. */
class RuleParser {
  private k = 0
  constructor(
    readonly rule: string,
    private readonly tokens: Token[],
  ) {}

  peek(): Token {
    return this.tokens[this.k]!
  }

  take(): Token {
    return this.tokens[this.k++]!
  }

  fail(pos: number, detail: string): never {
    throw new GateSyntaxError(this.rule, pos, detail)
  }

  metric(): MetricSpec {
    const m = this.take()
    if (m.type !== 'ident') this.fail(m.pos, `expected a metric name such as quality.overall.mean_diff, got ${describe(m)}`)
    const spec = findMetric(m.text)
    if (spec) return spec
    if (/^judge\./i.test(m.text)) {
      this.fail(m.pos, `"${m.text}": judge metrics need LLM-judge scores, which this run does not have; gate on quality.<dim>.mean_diff instead`)
    }
    const near = suggestMetrics(m.text)
    const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '; see kt gate --help for the metric names'
    return this.fail(m.pos, `unknown metric "${m.text}"${hint}`)
  }

  op(spec: MetricSpec): GateOp {
    const o = this.take()
    if (o.type !== 'op') this.fail(o.pos, `expected a comparison (>, >=, <, <=) after ${spec.name}, got ${describe(o)}`)
    if (OPS.includes(o.text as GateOp)) return o.text as GateOp
    const fix: Record<string, string> = {'=>': '>=', '=<': '<=', '>>': '>', '<<': '<'}
    return this.fail(
      o.pos,
      o.text === '=' || o.text === '=='
        ? `"${o.text}" cannot be shown with an interval; use >= or <= with a margin`
        : fix[o.text]
          ? `unknown comparison "${o.text}"; did you mean "${fix[o.text]}"?`
          : `unknown comparison "${o.text}"; expected >, >=, < or <=`,
    )
  }

  /** An optional "%" after a number: allowed on rates, scores and similarities. */
  percent(spec: MetricSpec, value: number): number {
    if (this.peek().type !== 'percent') return value
    const p = this.take()
    if (spec.unit !== 'rate' && spec.unit !== 'score' && spec.unit !== 'similarity') {
      this.fail(p.pos, `"%" only applies to rates, scores and similarities, not ${spec.name} (${spec.unit})`)
    }
    return value / 100
  }

  /** "primary" (or, for similarities, "aa") with an optional signed margin. */
  margin(spec: MetricSpec): {kind: GateKind; threshold: number} {
    const first = this.take()
    const word = first.text.toLowerCase()
    if (spec.family === 'score_diff') this.fail(first.pos, `"${first.text}" does not apply here: ${spec.hint}`)
    if (word === 'aa' && spec.family !== 'similarity') {
      this.fail(first.pos, `"aa" (the A/A noise floor) applies to similarity.<metric>.mean only; compare ${spec.name} with primary±margin or a number`)
    }
    const sign = this.peek()
    if (sign.type === 'number') this.fail(sign.pos, `expected "+" or "-" between "${first.text}" and the margin (${word}+0.01)`)
    if (sign.type !== 'plus' && sign.type !== 'minus') return {kind: 'difference', threshold: 0}
    this.take()
    const n = this.take()
    if (n.type !== 'number') this.fail(n.pos, `expected a number after "${first.text}${sign.text}", got ${describe(n)}`)
    return {kind: 'difference', threshold: this.percent(spec, Number(n.text)) * (sign.type === 'minus' ? -1 : 1)}
  }

  /** A signed number: a ratio with "x", else an absolute value (the difference itself for *.mean_diff). */
  number(spec: MetricSpec): {kind: GateKind; threshold: number} {
    const first = this.peek()
    let negative = false
    if (first.type === 'plus' || first.type === 'minus') {
      this.take()
      negative = first.type === 'minus'
    }
    const n = this.take()
    if (n.type !== 'number') {
      const what = n.type === 'ident' ? `"${n.text}" (did you mean "primary"?)` : describe(n)
      this.fail(n.pos, `expected a number, primary±margin or a ratio like 1.2x, got ${what}`)
    }
    const value = Number(n.text) * (negative ? -1 : 1)
    const next = this.peek()
    if (next.type === 'ident' && next.text.toLowerCase() === 'x') {
      this.take()
      if (!(value > 0)) this.fail(n.pos, `a ratio must be positive, got ${value}x`)
      return {kind: 'ratio', threshold: value}
    }
    return {kind: spec.family === 'score_diff' ? 'difference' : 'absolute', threshold: this.percent(spec, value)}
  }

  rhs(spec: MetricSpec): {kind: GateKind; threshold: number} {
    const first = this.peek()
    const pos = first.pos
    const word = first.type === 'ident' ? first.text.toLowerCase() : ''
    const {kind, threshold} = word === 'primary' || word === 'aa' ? this.margin(spec) : this.number(spec)
    if (!Number.isFinite(threshold)) this.fail(pos, 'the threshold is not a finite number')
    if (!spec.kinds.includes(kind)) {
      const what = kind === 'ratio' ? 'a ratio (Nx)' : kind === 'difference' ? 'a margin over the primary (primary±N)' : 'an absolute number'
      this.fail(pos, `${spec.name} cannot be compared with ${what}: ${spec.hint}`)
    }
    return {kind, threshold}
  }

  /** "@" level: 95%, 95 or 0.95; null without one. */
  level(): number | null {
    if (this.peek().type !== 'at') return null
    this.take()
    const n = this.take()
    if (n.type !== 'number') this.fail(n.pos, `expected a confidence level after "@" (90%, 95%, 99%), got ${describe(n)}`)
    let value = Number(n.text)
    if (this.peek().type === 'percent') {
      this.take()
      value /= 100
    } else if (value > 1) value /= 100
    if (!(value >= 0.5 && value < 1)) this.fail(n.pos, `confidence level ${n.text} is out of range; use 50% to 99.9%, e.g. @95%`)
    return value
  }

  end(): void {
    const rest = this.peek()
    if (rest.type !== 'end') this.fail(rest.pos, `unexpected ${describe(rest)}; a rule ends after the threshold and an optional @level`)
  }
}

/** Parses one rule; throws GateSyntaxError. */
export function parseGate(raw: string, source: RuleSource | null = null): GateRule {
  const rule = raw.trim()
  if (rule === '') throw new GateSyntaxError(rule, 0, 'empty rule; expected e.g. "quality.overall.mean_diff > -0.02"')
  const p = new RuleParser(rule, tokenize(rule))
  const spec = p.metric()
  const op = p.op(spec)
  const {kind, threshold} = p.rhs(spec)
  const level = p.level()
  p.end()
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
