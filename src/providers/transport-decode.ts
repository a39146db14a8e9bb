// Compressed response bodies (`Content-Encoding: gzip, deflate, br`), decoded as they arrive.
import type {Transform} from 'node:stream'
import {constants as zlibConstants, createBrotliDecompress, createGunzip, createInflate} from 'node:zlib'

export function decoderFor(encoding: string | undefined): Transform | null {
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
