// A real HTTP server speaking the OpenAI Chat, OpenAI Responses (minimal), Azure OpenAI and Anthropic Messages
// wire formats (docs/log-formats.md §3–§5), for tests and benchmarks. Answers are deterministic functions of the request;
// faults are scripted. No logging, one JSON.parse and one short sha256 per request, so it is cheap enough for benchmarks.
import {createHash} from 'node:crypto'
import {createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

type Json = Record<string, unknown>

export type Fault =
  /** HTTP error with the provider's real error body. `retry_after` is seconds (number) or any header text (HTTP date). */
  | {type: 'http'; status: number; retry_after?: number | string; retry_after_ms?: number; error_type?: string; message?: string}
  /** Destroys the socket before any response bytes (ECONNRESET on the client). */
  | {type: 'reset'}
  /** Waits `ms` before answering normally (use a value above the client's timeout). */
  | {type: 'slow'; ms: number}
  /** HTTP 200 with a JSON content type and a body that does not parse. */
  | {type: 'invalid_json'}
  /** Streams `after_chunks` normal events, then the provider's SSE error event, then ends (no [DONE]/message_stop). */
  | {type: 'stream_error'; after_chunks?: number; error_type?: string; message?: string}
  /** Streams `after_chunks` normal events, then destroys the socket. */
  | {type: 'stream_cut'; after_chunks?: number}
  /** An error status with a plain-text body (a proxy's or load balancer's 5xx page, say). */
  | {type: 'text'; status: number; body: string}
  /**
   * A well-formed answer (JSON, or SSE when the request streams) whose text is `bytes` long, written 64 KB at a time
   * as the client reads (stops when it hangs up); `declare` sends its Content-Length (JSON only).
   */
  | {type: 'huge'; bytes: number; declare?: boolean}

export type FaultScript = Fault[] | ((callIndex: number, body: Json, path: string) => Fault | null | undefined)

export interface FakeUpstreamOptions {
  /** Delay before the response headers, ms: fixed or per call. */
  delayMs?: number | ((callIndex: number, body: Json) => number)
  /** Delay between SSE events, ms (makes TTFT measurable). */
  chunkDelayMs?: number
  /** Queue (consumed one per generation call) or function deciding a fault per call. */
  faults?: FaultScript
  /** Keep every received body and header set (default true; benchmarks may turn it off). */
  record?: boolean
  /** Model ids listed by GET /v1/models. */
  models?: string[]
  /**
   * Scripted answer text per generation call (undefined: the default echo answer). When the request forces a
   * tool, a string holding a JSON object becomes that tool call's arguments; any other string is a text answer.
   */
  answer?: (body: Json, callIndex: number) => string | undefined
}

export interface ReceivedCall {
  index: number
  method: string
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  body: Json | null
  rawBody: string
}

export interface FakeUpstream {
  /** Base URL without `/v1`, e.g. http://127.0.0.1:40123 (OpenAI SDK: `${url}/v1`; Anthropic SDK and Azure endpoint: `url`). */
  url: string
  port: number
  /** Calls per path (query string excluded). */
  counts: Record<string, number>
  calls: ReceivedCall[]
  /**
   * Requests answered and the total time the server took for them, from the handler's start (the request fully
   * read) to the response handed to the socket: how long the upstream really took, timer lateness included.
   */
  served: {count: number; totalMs: number}
  /** Number of calls to `path`, or to every path when omitted. */
  callCount(path?: string): number
  /** Replaces the fault script (the queue restarts). */
  setFaults(faults: FaultScript | undefined): void
  reset(): void
  close(): Promise<void>
}

/** First 12 hex chars of sha256(text): the digest the fake echoes for the last user message. */
export function fakeDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12)
}

const OPENAI_ERRORS: Record<number, {type: string; code: string | null; message: string}> = {
  400: {type: 'invalid_request_error', code: null, message: 'Invalid request.'},
  401: {type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.'},
  403: {type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported.'},
  404: {type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.'},
  408: {type: 'timeout', code: null, message: 'Request timed out.'},
  409: {type: 'invalid_request_error', code: 'conflict', message: 'Conflict.'},
  429: {type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.'},
  500: {type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!'},
  502: {type: 'server_error', code: null, message: 'Bad gateway.'},
  503: {type: 'server_error', code: 'service_unavailable', message: 'The engine is currently overloaded, please try again later.'},
  529: {type: 'server_error', code: 'overloaded', message: 'Overloaded.'},
}

const ANTHROPIC_ERRORS: Record<number, {type: string; message: string}> = {
  400: {type: 'invalid_request_error', message: 'Invalid request.'},
  401: {type: 'authentication_error', message: 'invalid x-api-key'},
  403: {type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.'},
  404: {type: 'not_found_error', message: 'The requested resource could not be found.'},
  408: {type: 'timeout_error', message: 'Request timed out.'},
  409: {type: 'invalid_request_error', message: 'Conflict.'},
  413: {type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.'},
  429: {type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.'},
  500: {type: 'api_error', message: 'Internal server error'},
  502: {type: 'api_error', message: 'Bad gateway'},
  503: {type: 'api_error', message: 'Service unavailable'},
  529: {type: 'overloaded_error', message: 'Overloaded'},
}

export type Flavor = 'openai' | 'anthropic'

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

/** Text of a content value in either wire format (string, OpenAI parts, Anthropic blocks). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  const out: string[] = []
  for (const p of arr(content)) {
    const o = obj(p)
    if (typeof o.text === 'string') out.push(o.text)
    else if (o.type === 'tool_result') out.push(contentText(o.content))
  }
  return out.join('')
}

function lastUserText(body: Json): string {
  if (typeof body.input === 'string') return body.input
  const messages = arr(body.messages).length ? arr(body.messages) : arr(body.input)
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = obj(messages[i])
    if (m.role === 'user') return contentText(m.content)
  }
  return ''
}

function promptChars(body: Json): number {
  let n = typeof body.system === 'string' ? body.system.length : contentText(body.system).length
  if (typeof body.instructions === 'string') n += body.instructions.length
  if (typeof body.input === 'string') n += body.input.length
  for (const m of [...arr(body.messages), ...(Array.isArray(body.input) ? body.input : [])]) n += contentText(obj(m).content).length
  return n
}

const tokens = (chars: number) => Math.max(1, Math.ceil(chars / 4))

/** Which tool (if any) the request forces: OpenAI tool_choice required/{function}, Anthropic any/{tool}. */
function forcedTool(body: Json): {name: string; schema: unknown} | null {
  const tools = arr(body.tools).map(obj)
  if (tools.length === 0) return null
  const tc = body.tool_choice
  const tco = obj(tc)
  let name: string | null = null
  if (tc === 'required' || tco.type === 'any') name = ''
  else if (tco.type === 'function') name = typeof obj(tco.function).name === 'string' ? (obj(tco.function).name as string) : typeof tco.name === 'string' ? tco.name : ''
  else if (tco.type === 'tool' && typeof tco.name === 'string') name = tco.name
  if (name === null) return null
  const toolName = (t: Json) => (typeof obj(t.function).name === 'string' ? (obj(t.function).name as string) : typeof t.name === 'string' ? t.name : '')
  const tool = tools.find((t) => name !== '' && toolName(t) === name) ?? tools[0]!
  return {name: toolName(tool), schema: obj(tool.function).parameters ?? tool.input_schema ?? tool.parameters}
}

function argsFor(schema: unknown, text: string): Json {
  const props = obj(obj(schema).properties)
  const out: Json = {}
  for (const [k, v] of Object.entries(props)) {
    const t = obj(v).type
    out[k] = t === 'number' || t === 'integer' ? text.length : t === 'boolean' ? true : t === 'array' ? [text.slice(0, 20)] : t === 'object' ? {} : text.slice(0, 40)
  }
  if (Object.keys(props).length === 0) out.query = text.slice(0, 40)
  return out
}

export interface Answer {
  id: string
  model: string
  text: string
  tool: {id: string; name: string; args: string} | null
  truncated: boolean
  inTokens: number
  outTokens: number
}

function isJsonObjectText(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s)
    return v !== null && typeof v === 'object' && !Array.isArray(v)
  } catch {
    return false
  }
}

export function answerFor(body: Json, flavor: Flavor, fallbackModel: string, scripted?: string): Answer {
  const user = lastUserText(body)
  const digest = fakeDigest(user)
  const whole = fakeDigest(JSON.stringify(body))
  let forced = forcedTool(body)
  if (scripted !== undefined && forced && !isJsonObjectText(scripted)) forced = null
  let text = forced ? '' : scripted ?? `Fake answer ${digest}. You wrote ${user.length} characters: ${user.slice(0, 80)}`
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null
  let truncated = false
  if (maxTokens !== null && text.length > maxTokens * 4) {
    text = text.slice(0, Math.max(1, maxTokens * 4))
    truncated = true
  }
  const args = forced ? (scripted !== undefined ? scripted : JSON.stringify(argsFor(forced.schema, user))) : ''
  const tool = forced ? {id: (flavor === 'anthropic' ? 'toolu_fake_' : 'call_fake_') + whole, name: forced.name, args} : null
  return {
    id: whole,
    model: typeof body.model === 'string' ? body.model : fallbackModel,
    text,
    tool,
    truncated,
    inTokens: tokens(promptChars(body)),
    outTokens: tokens(text.length + (tool ? tool.args.length : 0)),
  }
}

const CREATED = 1735689600

function openaiUsage(a: Answer): Json {
  return {
    prompt_tokens: a.inTokens,
    completion_tokens: a.outTokens,
    total_tokens: a.inTokens + a.outTokens,
    prompt_tokens_details: {cached_tokens: 0, audio_tokens: 0},
    completion_tokens_details: {reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0},
  }
}

function openaiFinish(a: Answer): string {
  return a.tool ? 'tool_calls' : a.truncated ? 'length' : 'stop'
}

export function openaiCompletion(a: Answer): Json {
  const message: Json = {role: 'assistant', content: a.tool ? null : a.text, refusal: null, annotations: []}
  if (a.tool) message.tool_calls = [{id: a.tool.id, type: 'function', function: {name: a.tool.name, arguments: a.tool.args}}]
  return {
    id: `chatcmpl-${a.id}`,
    object: 'chat.completion',
    created: CREATED,
    model: a.model,
    choices: [{index: 0, message, logprobs: null, finish_reason: openaiFinish(a)}],
    usage: openaiUsage(a),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  }
}

function pieces(s: string, n = 3): string[] {
  if (s.length === 0) return []
  const size = Math.max(1, Math.ceil(s.length / n))
  const out: string[] = []
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size))
  return out
}

function openaiChunks(a: Answer, includeUsage: boolean): Json[] {
  const base = {id: `chatcmpl-${a.id}`, object: 'chat.completion.chunk', created: CREATED, model: a.model, system_fingerprint: 'fp_fake', service_tier: 'default'}
  const u = includeUsage ? {usage: null} : {}
  const chunk = (delta: Json, finish: string | null = null): Json => ({...base, choices: [{index: 0, delta, logprobs: null, finish_reason: finish}], ...u})
  const out: Json[] = [chunk({role: 'assistant', content: a.tool ? null : '', refusal: null})]
  if (a.tool) {
    out.push(chunk({tool_calls: [{index: 0, id: a.tool.id, type: 'function', function: {name: a.tool.name, arguments: ''}}]}))
    for (const p of pieces(a.tool.args)) out.push(chunk({tool_calls: [{index: 0, function: {arguments: p}}]}))
  } else {
    for (const p of pieces(a.text)) out.push(chunk({content: p}))
  }
  out.push(chunk({}, openaiFinish(a)))
  if (includeUsage) out.push({...base, choices: [], usage: openaiUsage(a)})
  return out
}

function anthropicStop(a: Answer): string {
  return a.tool ? 'tool_use' : a.truncated ? 'max_tokens' : 'end_turn'
}

function anthropicUsage(a: Answer, output: number): Json {
  return {input_tokens: a.inTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output, service_tier: 'standard'}
}

export function anthropicMessage(a: Answer): Json {
  const content: Json[] = []
  if (a.text) content.push({type: 'text', text: a.text})
  if (a.tool) content.push({type: 'tool_use', id: a.tool.id, name: a.tool.name, input: JSON.parse(a.tool.args) as unknown})
  return {
    id: `msg_${a.id}`,
    type: 'message',
    role: 'assistant',
    model: a.model,
    content,
    stop_reason: anthropicStop(a),
    stop_sequence: null,
    usage: anthropicUsage(a, a.outTokens),
  }
}

function anthropicEvents(a: Answer): Json[] {
  const out: Json[] = [
    {type: 'message_start', message: {...anthropicMessage(a), content: [], stop_reason: null, usage: anthropicUsage(a, 1)}},
  ]
  let index = 0
  if (a.text) {
    out.push({type: 'content_block_start', index, content_block: {type: 'text', text: ''}})
    out.push({type: 'ping'})
    for (const p of pieces(a.text)) out.push({type: 'content_block_delta', index, delta: {type: 'text_delta', text: p}})
    out.push({type: 'content_block_stop', index})
    index++
  }
  if (a.tool) {
    out.push({type: 'content_block_start', index, content_block: {type: 'tool_use', id: a.tool.id, name: a.tool.name, input: {}}})
    out.push({type: 'ping'})
    for (const p of pieces(a.tool.args)) out.push({type: 'content_block_delta', index, delta: {type: 'input_json_delta', partial_json: p}})
    out.push({type: 'content_block_stop', index})
  }
  out.push({type: 'message_delta', delta: {stop_reason: anthropicStop(a), stop_sequence: null}, usage: {output_tokens: a.outTokens}})
  out.push({type: 'message_stop'})
  return out
}

export function responsesObject(a: Answer): Json {
  const output: Json[] = []
  if (a.text) output.push({type: 'message', id: `msg_${a.id}`, status: 'completed', role: 'assistant', content: [{type: 'output_text', text: a.text, annotations: []}]})
  if (a.tool) output.push({type: 'function_call', id: `fc_${a.id}`, call_id: a.tool.id, name: a.tool.name, arguments: a.tool.args, status: 'completed'})
  return {
    id: `resp_${a.id}`,
    object: 'response',
    created_at: CREATED,
    status: a.truncated ? 'incomplete' : 'completed',
    incomplete_details: a.truncated ? {reason: 'max_output_tokens'} : null,
    error: null,
    model: a.model,
    output,
    usage: {input_tokens: a.inTokens, input_tokens_details: {cached_tokens: 0}, output_tokens: a.outTokens, output_tokens_details: {reasoning_tokens: 0}, total_tokens: a.inTokens + a.outTokens},
  }
}

function responsesEvents(a: Answer): {event: string; data: Json}[] {
  const done = responsesObject(a)
  const out: {event: string; data: Json}[] = [{event: 'response.created', data: {type: 'response.created', response: {...done, status: 'in_progress', output: []}}}]
  for (const p of pieces(a.text)) out.push({event: 'response.output_text.delta', data: {type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: p}})
  if (a.tool) for (const p of pieces(a.tool.args)) out.push({event: 'response.function_call_arguments.delta', data: {type: 'response.function_call_arguments.delta', output_index: 0, delta: p}})
  const terminal = a.truncated ? 'response.incomplete' : 'response.completed'
  out.push({event: terminal, data: {type: terminal, response: done}})
  return out
}

export function errorBody(flavor: Flavor, status: number, fault?: {error_type?: string; message?: string}): Json {
  if (flavor === 'anthropic') {
    const e = ANTHROPIC_ERRORS[status] ?? {type: status >= 500 ? 'api_error' : 'invalid_request_error', message: `HTTP ${status}`}
    return {type: 'error', error: {type: fault?.error_type ?? e.type, message: fault?.message ?? e.message}, request_id: 'req_fake_error'}
  }
  const e = OPENAI_ERRORS[status] ?? {type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null, message: `HTTP ${status}`}
  return {error: {message: fault?.message ?? e.message, type: fault?.error_type ?? e.type, param: null, code: e.code}}
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const record = options.record !== false
  const counts: Record<string, number> = {}
  const calls: ReceivedCall[] = []
  let script: FaultScript | undefined = options.faults
  let queue: Fault[] = Array.isArray(script) ? [...script] : []
  let callIndex = 0
  let seen = 0

  const nextFault = (index: number, body: Json, path: string): Fault | null => {
    if (typeof script === 'function') return script(index, body, path) ?? null
    return queue.shift() ?? null
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers})
    res.end(text)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const path = u.pathname
    counts[path] = (counts[path] ?? 0) + 1
    let body: Json | null = null
    if (raw) {
      try {
        body = obj(JSON.parse(raw))
      } catch {
        body = null
      }
    }
    if (record) calls.push({index: seen, method: req.method ?? '', path, query: Object.fromEntries(u.searchParams), headers: req.headers, body, rawBody: raw})
    seen++
    let closed = false
    res.on('close', () => {
      closed = true
    })

    const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(path)
    const kind =
      path === '/v1/chat/completions' || azure ? 'chat' : path === '/v1/messages' ? 'messages' : path === '/v1/responses' ? 'responses' : path === '/v1/models' ? 'models' : null
    const flavor: Flavor = kind === 'messages' || (kind === 'models' && req.headers['anthropic-version'] !== undefined) ? 'anthropic' : 'openai'

    if (kind === null) return sendJson(res, 404, errorBody(flavor, 404, {message: `Unknown path ${path}`}))
    if (kind === 'models') {
      if (req.method !== 'GET') return sendJson(res, 405, errorBody(flavor, 400, {message: 'Method not allowed'}))
      const ids = options.models ?? ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-20250514']
      if (flavor === 'anthropic') {
        const data = ids.map((id) => ({type: 'model', id, display_name: id, created_at: '2025-05-14T00:00:00Z'}))
        return sendJson(res, 200, {data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null})
      }
      return sendJson(res, 200, {object: 'list', data: ids.map((id) => ({id, object: 'model', created: CREATED, owned_by: 'kt-fake'}))})
    }
    if (req.method !== 'POST') return sendJson(res, 405, errorBody(flavor, 400, {message: 'Method not allowed'}))
    if (body === null) return sendJson(res, 400, errorBody(flavor, 400, {message: 'We could not parse the JSON body of your request.'}))

    // Auth and required parameters, as the real services check them.
    if (flavor === 'anthropic') {
      if (!req.headers['x-api-key'] && !req.headers.authorization) return sendJson(res, 401, errorBody(flavor, 401))
      if (typeof body.max_tokens !== 'number') return sendJson(res, 400, errorBody(flavor, 400, {message: 'max_tokens: Field required'}))
    } else if (azure) {
      if (!u.searchParams.get('api-version')) return sendJson(res, 404, {error: {code: '404', message: 'Resource not found'}})
      if (!req.headers['api-key'] && !req.headers.authorization) return sendJson(res, 401, {error: {code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.'}})
    } else if (!req.headers.authorization) {
      return sendJson(res, 401, errorBody(flavor, 401, {message: "You didn't provide an API key."}))
    }

    const index = callIndex++
    const fault = nextFault(index, body, path)
    const delay = typeof options.delayMs === 'function' ? options.delayMs(index, body) : options.delayMs ?? 0
    if (delay > 0) await sleep(delay)
    if (fault?.type === 'slow') await sleep(fault.ms)
    if (closed) return
    if (fault?.type === 'reset') {
      req.socket.destroy()
      return
    }
    if (fault?.type === 'http') {
      const headers: Record<string, string> = {}
      if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after)
      if (fault.retry_after_ms !== undefined) headers['retry-after-ms'] = String(fault.retry_after_ms)
      headers[flavor === 'anthropic' ? 'request-id' : 'x-request-id'] = 'req_fake_error'
      if (flavor === 'anthropic' && fault.status === 529) headers['x-should-retry'] = 'true'
      return sendJson(res, fault.status, errorBody(flavor, fault.status, fault), headers)
    }

    if (fault?.type === 'text') {
      res.writeHead(fault.status, {'content-type': 'text/plain', 'content-length': Buffer.byteLength(fault.body)})
      res.end(fault.body)
      return
    }
    if (fault?.type === 'huge') return sendHuge(res, kind, body.stream === true, fault, () => closed)

    const answer = answerFor(body, flavor, azure?.[1] ?? 'unknown', options.answer?.(body, index))
    const idHeader: Record<string, string> = flavor === 'anthropic' ? {'request-id': `req_${answer.id}`} : {'x-request-id': `req_${answer.id}`}
    if (azure) idHeader['apim-request-id'] = `apim-${answer.id}`
    if (fault?.type === 'invalid_json') {
      const text = '{"id": "broken", "choices": [{"message": {"content": "cut'
      res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...idHeader})
      res.end(text)
      return
    }

    if (body.stream !== true) {
      if (fault?.type === 'stream_error' || fault?.type === 'stream_cut') return sendJson(res, 500, errorBody(flavor, 500, fault.type === 'stream_error' ? fault : undefined), idHeader)
      const payload = kind === 'messages' ? anthropicMessage(answer) : kind === 'responses' ? responsesObject(answer) : openaiCompletion(answer)
      return sendJson(res, 200, payload, idHeader)
    }

    // Streaming: `event:` lines for Anthropic and Responses, bare `data:` for Chat Completions.
    const events: {event: string | null; data: string}[] =
      kind === 'messages'
        ? anthropicEvents(answer).map((e) => ({event: String(e.type), data: JSON.stringify(e)}))
        : kind === 'responses'
          ? responsesEvents(answer).map((e) => ({event: e.event, data: JSON.stringify(e.data)}))
          : [...openaiChunks(answer, obj(body.stream_options).include_usage === true).map((c) => ({event: null, data: JSON.stringify(c)})), {event: null, data: '[DONE]'}]
    res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...idHeader})
    const cutAt = fault?.type === 'stream_error' || fault?.type === 'stream_cut' ? Math.min(fault.after_chunks ?? 2, events.length) : events.length
    for (let i = 0; i < cutAt; i++) {
      if (closed) return
      if (options.chunkDelayMs && i > 0) await sleep(options.chunkDelayMs)
      const e = events[i]!
      res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`)
    }
    if (fault?.type === 'stream_cut') {
      req.socket.destroy()
      return
    }
    if (fault?.type === 'stream_error') {
      const err = errorBody(flavor, flavor === 'anthropic' ? 529 : 500, fault)
      res.write(flavor === 'anthropic' ? `event: error\ndata: ${JSON.stringify(err)}\n\n` : `data: ${JSON.stringify(err)}\n\n`)
    }
    res.end()
  }

  const served = {count: 0, totalMs: 0}
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let t0 = 0
    res.on('finish', () => {
      served.count++
      served.totalMs += performance.now() - t0
    })
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      t0 = performance.now()
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    calls,
    served,
    callCount(path?: string) {
      if (path === undefined) return Object.values(counts).reduce((a, b) => a + b, 0)
      return counts[path] ?? 0
    },
    setFaults(faults) {
      script = faults
      queue = Array.isArray(faults) ? [...faults] : []
    },
    reset() {
      for (const k of Object.keys(counts)) delete counts[k]
      calls.length = 0
      callIndex = 0
      seen = 0
      served.count = 0
      served.totalMs = 0
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    },
  }
}

/** Writes a `huge` fault's answer piece by piece, waiting for the socket to drain, until done or the client hangs up. */
async function sendHuge(res: ServerResponse, kind: string, stream: boolean, fault: Extract<Fault, {type: 'huge'}>, closed: () => boolean): Promise<void> {
  const piece = 'a'.repeat(64 * 1024)
  const write = async (text: string) => {
    if (!res.write(text)) await new Promise<void>((resolve) => {
      res.once('drain', resolve)
      res.once('close', resolve)
    })
  }
  const pieces = Math.ceil(fault.bytes / piece.length)
  if (stream) {
    res.writeHead(200, {'content-type': 'text/event-stream'})
    for (let i = 0; i < pieces && !closed(); i++) {
      const data = kind === 'messages' ? {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: piece}} : {id: 'chatcmpl-huge', object: 'chat.completion.chunk', created: CREATED, model: 'm', choices: [{index: 0, delta: {content: piece}, finish_reason: null}]}
      await write(`${kind === 'messages' ? 'event: content_block_delta\n' : ''}data: ${JSON.stringify(data)}\n\n`)
    }
    if (!closed()) res.end(kind === 'messages' ? 'event: message_stop\ndata: {"type":"message_stop"}\n\n' : 'data: [DONE]\n\n')
    return
  }
  const head = kind === 'messages' ? '{"id":"msg_huge","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"' : `{"id":"chatcmpl-huge","object":"chat.completion","created":${CREATED},"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"`
  const tail = kind === 'messages' ? '"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}' : '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
  res.writeHead(200, {'content-type': 'application/json', ...(fault.declare ? {'content-length': String(head.length + pieces * piece.length + tail.length)} : {})})
  await write(head)
  for (let i = 0; i < pieces && !closed(); i++) await write(piece)
  if (!closed()) res.end(tail)
}

/** Sets environment variables for the duration of `fn` and restores the previous values (also on failure). */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
