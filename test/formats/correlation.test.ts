// Session (conversation) and trace ids, from every format that carries one, land in the record's event columns
// (`session_id`, `trace_id`): turns of one conversation can be clustered, retries of one request grouped. One row
// of the table per format and place the id can be.
import {describe, test} from 'node:test'
import {expectImport, tmpFile} from '../support/import.js'

const CHAT_REQ = {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'Where is my parcel?'}]}
const CHAT_RES = {id: 'chatcmpl-1', object: 'chat.completion', created: 1761955200, model: 'gpt-4o-mini', choices: [{index: 0, message: {role: 'assistant', content: 'On its way.'}, finish_reason: 'stop'}], usage: {prompt_tokens: 5, completion_tokens: 3, total_tokens: 8}}
const ANTHROPIC_REQ = {model: 'claude-3-5-haiku-20241022', max_tokens: 100, messages: [{role: 'user', content: 'Where is my parcel?'}]}
const ANTHROPIC_RES = {id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [{type: 'text', text: 'On its way.'}], stop_reason: 'end_turn', usage: {input_tokens: 5, output_tokens: 3}}
const SLP = {call_type: 'acompletion', startTime: 1741608000, endTime: 1741608001, model: 'gpt-4o-mini', messages: CHAT_REQ.messages, response: CHAT_RES, response_cost: 0.0001, hidden_params: {}}

const jsonl = (...lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`

function harOf(headers: {name: string; value: string}[]): string {
  const entry = {
    startedDateTime: '2026-11-01T00:00:00.000Z',
    time: 100,
    request: {method: 'POST', url: 'https://api.openai.com/v1/chat/completions', headers, postData: {mimeType: 'application/json', text: JSON.stringify(CHAT_REQ)}},
    response: {status: 200, headers: [], content: {mimeType: 'application/json', text: JSON.stringify(CHAT_RES)}},
  }
  return JSON.stringify({log: {version: '1.2', creator: {name: 'test', version: '1'}, entries: [entry]}}, null, 1)
}

interface Case {
  /** The format, and where in it the ids are. */
  name: string
  file: string
  /** File name (its extension matters only for the reader's sniffing, which goes by content). */
  text: string
  session_id: string | null
  trace_id: string | null
}

const CASES: Case[] = [
  {name: 'openai-chat pair: metadata.session_id and metadata.trace_id', file: 'pair.jsonl', text: jsonl({request: CHAT_REQ, response: CHAT_RES, metadata: {session_id: 'ses_pair', trace_id: 'trace_pair', turn: 2}}), session_id: 'ses_pair', trace_id: 'trace_pair'},
  {name: 'openai-chat pair: session_id on the wrapper wins over metadata', file: 'wrapper.jsonl', text: jsonl({request: CHAT_REQ, response: CHAT_RES, session_id: 'ses_top', metadata: {session_id: 'ses_meta'}}), session_id: 'ses_top', trace_id: null},
  {name: 'anthropic-messages pair: metadata.conversation_id', file: 'anthropic.jsonl', text: jsonl({request: ANTHROPIC_REQ, response: ANTHROPIC_RES, metadata: {conversationId: 'conv_a', traceId: 'tr_a'}}), session_id: 'conv_a', trace_id: 'tr_a'},
  {name: 'openai-chat pair without ids: none invented', file: 'plain.jsonl', text: jsonl({request: CHAT_REQ, response: CHAT_RES, metadata: {region: 'eu'}}), session_id: null, trace_id: null},
  {name: 'litellm payload: trace_id, metadata.session_id', file: 'slp.jsonl', text: jsonl({...SLP, id: 'c1', trace_id: 'trace_ll', metadata: {session_id: 'ses_ll'}}), session_id: 'ses_ll', trace_id: 'trace_ll'},
  {name: 'litellm payload: litellm_session_id and litellm_trace_id in metadata', file: 'slp2.jsonl', text: jsonl({...SLP, id: 'c2', metadata: {litellm_session_id: 'ses_ll2', litellm_trace_id: 'trace_ll2'}}), session_id: 'ses_ll2', trace_id: 'trace_ll2'},
  {name: 'litellm payload: the session the client sent in requester_metadata', file: 'slp3.jsonl', text: jsonl({...SLP, id: 'c3', metadata: {requester_metadata: {session_id: 'ses_req'}}}), session_id: 'ses_req', trace_id: null},
  {
    name: 'litellm-spend-logs: the session_id column, metadata.trace_id',
    file: 'spend.jsonl',
    text: jsonl({request_id: 'sp1', call_type: 'acompletion', spend: 0.0001, startTime: '2025-03-10T12:00:00Z', endTime: '2025-03-10T12:00:01Z', model: 'gpt-4o-mini', session_id: 'ses_sp', metadata: JSON.stringify({trace_id: 'trace_sp'})}),
    session_id: 'ses_sp',
    trace_id: 'trace_sp',
  },
  {
    name: 'langfuse observation: sessionId and traceId',
    file: 'lf.jsonl',
    text: jsonl({id: 'obs1', traceId: 'trace_lf', sessionId: 'ses_lf', type: 'GENERATION', startTime: '2025-03-10T12:00:00Z', endTime: '2025-03-10T12:00:01Z', model: 'gpt-4o-mini', input: CHAT_REQ.messages, output: 'On its way.'}),
    session_id: 'ses_lf',
    trace_id: 'trace_lf',
  },
  {
    name: 'langfuse trace: the trace sessionId for its observations',
    file: 'lf-trace.json',
    text: JSON.stringify({id: 'trace_lt', timestamp: '2025-03-10T12:00:00Z', sessionId: 'ses_lt', observations: [{id: 'obs2', traceId: 'trace_lt', type: 'GENERATION', startTime: '2025-03-10T12:00:00Z', model: 'gpt-4o-mini', input: 'Hi'}]}, null, 1),
    session_id: 'ses_lt',
    trace_id: 'trace_lt',
  },
  {name: 'otel attributes: gen_ai.conversation.id', file: 'genai.json', text: JSON.stringify({'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.conversation.id': 'conv_otel'}, null, 1), session_id: 'conv_otel', trace_id: null},
  {name: 'otel attributes: OpenInference session.id', file: 'oi.json', text: JSON.stringify({'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o', 'session.id': 'ses_oi'}, null, 1), session_id: 'ses_oi', trace_id: null},
  {
    name: 'otel envelope: span traceId, OpenLLMetry association session_id',
    file: 'otlp.jsonl',
    text: jsonl({
      resourceSpans: [
        {
          resource: {attributes: []},
          scopeSpans: [
            {
              scope: {name: 'x'},
              spans: [
                {
                  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                  spanId: '00f067aa0ba902b7',
                  name: 'chat',
                  startTimeUnixNano: '1741608000000000000',
                  endTimeUnixNano: '1741608001000000000',
                  attributes: [
                    {key: 'llm.request.type', value: {stringValue: 'chat'}},
                    {key: 'gen_ai.request.model', value: {stringValue: 'gpt-4o'}},
                    {key: 'traceloop.association.properties.session_id', value: {stringValue: 'ses_tl'}},
                  ],
                },
              ],
            },
          ],
        },
      ],
    }),
    session_id: 'ses_tl',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  },
  {name: 'har: x-session-id and W3C traceparent request headers', file: 'a.har', text: harOf([{name: 'X-Session-Id', value: 'ses_har'}, {name: 'traceparent', value: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'}]), session_id: 'ses_har', trace_id: '0af7651916cd43dd8448eb211c80319c'},
  {name: "har: Helicone's helicone-session-id and x-trace-id", file: 'b.har', text: harOf([{name: 'helicone-session-id', value: 'ses_helicone'}, {name: 'x-trace-id', value: 'trace_x'}]), session_id: 'ses_helicone', trace_id: 'trace_x'},
  {name: 'har without such headers: none', file: 'c.har', text: harOf([{name: 'content-type', value: 'application/json'}]), session_id: null, trace_id: null},
  {
    name: 'kt-events: the session_id and trace_id columns as exported',
    file: 'events.jsonl',
    text: jsonl({id: 'ev_x', kind: 'request', timestamp: '2026-11-01T00:00:00.000Z', usage: {}, source: {}, traffic_role: null, replayable: false, session_id: 'ses_kt', trace_id: 'trace_kt', api: 'openai.chat', model: 'gpt-4o-mini', status: 'ok'}),
    session_id: 'ses_kt',
    trace_id: 'trace_kt',
  },
]

describe('session and trace ids, format by format', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      await expectImport([tmpFile(c.file, c.text)], {count: 1, files: [{error: null}], rows: {'#0': {session_id: c.session_id, trace_id: c.trace_id}}})
    })
  }
})
