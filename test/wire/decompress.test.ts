// The decompression cap itself: zlib stops at it for every encoding, the setting parses sizes and refuses nonsense,
// and the stream limiter fails once past it.
import assert from 'node:assert/strict'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {describe, test} from 'node:test'
import {brotliCompressSync, createGunzip, deflateRawSync, deflateSync, gzipSync} from 'node:zlib'
import {DecompressionLimitError, decompressSync, maxDecompressedBytes, OutputLimit} from '../../src/wire/index.js'

const MB = 1024 * 1024

function withCap<T>(value: string | undefined, f: () => T): T {
  const saved = process.env.KT_MAX_DECOMPRESSED_BYTES
  if (value === undefined) delete process.env.KT_MAX_DECOMPRESSED_BYTES
  else process.env.KT_MAX_DECOMPRESSED_BYTES = value
  try {
    return f()
  } finally {
    if (saved === undefined) delete process.env.KT_MAX_DECOMPRESSED_BYTES
    else process.env.KT_MAX_DECOMPRESSED_BYTES = saved
  }
}

describe('decompression cap', () => {
  test('KT_MAX_DECOMPRESSED_BYTES: 64 MB by default, bytes or K/M/G, nonsense is a usage error', () => {
    assert.equal(withCap(undefined, maxDecompressedBytes), 64 * MB)
    assert.equal(withCap('1048576', maxDecompressedBytes), MB)
    assert.equal(withCap('512K', maxDecompressedBytes), 512 * 1024)
    assert.equal(withCap('2MB', maxDecompressedBytes), 2 * MB)
    assert.equal(withCap('1g', maxDecompressedBytes), 1024 * MB)
    for (const bad of ['0', '-5', 'lots', '1T']) assert.throws(() => withCap(bad, maxDecompressedBytes), /KT_MAX_DECOMPRESSED_BYTES must be a size/)
  })

  test('every encoding stops at the cap; under it the bytes come back whole', () => {
    const big = Buffer.alloc(8 * MB, 'a')
    const packed = {gzip: gzipSync(big), deflate: deflateSync(big), 'deflate-raw': deflateRawSync(big), br: brotliCompressSync(big)} as const
    for (const [enc, bytes] of Object.entries(packed) as [keyof typeof packed, Buffer][]) {
      assert.throws(() => decompressSync(bytes, enc, 'the body', MB), (e: unknown) => e instanceof DecompressionLimitError && /^the body inflates past the 1 MB decompression cap/.test(e.message), enc)
      assert.equal(decompressSync(bytes, enc, 'the body', 16 * MB).length, big.length, enc)
    }
    // Corrupt data is a zlib error, not a cap.
    assert.throws(() => decompressSync(Buffer.from('not gzip'), 'gzip', 'x', MB), (e: unknown) => !(e instanceof DecompressionLimitError))
  })

  test('OutputLimit fails a stream past the cap, and lift() removes it', async () => {
    const source = () => Readable.from([gzipSync(Buffer.alloc(4 * MB))])
    await assert.rejects(pipeline(source(), createGunzip(), new OutputLimit(MB, 'gzip data'), async function* (s) {
      for await (const _ of s) yield
    }), DecompressionLimitError)
    const lifted = new OutputLimit(MB, 'gzip data')
    lifted.lift()
    let n = 0
    await pipeline(source(), createGunzip(), lifted, async (s: AsyncIterable<Buffer>) => {
      for await (const c of s) n += c.length
    })
    assert.equal(n, 4 * MB)
  })
})
