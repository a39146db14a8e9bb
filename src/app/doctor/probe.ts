// One short GET for the reachability checks. node:http(s) with `agent: false` rather than fetch: no pooled
// keep-alive socket outlives the check, and every failure keeps its system error code (ECONNREFUSED, ENOTFOUND…).
import {request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'

export type ProbeResult =
  | {kind: 'http'; status: number; ms: number; body: string}
  | {kind: 'timeout'; ms: number}
  | {kind: 'error'; code: string | null; message: string; ms: number}

/** At most this much of the body is kept (enough for an error message). */
const BODY_LIMIT = 4096

export function probe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  const start = performance.now()
  const elapsed = () => Math.round(performance.now() - start)
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: ProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    let u: URL
    try {
      u = new URL(url)
    } catch {
      finish({kind: 'error', code: 'ERR_INVALID_URL', message: 'not a valid URL', ms: 0})
      return
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(u, {method: 'GET', headers: {accept: 'application/json', ...headers}, agent: false}, (res: IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (body.length < BODY_LIMIT) body += chunk.slice(0, BODY_LIMIT - body.length)
      })
      res.on('end', () => finish({kind: 'http', status: res.statusCode ?? 0, ms: elapsed(), body}))
      res.on('error', () => finish({kind: 'http', status: res.statusCode ?? 0, ms: elapsed(), body}))
    })
    // One deadline for connect + headers + body: a server that accepts and never answers is as dead as one that refuses.
    const timer = setTimeout(() => {
      finish({kind: 'timeout', ms: elapsed()})
      req.destroy()
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => finish({kind: 'error', code: err.code ?? null, message: err.message, ms: elapsed()}))
    req.end()
  })
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused, nothing listens there',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
}

/** "connection refused (nothing listens there)" rather than "connect ECONNREFUSED 127.0.0.1:1". */
export function describeProbeFailure(r: Exclude<ProbeResult, {kind: 'http'}>, timeoutMs: number): string {
  if (r.kind === 'timeout') return `no answer within ${timeoutMs} ms`
  return (r.code && NETWORK_ERRORS[r.code]) ?? r.message
}

/** A URL fit for output: no user:password part. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return url
  }
}
