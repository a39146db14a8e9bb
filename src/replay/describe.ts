// A run as people read it: targets by name, settings, how far it got.
import type {Arm} from '../records/index.js'
import {aaItemCount, resultCounts, runBatches, type DB, type RunRow} from '../store/index.js'
import {batchArms, liveArms, readPlanRecord, type ReplaySettings} from './plan.js'

export interface RunDescription {
  id: string
  name: string | null
  created_at: string
  updated_at: string
  status: string
  primary: string
  candidate: string
  total: number
  results_done: number
  results_expected: number
  errors: number
  settings: ReplaySettings
  config: unknown
  /**
   * Arms answered through a provider's Batch API: their latency and time to first token are not measured (a batched
   * request waits in the provider's queue), so reports and gates leave them out.
   */
  batch_arms?: Arm[]
  /** The run's provider batches, when it has any. */
  batches?: {batch_id: string | null; arm: string; state: string; requests: number; completed: number; failed: number; collected: boolean}[]
}

export function describeRun(db: DB, run: RunRow): RunDescription {
  const plan = readPlanRecord(run)
  const counts = resultCounts(db, run.id)
  const aa = aaItemCount(db, run.id)
  const arms = plan.primary === 'recorded' ? ['primary', ...liveArms(plan)] : liveArms(plan)
  const expected = arms.reduce((acc, a) => acc + (a === 'primary_aa' ? aa : run.total), 0)
  const label = (t: typeof plan.primary) => (t === 'recorded' ? 'recorded (logged responses)' : `${t.id} (${t.provider}:${t.model ?? 'model of each request'})`)
  return {
    id: run.id,
    name: run.name,
    created_at: run.created_at,
    updated_at: run.updated_at,
    status: run.status,
    primary: label(plan.primary),
    candidate: label(plan.candidate),
    total: run.total,
    results_done: Object.values(counts).reduce((a, c) => a + c.done, 0),
    results_expected: expected,
    errors: Object.values(counts).reduce((a, c) => a + c.errors, 0),
    settings: plan.settings,
    config: run.config_json ? JSON.parse(run.config_json) : null,
    batch_arms: batchArms(plan),
    batches: runBatches(db, run.id).map((b) => ({batch_id: b.batch_id, arm: b.arm, state: b.state, requests: b.requests, completed: b.completed, failed: b.failed, collected: b.collected_at !== null})),
  }
}
