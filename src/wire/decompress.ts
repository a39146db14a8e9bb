// Every decompression kt does has an output cap, so that a few kilobytes that inflate to gigabytes (a "zip bomb" in a
// HAR body, a gzip log file, a compressed provider response) are refused with a reason instead of taking the
// process down: KT_MAX_DECOMPRESSED_BYTES (default 64 MB) per body or file read whole. Decompression stops at the cap
// (zlib's maxOutputLength, or a counting stream), so memory stays near it.
import {Transform, type TransformCallback} from 'node:stream'
import {brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync} from 'node:zlib'
import {KtError} from '../util/index.js'

export const MAX_DECOMPRESSED_ENV = 'KT_MAX_DECOMPRESSED_BYTES'
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

const UNITS: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}

/** The cap in bytes: KT_MAX_DECOMPRESSED_BYTES (a byte count, or with a K, M or G suffix), else 64 MB. */
export function maxDecompressedBytes(): number {
  const raw = process.env[MAX_DECOMPRESSED_ENV]?.trim()
  if (!raw) return DEFAULT_MAX_DECOMPRESSED_BYTES
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(raw)
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : NaN
  if (!(bytes >= 1)) throw new KtError(`${MAX_DECOMPRESSED_ENV} must be a size such as 67108864, 64M or 1G, got "${raw}"`, 2)
  return bytes
}

/** A size for messages: `64 MB`, `1.5 KB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GB`
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MB`
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`
  return `${n} bytes`
}

/** `what` would inflate past the cap; decompression stopped there. */
export class DecompressionLimitError extends Error {
  readonly code = 'ERR_KT_DECOMPRESSION_LIMIT'
  constructor(
    readonly limit: number,
    what: string,
  ) {
    super(`${what} inflates past the ${formatBytes(limit)} decompression cap (${MAX_DECOMPRESSED_ENV}); raise it to read it`)
  }
}

export type Encoding = 'gzip' | 'deflate' | 'deflate-raw' | 'br'

/** Decompresses `bytes`, stopping at `limit` output bytes (DecompressionLimitError); other zlib errors pass through. */
export function decompressSync(bytes: Buffer, encoding: Encoding, what: string, limit = maxDecompressedBytes()): Buffer {
  const opts = {maxOutputLength: limit}
  try {
    switch (encoding) {
      case 'gzip':
        return gunzipSync(bytes, opts)
      case 'deflate':
        return inflateSync(bytes, opts)
      case 'deflate-raw':
        return inflateRawSync(bytes, opts)
      case 'br':
        return brotliDecompressSync(bytes, opts)
    }
  } catch (error) {
    if ((error as {code?: string}).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressionLimitError(limit, what)
    throw error
  }
}

/**
 * A pass-through for a decompressing stream's output that fails with DecompressionLimitError once more than `limit`
 * bytes went through. The error ends the pipeline, so the decompressor upstream stops too.
 */
export class OutputLimit extends Transform {
  private seen = 0

  constructor(
    private limit: number,
    private readonly what: string,
  ) {
    super()
  }

  /** Removes the cap (for content that is read a bounded piece at a time). */
  lift(): void {
    this.limit = Number.POSITIVE_INFINITY
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length
    if (this.seen > this.limit) done(new DecompressionLimitError(this.limit, this.what))
    else done(null, chunk)
  }
}
