// Imports the files given on the command line into a new database and prints, as JSON, the import summary and the
// process's peak resident set size: tests compare peaks of separate processes as ratios (never times).
import {join} from 'node:path'
import {importFiles} from '../../src/app/import/import-files.js'
import {openDb} from '../../src/store/db.js'
import {tempDir} from './cli.js'

const files = process.argv.slice(2)
const dbPath = join(tempDir(), 'kt.db')
const db = openDb(dbPath)
try {
  const summary = await importFiles(db, dbPath, files)
  process.stdout.write(`${JSON.stringify({maxRssBytes: process.resourceUsage().maxRSS * 1024, summary})}\n`)
} finally {
  db.close()
}
