import {Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../cli/base.js'
import {judgeFlags} from '../cli/judge-flags.js'
import {fmtCost, fmtNum, renderTable} from '../cli/output.js'
import {Progress} from '../cli/progress.js'
import {loadConfigFromFlag} from '../config/index.js'
import {qualityPolicyFrom} from '../config/index.js'
import {gateJson, gateLines, verdictLine} from '../report/index.js'
import {parseGates} from '../gate/index.js'
import {runGates} from '../app/gate-run.js'
import {formatJudgeSummary, judgeFromFlags} from '../scoring/index.js'
import {scoreRun} from '../app/score-run.js'
import {createReplayRun, estimateRun, executeRun, parsePlan, type ReplaySettings, type RunPlan} from '../replay/index.js'
import {summarizeRun, type ArmSummary} from '../replay/index.js'
import {resolvePrimary, resolveTarget} from '../config/index.js'
import {getRun} from '../store/index.js'
import {KtError} from '../util/index.js'
import {parseTimeFlag} from '../util/index.js'

export const configFlag = Flags.string({
  aliases: ['config'],
  description: 'policy config YAML [default: $KT_CONFIG, else ./policy-config.yaml if present]',
  helpGroup: 'CONFIG',
})

export default class Replay extends KtCommand {
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

Exit status: 0 when the run completed, 1 on errors, 2 on usage errors, 130 when interrupted.`

  static override examples = [
    {description: 'Offline: recorded answers against a simulated candidate that answers tersely', command: '<%= config.bin %> replay --candidate simulated:terse'},
    {description: 'A real candidate on a sample of one dataset', command: '<%= config.bin %> replay --candidate openai:gpt-4o-mini --dataset prod-nov --sample 200 --seed 7'},
    {description: 'Live primary and candidate from the config, with a noise floor on 30% of requests', command: '<%= config.bin %> replay --primary openai-main --candidate anthropic-shadow --aa 0.3 --config policy-config.yaml'},
    {description: 'Map models per request, cap cost, and check what it would cost first', command: '<%= config.bin %> replay --candidate anthropic:claude-3-5-haiku-20241022 --model-map gpt-4o=claude-sonnet-4-20250514 --max-cost 5 --dry-run'},
    {description: 'Resume the last interrupted run', command: '<%= config.bin %> replay --resume last'},
  ]

  static override flags = {
    db: dbFlag,
    'policy-config': configFlag,
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
    name: Flags.string({char: 'n', description: 'a name for the run (usable instead of its id)'}),
    resume: Flags.string({description: 'resume a run by id, name or "last"; sends only what has no result yet'}),
    'dry-run': Flags.boolean({description: 'print how many requests and the estimated cost per arm; send nothing'}),
    json: Flags.boolean({description: 'print the run summary as JSON on stdout'}),
    gate: Flags.string({description: 'gate the completed run with this rule, e.g. "latency.p95 <= 1.2x" (repeatable)', multiple: true, helpGroup: 'GATE'}),
    'allow-inconclusive': Flags.boolean({description: 'with --gate: exit 0 instead of 3 when the verdict is INCONCLUSIVE or INSUFFICIENT', helpGroup: 'GATE'}),
    ...judgeFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Replay)
    const config = loadConfigFromFlag(flags['policy-config'])
    // A mistyped rule must fail before anything is sent (and paid for).
    if (flags.gate) parseGates(flags.gate)
    const judge = judgeFromFlags(flags.judge, flags['judge-pairwise'], config)
    const {db, path} = this.openStore(flags.db)
    try {
      let runId: string
      if (flags.resume) {
        const run = getRun(db, flags.resume)
        if (!run) throw new KtError(`--resume ${flags.resume}: no such run in ${path} (see kt runs list)`, 2)
        runId = run.id
        if (run.status === 'completed') {
          this.note(`run ${run.id} is already complete; nothing to send`)
        }
      } else {
        if (!flags.candidate) throw new KtError('--candidate TARGET is required (or --resume RUN_ID); e.g. --candidate simulated:terse', 2)
        const plan: RunPlan = {
          primary: resolvePrimary(flags.primary, config),
          candidate: resolveTarget(flags.candidate, config, 'candidate'),
          settings: this.settings(flags, config.pricing),
        }
        if (flags['dry-run']) {
          // A dry run must not leave a run behind: plan inside a transaction and roll it back.
          const estimates = dryRun(db, plan, flags.name)
          this.printEstimates(estimates, flags.json)
          return
        }
        runId = createReplayRun(db, {...plan, name: flags.name, config: config.file ? {file: config.file} : undefined}).runId
      }
      const run = getRun(db, runId)!
      const plan = parsePlan(run)
      const stop = new AbortController()
      let interrupts = 0
      const onSignal = () => {
        interrupts++
        if (interrupts === 1) {
          this.note('\nstopping: letting calls in flight finish (Ctrl-C again to quit at once)')
          stop.abort()
        } else {
          db.prepare("UPDATE runs SET status = 'interrupted' WHERE id = ?").run(runId)
          this.note(`resume with: kt replay --resume ${runId}${flags.db ? ` --db ${flags.db}` : ''}`)
          process.exit(130)
        }
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      let errors = 0
      const progress = new Progress(`replay ${runId}`, {unit: 'calls', extra: () => `errors ${errors}`})
      let outcome
      try {
        this.note(`run ${runId}: ${run.total} requests, primary ${plan.primary === 'recorded' ? 'recorded' : plan.primary.id}, candidate ${plan.candidate.id}`)
        outcome = await executeRun(db, run, {
          stop: stop.signal,
          onProgress: (p) => {
            errors = p.errors
            progress.setTotal(p.total)
            progress.update(p.done)
          },
        })
      } catch (error) {
        progress.stop()
        this.note(`run ${runId} interrupted; once this is fixed, resume with: kt replay --resume ${runId}${flags.db ? ` --db ${flags.db}` : ''}`)
        throw error
      } finally {
        progress.stop()
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      const summary = summarizeRun(db, runId)
      const allow = flags['allow-inconclusive']
      // --max-cost covers the judge too: it may spend what the replay left.
      const maxCost = plan.settings.maxCost
      const judging = judge && maxCost !== null ? {...judge, maxCost: Math.max(0, maxCost - outcome.cost)} : judge
      const gated = flags.gate && outcome.status === 'completed'
        ? await runGates(db, runId, flags.gate, {policy: qualityPolicyFrom(config) ?? undefined, allowInconclusive: allow, judge: judging})
        : null
      // --judge without --gate: score and judge the completed run anyway.
      const judged = gated ? gated.judge : judging && outcome.status === 'completed' ? (await scoreRun(db, runId, {policy: qualityPolicyFrom(config) ?? undefined, judge: judging})).judge : null
      if (judged) for (const line of formatJudgeSummary(judged)) this.note(line)
      for (const w of gated?.model.warnings ?? []) this.note(`warning: ${w}`)
      if (outcome.pacedTo !== null) {
        this.note(`kt's own call threads were saturated: calls in flight were held as low as ${outcome.pacedTo} (of --concurrency ${plan.settings.concurrency}) so that waiting on kt is not recorded as upstream latency`)
      }
      if (flags.json) this.out(JSON.stringify({run_id: runId, status: outcome.status, paced_to: outcome.pacedTo, arms: summary, ...(gated ? {gate: gateJson(gated.model, 0.95)} : {}), ...(judged ? {judge: judged} : {})}, null, 2))
      else this.printSummary(runId, summary)
      if (gated && !flags.json) this.out([...gateLines(gated.model.gates), verdictLine(gated.model, allow)].join('\n'))
      if (gated) process.exitCode = gated.exitCode
      if (outcome.status === 'interrupted') {
        this.note(`run ${runId} interrupted; resume with: kt replay --resume ${runId}${flags.db ? ` --db ${flags.db}` : ''}`)
        process.exitCode = 130
      } else if (outcome.status === 'stopped_max_cost') {
        this.note(`run ${runId} stopped at the --max-cost limit; resume with a higher limit: kt replay --resume ${runId}`)
        process.exitCode = 1
      }
    } finally {
      db.close()
    }
  }

  private settings(flags: Record<string, unknown>, pricing: ReplaySettings['pricing']): ReplaySettings {
    const modelMap: Record<string, string> = {}
    for (const m of (flags['model-map'] as string[] | undefined) ?? []) {
      const [from, to] = m.split('=')
      if (!from || !to) throw new KtError(`--model-map "${m}": expected recorded=candidate, e.g. gpt-4o=claude-sonnet-4-20250514`, 2)
      modelMap[from] = to
    }
    const num = (name: string, min: number, max: number): number | null => {
      const v = flags[name] as string | undefined
      if (v === undefined) return null
      const n = Number(v)
      if (!Number.isFinite(n) || n < min || n > max) throw new KtError(`--${name} "${v}": expected a number from ${min} to ${max}`, 2)
      return n
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
      maxCost: num('max-cost', 0, 1e9),
      aa: num('aa', 0, 1) ?? 0,
      seed: flags.seed as number,
      pricing,
    }
  }

  private printEstimates(estimates: ReturnType<typeof estimateRun>, json: boolean): void {
    if (json) {
      this.out(JSON.stringify({dry_run: true, arms: estimates}, null, 2))
      return
    }
    const rows = estimates.map((e) => [e.arm, e.requests, e.input_tokens, e.output_tokens, e.cost_usd === null ? 'unknown model price' : fmtCost(e.cost_usd)])
    this.out(renderTable(['arm', 'requests', 'est. input tokens', 'est. output tokens', 'est. cost'], rows))
    this.note('dry run: nothing was sent (the recorded primary costs nothing)')
  }

  private printSummary(runId: string, arms: ArmSummary[]): void {
    const rows = arms.map((a) => [
      a.arm, a.requests, a.errors, `${(a.error_rate * 100).toFixed(1)}%`, fmtNum(a.latency_p50_ms), fmtNum(a.latency_p95_ms),
      a.input_tokens, a.output_tokens, fmtCost(a.cost_usd),
    ])
    this.out(renderTable(['arm', 'requests', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'tokens in', 'tokens out', 'cost'], rows))
    this.out(`run id: ${runId}`)
  }
}

function dryRun(db: import('../store/index.js').DB, plan: RunPlan, name: string | undefined) {
  db.exec('SAVEPOINT dry_run')
  try {
    const {runId} = createReplayRun(db, {...plan, name})
    return estimateRun(db, runId, plan)
  } finally {
    db.exec('ROLLBACK TO dry_run')
    db.exec('RELEASE dry_run')
  }
}
