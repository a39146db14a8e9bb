// Spreadsheet safety for every CSV kt writes: a cell a spreadsheet would run as a formula is neutralised,
// reversibly, and a cell holding a line break is always quoted. A spreadsheet reads a bare CR or LF in an
// unquoted cell as a new row, whose first cell could then be a live formula, so the same rule applies after
// every line break inside a cell.

/** A line a spreadsheet would run as a formula: a leading = + - @ or tab, possibly behind quotes we added. */
const FORMULA = /^'*[=+\-@\t\r]/
/** A plain number is safe in a spreadsheet (and `-5` must stay a number there), so it is never prefixed. */
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const NEUTRALIZED = /^'+[=+\-@\t\r]/
/** Splits before each line of a cell, keeping the line breaks with the line before. */
const LINES = /(?<=\r\n|\r(?!\n)|\n)/

/** csv-stringify options for every CSV kt writes: a cell with a CR or LF is always quoted. */
export const CSV_QUOTING = {quoted_match: /[\r\n]/} as const

function neutralizeLine(line: string, first: boolean): string {
  return FORMULA.test(line) && !(first && NUMBER.test(line)) ? `'${line}` : line
}

/**
 * Prefixes `'` to a cell, and to each line of it, that a spreadsheet would evaluate. Lines that already start
 * with quotes before such a character get one more, so `unneutralize` (which removes exactly one) gives back the
 * original text.
 */
export function neutralize(value: string): string {
  if (!/[\r\n]/.test(value)) return neutralizeLine(value, true)
  return value
    .split(LINES)
    .map((line, i) => neutralizeLine(line, i === 0))
    .join('')
}

/** Undoes `neutralize`: drops one leading `'` of the cell and of each line, only where quotes precede a formula character. */
export function unneutralize(cell: string): string {
  const one = (line: string) => (NEUTRALIZED.test(line) ? line.slice(1) : line)
  if (!/[\r\n]/.test(cell)) return one(cell)
  return cell.split(LINES).map(one).join('')
}
