// The provider SDKs, loaded when a call first needs one rather than when kt starts. Importing both costs ~200 ms
// (the Anthropic SDK alone ~125 ms): every command that never calls a provider (report, gate, runs…) paid it, and
// so did each call-pool worker before its first call.
import type * as AnthropicSdk from '@anthropic-ai/sdk'
import type * as OpenAISdk from 'openai'

let openai: typeof OpenAISdk | null = null
let anthropic: typeof AnthropicSdk | null = null

export async function loadOpenAI(): Promise<typeof OpenAISdk> {
  return (openai ??= await import('openai'))
}

export async function loadAnthropic(): Promise<typeof AnthropicSdk> {
  return (anthropic ??= await import('@anthropic-ai/sdk'))
}

/** The SDKs loaded so far: an SDK error can only come from one of them. */
export function loadedSdks(): {openai: typeof OpenAISdk | null; anthropic: typeof AnthropicSdk | null} {
  return {openai, anthropic}
}
