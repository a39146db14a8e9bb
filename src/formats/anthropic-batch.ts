// Placeholder until this format is written: matches nothing.
import type {Format} from './types.js'

export const anthropicBatchFormat: Format = {
  name: 'anthropic-batch',
  title: '(not yet available)',
  shapes: [],
  detect: () => false,
  open: () => ({parse: () => []}),
}
