// OpenAI, Azure OpenAI and OpenAI-compatible targets through the official `openai` SDK (v6).
// The SDK does auth, base URL (incl. OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT env), Azure deployment paths and
// error classes; kt reads the raw body (`.asResponse()`) so that its own parsers assemble streams byte for byte.
// The SDK is loaded and its client built on first use (sdk.ts); `ready()` does it ahead of the first call.
import type {OpenAI} from 'openai'
import {KtError} from '../util/index.js'
import {unsupportedApi} from './body.js'
import {prepareRequest} from './request.js'
import {DEFAULT_TIMEOUT_MS, runCall} from './runner.js'
import {loadOpenAI} from './sdk.js'
import {nodeFetch} from './transport.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

type ChatParams = Parameters<OpenAI['chat']['completions']['create']>[0]
type ResponsesParams = Parameters<OpenAI['responses']['create']>[0]

/** Used as the bearer token for compatible servers that need none (Ollama, vLLM, llama.cpp). */
const NO_KEY = 'kt-no-key'

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

export interface OpenAISdkOptions {
  timeoutMs: number
  maxRetries: number
  /**
   * Azure: route calls to the target's deployment (`/deployments/NAME/...`). Batch calls go to the resource's own
   * `/openai/files` and `/openai/batches`, so they are built without it.
   */
  deployment: boolean
  /** The fetch the SDK uses [default: nodeFetch, answers capped by KT_MAX_ANSWER_BYTES]. */
  fetch?: typeof nodeFetch
}

/**
 * Checks what the SDK constructors would refuse (without loading the SDK, so that callers fail on it at once) and
 * returns the builder of the SDK client; build() turns anything else they throw into a KtError too.
 */
export function openaiSdkBuilder(target: TargetSpec, apiKey: string | null, opts: OpenAISdkOptions): () => Promise<OpenAI> {
  const common = {maxRetries: opts.maxRetries, timeout: Math.ceil(opts.timeoutMs), defaultHeaders: target.headers, fetch: opts.fetch ?? nodeFetch}
  const compatibleBaseURL = target.provider === 'openai-compatible' ? target.base_url ?? process.env.OPENAI_BASE_URL : undefined
  if (target.provider === 'openai-compatible' && !compatibleBaseURL) throw new KtError(`target "${target.id}": openai-compatible needs base_url (e.g. http://127.0.0.1:11434/v1)`)
  // A config may leave an Azure target's endpoint and API version to the SDK's own variables; they are read here,
  // when the target is about to be called, and always passed as baseURL (the SDK would prefer OPENAI_BASE_URL).
  const azureEndpoint = target.provider === 'azure-openai' ? target.base_url ?? process.env.AZURE_OPENAI_ENDPOINT?.trim() : undefined
  const azureVersion = target.provider === 'azure-openai' ? target.api_version ?? process.env.OPENAI_API_VERSION?.trim() : undefined
  if (target.provider === 'azure-openai') {
    if (!azureVersion) throw new KtError(`target "${target.id}": azure-openai needs an API version: set api_version for it in the config or export OPENAI_API_VERSION (neither is set)`)
    if (!azureEndpoint) throw new KtError(`target "${target.id}": azure-openai needs its resource endpoint: set base_url for it in the config or export AZURE_OPENAI_ENDPOINT (neither is set)`)
    if (!/^https?:\/\//.test(azureEndpoint)) throw new KtError(`target "${target.id}": AZURE_OPENAI_ENDPOINT is not an http(s) URL`)
  }
  return async (): Promise<OpenAI> => {
    const sdk = await loadOpenAI()
    try {
      if (target.provider === 'azure-openai' && azureEndpoint) {
        const baseURL = /\/openai$/.test(stripSlash(azureEndpoint)) ? stripSlash(azureEndpoint) : `${stripSlash(azureEndpoint)}/openai`
        const deployment = opts.deployment ? target.deployment ?? target.model : undefined
        return new sdk.AzureOpenAI({...common, apiKey: apiKey ?? undefined, apiVersion: azureVersion, ...(deployment ? {deployment} : {}), baseURL})
      }
      // Organization/project headers belong to OpenAI accounts: never send them to a third-party server.
      if (target.provider === 'openai-compatible') return new sdk.OpenAI({...common, apiKey: apiKey ?? NO_KEY, baseURL: compatibleBaseURL, organization: null, project: null})
      return new sdk.OpenAI({...common, apiKey: apiKey ?? undefined, baseURL: target.base_url})
    } catch (err) {
      throw new KtError(`target "${target.id}": ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}

export function createOpenAIFamilyClient(target: TargetSpec, apiKey: string | null): ProviderClient {
  const timeout = target.timeout_ms ?? DEFAULT_TIMEOUT_MS
  const build = openaiSdkBuilder(target, apiKey, {timeoutMs: timeout, maxRetries: 0, deployment: true})
  let built: Promise<OpenAI> | null = null
  const client = () => (built ??= build())
  const secrets = [apiKey ?? '', ...Object.values(target.headers ?? {})].filter((s) => s.length >= 6)

  return {
    target,
    nativeApi: 'openai.chat',
    async ready() {
      await client()
    },
    async call(req: CallRequest, opts: CallOptions = {}): Promise<CallResult> {
      const sdk = await client()
      const prepared = prepareRequest(target, req)
      if (!prepared) return unsupportedApi(target, req.api)
      const {wire, stream, losses, body: sent} = prepared
      return runCall({
        wire,
        stream,
        timeoutMs: opts.timeoutMs ?? timeout,
        signal: opts.signal,
        losses,
        secrets,
        send: (signal, timeoutMs) => {
          const options = {signal, timeout: Math.ceil(timeoutMs), maxRetries: 0}
          return wire === 'openai.responses'
            ? sdk.responses.create(sent as unknown as ResponsesParams, options).asResponse()
            : sdk.chat.completions.create(sent as unknown as ChatParams, options).asResponse()
        },
      })
    },
  }
}
