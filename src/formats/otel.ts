// Placeholder until this format is written: matches nothing.
import type {Format} from './types.js'

export const otelFormat: Format = {
  name: 'otel',
  title: '(not yet available)',
  shapes: [],
  detect: () => false,
  open: () => ({parse: () => []}),
}
