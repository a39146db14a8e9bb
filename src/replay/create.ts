// Creating a run from a plan: the request set is fixed up front (so a resume sends exactly what is missing),
// and the recorded primary's results are filled in at once (they cost nothing).
import {estimateCost} from '../providers/index.js'
import {ulid, type Api} from '../records/index.js'
import {createRun, inTransaction, recordedAnswers, replayableEventIds, ResultWriter, type DB} from '../store/index.js'
import {rng} from '../stats/index.js'
import {KtError} from '../util/index.js'
import {responseFromBody} from '../wire/index.js'
import {planRecord, validatePlan, type PlannedRun, type ReplaySettings, type RunPlan, type Selection} from './plan.js'

/** Replayable primary traffic matching the selection, in time order; a seeded sample keeps time order too. */
export function selectEvents(db: DB, sel: Selection): string[] {
  let ids = replayableEventIds(db, {dataset: sel.dataset, from: sel.from, model: sel.model, tags: sel.tags, filter: sel.filter})
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

export interface RunMeta {
  name?: string
  /** What the run was planned from (the config file), shown by `kt runs show`. */
  config?: unknown
}

/** Creates the run with its fixed request set and returns it with the plan it executes. */
export function createReplayRun(db: DB, plan: RunPlan, meta: RunMeta = {}): PlannedRun {
  validatePlan(plan)
  const ids = selectEvents(db, plan.settings.selection)
  if (ids.length === 0) throw new KtError('no replayable requests match the selection (import logs first, or loosen --dataset/--since/--model/--tag)')
  const runId = `run_${ulid().toLowerCase()}`
  const flags = aaFlags(ids.length, plan.settings.aa, plan.settings.seed)
  inTransaction(db, () => {
    createRun(
      db,
      {
        id: runId,
        name: meta.name ?? null,
        created_at: new Date().toISOString(),
        status: 'running',
        ...planRecord(plan),
        config_json: meta.config === undefined ? null : JSON.stringify(meta.config),
        total: ids.length,
      },
      ids.map((id, i) => ({event_id: id, aa: flags[i]!})),
    )
    if (plan.primary === 'recorded') materializeRecorded(db, runId, plan.settings)
  })
  return {runId, total: ids.length, plan}
}

function materializeRecorded(db: DB, runId: string, settings: ReplaySettings): void {
  const writer = new ResultWriter(db)
  const now = new Date().toISOString()
  for (const r of recordedAnswers(db, runId)) {
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
      tool_calls_json: wireToolCalls(r.api, r.response_json),
      response_json: r.response_json,
      translation_losses_json: '[]',
      simulated: 0,
      created_at: now,
    })
  }
}

/** The tool calls of a logged answer, as a result stores them (tool_calls_json). */
function wireToolCalls(api: Api, responseJson: string | null): string | null {
  if (!responseJson) return null
  try {
    const parsed = responseFromBody(api, JSON.parse(responseJson) as Record<string, unknown>)
    return parsed.response.tool_calls.length ? JSON.stringify(parsed.response.tool_calls) : null
  } catch {
    return null
  }
}
