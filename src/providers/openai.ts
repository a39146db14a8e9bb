// OpenAI, Azure OpenAI and OpenAI-compatible targets through the official `openai` SDK (v6).
// The SDK does auth, base URL (incl. OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT env), Azure deployment paths and
// error classes; kt reads the raw body (`.asResponse()`) so that its own parsers assemble streams byte for byte.
import {AzureOpenAI, OpenAI} from 'openai'
import {KtError} from '../util/errors.js'
import {prepareBody, unsupportedApi} from './body.js'
import {DEFAULT_TIMEOUT_MS, runCall} from './runner.js'
import {nodeFetch} from './transport.js'
import {anthropicToOpenAIChat} from './translate.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

type ChatParams = Parameters<OpenAI['chat']['completions']['create']>[0]
type ResponsesParams = Parameters<OpenAI['responses']['create']>[0]

/** Used as the bearer token for compatible servers that need none (Ollama, vLLM, llama.cpp). */
const NO_KEY = 'kt-no-key'

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

export function createOpenAIFamilyClient(target: TargetSpec, apiKey: string | null): ProviderClient {
  const timeout = target.timeout_ms ?? DEFAULT_TIMEOUT_MS
  const common = {maxRetries: 0, timeout: Math.ceil(timeout), defaultHeaders: target.headers, fetch: nodeFetch}
  let client: OpenAI
  try {
    if (target.provider === 'azure-openai') {
      // A configured base_url is the resource endpoint; passed as baseURL so a stray OPENAI_BASE_URL cannot conflict.
      const baseURL = target.base_url ? (/\/openai$/.test(stripSlash(target.base_url)) ? stripSlash(target.base_url) : `${stripSlash(target.base_url)}/openai`) : undefined
      client = new AzureOpenAI({...common, apiKey: apiKey ?? undefined, apiVersion: target.api_version, deployment: target.deployment ?? target.model, baseURL})
    } else if (target.provider === 'openai-compatible') {
      const baseURL = target.base_url ?? process.env.OPENAI_BASE_URL
      if (!baseURL) throw new KtError(`target "${target.id}": openai-compatible needs base_url (e.g. http://127.0.0.1:11434/v1)`)
      // Organization/project headers belong to OpenAI accounts: never send them to a third-party server.
      client = new OpenAI({...common, apiKey: apiKey ?? NO_KEY, baseURL, organization: null, project: null})
    } else {
      client = new OpenAI({...common, apiKey: apiKey ?? undefined, baseURL: target.base_url})
    }
  } catch (err) {
    if (err instanceof KtError) throw err
    throw new KtError(`target "${target.id}": ${err instanceof Error ? err.message : String(err)}`)
  }
  const secrets = [apiKey ?? '', ...Object.values(target.headers ?? {})].filter((s) => s.length >= 6)
  const maxTokensField = target.provider === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens'

  return {
    target,
    nativeApi: 'openai.chat',
    async call(req: CallRequest, opts: CallOptions = {}): Promise<CallResult> {
      let body = req.body
      let losses: string[] = []
      let wire: 'openai.chat' | 'openai.responses' = 'openai.chat'
      if (req.api === 'anthropic.messages') {
        const t = anthropicToOpenAIChat(body, {maxTokensField})
        body = t.body
        losses = t.losses
      } else if (req.api === 'openai.responses') wire = 'openai.responses'
      else if (req.api !== 'openai.chat') return unsupportedApi(target, req.api)
      const stream = req.stream ?? body.stream === true
      const sent = prepareBody(body, target.model, stream, wire === 'openai.chat')
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
            ? client.responses.create(sent as unknown as ResponsesParams, options).asResponse()
            : client.chat.completions.create(sent as unknown as ChatParams, options).asResponse()
        },
      })
    },
  }
}
