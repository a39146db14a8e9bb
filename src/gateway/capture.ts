// A copy of an answer's bytes kept beside the stream for the side path (events, scoring, comparison), with the time
// each chunk arrived, so time-to-first-token can be found later without parsing anything on the request path.

/** Answers longer than this keep only their start (the event is then metrics-only for what it lost). */
export const DEFAULT_CAPTURE_BYTES = 8 * 1024 * 1024

export class Capture {
  private readonly chunks: Buffer[] = []
  size = 0
  truncated = false
  /** Pairs of (bytes captured so far, ms since `t0`), one per chunk. */
  readonly marks: number[] = []
  firstAt: number | null = null

  constructor(
    private readonly t0: number,
    private readonly max: number = DEFAULT_CAPTURE_BYTES,
  ) {}

  add(chunk: Buffer): void {
    const now = performance.now() - this.t0
    this.firstAt ??= now
    if (this.truncated) return
    if (this.size + chunk.length > this.max) {
      this.truncated = true
      return
    }
    this.chunks.push(chunk)
    this.size += chunk.length
    this.marks.push(this.size, now)
  }

  /** Replaces what was captured with `bytes` (a held answer the gateway rewrote), keeping when it arrived. */
  replace(bytes: Buffer): void {
    const at = this.marks.length ? this.marks[this.marks.length - 1]! : (this.firstAt ?? 0)
    this.chunks.length = 0
    this.marks.length = 0
    this.size = 0
    this.truncated = bytes.length > this.max
    if (this.truncated) return
    this.chunks.push(bytes)
    this.size = bytes.length
    this.marks.push(this.size, at)
  }

  /** The captured bytes in their own exact-size buffer (a view into a pooled one would post the whole pool). */
  bytes(): Uint8Array | null {
    return this.chunks.length === 0 ? null : ownBytes(this.chunks, this.size)
  }

  text(): string {
    return this.chunks.length === 0 ? '' : Buffer.concat(this.chunks, this.size).toString('utf8')
  }
}

/** Chunks copied into one Uint8Array that owns exactly its bytes (cheap to post to another thread). */
export function ownBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
