// Placeholder until this format is written: matches nothing.
import type {Format} from './types.js'

export const harFormat: Format = {
  name: 'har',
  title: '(not yet available)',
  shapes: [],
  detect: () => false,
  open: () => ({parse: () => []}),
}
