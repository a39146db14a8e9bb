// `--worst N` is what every format shows (the model holds N, renderers show them all), and the verdict sentence
// is a whole sentence in every format.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {renderHtml, renderMarkdown, renderTable} from '../../src/report/index.js'
import {verdictSentence} from '../../src/report/render/format.js'
import {fixtureModel} from '../support/report-fixture.js'

describe('report renderers', () => {
  test('every format shows every regressed request the model holds', () => {
    const base = fixtureModel()
    const one = base.worst[0]!
    const worst = Array.from({length: 12}, (_, i) => ({...one, event_id: `ev_worst_${i}`, prompt: `ev_worst_${i} ${one.prompt}`}))
    const model = {...base, worst}
    const ids = (text: string) => new Set(text.match(/ev_worst_\d+/g) ?? []).size
    assert.equal(ids(renderTable(model, {color: false})), 12)
    assert.equal(ids(renderMarkdown(model)), 12)
    assert.equal(ids(renderHtml(model)), 12)
  })

  test('the verdict sentences are whole sentences', () => {
    for (const v of ['pass', 'fail', 'inconclusive', 'insufficient', 'none'] as const) {
      const s = verdictSentence(v)
      assert.ok(!/\b(would|to|the|a|of|more)$/.test(s), `"${s}" is cut off`)
    }
    assert.match(verdictSentence('inconclusive'), /more requests would narrow the intervals$/)
  })
})
