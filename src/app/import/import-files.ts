// Import orchestration: formats → canonical records → events table. Each file is one write
// transaction, so a crash or a --strict failure never leaves a half-written import behind.
//
// Reading, parsing and row building (producer.ts, in this thread or a worker: source.ts) are apart from storing
// (file-import.ts, through the store's ImportStore).
import {ImportStore, type DB} from '../../store/index.js'
import {addPii, ImportReceiver, type FileSummary, type ImportOptions, type PiiSummary} from './file-import.js'
import {inThread, inWorker, useWorker} from './source.js'

export {datasetName} from './producer.js'
export type {FileSummary, ImportOptions, PiiSummary} from './file-import.js'

export interface ImportSummary {
  files: FileSummary[]
  totals: {imported: number; not_replayable: number; duplicates: number; skipped: number; rejected: number; flagged: number; failed_files: number; pii_redacted?: PiiSummary}
}

export async function importFiles(db: DB, dbPath: string, files: string[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const writer = new ImportStore(db, dbPath)
  // Everything but the callback: the options may cross to the parse worker.
  const {onProgress, ...producerOpts} = opts
  const url = useWorker(files)
  const source = url ? inWorker(url, files, producerOpts) : inThread(files, producerOpts)
  const receiver = new ImportReceiver(writer, source, files, opts)
  try {
    for await (const m of source.messages) {
      receiver.handle(m)
      if (m.t === 'batch' && receiver.storing()) {
        try {
          await writer.yieldBetweenBatches()
        } catch (error) {
          receiver.failCurrent(error)
        }
      }
    }
  } finally {
    writer.close()
    await source.close()
  }
  const totals = totalsOf(receiver.summaries)
  if (opts.redactPii) {
    totals.pii_redacted = {records: 0, kinds: {}}
    for (const s of receiver.summaries) if (s.pii_redacted) addPii(totals.pii_redacted, s.pii_redacted.kinds, s.pii_redacted.records)
  }
  return {files: receiver.summaries, totals}
}

function totalsOf(summaries: FileSummary[]): ImportSummary['totals'] {
  const totals: ImportSummary['totals'] = {imported: 0, not_replayable: 0, duplicates: 0, skipped: 0, rejected: 0, flagged: 0, failed_files: 0}
  for (const s of summaries) {
    totals.imported += s.imported
    totals.not_replayable += s.not_replayable
    totals.duplicates += s.duplicates
    totals.skipped += s.skipped
    totals.rejected += s.rejected
    totals.flagged += s.flagged
    if (s.error) totals.failed_files++
  }
  return totals
}
