// What the renderers must never do, whatever the run contains: let an answer become HTML, load anything
// from the network, hand a spreadsheet a formula, or send escape sequences to a terminal.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {CSV_COLUMNS, renderCsv, renderHtml, renderMarkdown, renderTable} from '../../src/report/index.js'
import {ESCAPE_ANSWER, FORMULA_PROMPT, HOSTILE_ANSWER, fixtureModel, fixtureRunData} from '../support/report-fixture.js'

/**
 * The start tags of the page (outside <style>), each with its attribute names. Escaped text never holds a
 * literal `<`, and attribute values are double-quoted with `"` escaped, so a sequential scan is exact.
 */
function elements(html: string): {tag: string; attrs: string[]}[] {
  const noStyle = html.replace(/<style>[\s\S]*?<\/style>/g, '')
  return [...noStyle.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*\/?>/g)].map((m) => ({
    tag: m[1]!.toLowerCase(),
    attrs: [...m[2]!.matchAll(/\s+([^\s=/>]+)(?:="[^"]*")?/g)].map((a) => a[1]!.toLowerCase()),
  }))
}

function tags(html: string): string[] {
  return elements(html).map((e) => e.tag)
}

describe('HTML escaping and self-containment', () => {
  const html = renderHtml(fixtureModel())

  test('answers, prompts, names, ids and reasons stay text', () => {
    assert.ok(html.includes('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;'), 'the hostile answer is shown escaped')
    assert.ok(html.includes('&lt;img src=&quot;https://evil.example/x.png&quot; onerror=&quot;alert(1)&quot;&gt;'))
    assert.ok(html.includes('nightly &quot;&lt;b&gt;bold&lt;/b&gt;&quot;'), 'the run name is escaped')
    assert.ok(html.includes('data-event="ev_06&quot;&gt;&lt;svg onload=alert(1)&gt;"'), 'an id in an attribute cannot close it')
    assert.ok(html.includes('&lt;i&gt;bootstrap&lt;/i&gt;'), 'warnings are escaped')
    assert.ok(!html.includes('<script'), 'no script element')
    assert.ok(!/<img/i.test(html), 'no img element')
    const handlers = elements(html).flatMap((e) => e.attrs.filter((a) => a.startsWith('on')))
    assert.deepEqual(handlers, [], 'no event-handler attribute')
    // Every literal "<" starts a tag the scan understood (nothing half-escaped).
    const noStyle = html.replace(/<style>[\s\S]*?<\/style>/g, '')
    assert.equal((noStyle.match(/<(?!\/|!DOCTYPE)/g) ?? []).length, elements(html).length)
    // The only elements are the ones the renderer writes.
    const allowed = new Set([
      'html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'h1', 'h2', 'h3', 'div', 'span', 'b', 'code', 'table', 'thead', 'tbody',
      'tr', 'th', 'td', 'figure', 'figcaption', 'svg', 'desc', 'g', 'rect', 'text', 'line', 'circle', 'article', 'pre', 'p', 'ul', 'li', 'footer',
    ])
    const unexpected = [...new Set(tags(html))].filter((t) => !allowed.has(t))
    assert.deepEqual(unexpected, [], `unexpected elements: ${unexpected.join(', ')}`)
  })

  test('nothing is loaded from anywhere: no URL attribute, no url(), no @import, and a CSP that forbids it', () => {
    const urlAttrs = elements(html).flatMap((e) => e.attrs.filter((a) => ['src', 'href', 'xlink:href', 'srcset', 'action', 'formaction', 'poster', 'data', 'background', 'xmlns'].includes(a)))
    assert.deepEqual(urlAttrs, [], 'no URL-bearing attribute')
    assert.ok(!/url\s*\(/i.test(html), 'no CSS url()')
    assert.ok(!/@import/i.test(html), 'no @import')
    assert.ok(!/<(link|iframe|object|embed|base|audio|video|source|form)\b/i.test(html))
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;/)
    // URLs appear only as escaped text from the fixture's answers (http inside text is not a load).
    const withoutText = html.replace(/https:\/\/(evil\.example|docs\.example\.com)[^\s<&]*/g, '')
    assert.ok(!/https?:\/\//i.test(withoutText), 'no other URL anywhere, not even an SVG namespace')
  })

  test('a model without any of the hostile text has no "http" at all', () => {
    const m = fixtureModel()
    m.worst = m.worst.map((w) => ({...w, prompt: 'p', primary_text: 'a', candidate_text: 'b'}))
    assert.ok(!/https?:|\/\/[a-z]/i.test(renderHtml(m)))
  })

  test('every chart is an svg with an id, data-chart and a title', () => {
    const svgs = [...html.matchAll(/<svg ([^>]*)>(<title[^>]*>[^<]+<\/title>)?/g)]
    assert.equal(svgs.length, 7, 'gates, latency, four score dimensions, similarity')
    for (const s of svgs) {
      assert.match(s[1]!, /\bid="chart-[a-z-]+"/)
      assert.match(s[1]!, /\bdata-chart="[a-z-]+"/)
      assert.ok(s[2], `chart ${s[1]} has a <title> first`)
    }
  })
})

describe('CSV', () => {
  const data = fixtureRunData()
  const csv = renderCsv(data, fixtureModel())
  const rows = parse(csv, {columns: true}) as Record<string, string>[]

  test('one row per request and arm: primary and candidate always, A/A where it ran', () => {
    const aa = data.requests.filter((r) => r.primary_aa).length
    assert.equal(aa, 4)
    assert.equal(rows.length, data.requests.length * 2 + aa)
    assert.deepEqual(Object.keys(rows[0]!), [...CSV_COLUMNS])
    for (const r of data.requests) {
      const mine = rows.filter((x) => x.event_id === r.event_id).map((x) => x.arm)
      assert.deepEqual(mine, r.primary_aa ? ['primary', 'candidate', 'primary_aa'] : ['primary', 'candidate'])
    }
    const missing = rows.find((x) => x.event_id === 'ev_11' && x.arm === 'candidate')!
    assert.equal(missing.status, 'missing')
    const error = rows.find((x) => x.event_id === 'ev_09' && x.arm === 'candidate')!
    assert.equal(error.status, 'error')
    assert.equal(error.http_status, '529')
    assert.equal(error.overall, '')
  })

  test('similarity on the candidate row, the noise floor on the A/A row, nothing on the primary row', () => {
    const r0 = data.requests[0]!
    const byArm = (arm: string) => rows.find((x) => x.event_id === 'ev_00' && x.arm === arm)!
    assert.equal(byArm('primary').similarity_dice, '')
    assert.equal(Number(byArm('candidate').similarity_dice), r0.similarity!.dice)
    assert.equal(Number(byArm('primary_aa').similarity_dice), r0.noise!.dice)
    assert.equal(Number(byArm('candidate').overall), r0.candidate!.scores.overall)
    assert.equal(byArm('candidate').pass, 'false')
  })

  test('formula-like cells are neutralised; answers survive intact otherwise', () => {
    const r1 = rows.filter((x) => x.event_id === 'ev_01')
    assert.equal(r1[0]!.prompt, `'${FORMULA_PROMPT}`)
    assert.equal(r1.find((x) => x.arm === 'candidate')!.answer, "'=1+1")
    assert.equal(rows.find((x) => x.event_id === 'ev_03')!.prompt, "'+1 555 0100 is not answering, what now?")
    assert.equal(rows.find((x) => x.event_id === 'ev_04')!.prompt, "'-5 stars, the label printer jams")
    assert.equal(rows.find((x) => x.event_id === 'ev_05')!.prompt, "'@support can I change the delivery address?")
    assert.equal(rows.find((x) => x.event_id === 'ev_00' && x.arm === 'candidate')!.answer, HOSTILE_ANSWER)
    assert.equal(rows.find((x) => x.event_id === 'ev_02' && x.arm === 'primary')!.answer, 'Pack it, print the label, drop it off.\nRefund in 5 days.')
    for (const r of rows) for (const [k, v] of Object.entries(r)) assert.ok(!/^[=+@\t\r]/.test(v) && !/^-[^0-9]/.test(v), `${k}=${v} starts like a formula`)
  })
})

describe('terminal and Markdown', () => {
  test('the table has colour only when asked, and never the answers\' own escape sequences', () => {
    const plain = renderTable(fixtureModel(), {color: false})
    const coloured = renderTable(fixtureModel(), {color: true})
    assert.ok(!plain.includes('\u001b'), 'no escape at all without colour')
    assert.ok(coloured.includes('\u001b[32m'), 'colour when asked')
    assert.ok(!coloured.includes('\u001b[31mALERT'), "the answer's own escape sequence is neutralised")
    assert.ok(plain.includes('red ?[31mALERT?[0m text'))
    assert.match(plain, /✗ FAIL +quality\.overall\.mean_diff > -0\.02 +difference -0\.086 \[-0\.142, -0\.031\] +n=10/)
    assert.match(plain, /\? INCONCLUSIVE +error_rate <= primary\+0\.01 +difference \+0\.091 \[-0\.050, \+0\.380\]/)
    assert.match(plain, /✓ PASS +cost\.total <= 1\.2x +ratio 0\.69× \[0\.65, 0\.74\]/)
    assert.match(plain, /· INSUFFICIENT +latency\.p95 <= 1\.2x +ratio 1\.23× +n=10/)
    assert.match(plain, /│ Latency p95 +│ +1,180 ms │ +≥ 1,455 ms │ +1\.23× \[0\.98, ∞\] │/)
    assert.match(plain, /verdict {2}FAIL/)
  })

  test('Markdown keeps run text from becoming HTML, links or table columns', () => {
    const md = renderMarkdown(fixtureModel())
    assert.ok(md.startsWith('## ❌ kt report: FAIL\n'))
    assert.ok(!md.includes('<script'))
    assert.ok(!/<img/i.test(md))
    assert.ok(md.includes('&lt;script&gt;alert("pwned")&lt;/script&gt;'))
    assert.ok(!md.includes('\u001b'))
    // Each table row keeps its column count despite | in the text.
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) {
      const cells = line.replace(/\\\|/g, '').split('|').length
      const header = md.split('\n').find((l) => l.startsWith('| ') && l.split('|').length === cells)
      assert.ok(header, `row has an unexpected number of cells: ${line}`)
    }
    assert.equal((md.match(/<details>/g) ?? []).length, 7)
    assert.equal((md.match(/<\/details>/g) ?? []).length, 7)
    assert.ok(md.includes(ESCAPE_ANSWER.replace(/\u001b/g, '?')), 'inside <pre> the text is kept (escape characters shown as ?)')
  })
})
