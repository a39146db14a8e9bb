// The scorers' view of a prompt, from a canonical request: system text, user turns, and whether JSON was asked for.
import type {CanonicalRequest, Part} from '../../records/index.js'
import {isRecord} from './json.js'
import type {ScorePrompt} from './types.js'

function partsText(parts: readonly Part[]): string {
  return parts
    .filter((p): p is Extract<Part, {type: 'text'}> => p.type === 'text')
    .map((p) => p.text)
    .join('\n')
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return isRecord(v) ? v : null
}

/**
 * JSON mode and schema from request params: Chat Completions `response_format`
 * ({type: json_object} | {type: json_schema, json_schema: {schema}}) and Responses
 * `text.format` ({type: json_schema, schema}).
 */
export function jsonRequest(params: Record<string, unknown>): {wantsJson: boolean; jsonSchema?: unknown} {
  const rf = asRecord(params.response_format) ?? asRecord(asRecord(params.text)?.format)
  const type = rf?.type
  if (type === 'json_object') return {wantsJson: true}
  if (type === 'json_schema') {
    const holder = asRecord(rf?.json_schema) ?? rf
    return holder && 'schema' in holder ? {wantsJson: true, jsonSchema: holder.schema} : {wantsJson: true}
  }
  return {wantsJson: false}
}

/** Builds the scorer's prompt view from a canonical request. */
export function promptFromRequest(request: CanonicalRequest): ScorePrompt {
  const userTurns = request.messages.filter((m) => m.role === 'user').map((m) => partsText(m.parts))
  const developer = request.messages.filter((m) => m.role === 'developer' || m.role === 'system').map((m) => partsText(m.parts))
  const system = [request.system, ...developer].filter((s): s is string => !!s).join('\n') || null
  return {
    system,
    lastUser: userTurns.length > 0 ? userTurns[userTurns.length - 1]! : '',
    allUserText: userTurns.join('\n'),
    ...jsonRequest(request.params),
  }
}
