// The run logic of `kt events export`. `kt export create` is the same export under the name other tools use,
// adding only a description and a manifest, so both commands parse their flags and hand them here.
import {Progress} from './progress.js'
import type {DB} from '../store/index.js'
import {runExport, type ExportFormat} from '../app/export-events.js'
import {describeFilters, queryFromFlags, type FilterFlagValues} from './event-flags.js'

/** The parsed values of `exportFlags`. */
export interface ExportFlagValues extends FilterFlagValues {
  db?: string
  format: string
  output?: string
  'include-bodies': boolean
}

/** What the command lends: its store (--db resolution) and its stderr. */
export interface ExportCommandIO {
  openStore(flag: string | undefined): {db: DB; path: string}
  note(line: string): void
}

/** Flags → query (usage errors before the database is opened) → streamed export → database closed. */
export async function runExportCommand(
  flags: ExportFlagValues,
  io: ExportCommandIO,
  extra: {description?: string; manifest?: boolean} = {},
): Promise<void> {
  const query = queryFromFlags(flags)
  const {db, path} = io.openStore(flags.db)
  try {
    await runExport(db, {
      query,
      format: flags.format as ExportFormat,
      includeBodies: flags['include-bodies'],
      output: flags.output,
      dbPath: path,
      ...extra,
      // Only the filters, not --format/--output/--db: this is what the manifest records.
      filters: describeFilters({since: flags.since, from: flags.from, to: flags.to, model: flags.model, provider: flags.provider, dataset: flags.dataset, tag: flags.tag, filter: flags.filter}),
      note: (l) => io.note(l),
      progress: (total) => new Progress('exporting', {total, unit: 'events'}),
    })
  } finally {
    db.close()
  }
}
