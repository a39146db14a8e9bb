import {Flags} from '@oclif/core'
import {replay, type ReplayOutcome} from '../app/replay-run.js'
import {KtCommand, dbFlag} from '../cli/base.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {judgeBatchProgress, judgeFlags} from '../cli/judge-flags.js'
import {fmtCost, renderTable} from '../cli/output.js'
import {batchProgress, liveProgress, renderRunOutcome, runOutcomeJson} from '../cli/run-output.js'
import {loadConfigFromFlag, type KtConfig} from '../config/index.js'
import {parseGates} from '../gate/index.js'
import type {ReplaySettings, ResumeOverrides} from '../replay/index.js'
import {judgeFromFlags} from '../scoring/index.js'
import {KtError, parseTimeFlag} from '../util/index.js'

/** Flags that may be given with --resume: the limits, and what acts on the finished run. */
const RESUMABLE = new Set(['resume', 'db', 'policy-config', 'json', 'max-cost', 'concurrency', 'rps', 'tpm', 'timeout', 'gate', 'allow-inconclusive', 'judge', 'judge-pairwise', 'detach'])

export default class Replay extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Replay stored requests against a primary and a candidate target'
  static override description = `Sends the stored production requests to a candidate target and, unless the primary is the
recorded response (the default, which costs nothing), to a live primary as well. The stored request body goes out
as it was, with only the model replaced; a request recorded for one provider and sent to the other is translated,
and every translation loss is recorded with the result.

TARGET is a target id from the config file, or PROVIDER:MODEL: openai:gpt-4o-mini, anthropic:claude-sonnet-4-20250514,
azure-openai:DEPLOYMENT, openai-compatible:llama3@http://127.0.0.1:11434/v1, or simulated:STYLE (offline, deterministic;
styles faithful, terse, truncate, refuse, verbose).

Every result is saved as it completes. Ctrl-C stops sending, lets calls in flight finish, and prints the command that
resumes the run; a killed run resumes with --resume RUN_ID (or --resume last) and sends only what has no result yet.

With --gate RULE (repeatable, see kt gate --help) the completed run is scored and gated, and the exit status is the
gate's: 0 PASS, 1 FAIL, 3 INCONCLUSIVE or INSUFFICIENT (0 with --allow-inconclusive).

With --resume, only the limits may change: --max-cost, --concurrency, --rps, --tpm and --timeout (and --gate,
--judge, which act on the finished run). The targets are rebuilt from the config and the environment, so keys and
secret headers are never stored.

With --via batch the candidate's requests go through the provider's Batch API (OpenAI Files + Batches, Anthropic
Message Batches) at half price and outside the live rate limits: the same bodies, split under the provider's limits,
uploaded, and stored with the run the moment each batch exists. kt then polls them (progress on stderr) and stores
every answer as a live replay does; Ctrl-C stops waiting and leaves them running. --detach returns at once; collect
with kt runs wait RUN, cancel with kt runs cancel RUN. --via-primary batch does the same for a live primary.
Batched answers have no latency (they wait in the provider's queue): reports say so and latency gates are refused.

A run in which a live arm's calls mostly failed (all of them, or half and 25 points more than the primary's) is
reported as such and exits 1, even though every result was saved.

Exit status: 0 when the run completed, 1 when an arm's calls mostly failed or --max-cost stopped it, 2 on usage
errors, 130 when interrupted; with --gate, the gate's status (1 FAIL, 3 INCONCLUSIVE or INSUFFICIENT).`

  static override examples = [
    {description: 'Offline: recorded answers against a simulated candidate that answers tersely', command: '<%= config.bin %> replay --candidate simulated:terse'},
    {description: 'A real candidate on a sample of one dataset', command: '<%= config.bin %> replay --candidate openai:gpt-4o-mini --dataset prod-nov --sample 200 --seed 7'},
    {description: 'Live primary and candidate from the config, with a noise floor on 30% of requests', command: '<%= config.bin %> replay --primary openai-main --candidate anthropic-shadow --aa 0.3 --config policy-config.yaml'},
    {description: 'Map models per request, cap cost, and check what it would cost first', command: '<%= config.bin %> replay --candidate anthropic:claude-3-5-haiku-20241022 --model-map gpt-4o=claude-sonnet-4-20250514 --max-cost 5 --dry-run'},
    {description: 'The candidate through the OpenAI Batch API (half price); return at once and collect later', command: '<%= config.bin %> replay --candidate openai:gpt-4o-mini --via batch --detach'},
    {description: 'Resume the last interrupted run', command: '<%= config.bin %> replay --resume last'},
  ]

  static override flags = {
    db: dbFlag,
    'policy-config': policyConfigFlag,
    candidate: Flags.string({char: 'c', description: 'candidate TARGET (config id or PROVIDER:MODEL)'}),
    primary: Flags.string({char: 'p', description: 'primary TARGET, or "recorded" for the logged response', default: 'recorded'}),
    'model-map': Flags.string({description: 'candidate model per recorded model, as recorded=candidate (repeatable)', multiple: true}),
    dataset: Flags.string({char: 'd', description: 'only requests of this dataset (repeatable)', multiple: true, helpGroup: 'SELECTION'}),
    since: Flags.string({description: 'only requests newer than this (30m, 1h, 7d or an ISO date)', helpGroup: 'SELECTION'}),
    model: Flags.string({char: 'm', description: 'only requests recorded with this model (repeatable)', multiple: true, helpGroup: 'SELECTION'}),
    tag: Flags.string({char: 't', description: 'only requests with this tag, key=value (repeatable)', multiple: true, helpGroup: 'SELECTION'}),
    filter: Flags.string({description: 'only requests matching column=value or free text (repeatable)', multiple: true, helpGroup: 'SELECTION'}),
    limit: Flags.integer({description: 'at most N requests (the first N in time order)', min: 1, helpGroup: 'SELECTION'}),
    sample: Flags.integer({description: 'a seeded random sample of N requests', min: 1, helpGroup: 'SELECTION'}),
    seed: Flags.integer({description: 'seed for --sample, --aa and retry jitter', default: 1, helpGroup: 'SELECTION'}),
    concurrency: Flags.integer({
      description: "hard cap on requests in flight (kt holds fewer while its own threads are saturated, so that their delay is not recorded as latency; KT_REPLAY_PACE=0 turns that off)",
      default: 8,
      min: 1,
      max: 1024,
      helpGroup: 'LIMITS',
    }),
    rps: Flags.integer({description: 'at most N requests per second (all arms together)', min: 1, helpGroup: 'LIMITS'}),
    tpm: Flags.integer({description: 'at most N estimated tokens per minute (all arms together)', min: 1, helpGroup: 'LIMITS'}),
    timeout: Flags.integer({description: 'per-call timeout in milliseconds', default: 60000, min: 1, helpGroup: 'LIMITS'}),
    retries: Flags.integer({description: 'retries for 429/5xx/529, resets and timeouts (exponential backoff with jitter, honours Retry-After)', default: 3, min: 0, helpGroup: 'LIMITS'}),
    'max-cost': Flags.string({description: 'stop when the estimated spend reaches this many USD (with --judge, judge calls count too)', helpGroup: 'LIMITS'}),
    aa: Flags.string({description: 'replay the primary a second time on this share of requests (0..1) to measure the noise floor'}),
    via: Flags.string({description: "how the candidate's calls are sent: live, or batch (the provider's Batch API, at its discount)", options: ['live', 'batch'], default: 'live', helpGroup: 'BATCH'}),
    'via-primary': Flags.string({description: "how a live primary's calls (and its --aa repeat) are sent: live or batch", options: ['live', 'batch'], default: 'live', helpGroup: 'BATCH'}),
    'completion-window': Flags.string({description: 'the batches\' completion window (the providers accept 24h)', options: ['24h'], default: '24h', helpGroup: 'BATCH'}),
    detach: Flags.boolean({description: 'with batched arms: return once the batches are submitted (collect them with kt runs wait RUN)', helpGroup: 'BATCH'}),
    name: Flags.string({char: 'n', description: 'a name for the run (usable instead of its id)'}),
    resume: Flags.string({description: 'resume a run by id, name or "last"; sends only what has no result yet'}),
    'dry-run': Flags.boolean({description: 'print how many requests and the estimated cost per arm; send nothing'}),
    gate: Flags.string({description: 'gate the completed run with this rule, e.g. "latency.p95 <= 1.2x" (repeatable)', multiple: true, helpGroup: 'GATE'}),
    'allow-inconclusive': Flags.boolean({description: 'with --gate: exit 0 instead of 3 when the verdict is INCONCLUSIVE or INSUFFICIENT', helpGroup: 'GATE'}),
    ...judgeFlags,
  }

  async run(): Promise<unknown> {
    const {flags, metadata} = await this.parse(Replay)
    const config = loadConfigFromFlag(flags['policy-config'])
    // A mistyped rule must fail before anything is sent (and paid for).
    if (flags.gate) parseGates(flags.gate)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config, undefined, flags['judge-via'])
    if (judge?.via === 'batch') judge.onBatchProgress = judgeBatchProgress((line) => this.note(line))
    const given = Object.keys(flags).filter((f) => !(metadata.flags as Record<string, {setFromDefault?: boolean}>)[f]?.setFromDefault)
    if (flags.resume) {
      const bad = given.filter((f) => !RESUMABLE.has(f))
      if (bad.length) throw new KtError(`--resume continues the run as it was planned; ${bad.map((f) => `--${f}`).join(', ')} cannot change (only --max-cost, --concurrency, --rps, --tpm and --timeout can)`, 2)
    } else if (!flags.candidate) {
      throw new KtError('--candidate TARGET is required (or --resume RUN_ID); e.g. --candidate simulated:terse', 2)
    }
    const {db, path} = this.openStore(flags.db, {mustExist: true})
    try {
      const outcome = await replay(
        db,
        path,
        {
          config,
          ...(flags.resume
            ? {resume: {ref: flags.resume, overrides: this.overrides(flags, given)}}
            : {start: {candidate: flags.candidate!, primary: flags.primary, settings: this.settings(flags, config), name: flags.name}}),
          dryRun: flags['dry-run'],
          gates: flags.gate,
          allowInconclusive: flags['allow-inconclusive'],
          judge,
          detach: flags.detach,
        },
        {
          note: (line) => this.note(line),
          progress: liveProgress,
          batchProgress,
          dbHint: flags.db ? ` --db ${flags.db}` : '',
        },
      )
      if (outcome.kind === 'run') process.exitCode = outcome.exit_code
      if (!this.jsonEnabled()) this.render(outcome, flags['allow-inconclusive'])
      if (outcome.kind === 'dry-run') return {dry_run: true, arms: outcome.arms}
      return runOutcomeJson(outcome)
    } finally {
      db.close()
    }
  }

  private number(flags: Record<string, unknown>, name: string, min: number, max: number): number | null {
    const v = flags[name] as string | undefined
    if (v === undefined) return null
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new KtError(`--${name} "${v}": expected a number from ${min} to ${max}`, 2)
    return n
  }

  private overrides(flags: Record<string, unknown>, given: string[]): ResumeOverrides {
    const o: ResumeOverrides = {}
    if (given.includes('max-cost')) o.maxCost = this.number(flags, 'max-cost', 0, 1e9)
    if (given.includes('concurrency')) o.concurrency = flags.concurrency as number
    if (given.includes('rps')) o.rps = flags.rps as number
    if (given.includes('tpm')) o.tpm = flags.tpm as number
    if (given.includes('timeout')) o.timeoutMs = flags.timeout as number
    return o
  }

  private settings(flags: Record<string, unknown>, config: KtConfig): ReplaySettings {
    const modelMap: Record<string, string> = {}
    for (const m of (flags['model-map'] as string[] | undefined) ?? []) {
      const [from, to] = m.split('=')
      if (!from || !to) throw new KtError(`--model-map "${m}": expected recorded=candidate, e.g. gpt-4o=claude-sonnet-4-20250514`, 2)
      modelMap[from] = to
    }
    return {
      selection: {
        dataset: flags.dataset as string[] | undefined,
        from: flags.since ? parseTimeFlag('since', flags.since as string) : undefined,
        model: flags.model as string[] | undefined,
        tags: flags.tag as string[] | undefined,
        filter: flags.filter as string[] | undefined,
        limit: flags.limit as number | undefined,
        sample: flags.sample as number | undefined,
        seed: flags.seed as number,
      },
      modelMap,
      concurrency: flags.concurrency as number,
      rps: (flags.rps as number | undefined) ?? null,
      tpm: (flags.tpm as number | undefined) ?? null,
      timeoutMs: flags.timeout as number,
      retries: flags.retries as number,
      maxCost: this.number(flags, 'max-cost', 0, 1e9),
      aa: this.number(flags, 'aa', 0, 1) ?? 0,
      seed: flags.seed as number,
      pricing: config.pricing,
      ...(flags.via === 'batch' || flags['via-primary'] === 'batch'
        ? {via: {primary: flags['via-primary'] as 'live' | 'batch', candidate: flags.via as 'live' | 'batch'}, completionWindow: flags['completion-window'] as '24h'}
        : {}),
    }
  }

  private render(outcome: ReplayOutcome, allowInconclusive: boolean): void {
    if (outcome.kind === 'dry-run') {
      const batched = outcome.arms.some((e) => e.via === 'batch')
      const price = (v: number | null) => (v === null ? 'unknown model price' : fmtCost(v))
      const rows = outcome.arms.map((e) => [e.arm, ...(batched ? [e.via] : []), e.requests, e.input_tokens, e.output_tokens, price(e.cost_usd), ...(batched ? [price(e.live_cost_usd)] : [])])
      this.out(renderTable(['arm', ...(batched ? ['via'] : []), 'requests', 'est. input tokens', 'est. output tokens', 'est. cost', ...(batched ? ['live price'] : [])], rows))
      this.note(`dry run: nothing was sent (the recorded primary costs nothing${batched ? '; batched arms are priced at the Batch API discount' : ''})`)
      return
    }
    renderRunOutcome(outcome, allowInconclusive, (t) => this.out(t))
  }
}
