// An azure-openai target written without base_url / api_version (as the product docs' guide writes it) is valid
// config: the endpoint and API version come from AZURE_OPENAI_ENDPOINT / OPENAI_API_VERSION when the target is
// called, through the real SDK against the fake upstream; without them the call fails naming both places.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {parseConfigText, targetFromConfig, type TargetConfig} from '../../src/config/index.js'
import {createClient} from '../../src/providers/index.js'
import {ROOT} from '../support/cli.js'
import {startFakeUpstream, withEnv, type FakeUpstream} from '../support/fake-upstream.js'

const SEED = join(ROOT, 'test', 'data', 'seeds', '003-1-routing.yaml')
const BODY = {model: 'gpt-4o', messages: [{role: 'user', content: 'Name three rivers.'}], max_tokens: 50}

function azureTarget(): TargetConfig {
  const {config} = parseConfigText(readFileSync(SEED, 'utf8'), SEED)
  const t = config?.targets.find((x) => x.id === 'azure-openai')
  assert.ok(t && t.provider === 'azure-openai' && t.base_url === undefined && t.api_version === undefined)
  return t
}

let up: FakeUpstream
before(async () => {
  up = await startFakeUpstream()
})
after(async () => {
  await up.close()
})

describe('azure-openai without base_url in the config', () => {
  test('calls AZURE_OPENAI_ENDPOINT with OPENAI_API_VERSION, even when OPENAI_BASE_URL points elsewhere', async () => {
    const env = {AZURE_OPENAI_API_KEY: 'azure-key-0123456789', AZURE_OPENAI_ENDPOINT: up.url, OPENAI_API_VERSION: '2024-10-21', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1'}
    await withEnv(env, async () => {
      up.reset()
      const r = await createClient(targetFromConfig(azureTarget())).call({api: 'openai.chat', body: BODY})
      assert.equal(r.status, 'ok', JSON.stringify(r.error))
      // No model in the target: the deployment is the model the request names.
      assert.equal(up.counts['/openai/deployments/gpt-4o/chat/completions'], 1)
      assert.equal(up.calls[0]!.query['api-version'], '2024-10-21')
      assert.equal(up.calls[0]!.headers['api-key'], 'azure-key-0123456789')
    })
  })

  test('without the variables the call fails at once, saying where each value can come from', async () => {
    const spec = targetFromConfig(azureTarget())
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789', AZURE_OPENAI_ENDPOINT: undefined, OPENAI_API_VERSION: '2024-10-21'}, () => {
      assert.throws(() => createClient(spec), {
        name: 'KtError',
        message: 'target "azure-openai": azure-openai needs its resource endpoint: set base_url for it in the config or export AZURE_OPENAI_ENDPOINT (neither is set)',
      })
    })
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789', AZURE_OPENAI_ENDPOINT: up.url, OPENAI_API_VERSION: undefined}, () => {
      assert.throws(() => createClient(spec), {
        name: 'KtError',
        message: 'target "azure-openai": azure-openai needs an API version: set api_version for it in the config or export OPENAI_API_VERSION (neither is set)',
      })
    })
    await withEnv({AZURE_OPENAI_API_KEY: 'azure-key-0123456789', AZURE_OPENAI_ENDPOINT: 'example.openai.azure.com', OPENAI_API_VERSION: '2024-10-21'}, () => {
      assert.throws(() => createClient(spec), {name: 'KtError', message: 'target "azure-openai": AZURE_OPENAI_ENDPOINT is not an http(s) URL'})
    })
  })
})
