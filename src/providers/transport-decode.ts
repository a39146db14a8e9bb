// Compressed response bodies (`Content-Encoding: gzip, deflate, br`), decoded as they arrive, up to the decompression
// cap (KT_MAX_DECOMPRESSED_BYTES): past it the body fails, and the decompressor stops.
import type {Readable, Transform} from 'node:stream'
import {constants as zlibConstants, createBrotliDecompress, createGunzip, createInflate} from 'node:zlib'
import {maxDecompressedBytes, OutputLimit} from '../wire/index.js'

/** `res` decoded as its content-encoding says, and capped; `res` itself when it is not compressed. */
export function decodedBody(res: Readable, encoding: string | undefined): Readable {
  const decoder = decoderFor(encoding)
  if (!decoder) return res
  const limit = new OutputLimit(maxDecompressedBytes(), 'response body')
  decoder.on('error', (e) => limit.destroy(e))
  // Ended early (the cap, an abort): the decompressor stops with it.
  limit.on('close', () => decoder.destroy())
  return res.pipe(decoder).pipe(limit)
}

function decoderFor(encoding: string | undefined): Transform | null {
  // Flushing like undici so that a compressed SSE stream still arrives event by event.
  const opts = {flush: zlibConstants.Z_SYNC_FLUSH, finishFlush: zlibConstants.Z_SYNC_FLUSH}
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip(opts)
    case 'deflate':
      return createInflate(opts)
    case 'br':
      return createBrotliDecompress({flush: zlibConstants.BROTLI_OPERATION_FLUSH, finishFlush: zlibConstants.BROTLI_OPERATION_FLUSH})
    default:
      return null
  }
}
