// The replay engine: fixes a run's request set, then sends each request to the arms that still have
// no result, under a hard in-flight cap, per-target caps and token-bucket rate limits, with retries.
// Every result is committed the moment it completes (results that complete in the same turn of the event loop
// share one transaction), so a killed run resumes exactly where it was.
import {availableParallelism} from 'node:os'
import {responseFromBody} from '../wire/index.js'
import {createClient, estimateCost, estimateRequestTokens, poolWorkerUrl, sharedCallPool, type CallPool, type CallResult, type ProviderClient, type TargetSpec} from '../providers/index.js'
import type {Api} from '../records/index.js'
import {ulid} from '../records/index.js'
import {buildEventWhere, type EventQuery} from '../store/index.js'
import type {DB} from '../store/index.js'
import {createRun, pendingWork, ResultWriter, setRunStatus, type Arm, type PendingItem, type ResultRow, type RunRow, type RunStatus} from '../store/index.js'
import {rng} from '../stats/index.js'
import {KtError} from '../util/index.js'
import {Semaphore, sleep, TokenBucket} from '../util/index.js'
import {createPacer, type Pacer} from './pace.js'

export type PrimarySpec = TargetSpec | 'recorded'

export interface Selection {
  dataset?: string[]
  from?: string
  model?: string[]
  tags?: string[]
  filter?: string[]
  limit?: number
  /** Seeded random sample of N requests (kept in time order). */
  sample?: number
  seed?: number
}

export interface ReplaySettings {
  selection: Selection
  modelMap: Record<string, string>
  concurrency: number
  rps: number | null
  tpm: number | null
  timeoutMs: number
  retries: number
  maxCost: number | null
  /** Share of requests (0..1) whose primary is replayed a second time (noise floor). */
  aa: number
  seed: number
  pricing?: Record<string, {input_per_mtok: number; output_per_mtok: number; cached_input_per_mtok?: number}>
}

export interface RunPlan {
  primary: PrimarySpec
  candidate: TargetSpec
  settings: ReplaySettings
}

export function parsePlan(run: RunRow): RunPlan {
  return {
    primary: JSON.parse(run.primary_json) as PrimarySpec,
    candidate: JSON.parse(run.candidate_json) as TargetSpec,
    settings: JSON.parse(run.options_json) as ReplaySettings,
  }
}

/** Replayable primary traffic matching the selection, in time order. */
export function selectEvents(db: DB, sel: Selection): string[] {
  const q: EventQuery = {dataset: sel.dataset, from: sel.from, model: sel.model, tags: sel.tags, filter: sel.filter, replayableOnly: true, kind: ['request']}
  const {where, params} = buildEventWhere(q)
  const extra = "(traffic_role IS NULL OR traffic_role = 'primary')"
  const sql = `SELECT event_id FROM events ${where ? `${where} AND ${extra}` : `WHERE ${extra}`} ORDER BY timestamp, rowid`
  let ids = (db.prepare(sql).pluck().all(...params) as string[])
  if (sel.sample !== undefined && sel.sample < ids.length) {
    const rand = rng(sel.seed ?? 1)
    const idx = ids.map((_, i) => i)
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
    }
    const keep = new Set(idx.slice(0, sel.sample))
    ids = ids.filter((_, i) => keep.has(i))
  }
  if (sel.limit !== undefined) ids = ids.slice(0, sel.limit)
  return ids
}

function aaFlags(n: number, share: number, seed: number): boolean[] {
  if (share <= 0) return new Array<boolean>(n).fill(false)
  if (share >= 1) return new Array<boolean>(n).fill(true)
  const rand = rng(seed ^ 0x5eed)
  return Array.from({length: n}, () => rand() < share)
}

/** Targets are stored without anything secret: a key is only ever the name of its env variable. */
function publicTarget(t: PrimarySpec): PrimarySpec {
  if (t === 'recorded') return t
  const {headers, ...rest} = t
  const safeHeaders = headers ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, /auth|key|token|secret|cookie/i.test(k) ? '[redacted]' : v])) : undefined
  return safeHeaders ? {...rest, headers: safeHeaders} : rest
}

export interface CreateRunInput extends RunPlan {
  name?: string
  config?: unknown
}

/** Creates the run with its fixed request set; the recorded primary's results are filled in at once (they cost nothing). */
export function createReplayRun(db: DB, input: CreateRunInput): {runId: string; total: number} {
  const ids = selectEvents(db, input.settings.selection)
  if (ids.length === 0) throw new KtError('no replayable requests match the selection (import logs first, or loosen --dataset/--since/--model/--tag)')
  if (input.settings.aa > 0 && input.primary === 'recorded') {
    throw new KtError('--aa needs a live --primary: the recorded answers cannot be sampled a second time', 2)
  }
  const runId = `run_${ulid().toLowerCase()}`
  const flags = aaFlags(ids.length, input.settings.aa, input.settings.seed)
  db.transaction(() => {
    createRun(
      db,
      {
        id: runId,
        name: input.name ?? null,
        created_at: new Date().toISOString(),
        status: 'running',
        primary_json: JSON.stringify(publicTarget(input.primary)),
        candidate_json: JSON.stringify(publicTarget(input.candidate)),
        options_json: JSON.stringify(input.settings),
        config_json: input.config === undefined ? null : JSON.stringify(input.config),
        total: ids.length,
      },
      ids.map((id, i) => ({event_id: id, aa: flags[i]!})),
    )
    if (input.primary === 'recorded') materializeRecorded(db, runId, input.settings)
  })()
  return {runId, total: ids.length}
}

/** The logged answer of one request, in the shape of a result (it becomes the recorded primary's result). */
type RecordedRow = Pick<
  ResultRow,
  | 'event_id' | 'model' | 'response_model' | 'status' | 'http_status' | 'error_type' | 'error_code' | 'error_message'
  | 'latency_ms' | 'ttft_ms' | 'input_tokens' | 'output_tokens' | 'cached_input_tokens' | 'reasoning_tokens' | 'total_tokens'
  | 'cost_usd' | 'finish_reason' | 'finish_reason_raw' | 'response_text' | 'response_json'
> & {api: Api}

function materializeRecorded(db: DB, runId: string, settings: ReplaySettings): void {
  const rows = db
    .prepare(
      `SELECT e.event_id, e.api, e.model, e.response_model, e.status, e.http_status, e.error_type, e.error_code, e.error_message,
              e.latency_ms, e.ttft_ms, e.input_tokens, e.output_tokens, e.cached_input_tokens, e.reasoning_tokens, e.total_tokens,
              e.cost_usd, e.finish_reason, e.finish_reason_raw, e.response_text, e.response_json
       FROM run_items i JOIN events e ON e.event_id = i.event_id WHERE i.run_id = ?`,
    )
    .all(runId) as RecordedRow[]
  const writer = new ResultWriter(db)
  const now = new Date().toISOString()
  for (const r of rows) {
    let toolCalls: string | null = null
    if (r.response_json) {
      try {
        const parsed = responseFromBody(r.api, JSON.parse(r.response_json) as Record<string, unknown>)
        if (parsed.response.tool_calls.length) toolCalls = JSON.stringify(parsed.response.tool_calls)
      } catch {
        toolCalls = null
      }
    }
    const usage = {
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      cached_input_tokens: r.cached_input_tokens,
      cache_write_tokens: null,
      reasoning_tokens: r.reasoning_tokens,
      total_tokens: r.total_tokens,
    }
    writer.write({
      run_id: runId,
      event_id: r.event_id,
      arm: 'primary',
      target_id: 'recorded',
      api: r.api,
      model: r.model,
      response_model: r.response_model,
      status: r.status === 'ok' ? 'ok' : 'error',
      http_status: r.http_status,
      error_type: r.error_type,
      error_code: r.error_code,
      error_message: r.error_message,
      attempts: 0,
      latency_ms: r.latency_ms,
      ttft_ms: r.ttft_ms,
      ...usage,
      // The same price table prices both arms, so cost ratios compare like with like (never reported vs computed).
      cost_usd: estimateCost(r.response_model ?? r.model ?? '', usage, settings.pricing) ?? estimateCost(r.model ?? '', usage, settings.pricing) ?? r.cost_usd,
      finish_reason: r.finish_reason,
      finish_reason_raw: r.finish_reason_raw,
      response_text: r.response_text,
      tool_calls_json: toolCalls,
      response_json: r.response_json,
      translation_losses_json: '[]',
      simulated: 0,
      created_at: now,
    })
  }
}

export interface ArmEstimate {
  arm: Arm
  requests: number
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
}

function targetFor(plan: RunPlan, arm: Arm): TargetSpec | null {
  if (arm === 'candidate') return plan.candidate
  return plan.primary === 'recorded' ? null : plan.primary
}

function modelFor(plan: RunPlan, arm: Arm, item: {model: string | null}): string {
  const target = targetFor(plan, arm)!
  if (arm === 'candidate' && item.model && plan.settings.modelMap[item.model]) return plan.settings.modelMap[item.model]!
  return target.model
}

function requestBody(item: PendingItem): Record<string, unknown> {
  return item.request_json ? (JSON.parse(item.request_json) as Record<string, unknown>) : {}
}

function estimateItem(plan: RunPlan, arm: Arm, item: PendingItem, body = requestBody(item)): {input: number; output: number; cost: number | null} {
  const input = estimateRequestTokens(body)
  const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 0) || null
  const output = item.output_tokens ?? maxTokens ?? 256
  const model = modelFor(plan, arm, item)
  const cost = estimateCost(model, {input_tokens: input, output_tokens: output, cached_input_tokens: null, cache_write_tokens: null, reasoning_tokens: null, total_tokens: input + output}, plan.settings.pricing)
  return {input, output, cost}
}

/** What the run would send, per live arm, and its estimated cost (for --dry-run and --max-cost). */
export function estimateRun(db: DB, runId: string, plan: RunPlan): ArmEstimate[] {
  const work = pendingWork(db, runId, liveArms(plan))
  const byArm = new Map<Arm, ArmEstimate>()
  for (const {item, arms} of work) {
    for (const arm of arms) {
      const e = estimateItem(plan, arm, item)
      const acc = byArm.get(arm) ?? {arm, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0}
      acc.requests++
      acc.input_tokens += e.input
      acc.output_tokens += e.output
      acc.cost_usd = acc.cost_usd === null || e.cost === null ? null : acc.cost_usd + e.cost
      byArm.set(arm, acc)
    }
  }
  return [...byArm.values()]
}

export function liveArms(plan: RunPlan): Arm[] {
  const arms: Arm[] = plan.primary === 'recorded' ? ['candidate'] : ['primary', 'candidate']
  if (plan.settings.aa > 0 && plan.primary !== 'recorded') arms.push('primary_aa')
  return arms
}

export interface ExecuteOptions {
  /** Aborting stops dispatching; calls in flight finish and are saved. */
  stop?: AbortSignal
  onProgress?: (p: {done: number; total: number; errors: number; cost: number}) => void
  /** Base of the exponential backoff between retries (tests shorten it). */
  retryBaseMs?: number
  /** Client factory (defaults to the real provider clients). */
  clientFor?: (target: TargetSpec) => ProviderClient
}

export interface ExecuteOutcome {
  status: RunStatus
  sent: number
  errors: number
  cost: number
  /** Worker threads that made the calls (0: this thread). */
  threads: number
  /**
   * The fewest calls let in flight while kt's own call threads were saturated (pace.ts); null when the run
   * was never held below its concurrency.
   */
  pacedTo: number | null
}

interface Task {
  item: PendingItem
  arm: Arm
}

function backoffMs(attempt: number, base: number, rand: () => number): number {
  // Full jitter (AWS architecture blog): spreads retries of many workers apart.
  const cap = Math.min(30_000, base * 2 ** (attempt - 1))
  return Math.round(cap / 2 + (rand() * cap) / 2)
}

export async function executeRun(db: DB, run: RunRow, opts: ExecuteOptions = {}): Promise<ExecuteOutcome> {
  const plan = parsePlan(run)
  const arms = liveArms(plan)
  const work = pendingWork(db, run.id, arms)
  const tasks: Task[] = []
  for (const {item, arms: need} of work) {
    // Alternate which arm goes first so neither gets a systematic head start (time-of-day, warm caches).
    const ordered = item.seq % 2 === 0 ? need : [...need].sort((a, b) => (a === 'candidate' ? -1 : b === 'candidate' ? 1 : 0))
    for (const arm of ordered) tasks.push({item, arm})
  }
  const total = tasks.length
  try {
    const threads = opts.clientFor ? 0 : callThreads(plan, arms, plan.settings.concurrency, total)
    const out = await execute(db, run, plan, arms, tasks, opts, threads > 0 ? sharedCallPool(threads) : null)
    return {...out, threads}
  } catch (error) {
    // Whatever stopped it (a missing key, a bad target or setting, a refused result), the run is not running any
    // more: it is left interrupted, to resume once that is fixed. A failing database keeps its own error.
    try {
      setRunStatus(db, run.id, 'interrupted')
    } catch {
      // the original error says more
    }
    throw error
  }
}

/** Utilisation of this thread's event loop since the last call, for pacing calls made here. */
function threadUtilization(): () => number {
  let last = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const u = performance.eventLoopUtilization(now, last).utilization
    last = now
    return u
  }
}

/** A pacer for the threads that make the calls, or null with KT_REPLAY_PACE=0 (then --concurrency alone caps). */
function pacerFor(concurrency: number, pool: CallPool | null): Pacer | null {
  const set = process.env.KT_REPLAY_PACE
  if (set !== undefined && set !== '' && set !== '0' && set !== '1') throw new KtError(`KT_REPLAY_PACE must be 0 or 1, got "${set}"`)
  if (set === '0') return null
  return createPacer(concurrency, pool ? () => pool.utilization() : threadUtilization())
}

/** Below this concurrency one thread keeps up with its calls (bench/replay.ts: kt/bare >= 0.97 at 16). */
const POOL_MIN_CONCURRENCY = 32
const POOL_MAX_THREADS = 4

/**
 * How many worker threads make the calls: none (this thread) unless the run is large and highly concurrent with
 * a live SDK target on a machine with 2+ cores, then one per core up to POOL_MAX_THREADS.
 * KT_REPLAY_THREADS=N sets it (0: this thread).
 */
export function callThreads(plan: RunPlan, arms: Arm[], concurrency: number, calls: number): number {
  if (!poolWorkerUrl()) return 0
  const live = arms.some((a) => targetFor(plan, a)!.provider !== 'simulated')
  const set = process.env.KT_REPLAY_THREADS
  if (set !== undefined && set !== '') {
    const n = Number(set)
    if (!Number.isInteger(n) || n < 0) throw new KtError(`KT_REPLAY_THREADS must be a whole number >= 0, got "${set}"`)
    return live ? n : 0
  }
  const cores = availableParallelism()
  // One worker on one core only adds the cost of messages; more workers than cores only add contention.
  if (!live || cores < 2 || concurrency < POOL_MIN_CONCURRENCY || calls < 2 * concurrency) return 0
  return Math.min(POOL_MAX_THREADS, cores)
}

async function execute(db: DB, run: RunRow, plan: RunPlan, arms: Arm[], tasks: Task[], opts: ExecuteOptions, pool: CallPool | null): Promise<Omit<ExecuteOutcome, 'threads'>> {
  const s = plan.settings
  const total = tasks.length
  const makeClient = opts.clientFor ?? (pool ? (t: TargetSpec) => (t.provider === 'simulated' ? createClient(t) : pool.client(t)) : createClient)
  // One client per (arm, model): --model-map can send one arm's requests to several models.
  const clients = new Map<string, ProviderClient>()
  const clientFor = (arm: Arm, model: string): ProviderClient => {
    const key = `${arm}\u0000${model}`
    let c = clients.get(key)
    if (!c) {
      const target = targetFor(plan, arm)!
      // A simulated primary's A/A arm gets its own seed: real models are nondeterministic, the simulation must be too.
      const sim = target.provider === 'simulated' && arm === 'primary_aa'
      c = makeClient({...target, model, ...(sim ? {simulation: {...target.simulation, seed: (target.simulation?.seed ?? 0) + 7919}} : {})})
      clients.set(key, c)
    }
    return c
  }
  const targetLimits = new Map<string, {sem: Semaphore | null; rpm: TokenBucket | null; tpm: TokenBucket | null}>()
  for (const arm of arms) {
    const target = targetFor(plan, arm)!
    // Created before anything is sent, so a missing API key fails the run up front.
    clientFor(arm, target.model)
    if (!targetLimits.has(target.id)) {
      targetLimits.set(target.id, {
        sem: target.max_concurrency ? new Semaphore(target.max_concurrency) : null,
        rpm: target.rpm ? TokenBucket.perMinute(target.rpm) : null,
        tpm: target.tpm ? TokenBucket.tokensPerMinute(target.tpm) : null,
      })
    }
  }
  // A target's SDK is loaded and its client built before anything is sent: a configuration error fails the run here.
  await Promise.all([...clients.values()].map((c) => c.ready?.()))
  const rps = s.rps ? TokenBucket.perSecond(s.rps) : null
  const tpm = s.tpm ? TokenBucket.tokensPerMinute(s.tpm) : null
  const writer = new ResultWriter(db)
  const rand = rng(s.seed ^ 0x7e7)
  const base = opts.retryBaseMs ?? 500

  let next = 0
  let done = 0
  let errors = 0
  let spent = 0
  let reserved = 0
  let stoppedForCost = false
  let failure: unknown = null
  const stop = opts.stop
  const report = () => opts.onProgress?.({done, total, errors, cost: spent})
  const unsaved: ResultRow[] = []
  const save = () => {
    const rows = unsaved.splice(0)
    try {
      writer.writeMany(rows)
    } catch {
      // One by one then, so that one refused row does not take its neighbours with it. A database that refuses
      // (full disk, lock) stops the run like any other failure; what was not saved is sent again on resume.
      for (const row of rows) {
        try {
          writer.write(row)
        } catch (error) {
          failure ??= error
        }
      }
    }
  }

  const runTask = async (task: Task, body: Record<string, unknown>): Promise<void> => {
    const target = targetFor(plan, task.arm)!
    const limits = targetLimits.get(target.id)!
    const model = modelFor(plan, task.arm, task.item)
    const client = clientFor(task.arm, model)
    const sendBody = {...body, model}
    // The token estimate walks every message: only token budgets need it.
    let tokens = 0
    if (tpm || limits.tpm) {
      const e = estimateItem(plan, task.arm, task.item, body)
      tokens = e.input + e.output
    }
    if (rps) await rps.take(1)
    if (tpm) await tpm.take(tokens)
    if (limits.rpm) await limits.rpm.take(1)
    if (limits.tpm) await limits.tpm.take(tokens)
    const release = limits.sem ? await limits.sem.acquire() : () => undefined
    let result: CallResult
    let attempts = 0
    try {
      for (;;) {
        attempts++
        result = await client.call({api: task.item.api, body: sendBody}, {timeoutMs: target.timeout_ms ?? s.timeoutMs})
        if (result.status === 'ok' || !result.retryable || attempts > s.retries) break
        await sleep(result.retry_after_ms ?? backoffMs(attempts, base, rand))
      }
    } finally {
      release()
    }
    const cost = result.status === 'ok' || result.usage.output_tokens !== null ? estimateCost(result.response_model ?? model, result.usage, s.pricing) ?? estimateCost(model, result.usage, s.pricing) : null
    const row: ResultRow = {
      run_id: run.id,
      event_id: task.item.event_id,
      arm: task.arm,
      target_id: target.id,
      api: result.api,
      model,
      response_model: result.response_model,
      status: result.status,
      http_status: result.http_status,
      error_type: result.error?.type ?? null,
      error_code: result.error?.code ?? null,
      error_message: result.error?.message ?? null,
      attempts,
      latency_ms: result.latency_ms,
      ttft_ms: result.ttft_ms,
      input_tokens: result.usage.input_tokens,
      output_tokens: result.usage.output_tokens,
      cached_input_tokens: result.usage.cached_input_tokens,
      reasoning_tokens: result.usage.reasoning_tokens,
      total_tokens: result.usage.total_tokens,
      cost_usd: cost,
      finish_reason: result.response?.finish_reason ?? (result.status === 'ok' ? null : 'error'),
      finish_reason_raw: result.response?.finish_reason_raw ?? null,
      response_text: result.response?.text ?? null,
      tool_calls_json: result.response?.tool_calls.length ? JSON.stringify(result.response.tool_calls) : null,
      response_json: result.raw_json ?? (result.response?.raw ? JSON.stringify(result.response.raw) : null),
      translation_losses_json: JSON.stringify(result.translation_losses),
      simulated: result.simulated ? 1 : 0,
      created_at: new Date().toISOString(),
    }
    // Committed before this turn of the event loop ends, together with the other results that completed in it.
    if (unsaved.push(row) === 1) queueMicrotask(save)
    done++
    if (row.status !== 'ok') errors++
    spent += cost ?? 0
    report()
  }

  const worker = async (): Promise<void> => {
    for (;;) {
      if (stop?.aborted || stoppedForCost || failure !== null || next >= tasks.length) return
      // The place is taken before the task: a task is never held back while a later one goes out.
      const leave = pacer ? await pacer.acquire() : null
      if (stop?.aborted || stoppedForCost || failure !== null || next >= tasks.length) {
        leave?.()
        return
      }
      const task = tasks[next++]!
      let est = 0
      try {
        // Parsed once, for the cost estimate and the call.
        const body = requestBody(task.item)
        if (s.maxCost !== null) {
          const cost = estimateItem(plan, task.arm, task.item, body).cost ?? 0
          if (spent + reserved + cost > s.maxCost) {
            stoppedForCost = true
            return
          }
          reserved += est = cost
        }
        await runTask(task, body)
      } catch (error) {
        // Not an upstream failure (those are results): stop everyone, keep what is saved, resume later.
        failure ??= error
      } finally {
        reserved -= est
        leave?.()
      }
    }
  }

  const lanes = Math.max(1, Math.min(s.concurrency, tasks.length))
  const pacer = pacerFor(lanes, pool)
  try {
    setRunStatus(db, run.id, 'running')
    report()
    await Promise.all(Array.from({length: lanes}, () => worker()))
  } finally {
    pacer?.stop()
  }
  save()
  if (failure !== null) {
    setRunStatus(db, run.id, 'interrupted')
    throw failure
  }
  const remaining = pendingWork(db, run.id, arms).length
  const status: RunStatus = remaining === 0 ? 'completed' : stoppedForCost ? 'stopped_max_cost' : 'interrupted'
  setRunStatus(db, run.id, status)
  const pacedTo = pacer && pacer.lowest < lanes ? pacer.lowest : null
  return {status, sent: done, errors, cost: spent, pacedTo}
}
