// Anthropic targets through the official `@anthropic-ai/sdk` (v1.11). Same approach as openai.ts: the SDK sends
// (auth, anthropic-version, ANTHROPIC_BASE_URL, error classes), kt reads and parses the raw body. The SDK is loaded
// and its client built on first use (sdk.ts); `ready()` does it ahead of the first call.
import type {Anthropic} from '@anthropic-ai/sdk'
import {KtError} from '../util/index.js'
import {prepareBody, unsupportedApi} from './body.js'
import {DEFAULT_TIMEOUT_MS, runCall} from './runner.js'
import {loadAnthropic} from './sdk.js'
import {nodeFetch} from './transport.js'
import {openaiChatToAnthropic} from '../wire/index.js'
import type {CallOptions, CallRequest, CallResult, ProviderClient, TargetSpec} from './types.js'

type MessageParams = Parameters<Anthropic['messages']['create']>[0]

/** The SDK appends `/v1/messages` itself; accept a configured `…/v1` too. */
export function anthropicBaseUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  return url.replace(/\/+$/, '').replace(/\/v1$/, '')
}

export function createAnthropicClient(target: TargetSpec, apiKey: string): ProviderClient {
  const timeout = target.timeout_ms ?? DEFAULT_TIMEOUT_MS
  const build = async (): Promise<Anthropic> => {
    const sdk = await loadAnthropic()
    try {
      return new sdk.Anthropic({apiKey, baseURL: anthropicBaseUrl(target.base_url), maxRetries: 0, timeout: Math.ceil(timeout), defaultHeaders: target.headers, fetch: nodeFetch})
    } catch (err) {
      throw new KtError(`target "${target.id}": ${err instanceof Error ? err.message : String(err)}`)
    }
  }
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
      let body = req.body
      let losses: string[] = []
      if (req.api === 'openai.chat') {
        const t = openaiChatToAnthropic(body)
        body = t.body
        losses = t.losses
      } else if (req.api !== 'anthropic.messages') return unsupportedApi(target, req.api)
      const stream = req.stream ?? body.stream === true
      const sent = prepareBody(body, target.model, stream, false)
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
