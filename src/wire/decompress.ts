// Every decompression kt does has an output cap, so that a few kilobytes that inflate to gigabytes (a "zip bomb" in a
// HAR body, a gzip log file, a compressed provider response) are refused with a reason instead of taking the
// process down: KT_MAX_DECOMPRESSED_BYTES (default 64 MB) per body or file read whole. Decompression stops at the cap
// (zlib's maxOutputLength, or a counting stream), so memory stays near it.
import {Transform, type TransformCallback} from 'node:stream'
import {brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync} from 'node:zlib'
import {formatBytes, sizeSetting} from '../util/index.js'

export {formatBytes} from '../util/index.js'

export const MAX_DECOMPRESSED_ENV = 'KT_MAX_DECOMPRESSED_BYTES'
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/** The cap in bytes: KT_MAX_DECOMPRESSED_BYTES (a byte count, or with a K, M or G suffix), else 64 MB. */
export function maxDecompressedBytes(): number {
  return sizeSetting(MAX_DECOMPRESSED_ENV, DEFAULT_MAX_DECOMPRESSED_BYTES)
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
