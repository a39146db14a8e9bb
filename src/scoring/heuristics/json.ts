// JSON answers: validity when the request asked for JSON, and the JSON Schema subset structured outputs use.

export function safeJsonParse(text: string): {ok: true; value: unknown} | {ok: false} {
  try {
    return {ok: true, value: JSON.parse(text)}
  } catch {
    return {ok: false}
  }
}

export interface JsonCheck {
  valid: boolean
  parsed: boolean
  /** The JSON was wrapped in a single ``` fence (accepted, recorded). */
  fenced: boolean
  /** Schema result; null when no schema was given. */
  schema_valid: boolean | null
}

/** JSON validity for a response that was asked to be JSON; validates a JSON Schema subset when given. */
export function checkJson(text: string | null, schema?: unknown): JsonCheck {
  const t = (text ?? '').trim()
  let parsed = safeJsonParse(t)
  let fenced = false
  if (!parsed.ok) {
    const m = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n```$/.exec(t)
    if (m) {
      parsed = safeJsonParse(m[1]!)
      fenced = parsed.ok
    }
  }
  if (!parsed.ok) return {valid: false, parsed: false, fenced: false, schema_valid: schema === undefined || schema === null ? null : false}
  const schemaValid = schema === undefined || schema === null ? null : validateSchema(parsed.value, schema, 0)
  return {valid: schemaValid !== false, parsed: true, fenced, schema_valid: schemaValid}
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'null':
      return value === null
    case 'array':
      return Array.isArray(value)
    case 'object':
      return isRecord(value)
    default:
      return true
  }
}

/**
 * The JSON Schema subset that structured-output schemas use: type, enum, const, properties,
 * required, additionalProperties: false, items, anyOf/oneOf (as "any"), allOf. Unknown keywords
 * and $ref are not checked (they pass).
 */
export function validateSchema(value: unknown, schema: unknown, depth: number): boolean {
  if (!isRecord(schema) || depth > 64) return true
  const type = schema.type
  if (typeof type === 'string' && !typeMatches(value, type)) return false
  if (Array.isArray(type) && !type.some((t) => typeof t === 'string' && typeMatches(value, t))) return false
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return false
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) return false
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key]
    if (Array.isArray(options) && options.length > 0 && !options.some((s) => validateSchema(value, s, depth + 1))) {
      return false
    }
  }
  if (Array.isArray(schema.allOf) && !schema.allOf.every((s) => validateSchema(value, s, depth + 1))) return false
  if (isRecord(value)) {
    const props = isRecord(schema.properties) ? schema.properties : {}
    if (Array.isArray(schema.required)) {
      for (const k of schema.required) if (typeof k === 'string' && !(k in value)) return false
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        if (!validateSchema(v, props[k], depth + 1)) return false
      } else if (schema.additionalProperties === false) {
        return false
      } else if (isRecord(schema.additionalProperties) && !validateSchema(v, schema.additionalProperties, depth + 1)) {
        return false
      }
    }
  }
  if (Array.isArray(value) && isRecord(schema.items)) {
    for (const item of value) if (!validateSchema(item, schema.items, depth + 1)) return false
  }
  return true
}
