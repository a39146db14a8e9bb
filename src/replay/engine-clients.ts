// The provider clients and per-target limits of one execution of a run (engine-run.ts). They are all made before
// anything is sent, so that a missing API key, a bad target or a configuration error fails the run up front.
import {createClient, type CallPool, type ProviderClient, type TargetSpec} from '../providers/index.js'
import type {Arm} from '../records/index.js'
import {Semaphore, TokenBucket} from '../util/index.js'
import {targetFor, type RunPlan} from './plan.js'

/** A target's own caps (max_concurrency, rpm, tpm), shared by every arm and model sent to it. */
export interface TargetLimits {
  sem: Semaphore | null
  rpm: TokenBucket | null
  tpm: TokenBucket | null
}

export class ArmClients {
  // One client per (arm, model): --model-map can send one arm's requests to several models.
  private readonly clients = new Map<string, ProviderClient>()
  private readonly limits = new Map<string, TargetLimits>()
  private readonly makeClient: (target: TargetSpec) => ProviderClient

  /** `clientFor` replaces the real clients (tests); with a pool, live targets are called on its worker threads. */
  constructor(
    private readonly plan: RunPlan,
    arms: Arm[],
    clientFor: ((target: TargetSpec) => ProviderClient) | undefined,
    pool: CallPool | null,
  ) {
    this.makeClient = clientFor ?? (pool ? (t: TargetSpec) => (t.provider === 'simulated' ? createClient(t) : pool.client(t)) : createClient)
    for (const arm of arms) {
      const target = targetFor(plan, arm)!
      // Created before anything is sent, so a missing API key fails the run up front.
      this.client(arm, target.model ?? '')
      if (!this.limits.has(target.id)) {
        this.limits.set(target.id, {
          sem: target.max_concurrency ? new Semaphore(target.max_concurrency) : null,
          rpm: target.rpm ? TokenBucket.perMinute(target.rpm) : null,
          tpm: target.tpm ? TokenBucket.tokensPerMinute(target.tpm) : null,
        })
      }
    }
  }

  /** A target's SDK is loaded and its client built before anything is sent: a configuration error fails the run here. */
  async ready(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.ready?.()))
  }

  /** The client for `arm` sending to `model` (an empty model keeps the target's), made on first use. */
  client(arm: Arm, model: string): ProviderClient {
    const key = `${arm}\u0000${model}`
    let c = this.clients.get(key)
    if (!c) {
      const target = targetFor(this.plan, arm)!
      // A simulated primary's A/A arm gets its own seed: real models are nondeterministic, the simulation must be too.
      const sim = target.provider === 'simulated' && arm === 'primary_aa'
      c = this.makeClient({...target, ...(model ? {model} : {}), ...(sim ? {simulation: {...target.simulation, seed: (target.simulation?.seed ?? 0) + 7919}} : {})})
      this.clients.set(key, c)
    }
    return c
  }

  /** The limits of a target of one of the arms this was made with. */
  limitsOf(targetId: string): TargetLimits {
    return this.limits.get(targetId)!
  }
}
