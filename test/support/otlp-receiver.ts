// An OTLP/HTTP trace receiver for tests: a node:http server on 127.0.0.1 taking POST /v1/traces in OTLP JSON (or
// protobuf, kept as raw bytes), keeping every request's headers and body. It can answer at once, fail every export, or hang (read the request and never
// answer) to stand in for a collector that cannot keep up.
import {createServer, type IncomingHttpHeaders, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Socket} from 'node:net'

export type ReceiverMode = 'ok' | 'fail' | 'hang'

export interface ReceivedExport {
  headers: IncomingHttpHeaders
  /** The OTLP JSON envelope as sent (`{resourceSpans: [...]}`); empty for a protobuf export. */
  body: Record<string, unknown>
  text: string
  /** The bytes as sent (a protobuf export is only kept this way). */
  raw: Buffer
}

/** One span of an envelope with its attributes as a plain map (OTLP AnyValues unwrapped). */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string | null
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  status: {code?: number; message?: string}
  attrs: Record<string, unknown>
  resource: Record<string, unknown>
}

export interface OtlpReceiver {
  /** The traces endpoint, e.g. http://127.0.0.1:40123/v1/traces. */
  url: string
  exports: ReceivedExport[]
  /** Export requests that arrived (answered or not). */
  requests: number
  mode: ReceiverMode
  spans(): ReceivedSpan[]
  close(): Promise<void>
}

function anyValue(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue
  if ('boolValue' in v) return v.boolValue
  if ('intValue' in v) return Number(v.intValue)
  if ('doubleValue' in v) return v.doubleValue
  if ('arrayValue' in v) return ((v.arrayValue as {values?: Record<string, unknown>[]}).values ?? []).map(anyValue)
  return null
}

function attrMap(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of (list as {key: string; value: Record<string, unknown>}[] | undefined) ?? []) out[kv.key] = anyValue(kv.value)
  return out
}

export async function startOtlpReceiver(mode: ReceiverMode = 'ok'): Promise<OtlpReceiver> {
  const hanging: ServerResponse[] = []
  const sockets = new Set<Socket>()
  const r: OtlpReceiver = {
    url: '',
    exports: [],
    requests: 0,
    mode,
    spans: () =>
      r.exports.flatMap((e) =>
        ((e.body.resourceSpans as Record<string, unknown>[] | undefined) ?? []).flatMap((rs) => {
          const resource = attrMap((rs.resource as {attributes?: unknown} | undefined)?.attributes)
          return ((rs.scopeSpans as {spans?: Record<string, unknown>[]}[] | undefined) ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((sp) => ({
              traceId: sp.traceId as string,
              spanId: sp.spanId as string,
              parentSpanId: (sp.parentSpanId as string | undefined) || null,
              name: sp.name as string,
              kind: sp.kind as number,
              startTimeUnixNano: String(sp.startTimeUnixNano),
              endTimeUnixNano: String(sp.endTimeUnixNano),
              status: (sp.status as ReceivedSpan['status']) ?? {},
              attrs: attrMap(sp.attributes),
              resource,
            })),
          )
        }),
      ),
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy()
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      r.requests++
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end()
        return
      }
      if (r.mode === 'hang') {
        hanging.push(res)
        return
      }
      if (r.mode === 'fail') {
        res.writeHead(400, {'content-type': 'application/json'}).end('{"code":3,"message":"rejected by the test receiver"}')
        return
      }
      const raw = Buffer.concat(chunks)
      if (req.headers['content-type'] === 'application/x-protobuf') {
        r.exports.push({headers: req.headers, body: {}, text: '', raw})
        // An empty ExportTraceServiceResponse.
        res.writeHead(200, {'content-type': 'application/x-protobuf'}).end()
        return
      }
      const text = raw.toString('utf8')
      r.exports.push({headers: req.headers, body: JSON.parse(text) as Record<string, unknown>, text, raw})
      res.writeHead(200, {'content-type': 'application/json'}).end('{}')
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return r
}
