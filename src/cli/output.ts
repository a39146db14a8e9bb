// Rendering helpers for listings: every listing can be a table, JSON (one array), JSONL or CSV.
import Table from 'cli-table3'

export type ListFormat = 'table' | 'json' | 'jsonl' | 'csv'

export function renderTable(head: string[], rows: (string | number | null | undefined)[][]): string {
  const table = new Table({head, style: {head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : []}})
  for (const r of rows) table.push(r.map((c) => (c === null || c === undefined ? '' : String(c))))
  return table.toString()
}



/** Writes to stdout honouring backpressure, so huge exports stay in flat memory. */
export async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()))
}

export function fmtNum(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return ''
  return digits === 0 ? String(Math.round(v)) : v.toFixed(digits)
}

export function fmtCost(v: number | null | undefined): string {
  if (v === null || v === undefined) return ''
  return v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(v >= 0.01 ? 4 : 6)}`
}
