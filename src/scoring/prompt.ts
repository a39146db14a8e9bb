// What the scorers read from a stored request and result: the prompt in canonical form, and the answer's tool calls.
import type {Api, CanonicalRequest} from '../records/index.js'
import {requestFromBody} from '../wire/index.js'
import {promptFromRequest, SCORERS, type ScorePrompt} from './heuristics.js'

/** Names every dimension's scorer with its version, so a changed heuristic shows up as a different scorer. */
export const HEURISTIC_SCORER = Object.values(SCORERS).join(',')

export type PromptInfo = ScorePrompt

const NO_PROMPT: PromptInfo = {system: null, lastUser: '', allUserText: '', wantsJson: false}

/** A stored request body in canonical form; null when there is none or it does not parse. */
export function parseStoredRequest(api: Api, requestJson: string | null): CanonicalRequest | null {
  if (!requestJson) return null
  try {
    return requestFromBody(api, JSON.parse(requestJson) as Record<string, unknown>)
  } catch {
    return null
  }
}

/** What the scorers need to know about the prompt, from a request parsed with parseStoredRequest. */
export function promptOfRequest(request: CanonicalRequest | null): PromptInfo {
  if (!request) return NO_PROMPT
  try {
    return promptFromRequest(request)
  } catch {
    return NO_PROMPT
  }
}

/** What the scorers need to know about the prompt, from the stored provider request body. */
export function promptInfo(api: Api, requestJson: string | null): PromptInfo {
  return promptOfRequest(parseStoredRequest(api, requestJson))
}

/** Tool calls in a stored result's tool_calls_json. */
export function toolCallCount(json: string | null): number {
  if (!json) return 0
  try {
    const calls: unknown = JSON.parse(json)
    return Array.isArray(calls) ? calls.length : 0
  } catch {
    return 0
  }
}
