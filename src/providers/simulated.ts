// An offline, deterministic target. Everything it returns is a function of (request, style, seed), so runs are
// reproducible; two seeds give slightly different wording (the A/A noise a real model shows between runs). A
// faithful target replaying a logged request also reads the logged answer, and answers like it (simulated-answer.ts).
//
// Latency: drawn from a seeded log-normal (p50/p95, describing a ~80-token answer, scaled by sqrt of the actual
// length so terse answers are faster) and REPORTED, not slept, unless `simulation.sleep: true`, so replay tests and
// demos over thousands of records stay fast. A drawn latency above the call's timeout is a timeout result either way. Errors (`error_rate`) are drawn per request AND per attempt on this client, so a
// retried request can succeed while a fresh client replays the same sequence.
import {emptyUsage} from '../records/index.js'
import {rng} from '../stats/index.js'
import {estimateRequestTokens} from './pricing.js'
import {simulateAnswer, styleOf, type SimAnswer} from './simulated-answer.js'
import {drawLatency, lengthFactor, requestDigest, seedFrom} from './simulated-draw.js'
import {parseRaw, rawFor} from './simulated-wire.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

export {SIMULATED_STYLES} from './simulated-answer.js'

const DEFAULT_TIMEOUT_MS = 120_000

const SIM_ERRORS = [
  {status: 429, openai: {type: 'requests', code: 'rate_limit_exceeded'}, anthropic: {type: 'rate_limit_error', code: null}, message: 'simulated rate limit', retry_after_ms: 1000},
  {status: 500, openai: {type: 'server_error', code: null}, anthropic: {type: 'api_error', code: null}, message: 'simulated internal error', retry_after_ms: null},
  {status: 503, openai: {type: 'server_error', code: 'service_unavailable'}, anthropic: {type: 'api_error', code: null}, message: 'simulated service unavailable', retry_after_ms: null},
  {status: 529, openai: {type: 'server_error', code: 'overloaded'}, anthropic: {type: 'overloaded_error', code: null}, message: 'simulated overload', retry_after_ms: null},
] as const

/** Waits `ms`; false when `signal` aborted first. */
function abortable(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      resolve(false)
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

type Api = 'openai.chat' | 'anthropic.messages' | 'openai.responses'

/** One call's fixed parts: what every result of it shares, and its draws. */
interface Call {
  base: CallResult
  api: Api
  draw: () => number
  latency: number
  requestId: string
  sleep: boolean
  signal: AbortSignal | undefined
}

function aborted(c: Call): CallResult {
  return {...c.base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}}
}

/** A retryable upstream-style error (`error_rate`), reported after a tenth of the drawn latency. */
async function simulatedError(c: Call): Promise<CallResult> {
  const e = SIM_ERRORS[Math.floor(c.draw() * SIM_ERRORS.length) % SIM_ERRORS.length]!
  const kind = c.api === 'anthropic.messages' ? e.anthropic : e.openai
  const errLatency = Math.max(1, Math.round(c.latency * 0.1))
  if (c.sleep && !(await abortable(errLatency, c.signal))) return aborted(c)
  return {
    ...c.base,
    status: 'error',
    http_status: e.status,
    error: {type: kind.type, code: kind.code, message: e.message},
    retryable: true,
    retry_after_ms: e.retry_after_ms,
    response_model: null,
    request_id: c.requestId,
    latency_ms: errLatency,
  }
}

/** The answer as a result: timed out when its latency passes the timeout, else parsed from its wire body. */
async function answered(c: Call, req: CallRequest, answer: SimAnswer, model: string, rawId: string, timeoutMs: number, stream: boolean): Promise<CallResult> {
  const inTokens = Math.max(1, estimateRequestTokens(req.body))
  const outChars = (answer.text?.length ?? 0) + answer.toolCalls.reduce((n, t) => n + t.arguments.length + t.name.length, 0)
  const outTokens = Math.max(1, Math.ceil(outChars / 4))
  const latency = Math.round(c.latency * lengthFactor(outTokens))
  if (latency > timeoutMs) {
    if (c.sleep && !(await abortable(timeoutMs, c.signal))) return aborted(c)
    return {...c.base, status: 'timeout', http_status: null, error: {type: 'timeout', code: null, message: `no complete response within ${timeoutMs} ms`}, retryable: true, response_model: null, latency_ms: timeoutMs}
  }
  if (c.sleep && !(await abortable(latency, c.signal))) return aborted(c)
  const parsed = parseRaw(c.api, rawFor(c.api, model, rawId, answer, inTokens, outTokens))
  return {
    ...c.base,
    response: parsed.response,
    usage: parsed.usage,
    response_model: parsed.model,
    request_id: c.requestId,
    latency_ms: latency,
    ttft_ms: stream ? Math.round(latency * (0.15 + 0.2 * c.draw())) : null,
  }
}

export function createSimulatedClient(target: TargetSpec): ProviderClient {
  const attempts = new Map<string, number>()
  return {
    target,
    nativeApi: 'any',
    async call(req: CallRequest, opts: CallOptions = {}): Promise<CallResult> {
      const api: Api = req.api === 'anthropic.messages' || req.api === 'openai.responses' ? (req.api as Api) : 'openai.chat'
      // A target without a model answers as the model the request names.
      const model = target.model ?? (typeof req.body.model === 'string' ? req.body.model : `simulated-${styleOf(target)}`)
      const base: CallResult = {
        status: 'ok',
        http_status: 200,
        error: null,
        retryable: false,
        retry_after_ms: null,
        response: null,
        usage: emptyUsage(),
        response_model: model,
        request_id: null,
        latency_ms: 0,
        ttft_ms: null,
        translation_losses: [],
        api,
        simulated: true,
      }
      if (opts.signal?.aborted) return {...base, status: 'error', http_status: null, error: {type: 'aborted', code: null, message: 'call aborted by the caller'}, response_model: null}
      if (req.api !== api && req.api !== 'openai.chat' && !Array.isArray(req.body.messages)) {
        return {...base, status: 'error', http_status: null, error: {type: 'kt_unsupported', code: null, message: `simulated target "${target.id}" cannot answer api "${req.api}"`}, response_model: null}
      }
      const sim = target.simulation ?? {}
      const seed = sim.seed ?? 0
      const digest = requestDigest(req.body)
      const attempt = attempts.get(digest) ?? 0
      attempts.set(digest, attempt + 1)
      // Style is part of the draw: two styles must not show identical latencies on every request.
      const draw = rng(seedFrom('call', digest, seed, attempt, styleOf(target)))
      const latency = drawLatency(sim.latency_ms, draw(), draw())
      const call: Call = {base, api, draw, latency, requestId: `sim_${digest.slice(0, 16)}`, sleep: sim.sleep === true, signal: opts.signal}
      if ((sim.error_rate ?? 0) > 0 && draw() < (sim.error_rate ?? 0)) return simulatedError(call)
      const answer = simulateAnswer(target, api, req.body, digest, req.recorded)
      const rawId = `${digest.slice(0, 20)}${seed ? `_${seed}` : ''}`
      return answered(call, req, answer, model, rawId, opts.timeoutMs ?? target.timeout_ms ?? DEFAULT_TIMEOUT_MS, req.stream ?? req.body.stream === true)
    },
  }
}
