// Inverse document frequencies over the run's prompts: rare prompt terms weigh more in relevance.
import {contentStems, wordTokens} from '../text.js'
import type {IdfTable} from './types.js'

export function promptStems(prompt: string): string[] {
  return contentStems(wordTokens(prompt))
}

/** Document frequencies over the run's prompts, one document per request (its user text, optionally with the system prompt). */
export function buildIdf(prompts: readonly string[]): IdfTable {
  const df = new Map<string, number>()
  for (const p of prompts) {
    for (const s of new Set(promptStems(p))) df.set(s, (df.get(s) ?? 0) + 1)
  }
  return {documents: prompts.length, df}
}

/** BM25-style IDF, always > 0; unseen terms get the largest weight. */
export function idfWeight(table: IdfTable, term: string): number {
  const n = table.documents
  const d = table.df.get(term) ?? 0
  return Math.log(1 + (n - d + 0.5) / (d + 0.5))
}
