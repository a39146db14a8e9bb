// Where the audit-logger and log policies' lines go, written from the side thread (never the thread that answers
// callers): the process's stdout or stderr (fds 1 and 2), or a file opened once, for appending, created with mode 0600
// (kt never truncates, rewrites or deletes it). Lines queue per destination and go out in one write per batch (the
// side thread's event batches); while a write is in flight the next batch waits, up to a bound in lines and
// characters past which lines are dropped and counted, so a destination that cannot keep up (a full pipe, a slow
// disk) costs lines, never memory. A file that cannot be opened is one log line naming the config path; its lines are
// dropped (and counted) until a reload names a path that opens.
import {close, mkdir, open, write} from 'node:fs'
import {dirname} from 'node:path'
import type {CanonicalRecord} from '../records/index.js'
import type {AccessRecord, LinePolicy} from './exchange.js'
import {accessLine, accessText, auditLine, logJsonLine, logMatches, logTextLine} from './policy-lines.js'

/** Lines, and characters, waiting for one destination at most. */
export const MAX_QUEUED_LINES = 10_000
export const MAX_QUEUED_CHARS = 32 * 1024 * 1024
/** A non-blocking stdout or stderr that is full (EAGAIN) is tried again after this long. */
const RETRY_MS = 50
/** How long a destination a reload no longer names may take to write what it has queued. */
const CLOSE_MS = 5000

/** Lines written and dropped, by policy name. */
export interface LineCounts {
  written: Record<string, number>
  dropped: Record<string, number>
}

type Destination = {kind: 'stdout' | 'stderr'} | {kind: 'file'; path: string; configPath: string}

export type LineLogLevel = 'INFO' | 'WARN' | 'ERROR'

interface Host {
  counts: LineCounts
  log(level: LineLogLevel, line: string): void
  /** Counts changed. */
  changed(): void
}

function add(counts: Record<string, number>, policy: string, n: number): void {
  counts[policy] = (counts[policy] ?? 0) + n
}

class Sink {
  private queue: {policy: string; text: string}[] = []
  private chars = 0
  private fd: number | null = null
  private state: 'opening' | 'open' | 'failed' | 'closed' = 'opening'
  private writing = false
  /** The batch being written; null when none, or given up at close (then counted as dropped). */
  private inFlight: {policy: string}[] | null = null
  /** A write failed: said once per run of failures. */
  private failing = false
  private waiters: (() => void)[] = []

  constructor(
    readonly dest: Destination,
    private readonly host: Host,
  ) {
    if (dest.kind === 'file') this.openFile(dest)
    else {
      this.fd = dest.kind === 'stdout' ? 1 : 2
      this.state = 'open'
    }
  }

  get failed(): boolean {
    return this.state === 'failed'
  }

  private openFile(d: {path: string; configPath: string}): void {
    // The directory is made if missing; whatever goes wrong, open says it.
    mkdir(dirname(d.path), {recursive: true, mode: 0o700}, () => {
      open(d.path, 'a', 0o600, (err, fd) => {
        if (this.state === 'closed') return void (err ? undefined : close(fd, () => undefined))
        if (err) {
          this.state = 'failed'
          this.host.log('ERROR', `${d.configPath}: cannot open ${d.path} for appending: ${err.message}; the gateway keeps serving, and this policy's lines are dropped (kt_gateway_policy_lines_dropped_total) until the path is fixed and the configuration reloaded`)
          this.dropQueued()
          return
        }
        this.fd = fd
        this.state = 'open'
        this.flush()
      })
    })
  }

  push(policy: string, text: string): void {
    if (this.state === 'failed' || this.state === 'closed' || this.queue.length >= MAX_QUEUED_LINES || this.chars + text.length > MAX_QUEUED_CHARS) {
      add(this.host.counts.dropped, policy, 1)
      this.host.changed()
      return
    }
    this.queue.push({policy, text})
    this.chars += text.length
  }

  /** Writes what is queued, in one write, unless a write is still in flight (then its end writes the rest). */
  flush(): void {
    if (this.writing || this.state !== 'open' || this.queue.length === 0) return
    const batch = this.queue
    this.queue = []
    this.chars = 0
    this.writing = true
    this.inFlight = batch
    this.writeFrom(Buffer.from(`${batch.map((b) => b.text).join('\n')}\n`), 0, batch)
  }

  private writeFrom(buf: Buffer, offset: number, batch: {policy: string}[]): void {
    write(this.fd!, buf, offset, buf.length - offset, null, (err, n) => {
      if (this.inFlight !== batch) return
      if (err?.code === 'EAGAIN' && this.state === 'open') {
        setTimeout(() => this.writeFrom(buf, offset, batch), RETRY_MS)
        return
      }
      if (!err && offset + n < buf.length) return this.writeFrom(buf, offset + n, batch)
      if (err) {
        for (const b of batch) add(this.host.counts.dropped, b.policy, 1)
        if (!this.failing) this.host.log('ERROR', `cannot write to ${this.dest.kind === 'file' ? this.dest.path : this.dest.kind}: ${err.message}; ${batch.length} line(s) dropped (said once until a write succeeds)`)
        this.failing = true
      } else {
        for (const b of batch) add(this.host.counts.written, b.policy, 1)
        this.failing = false
      }
      this.writing = false
      this.inFlight = null
      this.host.changed()
      if (this.queue.length) this.flush()
      else this.wake()
    })
  }

  private idle(): boolean {
    return !this.writing && (this.queue.length === 0 || this.state === 'failed' || this.state === 'closed')
  }

  private wake(): void {
    if (this.idle()) for (const w of this.waiters.splice(0)) w()
  }

  private dropQueued(): void {
    for (const q of this.queue) add(this.host.counts.dropped, q.policy, 1)
    this.queue = []
    this.chars = 0
    this.host.changed()
    this.wake()
  }

  /** Writes everything queued; false if that did not finish within `ms`. */
  drain(ms: number): Promise<boolean> {
    this.flush()
    if (this.idle()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms)
      this.waiters.push(() => {
        clearTimeout(t)
        resolve(true)
      })
    })
  }

  /** Drains (within `ms`), then closes a file; what could not be written is counted as dropped. */
  async close(ms: number): Promise<void> {
    await this.drain(ms)
    const wasOpen = this.state === 'open'
    this.state = 'closed'
    // A write still in flight (a stuck pipe or disk) is given up: its lines count as dropped (not known to be
    // written), and it keeps its fd (closing it under the write would be a race).
    if (this.inFlight) for (const b of this.inFlight) add(this.host.counts.dropped, b.policy, 1)
    this.inFlight = null
    this.dropQueued()
    if (wasOpen && this.dest.kind === 'file' && this.fd !== null && !this.writing) close(this.fd, () => undefined)
  }
}

function destinationOf(p: LinePolicy): Destination | null {
  if (p.destination === 'sqlite') return null
  if (p.destination !== 'file') return {kind: p.destination}
  const where = `${p.source.path}.path${p.source.line !== null ? ` (line ${p.source.line})` : ''}`
  return {kind: 'file', path: p.path!, configPath: where}
}

/** The audit-logger and log policies of the current config, each with its destination (null: sqlite). */
export class PolicyLines {
  readonly counts: LineCounts = {written: {}, dropped: {}}
  private sinks = new Map<string, Sink>()
  private policies: {policy: LinePolicy; sink: Sink | null}[] = []
  private readonly host: Host

  constructor(log: Host['log'], changed: () => void) {
    this.host = {counts: this.counts, log, changed}
  }

  /**
   * Takes the policies of a (re)loaded config: a destination it still names stays open, a file path it no longer
   * names is drained and closed, a new one (or one that failed to open) is opened.
   */
  configure(policies: readonly LinePolicy[]): void {
    const next = new Map<string, Sink>()
    this.policies = policies.map((policy) => {
      this.counts.written[policy.name] ??= 0
      this.counts.dropped[policy.name] ??= 0
      const dest = destinationOf(policy)
      if (!dest) return {policy, sink: null}
      const key = dest.kind === 'file' ? `file:${dest.path}` : dest.kind
      let sink = next.get(key) ?? this.sinks.get(key)
      if (!sink || sink.failed) sink = new Sink(dest, this.host)
      next.set(key, sink)
      return {policy, sink}
    })
    for (const [key, sink] of this.sinks) if (next.get(key) !== sink) void sink.close(CLOSE_MS)
    this.sinks = next
  }

  /** One request's events (its shadows, then its primary, as events.ts builds them). */
  request(records: readonly CanonicalRecord[]): void {
    if (this.policies.length === 0) return
    const primary = records.find((r) => r.event.traffic_role === 'primary')
    if (!primary) return
    const shadows = records.filter((r) => r !== primary)
    for (const {policy: p, sink} of this.policies) {
      if (!sink) continue
      if (p.type === 'audit-logger') sink.push(p.name, auditLine(p, primary, shadows))
      else if (logMatches(p, primary)) sink.push(p.name, sink.dest.kind === 'stderr' ? logTextLine(p, primary) : logJsonLine(p, primary))
    }
  }

  /**
   * A read of the trail (a line for every audit-logger with log_all_access) or a refused LLM call (for every
   * audit-logger); the gateway's log for destination sqlite.
   */
  access(a: AccessRecord): void {
    for (const {policy: p, sink} of this.policies) {
      if (p.type !== 'audit-logger' || (a.access === 'read' && !p.log_all_access)) continue
      if (sink) sink.push(p.name, accessLine(p, a))
      else this.host.log('INFO', accessText(p, a))
    }
  }

  /** One write per destination for everything queued since the last batch. */
  flush(): void {
    for (const s of this.sinks.values()) s.flush()
  }

  async drain(ms: number): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.drain(ms)))
  }

  /** Drains and closes every destination (within `ms`), then says how many lines were dropped, if any. */
  async close(ms: number): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.close(ms)))
    this.sinks.clear()
    const dropped = Object.entries(this.counts.dropped).filter(([, n]) => n > 0)
    if (dropped.length) this.host.log('WARN', `audit-logger/log lines dropped (a destination fell behind, could not be opened or failed; kt_gateway_policy_lines_dropped_total): ${dropped.map(([name, n]) => `"${name}" ${n}`).join(', ')}`)
  }
}
