// Formula injection: no line of any CSV cell kt writes starts a live formula, a cell with a line break is always
// quoted, and the importer gets every cell back exactly.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {CSV_QUOTING, neutralize, unneutralize} from '../../src/util/index.js'

const CELLS = [
  "Thanks!\r=cmd|' /C calc'!A0",
  'ok\n+SUM(A1:A9)',
  'a\r\n@HYPERLINK("http://x")',
  '=1+1',
  "'=already quoted",
  "text\n'=quoted line",
  '-5',
  '-5\n-6',
  'plain',
  '\tindented',
  'two\r\r=bare CRs',
  '',
]

/** What a spreadsheet treats as the start of a line: the cell, and whatever follows a CR or LF inside it. */
function lineStarts(text: string): string[] {
  return text.split(/\r\n|\r|\n/)
}

describe('CSV cells', () => {
  test('no line of a neutralised cell starts with = + - @ or tab, except a plain number', () => {
    for (const c of CELLS) {
      for (const [i, line] of lineStarts(neutralize(c)).entries()) {
        const live = /^[=+\-@\t]/.test(line) && !(i === 0 && /^-?\d+(\.\d+)?$/.test(line))
        assert.ok(!live, `${JSON.stringify(c)} → line ${JSON.stringify(line)}`)
      }
    }
  })

  test('unneutralize gives back exactly the original cell', () => {
    for (const c of CELLS) assert.equal(unneutralize(neutralize(c)), c, JSON.stringify(c))
  })

  test('a cell with a CR or LF is quoted, so a spreadsheet keeps it in one row; parsing gives it back', () => {
    const text = stringify([CELLS.map(neutralize)], CSV_QUOTING)
    for (const c of CELLS.filter((x) => /[\r\n]/.test(x))) assert.ok(text.includes(`"${neutralize(c).replace(/"/g, '""')}"`), JSON.stringify(c))
    const back = (parse(text, {relax_column_count: true}) as string[][])[0]!.map(unneutralize)
    assert.deepEqual(back, CELLS)
  })
})
