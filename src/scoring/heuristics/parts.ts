// What the prompt asks: its top IDF terms (relevance) and its sub-questions (completeness), cached per prompt
// because both arms of a pair share it.
import {splitSentences, stripCode} from '../text.js'
import {idfWeight, promptStems} from './idf.js'
import {MAX_PARTS, MAX_QUERY_TERMS} from './thresholds.js'
import type {IdfTable} from './types.js'

export interface PromptAnalysis {
  queryTerms: {stem: string; weight: number}[]
  parts: string[][]
}

const promptCache = new Map<string, {idf: IdfTable; analysis: PromptAnalysis}>()

export function analyzePrompt(lastUser: string, idf: IdfTable): PromptAnalysis {
  const hit = promptCache.get(lastUser)
  if (hit && hit.idf === idf) return hit.analysis
  const unique = [...new Set(promptStems(lastUser))]
  const weighted = unique
    .map((s) => ({stem: s, weight: idfWeight(idf, s)}))
    .sort((a, b) => b.weight - a.weight || (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0))
    .slice(0, MAX_QUERY_TERMS)
  const analysis: PromptAnalysis = {queryTerms: weighted, parts: splitParts(lastUser).map((p) => [...new Set(promptStems(p))])}
  promptCache.set(lastUser, {idf, analysis})
  if (promptCache.size > 256) promptCache.delete(promptCache.keys().next().value as string)
  return analysis
}

/**
 * Sub-questions of a prompt: sentences ending in "?" and numbered items (bulleted items only
 * when they are questions). Code blocks are ignored. Fewer than two parts → [] (single ask).
 */
export function splitParts(prompt: string): string[] {
  const text = stripCode(prompt)
  const parts: string[] = []
  const seen = new Set<string>()
  const add = (s: string): void => {
    const key = s.trim().toLowerCase()
    if (key && !seen.has(key) && parts.length < MAX_PARTS) {
      seen.add(key)
      parts.push(s.trim())
    }
  }
  const numbered: string[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[a-h][.)])\s+(.+)$/.exec(line)
    if (m) numbered.push(m[1]!)
    else {
      const b = /^\s*[-*\u2022]\s+(.+\?)\s*$/.exec(line)
      if (b) numbered.push(b[1]!)
    }
  }
  const questions = splitSentences(text).filter((s) => /[?\uff1f]["')\]]?$/.test(s))
  if (numbered.length >= 2) for (const item of numbered) add(item)
  for (const q of questions) {
    // A numbered question is already a part.
    if (!numbered.some((item) => item.includes(q) || q.includes(item))) add(q)
  }
  return parts.length >= 2 ? parts : []
}

export function enumeratedItems(text: string): number {
  let n = 0
  for (const line of text.split('\n')) if (/^\s*(?:\d{1,2}[.)]\s|\(\d{1,2}\)\s|#{1,6}\s|\*\*[^*]+\*\*\s*:?\s*$)/.test(line)) n++
  return n
}
