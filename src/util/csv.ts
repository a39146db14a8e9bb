// Spreadsheet safety for every CSV kt writes: a cell a spreadsheet would run as a formula is neutralised, reversibly.

/** Cells a spreadsheet would run as a formula: a leading = + - @ tab or CR, possibly behind quotes we added. */
const FORMULA = /^'*[=+\-@\t\r]/
/** A plain number is safe in a spreadsheet (and `-5` must stay a number there), so it is never prefixed. */
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const NEUTRALIZED = /^'+[=+\-@\t\r]/

/**
 * Prefixes `'` to a cell a spreadsheet would evaluate. Cells that already start with quotes before such a
 * character get one more, so `unneutralize` (which removes exactly one) gives back the original text.
 */
export function neutralize(value: string): string {
  return FORMULA.test(value) && !NUMBER.test(value) ? `'${value}` : value
}

/** Undoes `neutralize`: drops one leading `'` only when quotes are followed by a formula character. */
export function unneutralize(cell: string): string {
  return NEUTRALIZED.test(cell) ? cell.slice(1) : cell
}

