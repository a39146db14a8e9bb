// `telemetry.otlp`: where the gateway exports its events as OpenTelemetry GenAI spans (OTLP/HTTP, JSON or protobuf), and how
// much it may queue. Header values are never written in the file: each names the environment variable holding it
// (`{secret_key_ref: {env: NAME}}`, as targets' keys do), read when the gateway starts. Messages about a header never
// repeat what was written there, since a value written by mistake is likely the secret itself.
import {z} from 'zod'
import type {PathSeg} from '../issues.js'
import {check, describeValue, posInt, rate, str} from '../schema.js'
import {OTLP_PROTOCOLS, type OtlpConfig} from '../types.js'
import {isObj, src, type Ctx} from './context.js'
import {ENV_NAME, isHttpUrl} from './targets.js'

export const DEFAULT_OTLP_MAX_QUEUE_SIZE = 2048
export const DEFAULT_OTLP_MAX_EXPORT_BATCH_SIZE = 512
export const DEFAULT_OTLP_EXPORT_TIMEOUT_MS = 10_000
export const DEFAULT_OTLP_SCHEDULED_DELAY_MS = 1000
export const DEFAULT_OTLP_SERVICE_NAME = 'kt-gateway'

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const HEADER_VALUE_SHAPE = 'must be {secret_key_ref: {env: NAME}}: header values are read only from the environment, never written in the file'

const HeaderValue = z.strictObject(
  {
    secret_key_ref: z.strictObject(
      {env: z.string({error: 'must be an environment variable name, e.g. OTLP_AUTH'}).regex(ENV_NAME, {error: 'must be an environment variable name, e.g. OTLP_AUTH'})},
      {error: (iss) => (iss.input === undefined ? 'is required' : 'must be a mapping {env: NAME}')},
    ),
  },
  {error: (iss) => (iss.input === undefined ? 'is required' : HEADER_VALUE_SHAPE)},
)

const OtlpRaw = z.strictObject({
  endpoint: str(),
  protocol: z.enum(OTLP_PROTOCOLS, {error: (iss) => (iss.input === 'grpc' ? 'grpc is not supported: use http/protobuf (the same messages over HTTP, port 4318) or http/json' : `must be one of ${OTLP_PROTOCOLS.join(', ')}`)}).optional(),
  headers: z.record(z.string(), HeaderValue, {error: 'must be a mapping of header name to {secret_key_ref: {env: NAME}}'}).optional(),
  sample_rate: rate().optional(),
  enabled: z.boolean().optional(),
  max_queue_size: posInt().optional(),
  max_export_batch_size: posInt().optional(),
  export_timeout_ms: posInt().optional(),
  scheduled_delay_ms: posInt().optional(),
  capture_content: z.boolean().optional(),
  service_name: str().optional(),
})

const KNOWN_TELEMETRY_KEYS = ['otlp']

/** The endpoint as written, when it is an http(s) URL without credentials in it; else null (reported). */
function endpointOf(ctx: Ctx, value: string, p: PathSeg[]): string | null {
  if (!isHttpUrl(value)) {
    ctx.c.error(p, `must be an http(s) URL, e.g. http://collector:4318/v1/traces, got ${describeValue(value)}`)
    return null
  }
  const u = new URL(value)
  if (u.username || u.password) {
    // Not echoed: the user part is a credential.
    ctx.c.error(p, 'must not hold credentials (user:password@); send them in a header read from an environment variable')
    return null
  }
  return value
}

/** Header names are checked on the data as written, so their problems show even when a value is wrong too. */
function headerNamesOk(ctx: Ctx, headers: unknown, p: PathSeg[]): boolean {
  if (!isObj(headers)) return true
  let ok = true
  for (const name of Object.keys(headers)) {
    if (HEADER_NAME.test(name)) continue
    ctx.c.error([...p, 'headers', name], 'is not a valid HTTP header name', {atKey: true})
    ok = false
  }
  return ok
}

export function telemetry(ctx: Ctx): {otlp: OtlpConfig | null} {
  const raw = ctx.data.telemetry
  if (raw === undefined) return {otlp: null}
  if (!isObj(raw)) {
    ctx.c.error(['telemetry'], `must be a mapping with otlp:, got ${describeValue(raw)}`)
    return {otlp: null}
  }
  for (const key of Object.keys(raw)) if (!KNOWN_TELEMETRY_KEYS.includes(key)) ctx.c.warn(['telemetry', key], 'unknown key (kt exports telemetry.otlp only)', {atKey: true})
  if (raw.otlp === undefined) return {otlp: null}
  const p: PathSeg[] = ['telemetry', 'otlp']
  // The endpoint and header names first, on the data as written: all problems are reported in one run.
  const written = isObj(raw.otlp) ? raw.otlp : {}
  const endpoint = typeof written.endpoint === 'string' && written.endpoint !== '' ? endpointOf(ctx, written.endpoint, [...p, 'endpoint']) : null
  const namesOk = headerNamesOk(ctx, written.headers, p)
  const o = check(ctx.c, OtlpRaw, raw.otlp, p)
  if (!o || endpoint === null || !namesOk) return {otlp: null}
  const headers = Object.entries(o.headers ?? {}).map(([name, value]) => {
    const where: PathSeg[] = [...p, 'headers', name, 'secret_key_ref', 'env']
    return {name, env: value.secret_key_ref.env, source: src(ctx, where)}
  })
  const maxQueue = o.max_queue_size ?? DEFAULT_OTLP_MAX_QUEUE_SIZE
  const maxBatch = o.max_export_batch_size ?? Math.min(DEFAULT_OTLP_MAX_EXPORT_BATCH_SIZE, maxQueue)
  if (maxBatch > maxQueue) {
    ctx.c.error([...p, 'max_export_batch_size'], `must be <= max_queue_size (${maxQueue})`)
    return {otlp: null}
  }
  return {
    otlp: {
      enabled: o.enabled ?? true,
      endpoint,
      protocol: o.protocol ?? 'http/json',
      headers,
      sample_rate: o.sample_rate ?? 1,
      max_queue_size: maxQueue,
      max_export_batch_size: maxBatch,
      export_timeout_ms: o.export_timeout_ms ?? DEFAULT_OTLP_EXPORT_TIMEOUT_MS,
      scheduled_delay_ms: o.scheduled_delay_ms ?? DEFAULT_OTLP_SCHEDULED_DELAY_MS,
      capture_content: o.capture_content ?? true,
      service_name: o.service_name ?? DEFAULT_OTLP_SERVICE_NAME,
      source: src(ctx, p),
    },
  }
}
