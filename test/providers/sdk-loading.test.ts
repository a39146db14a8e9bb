// The provider SDKs load on first use (src/providers/sdk.ts): commands that never call a provider do not pay for
// importing them, and a replay against OpenAI-family targets never loads the Anthropic SDK.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {test} from 'node:test'

const run = promisify(execFile)
const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

function jsFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []))
}

test('only providers/sdk.js imports an SDK (type imports are erased from the compiled code)', () => {
  const importing = jsFiles(SRC).filter((f) => /(from\s*|import\s*\(\s*)['"](openai|@anthropic-ai\/sdk)(\/[^'"]*)?['"]/.test(readFileSync(f, 'utf8')))
  assert.deepEqual(importing.map((f) => f.slice(SRC.length)), [join('providers', 'sdk.js')])
})

test('in a fresh process: no SDK until a client is made ready, then only the one it needs', async () => {
  const script = `
    const {loadedSdks} = await import(${JSON.stringify(new URL('../../src/providers/sdk.js', import.meta.url).href)})
    const seen = () => Object.entries(loadedSdks()).filter(([, m]) => m !== null).map(([k]) => k).join(',') || 'none'
    const out = []
    await import(${JSON.stringify(new URL('../../src/commands/gate.js', import.meta.url).href)})
    await import(${JSON.stringify(new URL('../../src/commands/report.js', import.meta.url).href)})
    out.push(seen())
    const {createClient} = await import(${JSON.stringify(new URL('../../src/providers/index.js', import.meta.url).href)})
    const client = createClient({id: 'local', provider: 'openai-compatible', model: 'm', base_url: 'http://127.0.0.1:9/v1'})
    out.push(seen())
    await client.ready()
    out.push(seen())
    process.stdout.write(out.join(' | '))
  `
  const {stdout} = await run(process.execPath, ['--input-type=module', '-e', script])
  assert.equal(stdout, 'none | none | openai')
})
