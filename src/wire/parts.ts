// Message content to canonical parts, whatever the API: a string is one text part, a list of typed blocks is mapped
// block by block by the API's own reader.
import type {Part} from '../records/index.js'
import {asArray, asObject, type Json} from './json.js'

/** `content` as parts: a string is one text part; each block of a list goes through `part` (null drops it). */
export function partsOf(content: unknown, part: (block: Json) => Part | null): Part[] {
  if (typeof content === 'string') return [{type: 'text', text: content}]
  const parts: Part[] = []
  for (const b of asArray(content)) {
    const p = part(asObject(b))
    if (p) parts.push(p)
  }
  return parts
}

/** An image part from a URL; a data URI is counted (mime, bytes) but its bytes are not kept here. */
export function imagePart(url: string | undefined): Part {
  if (url && url.startsWith('data:')) {
    const m = /^data:([^;,]+)?(;base64)?,/.exec(url)
    return {type: 'image', mime: m?.[1], bytes: Math.floor((url.length - (m?.[0].length ?? 0)) * 0.75)}
  }
  return {type: 'image', url}
}
