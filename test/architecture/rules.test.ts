// The architecture rules of docs/architecture and .dependency-cruiser.cjs, checked on every `npm test`:
// parts import only the parts below them and only through their index.ts, there are no cycles, and only
// src/store/ speaks SQL.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, test} from 'node:test'
import {ROOT} from '../support/cli.js'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** SQL statements and SQLite calls, in code (comments are stripped first). */
const SQL = [
  /\b(?:SELECT\s+(?:DISTINCT\s+)?[\w*(]+[\s\S]{0,200}?\bFROM\s+\w|INSERT\s+(?:OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW)\s|ALTER\s+TABLE\s|DROP\s+TABLE\s)/,
  /['"`]\s*(?:BEGIN(?:\s+IMMEDIATE)?|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b/,
  /\.(?:prepare|pragma)\(/,
]

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

describe('architecture', () => {
  test('dependency-cruiser: layers, public faces, no cycles, SQLite only in the store', () => {
    const bin = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
    const r = spawnSync(process.execPath, [bin, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {cwd: ROOT, encoding: 'utf8'})
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`)
  })

  test('only src/store/ writes SQL', () => {
    const offenders: string[] = []
    for (const file of sources(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file)
      if (rel.startsWith(join('src', 'store'))) continue
      const code = stripComments(readFileSync(file, 'utf8'))
      for (const re of SQL) {
        const m = re.exec(code)
        if (m) offenders.push(`${rel}: ${m[0].slice(0, 60).replace(/\s+/g, ' ')}`)
      }
    }
    assert.deepEqual(offenders, [])
  })

  test('every part under src/ has an index.ts that says what it owns and what it may import', () => {
    const missing: string[] = []
    for (const part of readdirSync(join(ROOT, 'src'))) {
      if (['commands', 'cli', 'app'].includes(part) || !statSync(join(ROOT, 'src', part)).isDirectory()) continue
      const idx = join(ROOT, 'src', part, 'index.ts')
      let text = ''
      try {
        text = readFileSync(idx, 'utf8')
      } catch {
        missing.push(`src/${part}/index.ts is missing`)
        continue
      }
      const opening = /^(?:\/\/.*\n)+/.exec(text)?.[0] ?? ''
      if (!/may import|imports nothing/i.test(opening)) missing.push(`src/${part}/index.ts: no opening comment saying what it owns and what it may import`)
    }
    assert.deepEqual(missing, [])
  })
})
