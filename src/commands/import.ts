import {Args, Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../cli/base.js'
import {renderTable} from '../cli/output.js'
import {Progress} from '../cli/progress.js'
import {formats} from '../formats/index.js'
import {importFiles, type ImportSummary} from '../app/import/import-files.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {loadConfigFromFlag} from '../config/index.js'
import {KtError} from '../util/index.js'

export default class Import extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Import LLM request logs into the kt database'
  static override description = `Reads production LLM logs and stores each call as a canonical record that kt can list, export and replay.
The format is detected from the content (gzip is fine). Known formats:
${formats.filter((f) => f.shapes.length > 0).map((f) => `  ${f.name.padEnd(20)} ${f.title}`).join('\n')}

Importing the same calls again adds nothing: records are deduplicated by content.
Credentials in captured headers (authorization, x-api-key, api-key, cookies) are dropped before anything is stored.
Personal data is stored as logged unless --redact-pii is given (off by default).
Each file is stored in one transaction: a file that fails stores nothing, and the files after it are still imported.

Exit status: 0 when every file imported cleanly, 1 when any record was rejected or a file failed, 2 on usage errors.`

  static override examples = [
    {description: 'Import a JSONL log, grouping its records under a dataset for replay', command: '<%= config.bin %> import logs/prod-2026-11-20.jsonl --dataset prod-nov'},
    {description: 'Import several captures at once (OpenAI Batch input and output are joined on custom_id)', command: '<%= config.bin %> import batch-input.jsonl batch-output.jsonl'},
    {description: 'Force a format, tag the records, fail on any bad record', command: '<%= config.bin %> import traces.json --format otel --tag env=prod --strict'},
    {description: 'Machine-readable summary', command: '<%= config.bin %> import capture.har --json'},
    {description: 'Store prompts and answers with e-mails, card numbers, phone numbers… replaced by [redacted:<kind>]', command: '<%= config.bin %> import logs/prod.jsonl --redact-pii'},
  ]

  static override strict = false
  static override args = {
    file: Args.string({description: 'log file(s) to import (.json, .jsonl, .csv, .har, SSE; optionally .gz; UTF-8 or UTF-16 with a BOM); - reads stdin, and pipes such as <(zcat f.gz) work', required: true}),
  }

  static override flags = {
    db: dbFlag,
    format: Flags.string({
      char: 'f',
      description: 'input format; "auto" sniffs each file',
      default: 'auto',
      options: ['auto', ...formats.filter((f) => f.shapes.length > 0).map((f) => f.name)],
    }),
    dataset: Flags.string({char: 'd', description: 'dataset name to group the records under [default: the file name]'}),
    tag: Flags.string({char: 't', description: 'tag added to every record, as key=value (repeatable)', multiple: true}),
    strict: Flags.boolean({description: 'any bad record fails its whole file, and nothing from that file is stored'}),
    'redact-pii': Flags.boolean({
      description:
        'replace personal data with [redacted:<kind>] before anything is stored: e-mail addresses, payment card numbers (Luhn-valid, ' +
        'a card network\'s prefix and length), US SSNs, IBANs (mod-97 valid), phone numbers and IPv4 addresses, in request and ' +
        'response bodies, answers, tool calls, errors, tags and metadata. Conservative: a number that fails validation (an order ' +
        'id) is kept. The stored request is the redacted one, so a replay sends the redacted prompt. Each redacted record ' +
        'carries metadata.pii_redacted (counts by kind, never values). Off by default',
    }),
    'policy-config': policyConfigFlag,
  }

  async run(): Promise<ImportSummary> {
    const {argv, flags} = await this.parse(Import)
    const files = argv as string[]
    for (const t of flags.tag ?? []) {
      if (!/^[^=\s]+=.*$/.test(t)) throw new KtError(`--tag "${t}": expected key=value`, 2)
    }
    // Logs without a cost are priced from their usage: config pricing: first, else the shipped table.
    const pricing = loadConfigFromFlag(flags['policy-config']).pricing
    const {db, path} = this.openStore(flags.db)
    const progress = new Progress('importing', {unit: 'records'})
    let summary: ImportSummary
    try {
      summary = await importFiles(db, path, files, {
        format: flags.format,
        dataset: flags.dataset,
        tags: flags.tag,
        strict: flags.strict,
        pricing,
        redactPii: flags['redact-pii'],
        onProgress: (file, n) => progress.update(n, file),
      })
    } finally {
      progress.stop()
      db.close()
    }
    if (!this.jsonEnabled()) this.printSummary(summary)
    if (summary.totals.failed_files > 0 || summary.totals.rejected > 0) process.exitCode = 1
    return summary
  }

  private printSummary(summary: ImportSummary): void {
    // When nothing could be read at all, the table says nothing the error line does not.
    if (summary.files.every((s) => s.error && s.imported + s.not_replayable + s.duplicates + s.skipped + s.rejected === 0)) {
      for (const s of summary.files) this.note(`kt: ${s.error}`)
      return
    }
    const rows = summary.files.map((s) => [s.file, s.error ? 'failed' : s.format, s.dataset, s.imported, s.not_replayable, s.duplicates, s.skipped, s.rejected])
    if (summary.files.length > 1) {
      const t = summary.totals
      rows.push(['total', '', '', t.imported, t.not_replayable, t.duplicates, t.skipped, t.rejected])
    }
    this.note(renderTable(['file', 'format', 'dataset', 'imported', 'not replayable', 'duplicates', 'skipped', 'rejected'], rows))
    for (const s of summary.files) {
      if (s.error) this.note(`✗ ${s.error}`)
      for (const r of s.reasons) {
        const what = r.kind === 'skip' ? 'skipped' : r.kind === 'reject' ? 'rejected' : 'flagged'
        this.note(`  ${what} ${r.count}: ${r.reason} (${r.locations.join(', ')}${r.count > r.locations.length ? ', …' : ''})`)
      }
      const stored = s.imported + s.not_replayable
      if (!s.error && stored === 0 && s.duplicates > 0) this.note(`  ${s.file}: all ${s.duplicates} records were already imported; nothing added`)
    }
    const pii = summary.totals.pii_redacted
    if (pii) {
      const kinds = Object.entries(pii.kinds).map(([k, v]) => `${k} ${v}`)
      this.note(pii.records ? `PII redacted in ${pii.records} record${pii.records === 1 ? '' : 's'}: ${kinds.join(', ')}` : 'PII redacted: none found')
    }
  }
}
