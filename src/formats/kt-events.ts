// Placeholder until this format is written: matches nothing.
import type {Format} from './types.js'

export const ktEventsFormat: Format = {
  name: 'kt-events',
  title: '(not yet available)',
  shapes: [],
  detect: () => false,
  open: () => ({parse: () => []}),
}
