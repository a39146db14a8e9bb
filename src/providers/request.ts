// What a target is sent for a stored request: the body translated to the target's API when the request was logged
// for the other provider (every dropped or approximated field named), then prepared for sending (model replaced,
// stream flag set). Live calls (openai.ts, anthropic.ts) and Batch API lines (batch-*.ts) both build it here, so a
// batched request is exactly the body a live replay sends.
import {anthropicToOpenAIChat, openaiChatToAnthropic} from '../wire/index.js'
import {prepareBody} from './body.js'
import type {WireApi} from './runner.js'
import type {CallRequest, TargetSpec} from './types.js'

export interface PreparedRequest {
  /** The API called: its endpoint, and the parser of its answer. */
  wire: WireApi
  body: Record<string, unknown>
  stream: boolean
  /** Fields dropped or approximated by translation. */
  losses: string[]
}

/** The prepared request, or null when the target cannot serve a request of this api. */
export function prepareRequest(target: TargetSpec, req: CallRequest): PreparedRequest | null {
  let body = req.body
  let losses: string[] = []
  if (target.provider === 'anthropic') {
    if (req.api === 'openai.chat') {
      const t = openaiChatToAnthropic(body)
      body = t.body
      losses = t.losses
    } else if (req.api !== 'anthropic.messages') return null
    const stream = req.stream ?? body.stream === true
    return {wire: 'anthropic.messages', body: prepareBody(body, target.model, stream, false), stream, losses}
  }
  let wire: WireApi = 'openai.chat'
  if (req.api === 'anthropic.messages') {
    const t = anthropicToOpenAIChat(body, {maxTokensField: target.provider === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens'})
    body = t.body
    losses = t.losses
  } else if (req.api === 'openai.responses') wire = 'openai.responses'
  else if (req.api !== 'openai.chat') return null
  const stream = req.stream ?? body.stream === true
  return {wire, body: prepareBody(body, target.model, stream, wire === 'openai.chat'), stream, losses}
}
