// Golden files: a fixed ReportModel and RunData rendered into every format and compared byte for byte
// with test/golden/. After an intended change, regenerate with KT_UPDATE_GOLDEN=1 and review the diff.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, test} from 'node:test'
import {
  compareRuns,
  renderCompareJson,
  renderCompareMarkdown,
  renderCompareTable,
  renderCsv,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderTable,
} from '../../src/report/index.js'
import {emptyModel, fixtureModel, fixtureRunData, fixtureRunDataB} from '../support/report-fixture.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const GOLDEN = join(ROOT, 'test', 'golden')
const UPDATE = process.env.KT_UPDATE_GOLDEN === '1'

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name)
  if (UPDATE) {
    mkdirSync(GOLDEN, {recursive: true})
    writeFileSync(path, actual)
    return
  }
  assert.ok(existsSync(path), `golden file ${path} is missing: run the test with KT_UPDATE_GOLDEN=1 to create it, then review it`)
  const expected = readFileSync(path, 'utf8')
  if (actual !== expected) {
    const a = actual.split('\n')
    const e = expected.split('\n')
    const i = a.findIndex((line, k) => line !== e[k])
    assert.fail(
      `${name} differs from the golden file at line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n` +
        'If the change is intended, regenerate with KT_UPDATE_GOLDEN=1 and review the diff.',
    )
  }
}

describe('report renderers against golden files', () => {
  const model = fixtureModel()
  const data = fixtureRunData()

  test('table (no colour)', () => golden('report.table.txt', renderTable(model, {color: false})))
  test('json', () => golden('report.json', renderJson(model)))
  test('csv', () => golden('report.csv', renderCsv(data, model)))
  test('markdown', () => golden('report.md', renderMarkdown(model)))
  test('html', () => golden('report.html', renderHtml(model)))
  test('empty model: table, markdown and html', () => {
    const empty = emptyModel()
    golden('report-empty.table.txt', renderTable(empty, {color: false}))
    golden('report-empty.md', renderMarkdown(empty))
    golden('report-empty.html', renderHtml(empty))
  })
  test('compare: table, json, markdown', () => {
    const cmp = compareRuns(fixtureRunData(), fixtureRunDataB(), {seed: 3, B: 1000})
    golden('compare.table.txt', renderCompareTable(cmp))
    golden('compare.json', renderCompareJson(cmp))
    golden('compare.md', renderCompareMarkdown(cmp))
  })
})

describe('determinism', () => {
  test('renderJson keeps its key order whatever order the model was built in', () => {
    const model = fixtureModel()
    // Rebuild every object with its keys reversed.
    const reversed = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reversed)
      if (v === null || typeof v !== 'object') return v
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse().map(([k, x]) => [k, reversed(x)]))
    }
    const a = renderJson(model)
    const b = renderJson(reversed(model) as typeof model)
    assert.equal(b, a)
    assert.ok(a.startsWith('{\n  "schema": "kt.report/v1",\n  "run": {\n    "id": '), a.slice(0, 80))
    assert.ok(a.endsWith('}\n'))
    // An unbounded ratio end is not valid JSON as Infinity: it becomes null.
    const parsed = JSON.parse(a) as {metrics: {metric: string; comparison: {high: number | null} | null}[]}
    assert.equal(parsed.metrics.find((m) => m.metric === 'latency.p95')!.comparison!.high, null)
  })

  test('every renderer gives the same bytes twice', () => {
    const m1 = fixtureModel()
    const m2 = fixtureModel()
    assert.equal(renderHtml(m1), renderHtml(m2))
    assert.equal(renderMarkdown(m1), renderMarkdown(m2))
    assert.equal(renderCsv(fixtureRunData(), m1), renderCsv(fixtureRunData(), m2))
    const c1 = compareRuns(fixtureRunData(), fixtureRunDataB(), {seed: 5, B: 500})
    const c2 = compareRuns(fixtureRunData(), fixtureRunDataB(), {seed: 5, B: 500})
    assert.equal(renderCompareJson(c1), renderCompareJson(c2))
  })
})
