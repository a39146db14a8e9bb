// Rendering: the report model with its gate outcomes as a terminal table, JSON, CSV, Markdown, HTML and JUnit,
// and run comparisons. May import analysis/, gate/, scoring/, records/, stats/ and util/.
import type {RunData} from '../analysis/index.js'
import type {ReportModel} from '../analysis/index.js'
import {renderCsv} from './render/csv.js'
import {renderHtml} from './render/html.js'
import {renderJson} from './render/json.js'
import {renderMarkdown} from './render/markdown.js'
import {renderTable} from './render/table.js'

export {buildReport, normalizeLevel, type BuildReportOptions} from './build.js'
export {renderTable, type TableOptions} from './render/table.js'
export {renderCsv, CSV_COLUMNS} from './render/csv.js'
export {renderJson} from './render/json.js'
export {renderMarkdown, type MarkdownOptions} from './render/markdown.js'
export {renderHtml, type HtmlOptions} from './render/html.js'
export {compareRuns, type CompareModel, type CompareOptions, type CompareRow} from '../analysis/index.js'
export {renderCompareJson, renderCompareMarkdown, renderCompareTable} from './render/compare.js'

export const REPORT_FORMATS = ['table', 'json', 'csv', 'markdown', 'html'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** `report.html` → html, `summary.md` → markdown…; null when the extension says nothing. */
export function formatFromPath(path: string): ReportFormat | null {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase()
  switch (ext) {
    case 'html':
    case 'htm':
      return 'html'
    case 'md':
    case 'markdown':
      return 'markdown'
    case 'json':
      return 'json'
    case 'csv':
      return 'csv'
    case 'txt':
      return 'table'
    default:
      return null
  }
}

/** One model, any format. `data` is needed only for CSV (one row per request and arm). */
export function renderReport(format: ReportFormat, model: ReportModel, data: RunData, opts: {color?: boolean} = {}): string {
  switch (format) {
    case 'table':
      return renderTable(model, {color: opts.color ?? false})
    case 'json':
      return renderJson(model)
    case 'csv':
      return renderCsv(data, model)
    case 'markdown':
      return renderMarkdown(model)
    case 'html':
      return renderHtml(model)
  }
}
export {gateJson, gateLines, verdictLine} from './render/gate-text.js'
export {junitXml} from './render/junit.js'
export {defaultColor} from './render/table.js'
