// Weights as percentages: groups and traffic splits may use any scale, but the docs (and most readers) expect
// percentages adding up to 100, so any other total is shown with the shares actually used.
import type {IssueCollector, PathSeg} from './issues.js'

/** 0.8 -> "80%", 1/3 -> "33.3%". */
export function percent(share: number): string {
  const p = Math.round(share * 1000) / 10
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`
}

/** Warns (at `path`) when weights do not add up to 100, naming the percentage each part gets. */
export function checkWeightTotal(c: IssueCollector, path: readonly PathSeg[], parts: readonly {label: string; weight: number}[]): void {
  const total = parts.reduce((s, x) => s + x.weight, 0)
  if (total <= 0 || Math.abs(total - 100) < 1e-9) return
  const used = parts.map((x) => `${x.label} ${percent(x.weight / total)}`).join(', ')
  c.warn(path, `weights add up to ${Number(total.toPrecision(12))}, not 100; read as shares: ${used}`, {atKey: true})
}
