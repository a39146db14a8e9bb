// The offline simulated target: deterministic per (request, style, seed), styled, labelled, fast.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {createClient, parseTargetShorthand, type CallResult, type RecordedAnswer, type SimulationSpec, type TargetSpec} from '../../src/providers/index.js'

const PROMPTS = [
  'How should I configure connection pooling for a PostgreSQL database behind a Node.js web service?',
  'Compare the nutritional benefits of spinach and kale for an athlete training for a marathon.',
  'Explain how photosynthesis converts sunlight into chemical energy in plant leaves.',
  'What are the main risks when migrating a monolithic billing application to microservices?',
  'Write a short note about volcanic eruptions and their effect on global climate patterns.',
  'Describe the history of the printing press and its influence on European literacy.',
]

function chat(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {model: 'gpt-4o', messages: [{role: 'system', content: 'You are helpful.'}, {role: 'user', content}], ...extra}
}

function sim(simulation: SimulationSpec = {}, extra: Partial<TargetSpec> = {}): TargetSpec {
  return {id: 'sim', provider: 'simulated', model: 'simulated-model', simulation, ...extra}
}

async function text(target: TargetSpec, prompt: string): Promise<string> {
  const r = await createClient(target).call({api: 'openai.chat', body: chat(prompt)})
  assert.equal(r.status, 'ok')
  return r.response!.text!
}

function words(s: string): Set<string> {
  return new Set(s.toLowerCase().match(/[a-z]+/g) ?? [])
}

function jaccard(a: string, b: string): number {
  const A = words(a)
  const B = words(b)
  let inter = 0
  for (const w of A) if (B.has(w)) inter++
  return inter / (A.size + B.size - inter)
}

describe('determinism and A/A noise', () => {
  test('same request and seed → byte-identical results, also across fresh clients', async () => {
    const body = chat(PROMPTS[0]!)
    const a = await createClient(sim({seed: 3})).call({api: 'openai.chat', body})
    const b = await createClient(sim({seed: 3})).call({api: 'openai.chat', body})
    assert.equal(JSON.stringify(a), JSON.stringify(b))
    // The target's model name does not change the text.
    const c = await createClient(sim({seed: 3}, {model: 'other'})).call({api: 'openai.chat', body})
    assert.equal(c.response!.text, a.response!.text)
  })

  test('a different seed gives slightly different text', async () => {
    let differing = 0
    for (const p of PROMPTS) {
      const a = await text(sim({seed: 1}), p)
      const b = await text(sim({seed: 2}), p)
      if (a !== b) differing++
      assert.ok(jaccard(a, b) > 0.6, `too different:\n${a}\n${b}`)
    }
    assert.ok(differing >= PROMPTS.length - 1, `only ${differing} of ${PROMPTS.length} differ`)
  })

  test('answers reuse the prompt content words (on-topic for relevance heuristics)', async () => {
    for (const p of PROMPTS) {
      const t = await text(sim(), p)
      const promptWords = [...words(p)].filter((w) => w.length >= 6)
      const reused = promptWords.filter((w) => words(t).has(w))
      assert.ok(reused.length >= 3, `${t} reuses ${reused.join(',')}`)
      assert.ok((t.match(/[.!?](\s|$)/g) ?? []).length >= 4, `not multi-sentence: ${t}`)
    }
  })
})

describe('styles', () => {
  test('terse is much shorter, verbose longer with repetition, both still stop', async () => {
    for (const p of PROMPTS.slice(0, 4)) {
      const faithful = await text(sim({style: 'faithful'}), p)
      const terse = await text(sim({style: 'terse'}), p)
      const verbose = await text(sim({style: 'verbose'}), p)
      assert.ok(terse.length * 3 < faithful.length, `${terse.length} vs ${faithful.length}`)
      assert.ok(verbose.length > faithful.length * 1.8, `${verbose.length} vs ${faithful.length}`)
      assert.match(verbose, /To put it another way|In summary/)
    }
  })

  test('truncate cuts mid-sentence with finish_reason length', async () => {
    const r = await createClient(parseTargetShorthand('simulated:truncate')).call({api: 'openai.chat', body: chat(PROMPTS[1]!)})
    assert.equal(r.response!.finish_reason, 'length')
    assert.equal(r.response!.finish_reason_raw, 'length')
    assert.doesNotMatch(r.response!.text!, /[.!?]$/)
    const full = await text(sim(), PROMPTS[1]!)
    assert.ok(r.response!.text!.length < full.length)
  })

  test('refuse answers with a refusal sentence and no tool call', async () => {
    const r = await createClient(sim({style: 'refuse'})).call({
      api: 'openai.chat',
      body: chat(PROMPTS[2]!, {tools: [{type: 'function', function: {name: 'search', parameters: {type: 'object'}}}]}),
    })
    assert.match(r.response!.text!, /can't|not able/)
    assert.deepEqual(r.response!.tool_calls, [])
    assert.equal(r.response!.finish_reason, 'stop')
  })

  test('style can come from the model name', async () => {
    const t = await text({id: 's', provider: 'simulated', model: 'simulated-terse'}, PROMPTS[0]!)
    assert.ok(t.length < 80, t)
  })

  test('truncate_rate 1 truncates a faithful target; max_tokens is honoured', async () => {
    const r = await createClient(sim({truncate_rate: 1})).call({api: 'openai.chat', body: chat(PROMPTS[3]!)})
    assert.equal(r.response!.finish_reason, 'length')
    const m = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[3]!, {max_tokens: 5})})
    assert.equal(m.response!.finish_reason, 'length')
    assert.ok(m.response!.text!.length <= 20)
  })
})

describe('structured outputs and tools', () => {
  test('json_object and json_schema requests get valid JSON', async () => {
    const obj = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[2]!, {response_format: {type: 'json_object'}})})
    const parsed = JSON.parse(obj.response!.text!) as {answer: string; topics: string[]}
    assert.ok(parsed.answer.includes('photosynthesis') || parsed.topics.includes('photosynthesis'))
    const schema = {
      type: 'object',
      properties: {summary: {type: 'string'}, risk: {type: 'string', enum: ['low', 'medium', 'high']}, steps: {type: 'array', items: {type: 'string'}}, score: {type: 'integer', minimum: 1}, ok: {type: 'boolean'}},
      required: ['summary', 'risk', 'steps', 'score', 'ok'],
      additionalProperties: false,
    }
    const js = await createClient(sim({style: 'verbose'})).call({api: 'openai.chat', body: chat(PROMPTS[3]!, {response_format: {type: 'json_schema', json_schema: {name: 'r', strict: true, schema}}})})
    const v = JSON.parse(js.response!.text!) as Record<string, unknown>
    assert.deepEqual(Object.keys(v).sort(), ['ok', 'risk', 'score', 'steps', 'summary'])
    assert.ok(['low', 'medium', 'high'].includes(v.risk as string))
    assert.ok(Array.isArray(v.steps) && Number.isInteger(v.score) && typeof v.ok === 'boolean')
  })

  test('tool requests get a tool call for the best-matching tool; tool_choice none and tool results get text', async () => {
    const tools = [
      {type: 'function', function: {name: 'get_weather', description: 'Current weather for a city', parameters: {type: 'object', properties: {city: {type: 'string'}}, required: ['city']}}},
      {type: 'function', function: {name: 'search_recipes', description: 'Find recipes with spinach, kale and other vegetables', parameters: {type: 'object', properties: {query: {type: 'string'}, max_results: {type: 'integer'}}}}},
    ]
    const r = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[1]!, {tools})})
    assert.equal(r.response!.finish_reason, 'tool_calls')
    assert.equal(r.response!.tool_calls[0]!.name, 'search_recipes')
    const args = JSON.parse(r.response!.tool_calls[0]!.arguments) as {query: string}
    assert.match(args.query, /spinach|kale|nutritional/)
    const forced = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[1]!, {tools, tool_choice: {type: 'function', function: {name: 'get_weather'}}})})
    assert.equal(forced.response!.tool_calls[0]!.name, 'get_weather')
    const none = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[1]!, {tools, tool_choice: 'none'})})
    assert.equal(none.response!.tool_calls.length, 0)
    assert.ok(none.response!.text)
    const after = await createClient(sim()).call({
      api: 'openai.chat',
      body: {
        model: 'gpt-4o',
        tools,
        messages: [
          {role: 'user', content: PROMPTS[1]},
          {role: 'assistant', content: null, tool_calls: [{id: 'c1', type: 'function', function: {name: 'search_recipes', arguments: '{}'}}]},
          {role: 'tool', tool_call_id: 'c1', content: 'Kale salad with lemon dressing'},
        ],
      },
    })
    assert.equal(after.response!.finish_reason, 'stop')
    assert.match(after.response!.text!, /tool/)
  })

  test('Anthropic-shaped requests get Anthropic-shaped, labelled raw responses', async () => {
    const r = await createClient(sim()).call({
      api: 'anthropic.messages',
      body: {
        model: 'claude-sonnet-4-20250514',
        max_tokens: 400,
        messages: [{role: 'user', content: 'Look up order 5521 for the customer'}],
        tools: [{name: 'lookup_order', description: 'Look up a customer order', input_schema: {type: 'object', properties: {order_id: {type: 'string'}}}}],
      },
    })
    assert.equal(r.api, 'anthropic.messages')
    assert.equal(r.simulated, true)
    const raw = r.response!.raw as {type: string; x_kt_simulated: boolean; stop_reason: string; content: {type: string; id: string}[]}
    assert.equal(raw.type, 'message')
    assert.equal(raw.x_kt_simulated, true)
    assert.equal(raw.stop_reason, 'tool_use')
    assert.ok(raw.content[0]!.id.startsWith('toolu_'))
    assert.equal(r.response!.finish_reason, 'tool_calls')
    assert.deepEqual(r.translation_losses, [])
  })

  test('OpenAI raw responses are labelled and carry usage from a chars/4 estimate', async () => {
    const r = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[0]!)})
    assert.equal(r.simulated, true)
    assert.equal((r.response!.raw as {x_kt_simulated: boolean}).x_kt_simulated, true)
    assert.equal(r.usage.output_tokens, Math.ceil(r.response!.text!.length / 4))
    assert.ok(r.usage.input_tokens! >= Math.floor((PROMPTS[0]!.length + 'You are helpful.'.length) / 4))
    assert.equal(r.response_model, 'simulated-model')
    assert.ok(r.request_id?.startsWith('sim_'))
  })
})

describe('a faithful target answers like the recorded model', () => {
  const tools = [{type: 'function', function: {name: 'get_shipment', description: 'Look up a shipment by its id', parameters: {type: 'object', properties: {shipment_id: {type: 'string'}}}}}]
  const logged = (message: Record<string, unknown>, finish: string): RecordedAnswer => ({
    api: 'openai.chat',
    text: typeof message.content === 'string' ? message.content : null,
    finish_reason: finish,
    response_json: JSON.stringify({object: 'chat.completion', choices: [{index: 0, message: {role: 'assistant', ...message}, finish_reason: finish}]}),
  })
  const ask = (target: TargetSpec, recorded: RecordedAnswer | null, content = 'Can you explain why the label for my parcel was voided yesterday?') =>
    createClient(target).call({api: 'openai.chat', body: chat(content, {tools}), recorded})

  test('a tool call exactly when the logged answer made one, with its tool and arguments', async () => {
    const call = logged({content: null, tool_calls: [{id: 'call_1', type: 'function', function: {name: 'get_shipment', arguments: '{"shipment_id":"PW-41234567"}'}}]}, 'tool_calls')
    const r = await ask(sim({style: 'faithful'}), call)
    assert.equal(r.response!.finish_reason, 'tool_calls')
    assert.deepEqual(r.response!.tool_calls.map((t) => [t.name, t.arguments]), [['get_shipment', '{"shipment_id":"PW-41234567"}']])
    const answer = 'Voided labels usually show up as refunds within 14–21 days, and you can also check each one under Shipments.'
    const inText = await ask(sim({style: 'faithful'}), logged({content: answer}, 'stop'))
    assert.equal(inText.response!.tool_calls.length, 0, 'the logged answer was text: so is this one')
    assert.equal(inText.response!.finish_reason, 'stop')
    assert.ok(words(inText.response!.text!).has('refunds') && words(inText.response!.text!).has('shipments'))
  })

  test('the wording follows the logged answer, with seeded noise; a cut answer stays cut', async () => {
    const answer = 'You can usually void it right away. Check the label first, and make sure it was not scanned; refunds often take a while. However, UPS labels are voided quickly and you also get a notice.'
    const texts = await Promise.all([0, 1, 2, 3].map(async (seed) => (await ask(sim({style: 'faithful', seed}), logged({content: answer}, 'stop'))).response!.text!))
    assert.ok(new Set(texts).size > 1, 'seeds differ a little')
    for (const t of texts) {
      assert.ok(jaccard(t, answer) > 0.6, t)
      assert.equal(t.length > answer.length * 0.8 && t.length < answer.length * 1.3, true, t)
    }
    assert.equal(texts[0], (await ask(sim({style: 'faithful', seed: 0}), logged({content: answer}, 'stop'))).response!.text, 'deterministic per seed')
    const cut = await ask(sim({style: 'faithful'}), logged({content: 'The parcel was handed to the carrier on Monday and then'}, 'length'))
    assert.equal(cut.response!.finish_reason, 'length')
  })

  test('without a logged answer: a tool call only when the prompt is about a tool (or one is forced); other styles always call', async () => {
    const about = await ask(sim({style: 'faithful'}), null, 'Where is shipment PW-41234567? Please look it up.')
    assert.equal(about.response!.tool_calls[0]?.name, 'get_shipment')
    const unrelated = await ask(sim({style: 'faithful'}), null, PROMPTS[2]!)
    assert.equal(unrelated.response!.tool_calls.length, 0)
    assert.ok(unrelated.response!.text)
    const required = await createClient(sim({style: 'faithful'})).call({api: 'openai.chat', body: chat(PROMPTS[2]!, {tools, tool_choice: 'required'})})
    assert.equal(required.response!.tool_calls.length, 1)
    for (const style of ['terse', 'verbose', 'truncate'] as const) {
      const r = await ask(sim({style}), null, PROMPTS[2]!)
      assert.equal(r.response!.tool_calls.length, 1, style)
    }
    // The logged answer is only for faithful targets: a terse one keeps its own character.
    const terse = await ask(sim({style: 'terse'}), logged({content: 'A long logged answer about voided labels and refunds.'}, 'stop'))
    assert.equal(terse.response!.tool_calls.length, 1)
  })
})

describe('latency, errors and timeouts', () => {
  test('latency follows the configured log-normal and is reported without sleeping', async () => {
    const client = createClient(sim({latency_ms: {p50: 400, p95: 1200}}))
    const t0 = performance.now()
    const lat: number[] = []
    for (let i = 0; i < 200; i++) lat.push((await client.call({api: 'openai.chat', body: chat(`Question number ${i} about astronomy telescopes and planets`)})).latency_ms)
    assert.ok(performance.now() - t0 < 2000, 'simulated calls must not sleep by default')
    lat.sort((a, b) => a - b)
    const median = lat[100]!
    const p95 = lat[190]!
    assert.ok(median > 200 && median < 800, `median ${median}`)
    assert.ok(p95 > median * 1.8, `p95 ${p95} median ${median}`)
  })

  test('terse answers are faster than verbose ones for the same request', async () => {
    const t = await createClient(sim({style: 'terse', latency_ms: 500})).call({api: 'openai.chat', body: chat(PROMPTS[0]!)})
    const v = await createClient(sim({style: 'verbose', latency_ms: 500})).call({api: 'openai.chat', body: chat(PROMPTS[0]!)})
    assert.ok(t.latency_ms < v.latency_ms, `${t.latency_ms} vs ${v.latency_ms}`)
  })

  test('streaming requests report a TTFT below the latency', async () => {
    const r = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[0]!), stream: true})
    assert.ok(r.ttft_ms !== null && r.ttft_ms > 0 && r.ttft_ms < r.latency_ms)
    const n = await createClient(sim()).call({api: 'openai.chat', body: chat(PROMPTS[0]!)})
    assert.equal(n.ttft_ms, null)
  })

  test('sleep: true really waits', async () => {
    const t0 = performance.now()
    const r = await createClient(sim({latency_ms: 60, sleep: true})).call({api: 'openai.chat', body: chat(PROMPTS[0]!)})
    assert.ok(performance.now() - t0 >= r.latency_ms - 5, `${performance.now() - t0} < ${r.latency_ms}`)
  })

  test('a drawn latency above the timeout is a timeout', async () => {
    const r = await createClient(sim({latency_ms: {p50: 5000, p95: 6000}})).call({api: 'openai.chat', body: chat(PROMPTS[0]!)}, {timeoutMs: 1000})
    assert.equal(r.status, 'timeout')
    assert.equal(r.retryable, true)
    assert.equal(r.latency_ms, 1000)
  })

  test('error_rate: seeded per request, retryable, and a retry can succeed', async () => {
    const outcomes = async (): Promise<CallResult[]> => {
      const client = createClient(sim({error_rate: 0.5, seed: 11}))
      const out: CallResult[] = []
      for (let i = 0; i < 40; i++) out.push(await client.call({api: 'openai.chat', body: chat(`Item ${i} of the inventory report`)}))
      return out
    }
    const a = await outcomes()
    const b = await outcomes()
    assert.deepEqual(a.map((r) => r.status), b.map((r) => r.status))
    const errors = a.filter((r) => r.status === 'error')
    assert.ok(errors.length > 8 && errors.length < 32, `${errors.length} errors of 40`)
    for (const e of errors) {
      assert.equal(e.retryable, true)
      assert.ok([429, 500, 503, 529].includes(e.http_status!))
      assert.equal(e.simulated, true)
    }
    const all = createClient(sim({error_rate: 1}))
    assert.equal((await all.call({api: 'openai.chat', body: chat('x y z')})).status, 'error')
    // Retrying the same request on the same client draws a new outcome.
    const half = createClient(sim({error_rate: 0.5, seed: 11}))
    const failing = `Item ${a.findIndex((r) => r.status === 'error')} of the inventory report`
    let ok = false
    for (let i = 0; i < 20 && !ok; i++) ok = (await half.call({api: 'openai.chat', body: chat(failing)})).status === 'ok'
    assert.ok(ok)
  })
})
