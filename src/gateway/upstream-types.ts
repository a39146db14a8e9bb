// The shapes of one upstream call, shared by the node:http path (upstream.ts) and the simulated one (simulated.ts).
import type {Agent as HttpAgent, IncomingHttpHeaders} from 'node:http'
import type {Agent as HttpsAgent} from 'node:https'
import type {Readable} from 'node:stream'
import type {PlanTarget} from './plan.js'

/** An upstream's answer as it arrives: an http.IncomingMessage, or the stream a simulated target plays. */
export type UpstreamAnswer = Readable & {statusCode?: number; headers: IncomingHttpHeaders}

export interface UpstreamCall {
  /** performance.now() when the request was handed to the socket layer. */
  sentAt: number
  /** Ends the call: before an answer, onError gets `err` (or a hang-up); mid-answer, the answer emits 'aborted'. */
  abort(err?: Error): void
}

export interface SendOptions {
  target: PlanTarget
  model: string
  body: Buffer
  stream: boolean
  /** Headers of the caller's request (only FORWARDED ones are passed on). */
  callerHeaders?: Record<string, string | string[] | undefined>
  pool: {http: HttpAgent; https: HttpsAgent}
  shadow?: boolean
  /** traceparent / tracestate continuing the caller's trace (trace-context.ts), when the caller sent one. */
  trace?: Record<string, string>
  onResponse: (res: UpstreamAnswer) => void
  onError: (err: Error) => void
}
