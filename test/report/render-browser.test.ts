// The HTML report in a real browser: Debian's headless Chromium parses the page (--dump-dom) and draws
// it (--screenshot). The DOM must hold every chart with the expected bars and points, the hostile answer
// must still be text, and the screenshot must be a real, full-size picture.
// In CI (CI=true, where .ci/run installs Debian's chromium) a missing Chromium FAILS this test. On a developer's
// machine without Chromium it is skipped with the install hint, so the README's test command works on a fresh machine.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, describe, test} from 'node:test'
import {renderHtml} from '../../src/report/index.js'
import {LATENCY_BINS, SCORE_BINS, SCORE_DIMENSIONS, SIMILARITY_BINS} from '../../src/report/render/html.js'
import {LATENCY_N, SIMILARITY_N, fixtureModel} from '../support/report-fixture.js'

const CHROMIUM = process.env.KT_CHROMIUM ?? '/usr/bin/chromium'
const MISSING = !existsSync(CHROMIUM) && process.env.CI !== 'true'
const SKIP = process.env.KT_SKIP_BROWSER === '1' || MISSING
const WIDTH = 1280
const HEIGHT = 2400

function chromium(dir: string, extra: string[], url: string): string {
  const profile = mkdtempSync(join(dir, 'profile-'))
  return execFileSync(
    CHROMIUM,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...extra, url,
    ],
    {encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe']},
  )
}

/** Bars of one chart, as the browser built them. */
function bars(dom: string, id: string): {series: string; count: number}[] {
  const svg = new RegExp(`<svg[^>]*\\bid="${id}"[\\s\\S]*?</svg>`).exec(dom)
  assert.ok(svg, `chart ${id} is in the DOM`)
  return [...svg[0].matchAll(/<rect class="bar [^"]*" data-series="([^"]*)" data-count="(\d+)"/g)].map((m) => ({series: m[1]!, count: Number(m[2])}))
}

function total(list: {series: string; count: number}[], series: string): number {
  return list.filter((b) => b.series === series).reduce((a, b) => a + b.count, 0)
}

// Skipped per test, not per suite: node's runner counts skipped tests in its summary, not skipped suites.
const SKIP_REASON = SKIP ? (MISSING ? `Chromium not installed at ${CHROMIUM} (apt-get install -y chromium); CI installs it and runs this test` : 'KT_SKIP_BROWSER=1') : false

describe('HTML report in headless Chromium', () => {
  const model = fixtureModel()
  let dir = ''
  let url = ''
  let dom = ''
  let png = ''

  before(() => {
    if (SKIP) return
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), point KT_CHROMIUM at it, or set KT_SKIP_BROWSER=1 to skip this test`,
    )
    dir = mkdtempSync(join(tmpdir(), 'kt-browser-'))
    const file = join(dir, 'report.html')
    writeFileSync(file, renderHtml(model))
    url = pathToFileURL(file).href
    dom = chromium(dir, ['--dump-dom'], url)
    png = join(dir, 'report.png')
    chromium(dir, [`--screenshot=${png}`, `--window-size=${WIDTH},${HEIGHT}`, '--hide-scrollbars'], url)
  })

  after(() => {
    // KT_KEEP_SCREENSHOT=FILE keeps the picture for a human to look at.
    if (process.env.KT_KEEP_SCREENSHOT && existsSync(png)) copyFileSync(png, process.env.KT_KEEP_SCREENSHOT)
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  test('the DOM has the latency histogram: every bin for both arms, every request counted', {skip: SKIP_REASON}, () => {
    const b = bars(dom, 'chart-latency')
    assert.equal(b.length, LATENCY_BINS * 2)
    assert.equal(total(b, 'primary'), LATENCY_N.primary)
    assert.equal(total(b, 'candidate'), LATENCY_N.candidate)
    assert.ok(b.filter((x) => x.count > 0).length >= 10, 'the values spread over many bins')
    assert.match(dom, /<g class="marker m-primary" data-x="1180">/)
  })

  test('the DOM has one score histogram per dimension', {skip: SKIP_REASON}, () => {
    for (const dim of SCORE_DIMENSIONS) {
      const b = bars(dom, `chart-scores-${dim}`)
      assert.equal(b.length, SCORE_BINS * 2, dim)
      assert.equal(total(b, 'primary'), model.distributions.scores[dim].primary.length, dim)
      assert.equal(total(b, 'candidate'), model.distributions.scores[dim].candidate.length, dim)
    }
  })

  test('the DOM has the similarity histogram with the noise floor and its 5th percentile', {skip: SKIP_REASON}, () => {
    const b = bars(dom, 'chart-similarity')
    assert.equal(b.length, SIMILARITY_BINS * 2)
    assert.equal(total(b, 'candidate vs primary'), SIMILARITY_N.candidate)
    assert.equal(total(b, "primary' vs primary (A/A)"), SIMILARITY_N.noise)
    assert.match(dom, /<g class="marker m-noise" data-x="0\.\d+">/)
  })

  test('the DOM has one gate row and point per gate', {skip: SKIP_REASON}, () => {
    const svg = /<svg[^>]*\bid="chart-gates"[\s\S]*?<\/svg>/.exec(dom)![0]
    assert.equal((svg.match(/<g class="row /g) ?? []).length, model.gates.length)
    assert.equal((svg.match(/<circle class="point"/g) ?? []).length, model.gates.filter((g) => g.value.estimate !== null).length)
    assert.equal((svg.match(/<line class="threshold"/g) ?? []).length, model.gates.length)
  })

  test('answers stayed text in the browser: no script or img element, side-by-side examples', {skip: SKIP_REASON}, () => {
    assert.ok(!/<script/i.test(dom))
    assert.ok(!/<img/i.test(dom))
    assert.ok(dom.includes('&lt;script&gt;alert("pwned")&lt;/script&gt;'))
    assert.equal((dom.match(/<article class="example"/g) ?? []).length, Math.min(10, model.worst.length))
    assert.equal((dom.match(/<div class="sides">/g) ?? []).length, Math.min(10, model.worst.length))
    assert.match(dom, /<title>kt report run_01fixture0000000000000000: FAIL<\/title>/)
  })

  test('the screenshot is a full-size PNG with real content', {skip: SKIP_REASON}, (t) => {
    const buf = readFileSync(png)
    assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
    assert.equal(buf.toString('latin1', 12, 16), 'IHDR')
    const width = buf.readUInt32BE(16)
    const height = buf.readUInt32BE(20)
    assert.equal(width, WIDTH)
    assert.equal(height, HEIGHT)
    // A blank 1280×2400 page compresses to a few kilobytes; charts, tables and text do not.
    const size = statSync(png).size
    assert.ok(size > 60_000, `screenshot is only ${size} bytes`)
    t.diagnostic(`screenshot ${width}×${height}, ${size} bytes${process.env.KT_KEEP_SCREENSHOT ? ` kept at ${process.env.KT_KEEP_SCREENSHOT}` : ''}`)
  })
})
