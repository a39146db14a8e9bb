// The live gateway: an OpenAI- and Anthropic-compatible HTTP server that answers with the primary, mirrors a sample
// of traffic to shadows, splits traffic across weighted model groups, applies routing policies, and writes every
// decision as an event into the store (ready for `kt replay --dataset gateway`). Owns the HTTP surface (server.ts,
// proxy.ts), routing (route.ts, routing.ts, plan.ts, config-view.ts), streaming passthrough and translation
// (relay.ts), content_filter on answers (relay-filtered.ts, answer-filter.ts, answer-stream.ts), mirroring
// (mirror.ts), the side thread that sends shadows and builds and writes events (side.ts, side-worker.ts, events.ts,
// answer.ts), the OTLP export of those events as GenAI spans that continue the caller's W3C trace context
// (telemetry.ts, spans.ts, trace-context.ts), the audit-logger and log policies' lines, written on the side thread too
// (policy-lines.ts, line-sinks.ts), the spend cost_limit budgets read (spend.ts), the
// simulated targets played in-process (simulated.ts), metrics, reload (gateway.ts) and the state file other commands
// find it by. May import providers/, config/, store/, scoring/, wire/, records/, stats/ and util/.
export {DEFAULT_DRAIN_MS, DEFAULT_PORT, Gateway, type CloseSummary, type GatewayOptions, type LogLevel} from './gateway.js'
export {DEFAULT_MAX_SHADOWS, DEFAULT_SHADOW_TIMEOUT_MS} from './mirror.js'
export {DEFAULT_MAX_BODY_BYTES} from './proxy.js'
export {buildPlan, planLines, resolveModelName, type Plan, type PlanTarget} from './plan.js'
export {routeRequest, type Route, type RouteResult} from './route.js'
export {drawFor, Observations, pickByShare, stickyUnit} from './routing.js'
export {SPEND_REREAD_MS, SpendTracker, type SpendReader, type SpendTotals} from './spend.js'
export type {ReloadOutcome} from './server.js'
export {findGateways, removeStateFile, stateFilePath, writeStateFile, type GatewayState} from './state-file.js'
export {eventsQuery} from './events-api.js'
export type {AccessRecord, CallerApi, CallerTrace, Exchange, LinePolicy, ShadowRecord, SideConfig} from './exchange.js'
export {MAX_QUEUED_CHARS, MAX_QUEUED_LINES, PolicyLines, type LineCounts} from './line-sinks.js'
export {otlpLine, otlpSettings, OtlpExport, type OtlpCounts, type OtlpSettings} from './telemetry.js'
export {continuedTrace, spanFor, type ContinuedTrace, type SpanSpec} from './spans.js'
export {parseTraceContext} from './trace-context.js'
