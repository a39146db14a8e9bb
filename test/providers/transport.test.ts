// The SDKs' transport (src/providers/transport.ts): a fetch on node:http keep-alive sockets. It must behave like
// fetch where the SDKs and the runner look (status, headers, body, aborts, failures) and be what the SDKs really use.
import assert from 'node:assert/strict'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {gzipSync} from 'node:zlib'
import {after, before, describe, test} from 'node:test'
import {createClient, type ProviderClient} from '../../src/providers/index.js'
import {runCall} from '../../src/providers/runner.js'
import {bodyComplete, nodeFetch, readBodyText, sentAt} from '../../src/providers/transport.js'
import {withEnv} from '../support/fake-upstream.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  socket: Socket
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

let server: Server
let base: string
let handler: Handler = (_req, res) => res.end('unset')
const seen: Seen[] = []

function listen(h: Handler): Promise<{server: Server; url: string}> {
  const s = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => h(req, res, body))
  })
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`})))
}

before(async () => {
  const l = await listen((req, res, body) => {
    seen.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, socket: req.socket})
    handler(req, res, body)
  })
  server = l.server
  base = l.url
})
after(() => {
  server.closeAllConnections()
  server.close()
})

function reset(h: Handler): void {
  seen.length = 0
  handler = h
}

const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(value)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers})
  res.end(text)
}

describe('nodeFetch: requests and responses', () => {
  test('POST with a string body and Headers: a real Response with status, headers, url and text', async () => {
    reset((_req, res, body) => json(res, 201, {echo: JSON.parse(body)}, {'x-request-id': 'req_1'}))
    const r = await nodeFetch(`${base}/v1/chat?x=1`, {method: 'post', headers: new Headers({'content-type': 'application/json', authorization: 'Bearer k'}), body: '{"a":"é"}'})
    assert.ok(r instanceof Response)
    assert.equal(r.status, 201)
    assert.equal(r.ok, true)
    assert.equal(r.statusText, 'Created')
    assert.equal(r.url, `${base}/v1/chat?x=1`)
    assert.equal(r.headers.get('x-request-id'), 'req_1')
    assert.equal(r.bodyUsed, false)
    assert.deepEqual(await r.json(), {echo: {a: 'é'}})
    assert.equal(r.bodyUsed, true)
    await assert.rejects(r.text(), TypeError)
    const s = seen[0]!
    assert.equal(s.method, 'POST')
    assert.equal(s.url, '/v1/chat?x=1')
    assert.equal(s.body, '{"a":"é"}')
    assert.equal(s.headers['content-length'], String(Buffer.byteLength('{"a":"é"}')))
    assert.equal(s.headers.authorization, 'Bearer k')
    assert.equal(s.headers['accept-encoding'], 'gzip, deflate')
  })

  test('header records and pairs; Uint8Array and ReadableStream bodies', async () => {
    reset((req, res, body) => json(res, 200, {body, te: req.headers['transfer-encoding'] ?? null, x: req.headers['x-a'] ?? null}))
    const a = await (await nodeFetch(`${base}/a`, {method: 'POST', headers: {'X-A': '1'}, body: new TextEncoder().encode('bytes')})).json()
    assert.deepEqual(a, {body: 'bytes', te: null, x: '1'})
    const b = await (await nodeFetch(`${base}/b`, {method: 'POST', headers: [['x-a', '2']], body: new Blob(['ignored']).stream()})).json()
    assert.deepEqual(b, {body: 'ignored', te: 'chunked', x: '2'})
  })

  test('repeated response headers: joined like fetch, set-cookie kept apart', async () => {
    reset((_req, res) => {
      res.setHeader('x-seen', ['a', 'b'])
      res.setHeader('set-cookie', ['k=1', 'j=2'])
      res.setHeader('content-type', 'text/plain')
      res.end('ok')
    })
    const r = await nodeFetch(`${base}/h`, {method: 'GET'})
    assert.equal(r.headers.get('x-seen'), 'a, b')
    assert.deepEqual(r.headers.getSetCookie(), ['k=1', 'j=2'])
    assert.equal(r.headers.get('Content-Type'), 'text/plain')
    assert.equal(await r.text(), 'ok')
  })

  test('keep-alive: consecutive calls reuse one socket', async () => {
    reset((_req, res) => json(res, 200, {ok: true}))
    for (let i = 0; i < 3; i++) await readBodyText(await nodeFetch(`${base}/k`, {method: 'POST', body: '{}'}))
    assert.equal(seen.length, 3)
    assert.equal(new Set(seen.map((s) => s.socket)).size, 1)
  })

  test('sentAt: when the request reached its socket; a call is timed from there, not from when the SDK began', async () => {
    const answer = {id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{index: 0, message: {role: 'assistant', content: 'hi'}, finish_reason: 'stop'}], usage: {prompt_tokens: 3, completion_tokens: 1, total_tokens: 4}}
    reset((_req, res) => setTimeout(() => json(res, 200, answer), 30))
    const t0 = performance.now()
    const r = await nodeFetch(`${base}/t`, {method: 'POST', body: '{}'})
    const at = sentAt(r)
    assert.ok(at !== null && at >= t0 && at <= performance.now())
    await r.text()
    assert.equal(sentAt(new Response('x')), null)
    // 200 ms pass before the request is sent (a busy thread, a slow SDK): the latency is still the upstream's 30 ms.
    const result = await runCall({
      wire: 'openai.chat',
      stream: false,
      timeoutMs: 5000,
      losses: [],
      secrets: [],
      send: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200))
        return nodeFetch(`${base}/t`, {method: 'POST', body: '{}'})
      },
    })
    assert.equal(result.status, 'ok')
    assert.ok(result.latency_ms >= 29 && result.latency_ms < 150, `latency ${result.latency_ms}`)
  })

  test('readBodyText: straight from the socket, BOM dropped like text(); bodyComplete once it all arrived', async () => {
    reset((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"x":1}')]))
    })
    const r = await nodeFetch(`${base}/bom`, {method: 'POST', body: '{}'})
    // The body shares the headers' packet: it is already complete when the promise resolves.
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(bodyComplete(r), true)
    assert.equal(await readBodyText(r), '{"x":1}')
    assert.equal(bodyComplete(r), false)
    const again = await nodeFetch(`${base}/bom`, {method: 'POST', body: '{}'})
    assert.equal(await again.text(), '{"x":1}')
  })

  test('gzip answers are decoded; 204 has a null body', async () => {
    reset((req, res) => {
      if (req.url === '/gz') {
        res.writeHead(200, {'content-type': 'application/json', 'content-encoding': 'gzip'})
        res.end(gzipSync('{"zipped":true}'))
      } else {
        res.writeHead(204)
        res.end()
      }
    })
    assert.deepEqual(await (await nodeFetch(`${base}/gz`)).json(), {zipped: true})
    const empty = await nodeFetch(`${base}/none`, {method: 'DELETE'})
    assert.equal(empty.status, 204)
    assert.equal(empty.body, null)
    assert.equal(await empty.text(), '')
  })

  test('clone(): both copies read the same body', async () => {
    reset((_req, res) => json(res, 200, {c: 1}))
    const r = await nodeFetch(`${base}/clone`)
    const copy = r.clone()
    assert.deepEqual(await Promise.all([r.text(), copy.text()]), ['{"c":1}', '{"c":1}'])
  })

  test('redirects: 307 keeps method and body, 303 becomes a GET, another origin gets no credentials', async () => {
    const other = await listen((req, res, body) => json(res, 200, {method: req.method, body, auth: req.headers.authorization ?? null, key: req.headers['x-api-key'] ?? null}))
    try {
      reset((req, res) => {
        const to = req.url === '/307' ? '/landing' : req.url === '/303' ? '/landing' : `${other.url}/landing`
        if (req.url === '/landing') return json(res, 200, {method: req.method, body: seen.at(-1)!.body, auth: req.headers.authorization ?? null})
        res.writeHead(req.url === '/303' ? 303 : 307, {location: to})
        res.end()
      })
      const init = {method: 'POST', headers: {authorization: 'Bearer k', 'x-api-key': 'kk'}, body: '{"p":1}'}
      const r307 = await nodeFetch(`${base}/307`, init)
      assert.equal(r307.url, `${base}/landing`)
      assert.deepEqual(await r307.json(), {method: 'POST', body: '{"p":1}', auth: 'Bearer k'})
      assert.deepEqual(await (await nodeFetch(`${base}/303`, init)).json(), {method: 'GET', body: '', auth: 'Bearer k'})
      assert.deepEqual(await (await nodeFetch(`${base}/elsewhere`, init)).json(), {method: 'POST', body: '{"p":1}', auth: null, key: null})
      const manual = await nodeFetch(`${base}/307`, {...init, redirect: 'manual'})
      assert.equal(manual.status, 307)
      assert.equal(manual.headers.get('location'), '/landing')
    } finally {
      other.server.closeAllConnections()
      other.server.close()
    }
  })
})

describe('nodeFetch: failures look like fetch failures', () => {
  test('a reset before the answer: TypeError "fetch failed" with the socket error as cause', async () => {
    reset((req) => req.socket.destroy())
    const err = await nodeFetch(`${base}/reset`, {method: 'POST', body: '{}'}).then(
      () => null,
      (e: unknown) => e,
    )
    assert.ok(err instanceof TypeError)
    assert.equal(err.message, 'fetch failed')
    assert.equal((err.cause as {code?: string}).code, 'ECONNRESET')
  })

  test('nothing listening: the connect error is the cause', async () => {
    const closed = await listen(() => undefined)
    const port = (closed.server.address() as AddressInfo).port
    await new Promise((resolve) => closed.server.close(resolve))
    await assert.rejects(nodeFetch(`http://127.0.0.1:${port}/`), (e: unknown) => e instanceof TypeError && (e.cause as {code?: string}).code === 'ECONNREFUSED')
  })

  test('abort before the headers rejects with an AbortError and frees the server side', async () => {
    let closed = false
    reset((req) => req.socket.once('close', () => (closed = true)))
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const t0 = performance.now()
    await assert.rejects(nodeFetch(`${base}/hang`, {method: 'POST', body: '{}', signal: ac.signal}), (e: unknown) => e instanceof Error && e.name === 'AbortError')
    assert.ok(performance.now() - t0 < 1000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(closed, true)
    // An already aborted signal never sends.
    seen.length = 0
    await assert.rejects(nodeFetch(`${base}/hang`, {signal: AbortSignal.abort()}), (e: unknown) => e instanceof Error && e.name === 'AbortError')
    assert.equal(seen.length, 0)
  })

  test('a body cut short rejects with "terminated"; an abort mid-body with the abort reason', async () => {
    reset((req, res) => {
      res.writeHead(200, {'content-type': 'application/json', 'content-length': '1000'})
      res.write('{"partial":')
      if (req.url === '/cut') setTimeout(() => req.socket.destroy(), 30)
    })
    const cut = await nodeFetch(`${base}/cut`)
    await assert.rejects(cut.text(), (e: unknown) => e instanceof TypeError && e.message === 'terminated')
    const stalled = await nodeFetch(`${base}/stall`)
    assert.equal(bodyComplete(stalled), false)
    const ac = new AbortController()
    setTimeout(() => ac.abort(new Error('deadline')), 50)
    await assert.rejects(readBodyText(stalled, ac.signal), /deadline/)
  })

  test('SSE: response.body yields each chunk as it arrives', async () => {
    reset((_req, res) => {
      res.writeHead(200, {'content-type': 'text/event-stream'})
      res.write('data: {"n":1}\n\n')
      setTimeout(() => res.end('data: {"n":2}\n\ndata: [DONE]\n\n'), 300)
    })
    const t0 = performance.now()
    const r = await nodeFetch(`${base}/sse`, {method: 'POST', body: '{}'})
    const reader = r.body!.getReader()
    const first = await reader.read()
    const firstMs = performance.now() - t0
    assert.equal(new TextDecoder().decode(first.value), 'data: {"n":1}\n\n')
    assert.ok(firstMs < 250, `first chunk after ${firstMs} ms`)
    let rest = ''
    for (let c = await reader.read(); !c.done; c = await reader.read()) rest += new TextDecoder().decode(c.value)
    assert.equal(rest, 'data: {"n":2}\n\ndata: [DONE]\n\n')
    assert.ok(performance.now() - t0 >= 250)
  })
})

describe('the SDK clients use it', () => {
  const CHAT = {model: 'x', messages: [{role: 'user', content: 'hi'}]}
  const chatAnswer = {id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{index: 0, message: {role: 'assistant', content: 'hello'}, finish_reason: 'stop'}], usage: {prompt_tokens: 3, completion_tokens: 1, total_tokens: 4}}

  async function client(): Promise<ProviderClient> {
    return createClient({id: 'c', provider: 'openai-compatible', model: 'm', base_url: `${base}/v1`})
  }

  test('openai and anthropic requests carry no header that only the built-in fetch adds', async () => {
    reset((req, res) => {
      if (req.url === '/v1/messages') return json(res, 200, {id: 'm1', type: 'message', role: 'assistant', model: 'm', content: [{type: 'text', text: 'hello'}], stop_reason: 'end_turn', usage: {input_tokens: 3, output_tokens: 1}})
      json(res, 200, chatAnswer)
    })
    // The built-in fetch (undici) announces itself with sec-fetch-mode; the transport does not.
    await (await fetch(`${base}/v1/probe`)).text()
    assert.equal(seen[0]!.headers['sec-fetch-mode'], 'cors')
    const oa = await (await client()).call({api: 'openai.chat', body: CHAT})
    assert.equal(oa.status, 'ok')
    await withEnv({ANTHROPIC_API_KEY: 'sk-ant-transport-test-0123'}, async () => {
      const an = await createClient({id: 'a', provider: 'anthropic', model: 'claude-x', base_url: base}).call({api: 'anthropic.messages', body: {...CHAT, max_tokens: 10}})
      assert.equal(an.status, 'ok')
    })
    assert.deepEqual(seen.map((s) => s.url), ['/v1/probe', '/v1/chat/completions', '/v1/messages'])
    for (const s of seen.slice(1)) {
      assert.equal(s.headers['sec-fetch-mode'], undefined)
      assert.equal(s.headers['accept-encoding'], 'gzip, deflate')
    }
  })

  test('non-stream body stalled after the headers: timeout with the HTTP status, at the deadline', async () => {
    reset((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json', 'content-length': '5000', 'x-request-id': 'req_stall'})
      res.write('{"id":')
    })
    const r = await (await client()).call({api: 'openai.chat', body: CHAT}, {timeoutMs: 200})
    assert.equal(r.status, 'timeout')
    assert.equal(r.http_status, 200)
    assert.equal(r.request_id, 'req_stall')
    assert.ok(r.latency_ms >= 190 && r.latency_ms < 1000, String(r.latency_ms))
  })

  test('non-stream body cut after the headers: a retryable connection error with the HTTP status', async () => {
    reset((req, res) => {
      res.writeHead(200, {'content-type': 'application/json', 'content-length': '5000'})
      res.write('{"id":')
      setTimeout(() => req.socket.destroy(), 20)
    })
    const r = await (await client()).call({api: 'openai.chat', body: CHAT})
    assert.equal(r.status, 'error')
    assert.equal(r.http_status, 200)
    assert.equal(r.error!.type, 'connection_error')
    assert.equal(r.retryable, true)
  })

  test('a caller abort mid-body is an abort, not a timeout', async () => {
    reset((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json', 'content-length': '5000'})
      res.write('{"id":')
    })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 60)
    const r = await (await client()).call({api: 'openai.chat', body: CHAT}, {signal: ac.signal, timeoutMs: 5000})
    assert.equal(r.status, 'error')
    assert.equal(r.error!.type, 'aborted')
    assert.ok(r.latency_ms < 1000)
  })

  test('a compressed answer inflating past the decompression cap fails (JSON and SSE), with the cap in the message', async () => {
    const member = gzipSync(Buffer.alloc(1024 * 1024, ' '))
    const bomb = Buffer.concat(Array.from({length: 64}, () => member))
    reset((_req, res, body) => {
      const sse = body.includes('"stream":true')
      res.writeHead(200, {'content-type': sse ? 'text/event-stream' : 'application/json', 'content-encoding': 'gzip'})
      res.end(bomb)
    })
    const saved = process.env.KT_MAX_DECOMPRESSED_BYTES
    process.env.KT_MAX_DECOMPRESSED_BYTES = '1M'
    try {
      const direct = await nodeFetch(`${base}/bomb`, {method: 'POST', body: '{}'})
      await assert.rejects(direct.text(), (e: unknown) => e instanceof TypeError && e.message === 'terminated' && (e.cause as {code?: string}).code === 'ERR_KT_DECOMPRESSION_LIMIT')
      const r = await (await client()).call({api: 'openai.chat', body: CHAT})
      assert.equal(r.status, 'error')
      assert.match(r.error!.message!, /response body inflates past the 1 MB decompression cap \(KT_MAX_DECOMPRESSED_BYTES\)/)
      const streamed = await (await client()).call({api: 'openai.chat', body: {...CHAT, stream: true}})
      assert.equal(streamed.status, 'error')
      assert.match(streamed.error!.message!, /decompression cap/)
    } finally {
      if (saved === undefined) delete process.env.KT_MAX_DECOMPRESSED_BYTES
      else process.env.KT_MAX_DECOMPRESSED_BYTES = saved
    }
  })
})
