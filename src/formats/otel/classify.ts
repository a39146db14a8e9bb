// Which spans are LLM calls (docs/log-formats.md §10): the first rule that applies decides. Wrapper spans (agents,
// chains, workflows) are skipped, so the LLM calls inside them are not counted twice.
import type {Api} from '../../records/index.js'
import type {Json} from '../../wire/index.js'
import {str} from '../common/values.js'

const LLM_OPERATIONS: Record<string, Api> = {chat: 'openai.chat', generate_content: 'openai.chat', text_completion: 'openai.completions', completion: 'openai.completions'}

export function classify(a: Json): {api: Api} | {skip: string} {
  const op = str(a['gen_ai.operation.name'])?.toLowerCase()
  if (op) {
    if (LLM_OPERATIONS[op]) return {api: LLM_OPERATIONS[op]!}
    if (op === 'execute_tool') return {skip: 'tool execution span (gen_ai.operation.name execute_tool), not an LLM call'}
    if (op.includes('agent') || op.includes('workflow')) return {skip: `agent span (gen_ai.operation.name ${op}): skipped so the LLM calls inside it are not counted twice`}
    if (op.startsWith('embedding')) return {skip: 'embeddings span (gen_ai.operation.name embeddings), not a generation'}
    return {skip: `gen_ai.operation.name "${op}" is not a chat or text generation`}
  }
  const oi = str(a['openinference.span.kind'])?.toUpperCase()
  if (oi) {
    if (oi === 'LLM') return {api: 'openai.chat'}
    if (oi === 'CHAIN' || oi === 'AGENT') return {skip: `OpenInference ${oi} span: skipped so the LLM calls inside it are not counted twice`}
    return {skip: `OpenInference ${oi} span, not an LLM call`}
  }
  const reqType = str(a['llm.request.type'])?.toLowerCase()
  if (reqType) {
    if (reqType === 'chat') return {api: 'openai.chat'}
    if (reqType === 'completion') return {api: 'openai.completions'}
    return {skip: `OpenLLMetry llm.request.type "${reqType}" is not a chat or text generation`}
  }
  const tlKind = str(a['traceloop.span.kind'])
  if (tlKind) return {skip: `OpenLLMetry ${tlKind} span: skipped so the LLM calls inside it are not counted twice`}
  const keys = Object.keys(a)
  if ((a['gen_ai.system'] || a['gen_ai.provider.name']) && a['gen_ai.request.model']) return {api: 'openai.chat'}
  if (keys.some((k) => k.startsWith('llm.input_messages.') || k.startsWith('gen_ai.prompt') || k === 'gen_ai.input.messages')) return {api: 'openai.chat'}
  return {skip: 'not an LLM call: the span has no GenAI (gen_ai.*), OpenInference or OpenLLMetry attributes'}
}
