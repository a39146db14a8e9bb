// The simulated target's deterministic randomness: seeds from (request, style, seed) and latencies drawn from a
// seeded log-normal. (The generator is stats' mulberry32 `rng`; seeds from seedFrom are unsigned 32-bit.)
import {createHash} from 'node:crypto'
import {stableStringify} from '../records/index.js'
import type {Json} from '../wire/index.js'

const DEFAULT_LATENCY = {p50: 600, p95: 2000}

export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0)
}


/** Identity of a request for the simulator: the body without model and streaming knobs. */
export function requestDigest(body: Json): string {
  const {model: _m, stream: _s, stream_options: _so, ...rest} = body
  return createHash('sha256').update(stableStringify(rest)).digest('hex')
}

/** `latency_ms` describes an answer of about this many tokens; shorter/longer answers scale by the square root. */
const REFERENCE_OUTPUT_TOKENS = 80

export function lengthFactor(outputTokens: number): number {
  return Math.min(2, Math.max(0.5, Math.sqrt((outputTokens + 20) / (REFERENCE_OUTPUT_TOKENS + 20))))
}

/** Log-normal with the given median and 95th percentile, from two uniforms (Box–Muller). */
export function drawLatency(spec: number | {p50: number; p95: number} | undefined, u1: number, u2: number): number {
  const {p50, p95} = typeof spec === 'number' ? {p50: spec, p95: spec * 2} : spec ?? DEFAULT_LATENCY
  if (p50 <= 0) return 0
  const mu = Math.log(p50)
  const sigma = Math.max(0, (Math.log(Math.max(p95, p50)) - mu) / 1.6449)
  const z = Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2)
  return Math.round(Math.exp(mu + sigma * z))
}
