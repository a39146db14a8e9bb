// Building a batch input on disk: lines appended to a file in large writes, rotated to a new file before a limit
// (requests, bytes) of the provider would be crossed. Nothing but the current write buffer is held in memory.
import {closeSync, openSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import type {Arm} from '../records/index.js'
import type {BatchInputFormat, BatchLimits, WireApi} from '../providers/index.js'

/** What kt calls a request in a batch: its place in the run and its arm (Anthropic allows [a-zA-Z0-9_-]{1,64}). */
export function customId(seq: number, arm: Arm): string {
  return `r${seq}-${arm}`
}

export function parseCustomId(id: string): {seq: number; arm: Arm} | null {
  const m = /^r(\d+)-(primary|candidate|primary_aa)$/.exec(id)
  return m ? {seq: Number(m[1]), arm: m[2] as Arm} : null
}

export interface PartItem {
  seq: number
  model: string | null
  losses_json: string | null
}

/** A finished batch input: its file, what it holds, and how large it is. */
export interface InputPart {
  path: string
  arm: Arm
  wire: WireApi
  items: PartItem[]
  bytes: number
}

const FLUSH_BYTES = 1 << 20

class PartFile {
  readonly items: PartItem[] = []
  bytes: number
  private readonly fd: number
  private buffer: string[] = []
  private buffered = 0

  constructor(
    readonly path: string,
    private readonly format: BatchInputFormat,
  ) {
    this.fd = openSync(path, 'w')
    this.bytes = Buffer.byteLength(format.head) + Buffer.byteLength(format.tail)
    this.push(format.head)
  }

  /** Bytes the part would have with one more line of `lineBytes`. */
  bytesWith(lineBytes: number): number {
    return this.bytes + lineBytes + (this.items.length ? Buffer.byteLength(this.format.sep) : 0)
  }

  add(line: string, lineBytes: number, item: PartItem): void {
    if (this.items.length) this.push(this.format.sep)
    this.bytes = this.bytesWith(lineBytes)
    this.push(line)
    this.items.push(item)
  }

  close(): void {
    this.push(this.format.tail)
    this.flush()
    closeSync(this.fd)
  }

  private push(s: string): void {
    this.buffer.push(s)
    this.buffered += s.length
    if (this.buffered >= FLUSH_BYTES) this.flush()
  }

  private flush(): void {
    if (this.buffer.length) writeSync(this.fd, this.buffer.join(''))
    this.buffer = []
    this.buffered = 0
  }
}

/** Splits one arm's lines into batch inputs: one open file per group (OpenAI: endpoint and model), rotated at the limits. */
export class InputSplitter {
  readonly parts: InputPart[] = []
  private readonly open = new Map<string, {file: PartFile; wire: WireApi}>()
  private n = 0

  constructor(
    private readonly dir: string,
    private readonly arm: Arm,
    private readonly format: BatchInputFormat,
    private readonly limits: BatchLimits,
  ) {}

  /** The largest line a batch can hold. */
  get maxLineBytes(): number {
    return this.limits.bytes - Buffer.byteLength(this.format.head) - Buffer.byteLength(this.format.tail)
  }

  add(group: string, wire: WireApi, line: string, lineBytes: number, item: PartItem): void {
    let cur = this.open.get(group)
    if (cur && (cur.file.items.length >= this.limits.requests || cur.file.bytesWith(lineBytes) > this.limits.bytes)) {
      this.finish(group)
      cur = undefined
    }
    if (!cur) {
      cur = {file: new PartFile(join(this.dir, `kt-batch-${this.arm}-${this.n++}.${this.format.family === 'openai' ? 'jsonl' : 'json'}`), this.format), wire}
      this.open.set(group, cur)
    }
    cur.file.add(line, lineBytes, item)
  }

  /** Closes every open file; `parts` then holds all of them (in the order they were closed). */
  end(): InputPart[] {
    for (const group of [...this.open.keys()]) this.finish(group)
    return this.parts
  }

  private finish(group: string): void {
    const cur = this.open.get(group)!
    cur.file.close()
    this.open.delete(group)
    this.parts.push({path: cur.file.path, arm: this.arm, wire: cur.wire, items: cur.file.items, bytes: cur.file.bytes})
  }
}
