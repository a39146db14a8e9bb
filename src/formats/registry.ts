// Every format kt imports, in detection order: the first whose detector matches wins (§2 table of
// docs/log-formats.md), so container formats come before the bare bodies they may contain.
import {anthropicBatchFormat} from './anthropic-batch.js'
import {harFormat} from './har.js'
import {ktEventsFormat} from './kt-events/format.js'
import {langfuseFormat} from './langfuse/format.js'
import {litellmFormat} from './litellm/payload.js'
import {litellmSpendLogsFormat} from './litellm/spend-logs.js'
import {openaiBatchFormat} from './openai-batch.js'
import {otelFormat} from './otel/format.js'
import {anthropicMessagesFormat, openaiChatFormat, sseFormat} from './provider-bodies.js'
import {recordingFormat} from './recording.js'
import type {Format} from './types.js'

export const formats: Format[] = [
  harFormat,
  otelFormat,
  openaiBatchFormat,
  anthropicBatchFormat,
  litellmFormat,
  litellmSpendLogsFormat,
  langfuseFormat,
  ktEventsFormat,
  recordingFormat,
  openaiChatFormat,
  anthropicMessagesFormat,
  sseFormat,
]
