// The providers' wire formats (OpenAI Chat, Responses, Completions, Anthropic Messages): request and response
// bodies to canonical form, SSE assembly, translation between the two APIs. Used by formats, providers and the
// gateway. May import records/ and util/.
export {assembleAnthropicStream, isAnthropicResponse, isAnthropicSse, parseAnthropicRequest, parseAnthropicResponse} from './anthropic.js'
export {DecompressionLimitError, decompressSync, type Encoding, formatBytes, MAX_DECOMPRESSED_ENV, maxDecompressedBytes, OutputLimit} from './decompress.js'
export {type Json, asArray, asObject, asString, isObject, maybeJson} from './json.js'
export {type AssembledStream, type ParsedResponse, type SseEvent, argString, assembleOpenAIChatStream, isOpenAIChatRequest, isOpenAIChatResponse, isOpenAIChatSse, looksAnthropicMessages, parseOpenAIChatRequest, parseOpenAIChatResponse, parseSse} from './openai-chat.js'
export {assembleCompletionsStream, isCompletionsResponse, parseCompletionsRequest, parseCompletionsResponse} from './openai-completions.js'
export {assembleResponsesStream, isResponsesResponse, isResponsesSse, parseResponsesRequest, parseResponsesResponse} from './openai-responses.js'
export {type DraftBase, type Endpoint, type Which, apiOfResponseBody, applyHttpStatus, applyParsedResponse, draftForApi, draftFromBodies, endpointOf, markStreamed} from './draft.js'
export {type RecordDraft, buildRecord, providerFromUrl, requestFromBody, requestHash, responseFromBody} from './record.js'
export {isAnthropicContentEvent, isOpenAIContentEvent, isResponsesContentEvent, readSseBody, type ReadCap} from './sse.js'
export {DEFAULT_ANTHROPIC_MAX_TOKENS, type Translation} from './translate.js'
export {openaiChatToAnthropic} from './translate-to-anthropic.js'
export {anthropicToOpenAIChat, type AnthropicToOpenAIOptions} from './translate-to-openai.js'
export {anthropicErrorBody, anthropicMessageToOpenAIChat, anthropicStopReason, anthropicUsageFromOpenAI, errorTypeFor, openaiChatToAnthropicMessage, openaiErrorBody, openaiFinishReason, openaiUsageFromAnthropic, readErrorBody, translateErrorBody} from './translate-response.js'
export {AnthropicToOpenAIStream, OpenAIToAnthropicStream, SseSplitter} from './translate-stream.js'
export {anthropicSse, openaiChatSse, responsesSse, textPieces} from './encode-stream.js'
