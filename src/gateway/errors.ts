// Errors the gateway itself answers, in the shape of the API the caller speaks (OpenAI `{error: {…}}`, Anthropic
// `{type: 'error', error: {…}}`), so an SDK raises its usual exception class for each status.
import type {ServerResponse} from 'node:http'
import {anthropicErrorBody, openaiErrorBody} from '../wire/index.js'
import type {CallerApi} from './exchange.js'

export function errorBody(api: CallerApi, status: number, message: string, code: string | null = null): Record<string, unknown> {
  if (api === 'anthropic.messages') return anthropicErrorBody(status, message)
  return openaiErrorBody(status, message, undefined, code)
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers})
  res.end(text)
}

export function sendError(res: ServerResponse, api: CallerApi, status: number, message: string, code: string | null = null, headers: Record<string, string> = {}): void {
  sendJson(res, status, errorBody(api, status, message, code), headers)
}
