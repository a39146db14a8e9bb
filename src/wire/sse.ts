// Reads a streaming HTTP body as SSE text while watching for the first content delta (TTFT).
// The text is assembled afterwards by the wire-format parsers (parseSse + assemble*Stream).
import {eventData, parseSse, type SseEvent} from './openai-chat.js'

export interface StreamRead {
  text: string
  ttftMs: number | null
  /** What reading threw (reset socket, abort); the text read so far is still returned. */
  readError: unknown
}


/** Chat Completions chunk carrying text, a refusal or a tool-call fragment. */
export function isOpenAIContentEvent(ev: SseEvent): boolean {
  const d = eventData(ev)
  if (!d || !Array.isArray(d.choices)) return false
  return d.choices.some((c) => {
    const delta = (c as {delta?: Record<string, unknown>}).delta ?? {}
    return (typeof delta.content === 'string' && delta.content !== '') || (typeof delta.refusal === 'string' && delta.refusal !== '') || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0)
  })
}

export function isAnthropicContentEvent(ev: SseEvent): boolean {
  if (ev.event !== null && ev.event !== 'content_block_delta') return false
  const d = eventData(ev)
  if (!d || d.type !== 'content_block_delta') return false
  const t = (d.delta as {type?: unknown} | undefined)?.type
  return t === 'text_delta' || t === 'input_json_delta'
}

export function isResponsesContentEvent(ev: SseEvent): boolean {
  const t = ev.event ?? eventData(ev)?.type
  return t === 'response.output_text.delta' || t === 'response.function_call_arguments.delta' || t === 'response.refusal.delta'
}

/** A cap on the bytes read: past `bytes`, reading stops and `error(seen)` is the read error. */
export interface ReadCap {
  bytes: number
  error: (seen: number) => unknown
}

export async function readSseBody(response: Response, start: number, isContent: (ev: SseEvent) => boolean, signal: AbortSignal, cap?: ReadCap): Promise<StreamRead> {
  const body = response.body
  if (!body) return {text: '', ttftMs: null, readError: null}
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let scanFrom = 0
  let ttftMs: number | null = null
  let readError: unknown = null
  let seen = 0
  // Cancelling the reader ends a pending read at once, whatever the SDK does with its own controller.
  const onAbort = () => {
    reader.cancel().catch(() => undefined)
  }
  if (signal.aborted) onAbort()
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    for (;;) {
      const {done, value} = await reader.read()
      if (done) break
      seen += value.byteLength
      if (cap && seen > cap.bytes) {
        readError = cap.error(seen)
        reader.cancel(readError).catch(() => undefined)
        break
      }
      text += decoder.decode(value, {stream: true})
      if (ttftMs === null) {
        const boundary = /\r?\n\r?\n/g
        boundary.lastIndex = scanFrom
        let m: RegExpExecArray | null
        while ((m = boundary.exec(text)) !== null) {
          const segment = text.slice(scanFrom, m.index)
          scanFrom = m.index + m[0].length
          if (parseSse(segment).some(isContent)) {
            ttftMs = performance.now() - start
            break
          }
        }
      }
    }
    if (readError === null) text += decoder.decode()
  } catch (err) {
    readError = err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  return {text, ttftMs, readError}
}
