// Anthropic targets through the official `@anthropic-ai/sdk` (v1.11). Same approach as openai.ts: the SDK sends
// (auth, anthropic-version, ANTHROPIC_BASE_URL, error classes), kt reads and parses the raw body. The SDK is loaded
// and its client built on first use (sdk.ts); `ready()` does it ahead of the first call.
import type {Anthropic} from '@anthropic-ai/sdk'
import {KtError} from '../util/index.js'
import {unsupportedApi} from './body.js'
import {prepareRequest} from './request.js'
import {DEFAULT_TIMEOUT_MS, runCall} from './runner.js'
import {loadAnthropic} from './sdk.js'
import {nodeFetch} from './transport.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

type MessageParams = Parameters<Anthropic['messages']['create']>[0]

/** The SDK appends `/v1/messages` itself; accept a configured `…/v1` too. */
export function anthropicBaseUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  return url.replace(/\/+$/, '').replace(/\/v1$/, '')
}

/** The builder of the SDK client (loaded on first use); anything its constructor throws becomes a KtError. */
export function anthropicSdkBuilder(target: TargetSpec, apiKey: string, opts: {timeoutMs: number; maxRetries: number; fetch?: typeof nodeFetch}): () => Promise<Anthropic> {
  return async (): Promise<Anthropic> => {
    const sdk = await loadAnthropic()
    try {
      return new sdk.Anthropic({apiKey, baseURL: anthropicBaseUrl(target.base_url), maxRetries: opts.maxRetries, timeout: Math.ceil(opts.timeoutMs), defaultHeaders: target.headers, fetch: opts.fetch ?? nodeFetch})
    } catch (err) {
      throw new KtError(`target "${target.id}": ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}

export function createAnthropicClient(target: TargetSpec, apiKey: string): ProviderClient {
  const timeout = target.timeout_ms ?? DEFAULT_TIMEOUT_MS
  const build = anthropicSdkBuilder(target, apiKey, {timeoutMs: timeout, maxRetries: 0})
  let built: Promise<Anthropic> | null = null
  const client = () => (built ??= build())
  const secrets = [apiKey, ...Object.values(target.headers ?? {})].filter((s) => s.length >= 6)

  return {
    target,
    nativeApi: 'anthropic.messages',
    async ready() {
      await client()
    },
    async call(req: CallRequest, opts: CallOptions = {}): Promise<CallResult> {
      const sdk = await client()
      const prepared = prepareRequest(target, req)
      if (!prepared) return unsupportedApi(target, req.api)
      const {stream, losses, body: sent} = prepared
      return runCall({
        wire: 'anthropic.messages',
        stream,
        timeoutMs: opts.timeoutMs ?? timeout,
        signal: opts.signal,
        losses,
        secrets,
        send: (signal, timeoutMs) => sdk.messages.create(sent as unknown as MessageParams, {signal, timeout: Math.ceil(timeoutMs), maxRetries: 0}).asResponse(),
      })
    },
  }
}
