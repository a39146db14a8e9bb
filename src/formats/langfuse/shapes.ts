// Which Langfuse shape a value is (observation, trace with observations, API page, UI CSV row, OTel attribute map),
// and the trace fields an observation inherits.
import {toIso} from '../../records/index.js'
import {isObject, type Json} from '../../wire/index.js'
import {str, strings} from '../common/values.js'

export interface TraceInfo {
  id: string | null
  name: string | null
  tags: string[]
  userId: string | null
  sessionId: string | null
  release: string | null
  environment: string | null
  timestamp: string | null
}

export function traceInfo(t: Json): TraceInfo {
  return {
    timestamp: toIso(t.timestamp),
    id: str(t.id),
    name: str(t.name),
    tags: strings(t.tags),
    userId: str(t.userId),
    sessionId: str(t.sessionId),
    release: str(t.release),
    environment: str(t.environment),
  }
}

export function isObservation(o: Json): boolean {
  return 'traceId' in o && 'type' in o && 'startTime' in o && ('usageDetails' in o || 'usage' in o || 'calculatedTotalCost' in o || 'model' in o)
}

export function isTrace(o: Json): boolean {
  return Array.isArray(o.observations) && ('timestamp' in o || 'id' in o)
}

export function isPage(o: Json): boolean {
  if (!Array.isArray(o.data) || !isObject(o.meta)) return false
  const first = o.data[0]
  if (first === undefined) return 'totalItems' in o.meta || 'page' in o.meta
  return isObject(first) && (isObservation(first) || isTrace(first))
}

/** The flat attribute map of a Langfuse OTel span: the object itself or its `attributes` object. */
export function langfuseAttributes(o: Json): Json | null {
  const has = (m: Json) => Object.keys(m).some((k) => k.startsWith('langfuse.observation.'))
  if (has(o)) return o
  if (isObject(o.attributes) && has(o.attributes)) return o.attributes
  return null
}

export function isCsvRow(o: Json): boolean {
  return 'id' in o && 'traceId' in o && 'startTime' in o && ('input' in o || 'output' in o)
}

export function detectLangfuse(v: unknown): boolean {
  if (!isObject(v)) return false
  return isObservation(v) || isTrace(v) || isPage(v) || langfuseAttributes(v) !== null || isCsvRow(v)
}
