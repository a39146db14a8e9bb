// Calls to the upstreams: plain node:http(s) on keep-alive pools, one for the callers' traffic and a separate,
// smaller one for shadows, so shadows that hang can never take a socket a caller needs. bench/gateway.ts measured
// this against the official SDKs (their request building, Response objects and stream readers): the SDK path costs
// several times the CPU per call, and the gateway needs the raw bytes anyway to stream them through.
import {Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {simulatedCall} from './simulated.js'
import type {SendOptions, UpstreamCall} from './upstream-types.js'

export type {SendOptions, UpstreamAnswer, UpstreamCall} from './upstream-types.js'

const IDLE_SOCKET_MS = 4000

function agents(maxSockets: number): {http: HttpAgent; https: HttpsAgent} {
  const opts = {keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 256), timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const}
  return {http: new HttpAgent(opts), https: new HttpsAgent(opts)}
}

export interface UpstreamPools {
  primary: {http: HttpAgent; https: HttpsAgent}
  shadow: {http: HttpAgent; https: HttpsAgent}
  destroy(): void
}

export function createPools(maxShadows: number): UpstreamPools {
  const primary = agents(4096)
  const shadow = agents(Math.max(1, maxShadows))
  return {
    primary,
    shadow,
    destroy() {
      for (const a of [primary.http, primary.https, shadow.http, shadow.https]) a.destroy()
    },
  }
}

/** Caller headers worth passing on (API versions and betas); never credentials. */
const FORWARDED = ['anthropic-version', 'anthropic-beta', 'openai-beta']

interface Where {
  https: boolean
  hostname: string
  port: string
  path: string
}

// http.request(URL) converts the URL to options on every call; targets' URLs are fixed, so that is done once.
const places = new WeakMap<URL, Where>()

function where(url: URL): Where {
  let w = places.get(url)
  if (!w) {
    w = {https: url.protocol === 'https:', hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: `${url.pathname}${url.search}`}
    places.set(url, w)
  }
  return w
}

/** Sends one request upstream. The target's own headers and key go out; the caller's Authorization never does. */
export function sendUpstream(o: SendOptions): UpstreamCall {
  if (o.target.simulated) return simulatedCall(o, o.target.simulated)
  const url = o.target.url(o.model)
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': o.body.length,
    accept: o.stream ? 'text/event-stream' : 'application/json',
    // Identity, so the bytes can be read for events and streamed as they come.
    'accept-encoding': 'identity',
    'user-agent': 'kt-gateway',
  }
  if (o.callerHeaders) {
    for (const h of FORWARDED) {
      const v = o.callerHeaders[h]
      if (typeof v === 'string') headers[h] = v
    }
  }
  if (o.target.api === 'anthropic.messages' && headers['anthropic-version'] === undefined) headers['anthropic-version'] = '2023-06-01'
  if (o.shadow) headers['x-kt-shadow'] = '1'
  if (o.trace) Object.assign(headers, o.trace)
  Object.assign(headers, o.target.headers)
  const w = where(url)
  const req = (w.https ? httpsRequest : httpRequest)({protocol: w.https ? 'https:' : 'http:', hostname: w.hostname, port: w.port, path: w.path, method: 'POST', headers, agent: w.https ? o.pool.https : o.pool.http})
  req.on('response', o.onResponse)
  req.on('error', o.onError)
  const sentAt = performance.now()
  req.end(o.body)
  return {sentAt, abort: (err) => req.destroy(err)}
}

