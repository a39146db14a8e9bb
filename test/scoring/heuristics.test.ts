import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {buildIdf, promptFromRequest, responseLength, scoreResponse, SCORERS, type ScoreInput, type ScorePrompt, type ScoreResponse} from '../../src/scoring/heuristics.js'
import {checkFences} from '../../src/scoring/heuristics/fences.js'
import {checkJson} from '../../src/scoring/heuristics/json.js'
import {detectRefusal} from '../../src/scoring/heuristics/refusal.js'
import {detectRepetition} from '../../src/scoring/heuristics/repetition.js'
import {checkScript} from '../../src/scoring/heuristics/script.js'
import {detectTruncation} from '../../src/scoring/heuristics/truncation.js'
import {splitParts} from '../../src/scoring/heuristics/parts.js'
import {emptyRequest} from '../../src/records/types.js'

const PROMPTS = [
  'How do I reset my password?',
  'What is your refund policy for annual plans?',
  'Explain how photosynthesis works.',
  'Write a haiku about autumn.',
  'How do I change my email address?',
]
const ctx = {idf: buildIdf(PROMPTS)}

function prompt(lastUser: string, extra: Partial<ScorePrompt> = {}): ScorePrompt {
  return {system: null, lastUser, allUserText: lastUser, wantsJson: false, ...extra}
}
function response(text: string | null, extra: Partial<ScoreResponse> = {}): ScoreResponse {
  return {text, finish_reason: 'stop', status: 'ok', tool_calls: 0, ...extra}
}
function score(p: ScorePrompt, r: ScoreResponse, otherLength: number | null = null) {
  const input: ScoreInput = {prompt: p, response: r, otherLength}
  return scoreResponse(input, ctx)
}

const PW = prompt('How do I reset my password?')
const GOOD =
  'To reset your password, open Settings, choose Security and click "Reset password". ' +
  'You will receive an email with a reset link that stays valid for 24 hours.'

describe('refusal', () => {
  test('trips on refusal openings (first two sentences), apostrophes normalised', () => {
    for (const t of [
      "I'm sorry, but I can't help with that.",
      'I’m sorry, but I can’t help with that request.',
      'I cannot assist with this request.',
      'As an AI language model, I cannot provide instructions for that.',
      'I must respectfully decline to answer.',
      "Thanks for reaching out. Unfortunately I won't be able to write that.",
      "I'm not able to share that information.",
      'This request violates our usage policies.',
    ]) {
      assert.deepEqual(detectRefusal(t), {refusal: true, mixed: false}, t)
    }
  })
  test('does not trip on look-alikes', () => {
    for (const t of [
      "Sorry for the delay, here's the report you asked for.",
      'Sorry for the confusion! I can help with that: open Settings first.',
      "I can't help but notice that your loop never ends; move the increment inside it.",
      'The error "I cannot help you" appears when the bot has no matching intent.',
      "I'm sorry to hear you can't log in. Here's how to fix it.",
      "Here is the answer. It has three parts. I can't help with the third one.",
      '> I cannot assist with that\nThat quote is the default message; change it in config.yaml.',
      "I can't stress enough how important backups are.",
    ]) {
      assert.equal(detectRefusal(t).refusal, false, t)
    }
  })
  test('mixed: a refusal followed by substantive content', () => {
    const mixed =
      "I can't provide medical advice, but here is some general information. Ibuprofen is a common " +
      'over-the-counter pain reliever. Adults usually take it with food to reduce stomach upset, and the label ' +
      'lists the maximum daily dose. People with kidney problems, ulcers or who take blood thinners should ask ' +
      'a pharmacist first. If pain lasts more than ten days, see a doctor.'
    assert.deepEqual(detectRefusal(mixed), {refusal: true, mixed: true})
    const s = score(PW, response(mixed))
    assert.equal(s.flags.refusal_mixed, true)
    assert.ok(s.dimensions.completeness.score! > 0, 'a mixed refusal is not zeroed')
  })
  test('a full refusal zeroes relevance and completeness, not coherence', () => {
    const s = score(PW, response("I'm sorry, but I can't help with that."))
    assert.equal(s.flags.refusal, true)
    assert.equal(s.dimensions.relevance.score, 0)
    assert.equal(s.dimensions.completeness.score, 0)
    assert.equal(s.dimensions.coherence.score, 1)
  })
})

describe('truncation', () => {
  test('trips: finish_reason length, no terminal punctuation, open fence, open JSON', () => {
    assert.equal(detectTruncation('A complete sentence.', 'length').truncated, true)
    const noTerm = detectTruncation('To reset your password, open Settings, choose Security and then click the button labelled', null)
    assert.deepEqual([noTerm.truncated, noTerm.no_terminal], [true, true])
    assert.equal(detectTruncation('Here is the script:\n```python\ndef main():\n    print("hi")\n', 'stop').open_fence, true)
    assert.equal(detectTruncation('{"users": [{"name": "Ada"}, {"name": "Gra', null).open_json, true)
    const afterCode = detectTruncation('```js\nrun()\n```\nThis runs the task and then writes the output to the file named', null)
    assert.equal(afterCode.truncated, true)
  })
  test('does not trip on ended answers', () => {
    for (const t of [
      GOOD,
      'Steps:\n1. Open Settings\n2. Choose Security\n3. Click Reset password',
      '| Plan | Price |\n|---|---|\n| Annual | $99 |\n| Monthly | $10 |',
      'Here is the code you asked for:\n```js\nconsole.log("hi")\n```',
      '42',
      'Paris',
      'You can find the full reset instructions in the help centre at https://example.com/help/reset-password',
      'All done, your password reset flow is configured and tested now 🎉',
      '{"name": "Ada", "roles": ["admin", "dev"]}',
      'def add(a, b):\n    total = a + b\n    return total\n\nprint(add(1, 2))\nresult = add(3, 4)',
      'Reset it from the Security page (Settings → Security → Reset password)',
    ]) {
      assert.equal(detectTruncation(t, 'stop').truncated, false, t)
    }
    assert.equal(detectTruncation(null, 'tool_calls').truncated, false)
  })
  test('truncation lowers coherence (×0.6) and completeness (×0.3)', () => {
    const s = score(PW, response(GOOD, {finish_reason: 'length'}))
    assert.equal(s.flags.truncated, true)
    assert.equal(s.dimensions.coherence.score, 0.6)
    assert.equal(s.dimensions.completeness.score, 0.3)
    assert.equal(s.dimensions.completeness.details.truncated_by_finish_reason, true)
  })
})

describe('empty, errors, tool calls', () => {
  test('empty answers score 0 everywhere', () => {
    for (const t of [null, '', '   \n ', '{}', 'null', '[]']) {
      const s = score(PW, response(t))
      assert.equal(s.flags.empty, true, JSON.stringify(t))
      assert.deepEqual(
        [s.dimensions.relevance.score, s.dimensions.coherence.score, s.dimensions.completeness.score],
        [0, 0, 0],
      )
    }
    assert.equal(score(PW, response('0')).flags.empty, false)
  })
  test('a tool-call-only response is not empty; its text dimensions are null', () => {
    const s = score(PW, response(null, {tool_calls: 2, finish_reason: 'tool_calls'}))
    assert.equal(s.flags.empty, false)
    assert.equal(s.dimensions.relevance.score, null)
    assert.equal(s.dimensions.completeness.details.tool_calls, 2)
  })
  test('errors and content-filter stops get null scores (counted as rates, not quality)', () => {
    for (const r of [response(null, {status: 'error'}), response('partial', {status: 'timeout'}), response('', {finish_reason: 'content_filter'})]) {
      const s = score(PW, r)
      for (const d of ['relevance', 'coherence', 'completeness'] as const) {
        assert.equal(s.dimensions[d].score, null)
        assert.equal(s.dimensions[d].scorer, SCORERS[d])
      }
      assert.equal(s.flags.empty, false)
    }
  })
})

describe('repetition', () => {
  test('trips on repeated lines and on 4-gram loops', () => {
    const lines = 'To reset your password open settings.\n' + 'Click the reset button now please.\n'.repeat(6)
    const r = detectRepetition(lines)
    assert.equal(r.loop, true)
    assert.equal(r.max_line_run, 6)
    const phrase = 'To reset your password open the settings page and click reset. '.repeat(8)
    const p = detectRepetition(phrase)
    assert.ok(p.rep4 > 0.8, `rep4 ${p.rep4}`)
    const s = score(PW, response(lines))
    assert.ok(s.dimensions.coherence.score! <= 0.5)
    assert.equal(score(PW, response(phrase)).dimensions.coherence.score, 0)
  })
  test('does not trip on normal prose, tables or code braces', () => {
    assert.equal(detectRepetition(GOOD).rep4, 0)
    const table = '| a | b |\n|---|---|\n|---|---|\n|---|---|\n| 1 | 2 |'
    assert.equal(detectRepetition(table).loop, false)
    const code = 'if (a) {\n  x()\n}\n}\n}\n}'
    assert.equal(detectRepetition(code).loop, false)
    assert.equal(score(PW, response(GOOD)).dimensions.coherence.score, 1)
  })
})

describe('JSON and code fences', () => {
  const JP = prompt('Return the user record', {wantsJson: true})
  test('valid JSON passes; invalid JSON zeroes completeness', () => {
    assert.equal(checkJson('{"name": "Ada"}').valid, true)
    const fenced = checkJson('```json\n{"name": "Ada"}\n```')
    assert.deepEqual([fenced.valid, fenced.fenced], [true, true])
    assert.equal(checkJson('{"name": "Ada",}').valid, false)
    assert.equal(checkJson('Sure! {"name": "Ada"}').valid, false)
    const bad = score(JP, response('{"name": "Ada", "age": }'))
    assert.equal(bad.flags.json_valid, false)
    assert.equal(bad.dimensions.completeness.score, 0)
    assert.equal(score(PW, response(GOOD)).flags.json_valid, null)
  })
  test('schema subset: required, types, enum, additionalProperties', () => {
    const schema = {
      type: 'object',
      required: ['name', 'role'],
      additionalProperties: false,
      properties: {name: {type: 'string'}, role: {enum: ['admin', 'dev']}, age: {type: 'integer'}},
    }
    assert.equal(checkJson('{"name": "Ada", "role": "dev", "age": 36}', schema).valid, true)
    assert.equal(checkJson('{"name": "Ada"}', schema).schema_valid, false)
    assert.equal(checkJson('{"name": "Ada", "role": "cto"}', schema).valid, false)
    assert.equal(checkJson('{"name": "Ada", "role": "dev", "age": 36.5}', schema).valid, false)
    assert.equal(checkJson('{"name": "Ada", "role": "dev", "extra": 1}', schema).valid, false)
    const s = score(prompt('Return the user record', {wantsJson: true, jsonSchema: schema}), response('{"name": "Ada", "role": "dev"}'))
    assert.equal(s.dimensions.relevance.score, 1, 'schema-valid JSON counts as on topic')
  })
  test('fences: unclosed fence or unbalanced brackets in code trip; strings and comments do not', () => {
    assert.equal(checkFences('```js\nfoo()\n').fences_ok, false)
    assert.equal(checkFences('```js\nfunction f() {\n  return [1, 2\n}\n```').fences_ok, false)
    assert.equal(checkFences('```python\nprint("(")  # a ) in a comment\nx = [1, 2]\n```').fences_ok, true)
    assert.equal(checkFences("```js\nconst s = '{'; // }\nconst t = `[${a}]`\n```").fences_ok, true)
    assert.equal(checkFences("```rust\nfn f<'a>(x: &'a str) {}\n```").fences_ok, true)
    assert.equal(checkFences('No code here (just a smiley :) and 1) a list.').fences_ok, true)
    const s = score(prompt('Write a JavaScript function'), response('Here:\n```js\nfunction f() {\n  return [1, 2\n}\n```\nDone.'))
    assert.equal(s.flags.fences_ok, false)
    assert.equal(s.dimensions.coherence.score, 0.7)
  })
})

describe('relevance (IDF-weighted recall) and multi-part coverage', () => {
  test('on-topic scores high, off-topic drift scores 0', () => {
    assert.equal(score(PW, response(GOOD)).dimensions.relevance.score, 1)
    const off = score(PW, response('Our refund policy allows annual plans to be refunded within 30 days of purchase.'))
    assert.equal(off.dimensions.relevance.score, 0)
    assert.equal(off.dimensions.relevance.details.idf_recall, 0)
  })
  test('rare prompt terms weigh more than terms every prompt shares', () => {
    const idf = buildIdf(['account refund', 'account login', 'account billing', 'account refund status'])
    const p = prompt('account refund')
    const rare = scoreResponse({prompt: p, response: response('The refund was issued today.'), otherLength: null}, {idf})
    const common = scoreResponse({prompt: p, response: response('Your account is active today.'), otherLength: null}, {idf})
    assert.ok((rare.dimensions.relevance.details.idf_recall as number) > 0.5)
    assert.ok((common.dimensions.relevance.details.idf_recall as number) < 0.5)
  })
  test('a prompt with no content terms does not penalise the answer', () => {
    assert.equal(score(prompt('Hi! Can you help me?'), response('Of course. What do you need?')).dimensions.relevance.score, 1)
  })
  test('multi-part questions: coverage counts the answered parts', () => {
    const q = prompt('What is the capital of France? What is the population of Berlin? Which river flows through Vienna?')
    assert.equal(splitParts(q.lastUser).length, 3)
    const full = score(q, response('The capital of France is Paris. Berlin has about 3.7 million inhabitants, a population that keeps growing. The Danube river flows through Vienna.'))
    assert.equal(full.dimensions.completeness.details.coverage, 1)
    const partial = score(q, response('The capital of France is Paris.'))
    assert.equal(partial.dimensions.completeness.details.parts_answered, 1)
    assert.equal(partial.dimensions.completeness.score, 0.333333)
    // Numbered asks answered by a numbered list count by position.
    const numbered = prompt('Please do the following:\n1. Summarise the incident\n2. Propose a fix\n3. Estimate the effort')
    const answer = score(numbered, response('1. A bad deploy broke login.\n2. Roll back and add a canary.\n3. Two days.'))
    assert.equal(answer.dimensions.completeness.details.coverage, 1)
    // A single question has no parts.
    assert.deepEqual(splitParts('How do I reset my password?'), [])
    assert.deepEqual(splitParts('Here is my list:\n- apples\n- pears\nWhich is healthier?'), [])
  })
  test('length adequacy penalises only a collapse below half of the other arm', () => {
    const text = 'a'.repeat(100) + '.'
    const short = score(PW, response(`Reset password: ${text}`), 400)
    const len = responseLength(`Reset password: ${text}`)
    assert.equal(short.dimensions.completeness.details.length_adequacy, Math.round((len / 200) * 1e6) / 1e6)
    assert.equal(score(PW, response(GOOD), responseLength(GOOD) * 1.9).dimensions.completeness.details.length_adequacy, 1)
  })
})

describe('language / script switch', () => {
  const RU = prompt('Как сбросить пароль в приложении?')
  test('trips when the answer is in another script than the user wrote in', () => {
    const s = score(RU, response('To reset your password, open Settings and choose Security, then click Reset password.'))
    assert.equal(s.flags.script_match, false)
    assert.equal(s.dimensions.relevance.score, 0)
    assert.equal(checkScript(prompt('如何重置我的密码？请告诉我步骤。'), 'Open Settings, then Security, then click Reset password.').script_match, false)
  })
  test('does not trip for same-script answers, requested languages, translations or code', () => {
    assert.equal(score(RU, response('Откройте Настройки, выберите Безопасность и нажмите «Сбросить пароль».')).flags.script_match, true)
    assert.equal(checkScript(prompt('Answer in Russian: how do I reset my password?'), 'Откройте Настройки и нажмите «Сбросить пароль».').script_match, true)
    const tr = score(prompt('Translate to Japanese: good morning'), response('おはようございます。'))
    assert.equal(tr.flags.script_match, true)
    assert.equal(tr.dimensions.relevance.score, 1)
    const code = '```python\ndef reset_password(user):\n    user.send_reset_link()\n    return True\n```'
    assert.equal(checkScript(RU, code).script_match, true)
    assert.equal(checkScript(prompt('パスワードをリセットする方法を教えてください'), '設定を開き、セキュリティを選んでパスワードをリセットしてください。').script_match, true)
  })
})

describe('scoreResponse contract', () => {
  test('versions, determinism and JSON-safe details', () => {
    const a = score(PW, response(GOOD), 300)
    const b = score(PW, response(GOOD), 300)
    assert.deepEqual(a, b)
    assert.equal(JSON.stringify(a), JSON.stringify(b))
    assert.equal(a.dimensions.relevance.scorer, 'heuristic/relevance@1')
    assert.equal(a.dimensions.coherence.scorer, 'heuristic/coherence@1')
    assert.equal(a.dimensions.completeness.scorer, 'heuristic/completeness@1')
    for (const d of Object.values(a.dimensions)) {
      assert.ok(d.score! >= 0 && d.score! <= 1)
      for (const v of Object.values(d.details)) assert.ok(v === null || typeof v === 'number' || typeof v === 'boolean')
    }
  })
  test('promptFromRequest reads the last user turn, system/developer text and JSON mode', () => {
    const req = emptyRequest()
    req.system = 'Be brief.'
    req.messages = [
      {role: 'developer', parts: [{type: 'text', text: 'Answer as JSON.'}]},
      {role: 'user', parts: [{type: 'text', text: 'First question'}]},
      {role: 'assistant', parts: [{type: 'text', text: 'First answer'}]},
      {role: 'user', parts: [{type: 'text', text: 'Second'}, {type: 'image', url: 'x'}, {type: 'text', text: 'question'}]},
    ]
    req.params = {response_format: {type: 'json_schema', json_schema: {name: 'x', schema: {type: 'object'}}}}
    const p = promptFromRequest(req)
    assert.deepEqual(p, {
      system: 'Be brief.\nAnswer as JSON.',
      lastUser: 'Second\nquestion',
      allUserText: 'First question\nSecond\nquestion',
      wantsJson: true,
      jsonSchema: {type: 'object'},
    })
    assert.equal(promptFromRequest({...req, params: {text: {format: {type: 'json_object'}}}}).wantsJson, true)
    assert.equal(promptFromRequest({...req, params: {}}).wantsJson, false)
  })
})
