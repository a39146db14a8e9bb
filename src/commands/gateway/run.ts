import {Flags} from '@oclif/core'
import {runGateway, TOKEN_ENV} from '../../app/gateway.js'
import {KtCommand, dbFlag} from '../../cli/base.js'
import {policyConfigFlag} from '../../cli/config-flag.js'
import {DEFAULT_DRAIN_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_SHADOWS, DEFAULT_PORT, DEFAULT_SHADOW_TIMEOUT_MS} from '../../gateway/index.js'

export default class GatewayRun extends KtCommand {
  static override aliases = ['serve']
  static override summary = 'Run the gateway: OpenAI- and Anthropic-compatible, answering with the primary, mirroring to shadows, writing every decision as an event'
  static override description = `Serves POST /v1/chat/completions (OpenAI format) and POST /v1/messages (Anthropic format), plain and streamed,
routing each request by its "model": a model group (weighted, or routing: lowest_latency | cost_optimized |
highest_quality), a target id, or a model a target serves (a target without a model serves whatever model is asked).
A request in one API sent to a target speaking the other is translated both ways, streams included. Policies
(model_filter, traffic_split, content_filter, cost_limit, quality-scorer) act in chain order.

Callers get the primary's answer as it arrives (a content_filter that blocks or redacts answers holds a whole
answer, or a stream's last few characters, until it has checked them); traffic_mirror, providers.mirroring and a
target's silent_model send a sampled copy to shadows in the background (at most --max-shadows in flight: more are
dropped and counted). A slow, failing or hanging shadow never changes a caller's answer, status or timing.

Every request becomes one event in the database (dataset "gateway"), with the routed model, provider, target,
group, latency, tokens, cost, policies_triggered and, when mirrored, traffic_mirror {primary, shadow, comparison};
shadow answers are events with traffic_role shadow. kt events tail/list read them; kt replay --dataset gateway
replays them. An audit-logger policy also writes one JSON line per request (to stdout without a path; to an
append-only file, mode 0600, with one), and with log_all_access one per read of /v1/events; a log policy writes a
line for each request its conditions match (to stderr, in this command's log format, by default). Both write from
the event thread, in batches, bounded (lines past the bound are dropped and counted in /metrics).

Also: GET /v1/models, GET /healthz, GET /metrics (Prometheus), GET /v1/events?since=7d&model=M&limit=N (needs the
token), and every answer carries x-kt-target and x-kt-event-id headers.

With telemetry.otlp in the config, every event is also exported as an OpenTelemetry GenAI span over OTLP/HTTP
(JSON), from a bounded queue that never holds up a caller (spans past max_queue_size are dropped and counted in
/metrics); header values come only from the environment variables the block names; kt import reads the spans back.

Binds 127.0.0.1 unless --listen says otherwise. With --auth-token (or $${TOKEN_ENV}) every /v1/* call needs
"Authorization: Bearer TOKEN" (or "x-api-key: TOKEN"); provider keys are read only from the variables the config's
secret_key_ref.env names and never reach a caller, a log line or an event.

kt config reload (or SIGHUP) re-reads the config file without dropping a connection; an invalid file is refused and
the old configuration keeps serving. SIGTERM or Ctrl-C stops accepting, lets requests and shadows in flight finish
(up to --drain-timeout), writes every event and exits 0.`

  static override examples = [
    {description: 'The tutorial gateway', command: '<%= config.bin %> gateway run --policy-config policy-config.yaml --port 41002'},
    {description: 'Listen on every interface, with a token', command: '<%= config.bin %> serve --policy-config policy-config.yaml --listen 0.0.0.0:41002 --auth-token "$KT_GATEWAY_TOKEN"'},
    {description: 'Watch the routing decisions', command: "<%= config.bin %> events tail --follow --format json | jq -r '.model'"},
  ]

  static override flags = {
    'policy-config': policyConfigFlag,
    port: Flags.integer({char: 'p', description: `port on 127.0.0.1 [default: ${DEFAULT_PORT}]`, min: 0, max: 65535, exclusive: ['listen']}),
    listen: Flags.string({description: 'HOST:PORT to bind, e.g. 0.0.0.0:41002', helpValue: 'HOST:PORT', exclusive: ['port']}),
    db: dbFlag,
    'auth-token': Flags.string({description: `token callers must send (Authorization: Bearer TOKEN); also needed by /v1/events [default: $${TOKEN_ENV}]`, helpValue: 'TOKEN'}),
    'max-body': Flags.integer({description: 'largest request body in bytes; bigger ones get 413', default: DEFAULT_MAX_BODY_BYTES, min: 1024, helpGroup: 'LIMITS'}),
    'max-shadows': Flags.integer({description: 'shadow requests in flight at most; more are dropped and counted', default: DEFAULT_MAX_SHADOWS, min: 1, helpGroup: 'LIMITS'}),
    'shadow-timeout': Flags.integer({description: 'milliseconds a shadow may take before it is recorded as timed out', default: DEFAULT_SHADOW_TIMEOUT_MS, min: 1, helpValue: 'MS', helpGroup: 'LIMITS'}),
    'drain-timeout': Flags.integer({description: 'milliseconds SIGTERM waits for requests and shadows in flight', default: DEFAULT_DRAIN_MS, min: 0, helpValue: 'MS', helpGroup: 'LIMITS'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(GatewayRun)
    process.exitCode = await runGateway({
      configFlag: flags['policy-config'],
      dbFlag: flags.db,
      listen: flags.listen,
      port: flags.port,
      authToken: flags['auth-token'],
      maxBodyBytes: flags['max-body'],
      maxShadows: flags['max-shadows'],
      shadowTimeoutMs: flags['shadow-timeout'],
      drainMs: flags['drain-timeout'],
    })
  }
}
